package oauthtest

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"
)

// authCode is an issued authorization code and what it was bound to.
type authCode struct {
	code          string
	clientID      string
	redirectURI   string
	redirectGiven bool // the authorization request carried redirect_uri
	scopes        []string
	resources     []string // resource indicators of the authorization request (RFC 8707 §2.1)
	nonce         string
	challenge     string // PKCE code_challenge, empty without PKCE
	method        string // PKCE code_challenge_method
	user          User
	authTime      time.Time // when the user logged in
	issuedAt      time.Time
	sid           string          // the browser session it was issued in; "" without one
	dpopJKT       string          // the dpop_jkt of the authorization request (RFC 9449 §10); "" without
	claims        requestedClaims // what the claims parameter asked for (OIDC Core §5.5)
	expiresAt     time.Time
	family        string // the token family it produced once redeemed; "" before
	invalidated   bool   // by InvalidateCode
	seq           uint64 // issue order
}

// codeStore holds issued codes. Redeemed codes stay until they expire, so
// that a replay is recognised and the tokens it produced are revoked.
type codeStore struct {
	mu           sync.Mutex // guards codes, sweeper, seq, last, lastByClient and changed
	codes        map[string]*authCode
	sweeper      sweeper
	seq          uint64            // codes issued so far
	last         string            // the code issued last
	lastByClient map[string]string // the code issued last to each client
	changed      changeLog
}

func (s *codeStore) add(c *authCode, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes = make(map[string]*authCode)
		s.lastByClient = make(map[string]string)
	}
	if s.sweeper.due(len(s.codes), now) {
		s.sweep(now)
	}
	s.seq++
	c.seq = s.seq
	s.codes[c.code] = c
	s.last = c.code
	s.lastByClient[c.clientID] = c.code
	s.changed.note(c.code)
	s.changed.note(codesMeta)
}

// sweep drops expired codes; s.mu must be held.
func (s *codeStore) sweep(now time.Time) {
	before := len(s.codes)
	for k, c := range s.codes {
		if !now.Before(c.expiresAt) {
			delete(s.codes, k)
			s.changed.note(k)
		}
	}
	if s.sweeper.swept(before, len(s.codes), now) {
		s.codes = rebuilt(s.codes)
	}
}

// redeem consumes code for a new token family if check accepts it. A code
// that check rejects stays redeemable: bad input loses nothing. A code
// already redeemed is a replay: redeem returns its family, to be revoked,
// with replay set.
func (s *codeStore) redeem(code, family string, now time.Time, check func(*authCode) *Error) (c authCode, replay bool, err *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.codes[code]
	switch {
	case !ok:
		return authCode{}, false, ErrInvalidGrant.WithDescription("code %q was not issued by this provider, or has expired and been forgotten", abbreviate(code))
	case rec.family != "":
		return *rec, true, ErrInvalidGrant.WithDescription("code was already redeemed; the tokens issued for it are now revoked (RFC 6749 §4.1.2)")
	case rec.invalidated:
		return authCode{}, false, ErrInvalidGrant.WithDescription("code was invalidated by the test (InvalidateCode)")
	case !now.Before(rec.expiresAt):
		return authCode{}, false, ErrInvalidGrant.WithDescription("code expired at %s, %s after it was issued; it is now %s (a test's ExpireCodes and SetCodeLifetime shorten a code's life)",
			rec.expiresAt.UTC().Format(time.RFC3339), humanDuration(rec.expiresAt.Sub(rec.issuedAt)), now.UTC().Format(time.RFC3339))
	}
	if err := check(rec); err != nil {
		return authCode{}, false, err
	}
	rec.family = family
	s.changed.note(code)
	return *rec, false, nil
}

// abbreviate shortens a long credential for an error message.
func abbreviate(s string) string {
	if len(s) <= 12 {
		return s
	}
	return s[:8] + "…"
}

// CodeInfo describes an issued authorization code: a copy, for assertions.
type CodeInfo struct {
	Code                string    `json:"code"`                  // the code itself
	ClientID            string    `json:"client_id"`             // the client it was issued to
	RedirectURI         string    `json:"redirect_uri"`          // the redirect URI it was sent to
	Scopes              []string  `json:"scopes"`                // the scopes granted
	Resources           []string  `json:"resources,omitempty"`   // the resource indicators granted (RFC 8707)
	Nonce               string    `json:"nonce"`                 // the nonce of the authorization request
	CodeChallenge       string    `json:"code_challenge"`        // the PKCE challenge, "" without PKCE
	CodeChallengeMethod string    `json:"code_challenge_method"` // S256 or plain, "" without PKCE
	Subject             string    `json:"subject"`               // the user it was issued for
	ACR                 string    `json:"acr,omitempty"`         // the acr of the login (User.ACR, acr_values, the login page); "" for none
	IssuedAt            time.Time `json:"issued_at"`             // by the provider's clock
	ExpiresAt           time.Time `json:"expires_at"`            // by the provider's clock
	Redeemed            bool      `json:"redeemed"`              // exchanged for tokens
	Invalidated         bool      `json:"invalidated"`           // by InvalidateCode
}

func (c *authCode) info() CodeInfo {
	return CodeInfo{
		Code: c.code, ClientID: c.clientID, RedirectURI: c.redirectURI, Scopes: slices.Clone(c.scopes), Resources: slices.Clone(c.resources),
		Nonce: c.nonce, CodeChallenge: c.challenge, CodeChallengeMethod: c.method, Subject: c.user.Subject, ACR: c.user.ACR,
		IssuedAt: c.issuedAt, ExpiresAt: c.expiresAt, Redeemed: c.family != "", Invalidated: c.invalidated,
	}
}

