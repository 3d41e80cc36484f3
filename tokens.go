package oauthtest

import (
	"fmt"
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
	mu       sync.Mutex // guards families, access, refresh, sweeper, seq and changed
	families map[string]*family
	access   map[string]*accessRecord  // by jti
	refresh  map[string]*refreshRecord // by token
	sweeper  sweeper
	seq      uint64 // tokens recorded so far
	changed  changeLog
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
		s.changed.note(refreshKey + t.refresh)
	}
	s.changed.note(familyKey + g.family)
	s.changed.note(accessKey + t.jti)
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
	s.changed.note(familyKey + id)
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
		s.changed.note(familyKey + r.family)
		return grant{}, ErrInvalidGrant.WithDescription("refresh token was already used and replaced; as a replay it revokes every token of its family (RFC 9700 §4.14.2)")
	}
	r.rotated = true
	s.changed.note(refreshKey + tok)
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

// Keys of the token store's records: a prefix and the family ID, jti or
// refresh token; tokensMeta for the store's own.
const (
	familyKey  = "f:"
	accessKey  = "a:"
	refreshKey = "r:"
	tokensMeta = "#"
)

// familyState is a token family as the state file keeps it.
type familyState struct {
	ClientID string         `json:"client_id"`
	User     User           `json:"user"`
	Scopes   []string       `json:"scopes"`
	AuthTime stime          `json:"auth_time"`
	Audience []string       `json:"audience,omitempty"`
	Actor    map[string]any `json:"actor,omitempty"`
	SID      string         `json:"sid,omitempty"`
	Revoked  bool           `json:"revoked,omitempty"`
	Expires  stime          `json:"expires"`
}

// tokenState is an access or refresh token as the state file keeps it.
type tokenState struct {
	Family    string   `json:"family"`
	GrantType string   `json:"grant_type"`
	Scopes    []string `json:"scopes"`
	IssuedAt  stime    `json:"issued_at"`
	Expires   stime    `json:"expires"`
	Rotated   bool     `json:"rotated,omitempty"`
	Revoked   bool     `json:"revoked,omitempty"`
	Seq       uint64   `json:"seq"`
}

func (s *tokenStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.families, s.access, s.refresh, s.sweeper, s.seq = nil, nil, nil, sweeper{}, 0
	clear(s.changed.keys)
}

func (s *tokenStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *tokenStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.current(tokensMeta))
	for id := range s.families {
		dst = append(dst, s.current(familyKey+id))
	}
	for jti := range s.access {
		dst = append(dst, s.current(accessKey+jti))
	}
	for tok := range s.refresh {
		dst = append(dst, s.current(refreshKey+tok))
	}
	return dst
}

func (s *tokenStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of key now; s.mu must be held.
func (s *tokenStore) current(key string) record {
	kind, id := key[:min(2, len(key))], key[min(2, len(key)):]
	switch {
	case key == tokensMeta:
		return newRecord(key, s.seq)
	case kind == familyKey && s.families[id] != nil:
		f := s.families[id]
		g := f.grant
		return newRecord(key, familyState{ClientID: g.clientID, User: g.user, Scopes: g.scopes, AuthTime: stime(g.authTime),
			Audience: g.audience, Actor: g.actor, SID: g.sid, Revoked: f.revoked, Expires: stime(f.expires)})
	case kind == accessKey && s.access[id] != nil:
		a := s.access[id]
		return newRecord(key, tokenState{Family: a.family, GrantType: a.grantType, Scopes: a.scopes,
			IssuedAt: stime(a.issuedAt), Expires: stime(a.expiresAt), Revoked: a.revoked, Seq: a.seq})
	case kind == refreshKey && s.refresh[id] != nil:
		r := s.refresh[id]
		return newRecord(key, tokenState{Family: r.family, GrantType: r.grantType, Scopes: r.scopes,
			IssuedAt: stime(r.issuedAt), Expires: stime(r.expiresAt), Rotated: r.rotated, Revoked: r.revoked, Seq: r.seq})
	}
	return deleted(key)
}

func (s *tokenStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, r := range recs {
		if err := s.apply(r); err != nil {
			return err
		}
	}
	return nil
}

// apply restores one record; s.mu must be held.
func (s *tokenStore) apply(r record) error {
	if r.Key == tokensMeta {
		return r.decode(&s.seq)
	}
	kind, id := r.Key[:min(2, len(r.Key))], r.Key[min(2, len(r.Key)):]
	switch {
	case kind == familyKey && r.Value == nil:
		delete(s.families, id)
	case kind == familyKey:
		var f familyState
		err := r.decode(&f)
		g := grant{family: id, clientID: f.ClientID, user: f.User, scopes: f.Scopes, authTime: f.AuthTime.time(), audience: f.Audience, actor: f.Actor, sid: f.SID}
		s.families[id] = &family{grant: g, revoked: f.Revoked, expires: f.Expires.time()}
		return err
	case kind == accessKey && r.Value == nil:
		delete(s.access, id)
	case kind == accessKey:
		var t tokenState
		err := r.decode(&t)
		s.access[id] = &accessRecord{family: t.Family, grantType: t.GrantType, scopes: t.Scopes, issuedAt: t.IssuedAt.time(), expiresAt: t.Expires.time(), revoked: t.Revoked, seq: t.Seq}
		return err
	case kind == refreshKey && r.Value == nil:
		delete(s.refresh, id)
	case kind == refreshKey:
		var t tokenState
		err := r.decode(&t)
		s.refresh[id] = &refreshRecord{family: t.Family, grantType: t.GrantType, scopes: t.Scopes, issuedAt: t.IssuedAt.time(), expiresAt: t.Expires.time(), rotated: t.Rotated, revoked: t.Revoked, seq: t.Seq}
		return err
	default:
		return fmt.Errorf("record %q: no such kind of token", r.Key)
	}
	return nil
}
