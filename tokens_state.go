package oauthtest

import (
	"fmt"
	"time"
)

// The token store's lifecycle (stores.go): how it resets, snapshots and
// restores itself, and the records the state file keeps of its families
// and tokens.

// familyState is a token family as the state file keeps it.
type familyState struct {
	ClientID string         `json:"client_id"`
	User     User           `json:"user"`
	Scopes   []string       `json:"scopes"`
	AuthTime stime          `json:"auth_time"`
	Audience []string       `json:"audience,omitempty"`
	Actor    map[string]any `json:"actor,omitempty"`
	SID      string         `json:"sid,omitempty"`
	JKT      string         `json:"jkt,omitempty"`
	Claims   claimsState    `json:"claims,omitzero"`
	Revoked  bool           `json:"revoked,omitempty"`
	Expires  stime          `json:"expires"`
}

// claimsState is what the claims parameter asked for, as the state file
// keeps it.
type claimsState struct {
	IDToken  []string `json:"id_token,omitempty"`
	Userinfo []string `json:"userinfo,omitempty"`
}

func (c requestedClaims) state() claimsState  { return claimsState{c.idToken, c.userinfo} }
func (c claimsState) claims() requestedClaims { return requestedClaims{c.IDToken, c.Userinfo} }

// tokenState is an access, refresh or ID token as the state file keeps
// it: Digest and Audience are an access token's, RotatedAt and Successor
// a refresh token's; an ID token has no grant type, issue time or seq.
type tokenState struct {
	Family    string   `json:"family"`
	Digest    string   `json:"digest,omitempty"`
	GrantType string   `json:"grant_type,omitempty"`
	Scopes    []string `json:"scopes"`
	Audience  []string `json:"audience,omitempty"`
	IssuedAt  *stime   `json:"issued_at,omitempty"`
	Expires   stime    `json:"expires"`
	Rotated   bool     `json:"rotated,omitempty"`
	RotatedAt *stime   `json:"rotated_at,omitempty"`
	Successor string   `json:"successor,omitempty"`
	Revoked   bool     `json:"revoked,omitempty"`
	Seq       uint64   `json:"seq,omitempty"`
}

// stimeOf is t for the state file, nil for the zero time.
func stimeOf(t time.Time) *stime {
	if t.IsZero() {
		return nil
	}
	st := stime(t)
	return &st
}

// timeOf reads what stimeOf wrote.
func timeOf(t *stime) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.time()
}

func (s *tokenStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.families, s.access, s.refresh, s.idTokens, s.sweeper, s.seq = nil, nil, nil, nil, sweeper{}, 0
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
	for d := range s.idTokens {
		dst = append(dst, s.current(idKey+d))
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
			Audience: g.audience, Actor: g.actor, SID: g.sid, JKT: g.jkt, Claims: g.claims.state(), Revoked: f.revoked, Expires: stime(f.expires)})
	case kind == accessKey && s.access[id] != nil:
		a := s.access[id]
		return newRecord(key, tokenState{Family: a.family, Digest: a.digest, GrantType: a.grantType, Scopes: a.scopes, Audience: a.audience,
			IssuedAt: stimeOf(a.issuedAt), Expires: stime(a.expiresAt), Revoked: a.revoked, Seq: a.seq})
	case kind == refreshKey && s.refresh[id] != nil:
		r := s.refresh[id]
		return newRecord(key, tokenState{Family: r.family, GrantType: r.grantType, Scopes: r.scopes, IssuedAt: stimeOf(r.issuedAt),
			Expires: stime(r.expiresAt), Rotated: r.rotated, RotatedAt: stimeOf(r.rotatedAt), Successor: r.successor, Revoked: r.revoked, Seq: r.seq})
	case kind == idKey && s.idTokens[id] != nil:
		r := s.idTokens[id]
		return newRecord(key, tokenState{Family: r.family, Scopes: r.scopes, Expires: stime(r.expiresAt), Revoked: r.revoked})
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
		g := grant{family: id, clientID: f.ClientID, user: f.User, scopes: f.Scopes, authTime: f.AuthTime.time(), audience: f.Audience, actor: f.Actor, sid: f.SID,
			jkt: f.JKT, claims: f.Claims.claims()}
		s.families[id] = &family{grant: g, revoked: f.Revoked, expires: f.Expires.time()}
		return err
	case kind == accessKey && r.Value == nil:
		delete(s.access, id)
	case kind == accessKey:
		var t tokenState
		err := r.decode(&t)
		s.access[id] = &accessRecord{family: t.Family, digest: t.Digest, grantType: t.GrantType, scopes: t.Scopes, audience: t.Audience,
			issuedAt: timeOf(t.IssuedAt), expiresAt: t.Expires.time(), revoked: t.Revoked, seq: t.Seq}
		return err
	case kind == refreshKey && r.Value == nil:
		delete(s.refresh, id)
	case kind == refreshKey:
		var t tokenState
		err := r.decode(&t)
		s.refresh[id] = &refreshRecord{family: t.Family, grantType: t.GrantType, scopes: t.Scopes, issuedAt: timeOf(t.IssuedAt), expiresAt: t.Expires.time(),
			rotated: t.Rotated, rotatedAt: timeOf(t.RotatedAt), successor: t.Successor, revoked: t.Revoked, seq: t.Seq}
		return err
	case kind == idKey && r.Value == nil:
		delete(s.idTokens, id)
	case kind == idKey:
		var t tokenState
		err := r.decode(&t)
		s.idTokens[id] = &idRecord{family: t.Family, scopes: t.Scopes, expiresAt: t.Expires.time(), revoked: t.Revoked}
		return err
	default:
		return fmt.Errorf("record %q: no such kind of token", r.Key)
	}
	return nil
}
