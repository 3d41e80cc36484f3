package oauthtest

import (
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
	audience []string       // the access tokens' aud; the client when empty
	actor    map[string]any // the act claim of an exchanged token (RFC 8693 §4.1), or nil
	sid      string         // the browser session of the login; "" without one
	jkt      string         // the DPoP key its tokens are bound to (RFC 9449 §6.1); "" for Bearer tokens
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
	grantType string
	scopes    []string
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
	rotated   bool // used once already: a second use is a replay
	revoked   bool
	seq       uint64
}

// tokenStore holds the token families with their access and refresh tokens.
type tokenStore struct {
	mu       sync.Mutex // guards families, access, refresh, sweeper and seq
	families map[string]*family
	access   map[string]*accessRecord  // by jti
	refresh  map[string]*refreshRecord // by token
	sweeper  sweeper
	seq      uint64 // tokens recorded so far
}

// issued records the tokens of one token response.
type issued struct {
	grantType      string
	jti, refresh   string
	scopes         []string
	accessExpires  time.Time
	refreshExpires time.Time
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
	f.expires = latest(f.expires, t.accessExpires, t.refreshExpires)
	s.seq += 2
	s.access[t.jti] = &accessRecord{family: g.family, grantType: t.grantType, scopes: t.scopes, issuedAt: now, expiresAt: t.accessExpires, seq: s.seq - 1}
	if t.refresh != "" {
		s.refresh[t.refresh] = &refreshRecord{family: g.family, grantType: t.grantType, scopes: g.scopes, issuedAt: now, expiresAt: t.refreshExpires, seq: s.seq}
	}
}

// sweep forgets families whose every token has expired, with their tokens;
// s.mu must be held.
func (s *tokenStore) sweep(now time.Time) {
	before := len(s.families)
	for id, f := range s.families {
		if now.After(f.expires) {
			delete(s.families, id)
		}
	}
	for jti, a := range s.access {
		if s.families[a.family] == nil {
			delete(s.access, jti)
		}
	}
	for tok, r := range s.refresh {
		if s.families[r.family] == nil {
			delete(s.refresh, tok)
		}
	}
	if s.sweeper.swept(before, len(s.families), now) {
		s.families, s.access, s.refresh = rebuilt(s.families), rebuilt(s.access), rebuilt(s.refresh)
	}
}

// init makes the maps on first use; s.mu must be held.
func (s *tokenStore) init() {
	if s.families == nil {
		s.families = make(map[string]*family)
		s.access = make(map[string]*accessRecord)
		s.refresh = make(map[string]*refreshRecord)
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
}

// rotate consumes refresh token tok if check accepts its grant, returning
// the grant to issue new tokens for. A token that check rejects stays usable.
// A rotated-out token used again revokes its whole family (RFC 9700 §4.14.2).
func (s *tokenStore) rotate(tok string, now time.Time, check func(grant) *Error) (grant, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refresh[tok]
	if r == nil {
		return grant{}, ErrInvalidGrant.WithDescription("refresh token %q was not issued by this provider (an access token or ID token is not a refresh token)", abbreviate(tok))
	}
	f := s.families[r.family]
	switch {
	case f == nil || !now.Before(r.expiresAt):
		return grant{}, ErrInvalidGrant.WithDescription("refresh token expired at %s; it is now %s", r.expiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case f.revoked || r.revoked:
		return grant{}, ErrInvalidGrant.WithDescription("refresh token was revoked")
	}
	if err := check(f.grant); err != nil {
		return grant{}, err
	}
	if r.rotated {
		f.revoked = true
		return grant{}, ErrInvalidGrant.WithDescription("refresh token was already used and replaced; as a replay it revokes every token of its family (RFC 9700 §4.14.2)")
	}
	r.rotated = true
	return f.grant, nil
}

// accessGrant returns the grant and scopes of the live access token jti.
func (s *tokenStore) accessGrant(jti string, now time.Time) (grant, []string, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.access[jti]
	var f *family
	if a != nil {
		f = s.families[a.family]
	}
	switch {
	case f == nil:
		return grant{}, nil, ErrInvalidToken.WithDescription("access token %q is unknown to this provider", jti)
	case f.revoked || a.revoked:
		return grant{}, nil, ErrInvalidToken.WithDescription("access token was revoked")
	case !now.Before(a.expiresAt):
		return grant{}, nil, ErrInvalidToken.WithDescription("access token expired at %s", a.expiresAt.UTC().Format(time.RFC3339))
	}
	return f.grant, a.scopes, nil
}