// LastCode returns the authorization code issued last, or "" if none was,
// so that a test needs no redirect parsing to get it.
func (p *Provider) LastCode() string {
	p.codes.mu.Lock()
	defer p.codes.mu.Unlock()
	return p.codes.last
}

// Codes returns the authorization codes the provider remembers, oldest
// first: the outstanding ones, and the redeemed ones until they expire.
func (p *Provider) Codes() []CodeInfo {
	p.codes.mu.Lock()
	defer p.codes.mu.Unlock()
	return inIssueOrder(p.codes.codes, func(c *authCode) uint64 { return c.seq }, (*authCode).info)
}

// inIssueOrder describes the records of a store, sorted by their sequence
// numbers; the store's mutex must be held.
func inIssueOrder[R, I any](records map[string]*R, seq func(*R) uint64, describe func(*R) I) []I {
	recs := slices.Collect(maps.Values(records))
	slices.SortFunc(recs, func(a, b *R) int { return cmp.Compare(seq(a), seq(b)) })
	infos := make([]I, len(recs))
	for i, r := range recs {
		infos[i] = describe(r)
	}
	return infos
}

// ExpireCodes makes every code issued so far expire now: redeeming one
// fails with invalid_grant, as after ten minutes.
func (p *Provider) ExpireCodes() {
	now := p.Now()
	p.codes.mu.Lock()
	defer p.codes.mu.Unlock()
	for k, c := range p.codes.codes {
		c.expiresAt = minTime(c.expiresAt, now)
		p.codes.changed.note(k)
	}
}

// InvalidateCode makes code unredeemable: redeeming it fails with
// invalid_grant. It reports whether the provider knew the code.
func (p *Provider) InvalidateCode(code string) bool {
	p.codes.mu.Lock()
	defer p.codes.mu.Unlock()
	c, ok := p.codes.codes[code]
	if ok {
		c.invalidated = true
		p.codes.changed.note(code)
	}
	return ok
}

// SetCodeLifetime gives one issued code a lifetime of d from its issue
// time, shorter or longer than the provider's. It reports whether the
// provider knew the code.
func (p *Provider) SetCodeLifetime(code string, d time.Duration) bool {
	p.codes.mu.Lock()
	defer p.codes.mu.Unlock()
	c, ok := p.codes.codes[code]
	if ok {
		c.expiresAt = c.issuedAt.Add(d)
		p.codes.changed.note(code)
	}
	return ok
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// codesMeta is the key of the codes store's own record: its sequence and
// the codes issued last.
const codesMeta = "#"

// codeState is an authorization code as the state file keeps it.
type codeState struct {
	Code, ClientID, RedirectURI string
	RedirectGiven               bool
	Scopes                      []string
	Nonce, Challenge, Method    string
	User                        User
	AuthTime, IssuedAt, Expires stime
	SID, Family                 string
	Invalidated                 bool
	Seq                         uint64
	Resources                   []string    `json:",omitempty"`
	DPoPJKT                     string      `json:",omitempty"`
	Claims                      claimsState `json:",omitzero"`
}

// codesMetaState is the codes store's own record.
type codesMetaState struct {
	Seq          uint64
	Last         string
	LastByClient map[string]string
}

func (s *codeStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes, s.lastByClient, s.last, s.seq, s.sweeper = nil, nil, "", 0, sweeper{}
	clear(s.changed.keys)
}

func (s *codeStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *codeStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.current(codesMeta))
	for k := range s.codes {
		dst = append(dst, s.current(k))
	}
	return dst
}

func (s *codeStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of key now; s.mu must be held.
func (s *codeStore) current(key string) record {
	if key == codesMeta {
		return newRecord(key, codesMetaState{Seq: s.seq, Last: s.last, LastByClient: s.lastByClient})
	}
	c := s.codes[key]
	if c == nil {
		return deleted(key)
	}
	return newRecord(key, codeState{Code: c.code, ClientID: c.clientID, RedirectURI: c.redirectURI, RedirectGiven: c.redirectGiven,
		Scopes: c.scopes, Nonce: c.nonce, Challenge: c.challenge, Method: c.method, User: c.user, AuthTime: stime(c.authTime),
		IssuedAt: stime(c.issuedAt), Expires: stime(c.expiresAt), SID: c.sid, Family: c.family, Invalidated: c.invalidated, Seq: c.seq,
		Resources: c.resources, DPoPJKT: c.dpopJKT, Claims: c.claims.state()})
}

func (s *codeStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes, s.lastByClient = make(map[string]*authCode), make(map[string]string)
	}
	for _, r := range recs {
		if err := s.apply(r); err != nil {
			return err
		}
	}
	return nil
}

// apply restores one record; s.mu must be held.
func (s *codeStore) apply(r record) error {
	switch {
	case r.Value == nil:
		delete(s.codes, r.Key)
		return nil
	case r.Key == codesMeta:
		var m codesMetaState
		err := r.decode(&m)
		s.seq, s.last, s.lastByClient = m.Seq, m.Last, m.LastByClient
		if s.lastByClient == nil {
			s.lastByClient = make(map[string]string)
		}
		return err
	}
	var c codeState
	if err := r.decode(&c); err != nil {
		return err
	}
	s.codes[r.Key] = &authCode{code: c.Code, clientID: c.ClientID, redirectURI: c.RedirectURI, redirectGiven: c.RedirectGiven,
		scopes: c.Scopes, nonce: c.Nonce, challenge: c.Challenge, method: c.Method, user: c.User, authTime: c.AuthTime.time(),
		issuedAt: c.IssuedAt.time(), expiresAt: c.Expires.time(), sid: c.SID, family: c.Family, invalidated: c.Invalidated, seq: c.Seq,
		resources: c.Resources, dpopJKT: c.DPoPJKT, claims: c.Claims.claims()}
	return nil
}
