package oauthtest

import (
	"cmp"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Kinds of token in TokenInfo.
const (
	KindAccessToken  = "access_token"
	KindRefreshToken = "refresh_token"
)

// TokenInfo describes an issued access or refresh token: a copy, for
// assertions.
type TokenInfo struct {
	Kind      string    `json:"kind"`       // KindAccessToken or KindRefreshToken
	GrantType string    `json:"grant_type"` // the grant_type of the request that issued it; "" for a minted token
	ID        string    `json:"id"`         // the jti of an access token; the refresh token itself
	Family    string    `json:"family"`     // all tokens issued from one code share it
	ClientID  string    `json:"client_id"`  // the client it was issued to
	Subject   string    `json:"subject"`    // the user it was issued for
	Scopes    []string  `json:"scopes"`     // its scopes
	IssuedAt  time.Time `json:"issued_at"`  // by the provider's clock
	ExpiresAt time.Time `json:"expires_at"` // by the provider's clock
	Revoked   bool      `json:"revoked"`    // the token or its family was revoked
	Rotated   bool      `json:"rotated"`    // a refresh token already exchanged for a new one
}

// Tokens returns the access and refresh tokens the provider remembers,
// oldest first: all that have not expired, and expired ones until they are
// swept.
func (p *Provider) Tokens() []TokenInfo {
	s := &p.tokens
	s.mu.Lock()
	defer s.mu.Unlock()
	type numbered struct {
		seq  uint64
		info TokenInfo
	}
	var all []numbered
	for jti, a := range s.access {
		all = append(all, numbered{a.seq, s.info(KindAccessToken, a.grantType, jti, a.family, a.scopes, a.issuedAt, a.expiresAt, a.revoked, false)})
	}
	for tok, r := range s.refresh {
		all = append(all, numbered{r.seq, s.info(KindRefreshToken, r.grantType, tok, r.family, r.scopes, r.issuedAt, r.expiresAt, r.revoked, r.rotated)})
	}
	slices.SortFunc(all, func(a, b numbered) int { return cmp.Compare(a.seq, b.seq) })
	infos := make([]TokenInfo, len(all))
	for i, n := range all {
		infos[i] = n.info
	}
	return infos
}

// info builds a TokenInfo; s.mu must be held.
func (s *tokenStore) info(kind, grantType, id, fam string, scopes []string, iat, exp time.Time, revoked, rotated bool) TokenInfo {
	f := s.families[fam]
	return TokenInfo{
		Kind: kind, GrantType: grantType, ID: id, Family: fam, ClientID: f.grant.clientID, Subject: f.grant.user.Subject,
		Scopes: slices.Clone(scopes), IssuedAt: iat, ExpiresAt: exp,
		Revoked: revoked || f.revoked, Rotated: rotated,
	}
}

// RevokeToken revokes one access, refresh or ID token, leaving the rest of
// its family alone: the access token fails at userinfo with invalid_token,
// the refresh token at the token endpoint with invalid_grant, the ID token
// as a token exchange's subject. It reports whether the provider knew the
// token.
func (p *Provider) RevokeToken(token string) bool {
	s := &p.tokens
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.refresh[token]; r != nil {
		r.revoked = true
		s.changed.note(refreshKey + token)
		return true
	}
	if r := s.idTokens[tokenDigest(token)]; r != nil {
		r.revoked = true
		s.changed.note(idKey + tokenDigest(token))
		return true
	}
	jti := accessTokenID(token)
	if a := s.access[jti]; a != nil {
		a.revoked = true
		s.changed.note(accessKey + jti)
		return true
	}
	return false
}

// RevokeFamily revokes every token issued from the same code as token (an
// access, refresh or ID token), as a replayed code or refresh token does.
// It reports whether the provider knew the token.
func (p *Provider) RevokeFamily(token string) bool {
	s := &p.tokens
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, f := s.familyOf(token); f != nil {
		f.revoked = true
		s.changed.note(familyKey + id)
		return true
	}
	return false
}

// familyOf returns the family of an access, refresh or ID token and its
// ID, or nil; s.mu must be held.
func (s *tokenStore) familyOf(token string) (string, *family) {
	if r := s.refresh[token]; r != nil {
		return r.family, s.families[r.family]
	}
	if r := s.idTokens[tokenDigest(token)]; r != nil {
		return r.family, s.families[r.family]
	}
	if a := s.access[accessTokenID(token)]; a != nil {
		return a.family, s.families[a.family]
	}
	return "", nil
}

// RevokeUser revokes every token issued for the user with this subject. It
// returns how many grants it revoked: a grant is one redeemed code with all
// the tokens its refreshes issued, or one minted access token; grants
// revoked before are not counted again.
//
// It also ends the user's browser sessions, telling clients with a
// BackchannelLogoutURI, before it returns.
func (p *Provider) RevokeUser(subject string) int {
	n := p.tokens.revokeWhere(func(g grant) bool { return g.user.Subject == subject })
	p.endSessions(func(s *session) bool { return s.user.Subject == subject })
	return n
}

// RevokeClient revokes every token issued to the client. It returns how
// many grants it revoked, counted as RevokeUser counts them.
func (p *Provider) RevokeClient(clientID string) int {
	return p.tokens.revokeWhere(func(g grant) bool { return g.clientID == clientID })
}

func (s *tokenStore) revokeWhere(match func(grant) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, f := range s.families {
		if !f.revoked && match(f.grant) {
			f.revoked = true
			s.changed.note(familyKey + id)
			n++
		}
	}
	return n
}

// accessTokenID returns the jti of a JWT access token, unverified: only
// used to find a token this provider recorded.
func accessTokenID(token string) string {
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		return ""
	}
	return claims.ID
}

// liveRefresh returns the grant and record of refresh token tok if it can
// still be used: known, not rotated, revoked or expired.
func (s *tokenStore) liveRefresh(tok string, now time.Time) (grant, refreshRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refresh[tok]
	if r == nil {
		return grant{}, refreshRecord{}, false
	}
	f := s.families[r.family]
	if f == nil || f.revoked || r.revoked || r.rotated || !now.Before(r.expiresAt) {
		return grant{}, refreshRecord{}, false
	}
	return f.grant, *r, true
}

// owner returns the client a refresh token was issued to.
func (s *tokenStore) owner(tok string) (clientID string, known bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.refresh[tok]; r != nil && s.families[r.family] != nil {
		return s.families[r.family].grant.clientID, true
	}
	return "", false
}

// revokeRefreshFamily revokes the grant of refresh token tok, and reports
// whether tok was one.
func (s *tokenStore) revokeRefreshFamily(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refresh[tok]
	if r == nil {
		return false
	}
	if f := s.families[r.family]; f != nil {
		f.revoked = true
		s.changed.note(familyKey + r.family)
	}
	return true
}
