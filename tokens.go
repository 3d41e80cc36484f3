package oauthtest

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"sync"
	"time"
)

// grant is what a user approved for a client: everything a token family
// needs to issue tokens again on refresh.
type grant struct {
	family   string
	clientID string
	user     User     // for a grant without a user (client_credentials), the client as subject
	scopes   []string // granted; a refresh may narrow but never widen them
	authTime time.Time
	audience []string        // the access tokens' aud; the client when empty
	actor    map[string]any  // the act claim of an exchanged token (RFC 8693 §4.1), or nil
	sid      string          // the browser session of the login; "" without one
	jkt      string          // the DPoP key its tokens are bound to (RFC 9449 §6.1); "" for Bearer tokens
	claims   requestedClaims // what the claims parameter asked for (OIDC Core §5.5)
}

// family is the tokens issued from one code and its refreshes. Revoking it
// revokes all of them.
type family struct {
	grant   grant
	revoked bool
	expires time.Time // when the newest token of the family expires
}

type accessRecord struct {
	family    string
	digest    string // tokenDigest of the token signed: only that very token finds its record
	grantType string
	scopes    []string
	audience  []string // its aud when narrower than its family's (RFC 8707 §2.2); nil: the family's
	issuedAt  time.Time
	expiresAt time.Time
	revoked   bool
	seq       uint64
}

type refreshRecord struct {
	family    string
	grantType string
	scopes    []string
	issuedAt  time.Time
	expiresAt time.Time
	rotated   bool // used once already: a second use is a replay, but in the reuse interval
	revoked   bool
	seq       uint64
	rotatedAt time.Time // when it was first used
	successor string    // the refresh token it was rotated to; "" before
}

// idRecord is an issued ID token. ID tokens carry no jti: the record is
// found by the token's digest.
type idRecord struct {
	family    string
	scopes    []string // of the response that issued it: what an exchange may ask for
	expiresAt time.Time
	revoked   bool
}

// tokenStore holds the token families with their access, refresh and ID
// tokens.
type tokenStore struct {
	mu       sync.Mutex // guards families, access, refresh, idTokens, sweeper, seq and changed
	families map[string]*family
	access   map[string]*accessRecord  // by jti
	refresh  map[string]*refreshRecord // by token
	idTokens map[string]*idRecord      // by tokenDigest of the token
	sweeper  sweeper
	seq      uint64 // tokens recorded so far
	changed  changeLog
}

// issued records the tokens of one token response; jti, refresh and
// idToken are empty for a token not issued.
type issued struct {
	grantType      string
	jti, refresh   string
	access         string // the signed access token, whose digest is kept
	rotated        string // a refresh token rotate recorded, answered with; numbered once, in issue order
	idToken        string
	scopes         []string
	audience       []string // of the access token, when narrower than the grant's
	accessExpires  time.Time
	refreshExpires time.Time
	idExpires      time.Time
}

