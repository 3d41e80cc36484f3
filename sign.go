package oauthtest

import (
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// JWT typ headers: RFC 9068 §2.1 for access tokens.
const (
	typAccessToken = "at+jwt"
	typIDToken     = "JWT"
)

// tokenResponse is the successful token response of RFC 6749 §5.1, with the
// id_token of OIDC Core §3.1.3.3.
type tokenResponse struct {
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"` // RFC 8693 §2.2.1
	TokenType       string `json:"token_type"`
	ExpiresIn       int64  `json:"expires_in"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	Scope           string `json:"scope,omitempty"`
	IDToken         string `json:"id_token,omitempty"`
}

// issuance is what one token response is for besides its grant: the
// scopes and audience of its access token, which may narrow the grant's,
// the nonce of its ID token, and on refresh the refresh token to answer
// with.
type issuance struct {
	scopes   []string // a subset of the grant's
	audience []string // the access token's aud, a subset of the grant's; nil: the grant's (RFC 8707 §2.2)
	nonce    string   // goes into the ID token; empty on refresh (OIDC Core §12.2)
	refresh  string   // recorded already by rotate; "" draws a new one if the grant type issues them
}

// issueTokens mints and records the tokens of one response to a request of
// grant type gt: an access token, a refresh token if gt issues them, and
// an ID token if gt issues them and the scopes hold openid.
func (p *Provider) issueTokens(g grant, is issuance, gt *grantType) (*tokenResponse, error) {
	now := p.Now().Truncate(time.Second) // JWT times are whole seconds

	jti := p.ids.uuid()
	tc := TokenContext{ClientID: g.clientID, User: g.user, Scopes: is.scopes, GrantType: gt.name}
	c, _ := p.clients.get(g.clientID)
	s, life := p.signerFor(c), c.Lifetimes.or(p.cfg.lifetimes)
	tg := g // the grant as this access token carries it
	if is.audience != nil {
		tg.audience = is.audience
	}
	access, accessExp, err := p.signAccessToken(s, tc, tg, jti, now, life.AccessToken)
	if err != nil {
		return nil, err
	}
	resp := &tokenResponse{
		AccessToken: access,
		TokenType:   tokenType(g.jkt),
		ExpiresIn:   int64(life.AccessToken / time.Second),
		Scope:       strings.Join(is.scopes, " "),
	}
	var refresh string // a new refresh token, to record
	switch {
	case gt.refresh && is.refresh != "":
		resp.RefreshToken = is.refresh
	case gt.refresh:
		refresh = p.ids.secret()
		resp.RefreshToken = refresh
	}
	if gt.idToken && slices.Contains(is.scopes, "openid") {
		extra := jwt.MapClaims{"at_hash": s.halfHash(access)}
		if resp.IDToken, err = p.signIDToken(c, s, tc, g, is.nonce, now, life.IDToken, extra); err != nil {
			return nil, err
		}
	}
	p.tokens.record(g, issued{
		grantType: gt.name, jti: jti, access: access, refresh: refresh, rotated: is.refresh, idToken: resp.IDToken, scopes: is.scopes, audience: is.audience,
		accessExpires: accessExp, refreshExpires: now.Add(life.RefreshToken), idExpires: now.Add(life.IDToken),
	}, now)
	return resp, nil
}

// signerFor signs c's tokens: with its secret for HS256, with an RS256 key
// for RS256, else with the provider's current key.
func (p *Provider) signerFor(c Client) tokenSigner {
	switch c.SigningAlg {
	case HS256:
		return hmacSigner(c.Secret)
	case RS256:
		return p.keys.rs256().signer()
	}
	return p.keys.current().signer()
}

// signAccessToken signs a JWT access token with the claims of RFC 9068 §2.2.
func (p *Provider) signAccessToken(s tokenSigner, tc TokenContext, g grant, jti string, now time.Time, lifetime time.Duration) (string, time.Time, error) {
	iat := now.Unix()
	exp := iat + int64(lifetime/time.Second)
	claims := jwt.MapClaims{
		"iss":       p.issuer,
		"sub":       g.user.Subject,
		"aud":       audienceClaim(g),
		"client_id": g.clientID,
		"iat":       iat,
		"exp":       exp,
		"jti":       jti,
	}
	if len(tc.Scopes) > 0 { // RFC 9068 §2.2.3: the scopes granted, when there are some
		claims["scope"] = strings.Join(tc.Scopes, " ")
	}
	if !g.authTime.IsZero() { // a grant without a user has no authentication: RFC 9068 §2.2.1
		claims["auth_time"] = g.authTime.Unix()
		g.user.authClaims(claims)
	}
	if g.actor != nil {
		claims["act"] = g.actor
	}
	if g.jkt != "" {
		claims["cnf"] = map[string]any{"jkt": g.jkt} // RFC 9449 §6.1
	}
	p.applyClaimRules(toAccessToken, tc, claims)
	if p.cfg.accessClaims != nil {
		p.cfg.accessClaims(tc, claims)
	}
	tok, err := s.sign(claims, typAccessToken)
	return tok, time.Unix(exp, 0), err
}

// audienceClaim is the aud of g's access tokens: one string, or a list.
func audienceClaim(g grant) any {
	switch len(g.audience) {
	case 0:
		return g.clientID
	case 1:
		return g.audience[0]
	}
	return g.audience
}

// signIDToken signs an ID token (OIDC Core §2) with the user's claims that
// the token's scopes allow, plus extra (at_hash, c_hash).
func (p *Provider) signIDToken(c Client, s tokenSigner, tc TokenContext, g grant, nonce string, now time.Time, lifetime time.Duration, extra jwt.MapClaims) (string, error) {
	claims := jwt.MapClaims{}
	g.user.claimsFor(tc.Scopes, g.claims.idToken, true, claims)
	for k, v := range extra {
		claims[k] = v
	}
	iat := now.Unix()
	claims["iss"] = p.issuer
	claims["sub"] = g.user.Subject
	claims["aud"] = g.clientID
	claims["iat"] = iat
	claims["exp"] = iat + int64(lifetime/time.Second)
	claims["auth_time"] = g.authTime.Unix()
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if g.sid != "" && c.BackchannelLogoutURI != "" {
		claims["sid"] = g.sid // Back-Channel Logout 1.0 §2.1
	}
	p.applyClaimRules(toIDToken, tc, claims)
	if p.cfg.idClaims != nil {
		p.cfg.idClaims(tc, claims)
	}
	return s.sign(claims, typIDToken)
}