// tokenDigest keys the record of an ID token: its SHA-256, so that only
// the very token issued finds it.
func tokenDigest(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// record stores the tokens of a response for grant g, creating its family on
// first use.
func (s *tokenStore) record(g grant, t issued, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.sweeper.due(len(s.families), now) {
		s.sweep(now)
	}
	f := s.families[g.family]
	if f == nil {
		f = &family{}
		s.families[g.family] = f
	}
	f.grant = g // a family revoked before its first tokens were recorded stays revoked
	f.expires = latest(f.expires, t.accessExpires, t.refreshExpires, t.idExpires)
	if t.jti != "" {
		s.seq++
		s.access[t.jti] = &accessRecord{family: g.family, digest: tokenDigest(t.access), grantType: t.grantType, scopes: t.scopes, audience: t.audience, issuedAt: now, expiresAt: t.accessExpires, seq: s.seq}
	}
	if r := s.refresh[t.rotated]; r != nil && r.seq == 0 {
		s.seq++
		r.seq = s.seq
	}
	if t.refresh != "" {
		s.seq++
		s.refresh[t.refresh] = &refreshRecord{family: g.family, grantType: t.grantType, scopes: g.scopes, issuedAt: now, expiresAt: t.refreshExpires, seq: s.seq}
		s.changed.note(refreshKey + t.refresh)
	}
	if t.idToken != "" {
		d := tokenDigest(t.idToken)
		s.idTokens[d] = &idRecord{family: g.family, scopes: t.scopes, expiresAt: t.idExpires}
		s.changed.note(idKey + d)
	}
	if t.jti != "" {
		s.changed.note(accessKey + t.jti)
	}
	if t.rotated != "" {
		s.changed.note(refreshKey + t.rotated)
	}
	s.changed.note(familyKey + g.family)
	s.changed.note(tokensMeta)
}

// sweep forgets families whose every token has expired, with their tokens;
// s.mu must be held.
func (s *tokenStore) sweep(now time.Time) {
	before := len(s.families)
	for id, f := range s.families {
		if now.After(f.expires) {
			delete(s.families, id)
			s.changed.note(familyKey + id)
		}
	}
	for jti, a := range s.access {
		if s.families[a.family] == nil {
			delete(s.access, jti)
			s.changed.note(accessKey + jti)
		}
	}
	for tok, r := range s.refresh {
		if s.families[r.family] == nil {
			delete(s.refresh, tok)
			s.changed.note(refreshKey + tok)
		}
	}
	for d, r := range s.idTokens {
		if s.families[r.family] == nil {
			delete(s.idTokens, d)
			s.changed.note(idKey + d)
		}
	}
	if s.sweeper.swept(before, len(s.families), now) {
		s.families, s.access, s.refresh, s.idTokens = rebuilt(s.families), rebuilt(s.access), rebuilt(s.refresh), rebuilt(s.idTokens)
	}
}

// init makes the maps on first use; s.mu must be held.
func (s *tokenStore) init() {
	if s.families == nil {
		s.families = make(map[string]*family)
		s.access = make(map[string]*accessRecord)
		s.refresh = make(map[string]*refreshRecord)
	}
	if s.idTokens == nil { // a store restored from a state file has none
		s.idTokens = make(map[string]*idRecord)
	}
}

func latest(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}

// revokeFamily revokes every token of a family. A family whose tokens are
// still being issued is revoked ahead of them: record keeps the mark.
func (s *tokenStore) revokeFamily(id string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	f := s.families[id]
	if f == nil {
		f = &family{expires: now.Add(time.Hour)}
		s.families[id] = f
	}
	f.revoked = true
	s.changed.note(familyKey + id)
}

// rotation is how rotate replaces a refresh token: with next, drawn by the
// caller and recorded at once, so that a concurrent reuse finds it, living
// lifetime; a token rotated less than reuse ago answers with its successor.
type rotation struct {
	next     string
	lifetime time.Duration
	reuse    time.Duration // 0: strict, every reuse is a replay
	keep     bool          // no rotation at all: the token stays valid (WithFAPI2)
}

// rotate consumes refresh token tok if check accepts its grant, returning
// the grant to issue new tokens for and the refresh token to answer with:
// rot.next, or within the reuse interval of a token rotated once the
// successor it was rotated to (the reuse interval of Auth0 and Keycloak's
// refresh token reuse). A token that check rejects stays usable, and so
// does every token with rot.keep (WithFAPI2: no successor). Any other
// reuse is a replay and revokes the whole family (RFC 9700 §4.14.2).
func (s *tokenStore) rotate(tok string, now time.Time, rot rotation, check func(grant) *Error) (grant, string, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refresh[tok]
	if r == nil {
		return grant{}, "", ErrInvalidGrant.WithDescription("refresh token %q was not issued by this provider (an access token or ID token is not a refresh token)", abbreviate(tok))
	}
	f := s.families[r.family]
	switch {
	case f == nil || !now.Before(r.expiresAt):
		return grant{}, "", ErrInvalidGrant.WithDescription("refresh token expired at %s; it is now %s", r.expiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case f.revoked || r.revoked:
		return grant{}, "", ErrInvalidGrant.WithDescription("refresh token was revoked")
	}
	if err := check(f.grant); err != nil {
		return grant{}, "", err
	}
	if r.rotated {
		if s.reusable(r, now, rot.reuse) {
			return f.grant, r.successor, nil
		}
		f.revoked = true
		s.changed.note(familyKey + r.family)
		return grant{}, "", replayError(r, now, rot.reuse)
	}
	if rot.keep {
		return f.grant, "", nil
	}
	issuedAt := now.Truncate(time.Second) // as issueTokens records its tokens
	s.refresh[rot.next] = &refreshRecord{family: r.family, grantType: GrantRefreshToken, scopes: f.grant.scopes,
		issuedAt: issuedAt, expiresAt: issuedAt.Add(rot.lifetime)} // numbered by record, after its access token
	f.expires = latest(f.expires, issuedAt.Add(rot.lifetime))
	r.rotated, r.rotatedAt, r.successor = true, now, rot.next
	s.changed.note(refreshKey + tok)
	s.changed.note(refreshKey + rot.next)
	s.changed.note(familyKey + r.family)
	return f.grant, rot.next, nil
}

// reusable reports whether rotated token r may still answer with its
// successor: within reuse of its rotation, and only while the successor
// is the family's newest live token, never one generation further (as
// Auth0 allows the previous token only); s.mu must be held.
func (s *tokenStore) reusable(r *refreshRecord, now time.Time, reuse time.Duration) bool {
	next := s.refresh[r.successor]
	return reuse > 0 && now.Before(r.rotatedAt.Add(reuse)) &&
		next != nil && !next.rotated && !next.revoked && now.Before(next.expiresAt)
}

// replayError describes the replay of rotated token r.
func replayError(r *refreshRecord, now time.Time, reuse time.Duration) *Error {
	const rule = "as a replay it revokes every token of its family (RFC 9700 §4.14.2)"
	if reuse == 0 {
		return ErrInvalidGrant.WithDescription("refresh token was already used and replaced; %s", rule)
	}
	return ErrInvalidGrant.WithDescription("refresh token was already used and replaced %s ago, and its successor was used too or the reuse interval of %s has passed (Lifetimes.RefreshReuse); %s",
		now.Sub(r.rotatedAt), reuse, rule)
}

// accessGrant returns the grant and scopes of the access token with claims
// c, if this provider issued it, with the token's own audience; live also requires that it has neither
// expired nor been revoked. The claims must agree with the record: a token
// with the jti of an issued one but another subject or client was not
// issued here.
func (s *tokenStore) accessGrant(c *accessClaims, raw string, now time.Time, live bool) (grant, []string, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.access[c.ID]
	var f *family
	if a != nil {
		f = s.families[a.family]
	}
	switch {
	case f == nil || a.digest != tokenDigest(raw):
		return grant{}, nil, ErrInvalidToken.WithDescription("access token %q was not issued by this provider, or has expired and been forgotten: a valid signature is not enough (RFC 6750 §3.1)", c.ID)
	case !live:
	case f.revoked || a.revoked:
		return grant{}, nil, ErrInvalidToken.WithDescription("access token was revoked (RFC 6750 §3.1)")
	case !now.Before(a.expiresAt):
		return grant{}, nil, ErrInvalidToken.WithDescription("access token expired at %s (RFC 6750 §3.1)", a.expiresAt.UTC().Format(time.RFC3339))
	}
	g := f.grant
	if a.audience != nil {
		g.audience = a.audience
	}
	return g, a.scopes, nil
}

// idGrant returns the grant and scopes of ID token tok, if this provider
// issued it; live also requires that it has neither expired nor been
// revoked.
func (s *tokenStore) idGrant(tok string, now time.Time, live bool) (grant, []string, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.idTokens[tokenDigest(tok)]
	var f *family
	if r != nil {
		f = s.families[r.family]
	}
	switch {
	case f == nil:
		return grant{}, nil, ErrInvalidToken.WithDescription("the ID token was not issued by this provider, or has expired and been forgotten: a valid signature is not enough")
	case !live:
	case f.revoked || r.revoked:
		return grant{}, nil, ErrInvalidToken.WithDescription("the ID token was revoked")
	case !now.Before(r.expiresAt):
		return grant{}, nil, ErrInvalidToken.WithDescription("the ID token expired at %s", r.expiresAt.UTC().Format(time.RFC3339))
	}
	return f.grant, slices.Clone(r.scopes), nil
}

// Keys of the token store's records: a prefix and the family ID, jti,
// refresh token or ID token digest; tokensMeta for the store's own.
const (
	familyKey  = "f:"
	accessKey  = "a:"
	refreshKey = "r:"
	idKey      = "i:"
	tokensMeta = "#"
)
