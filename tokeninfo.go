package oauthtest

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// tokeninfo is the tokeninfo endpoint's answer: what the second seed
// provider's client library reads of a token.
type tokeninfo struct {
	Issuer        string `json:"iss"`
	Audience      any    `json:"aud"`
	ClientID      string `json:"client_id,omitempty"`
	Subject       string `json:"sub"`
	Scope         string `json:"scope,omitempty"`
	Expires       int64  `json:"exp"`
	ExpiresIn     int64  `json:"expires_in"`
	Email         any    `json:"email,omitempty"`
	EmailVerified any    `json:"email_verified,omitempty"`
	TokenType     string `json:"token_type"` // "access_token" or "id_token"
}

// handleTokeninfo describes an access or ID token of this provider, sent as
// access_token or id_token by GET or POST: its issuer, audience, client,
// subject, scope, expiry and email. A bad, expired or revoked token is a
// 400 invalid_token.
func (p *Provider) handleTokeninfo(x *call) {
	info, err := p.readTokeninfo(x)
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	writeJSON(x.w, http.StatusOK, info)
}

func (p *Provider) readTokeninfo(x *call) (*tokeninfo, *Error) {
	r := x.r
	if err := parseForm(x.w, r); err != nil {
		return nil, err
	}
	x.rec.Params = r.Form
	access, id := r.Form.Get("access_token"), r.Form.Get("id_token")
	switch {
	case access == "" && id == "":
		return nil, ErrInvalidRequest.WithDescription("send access_token or id_token")
	case access != "" && id != "":
		return nil, ErrInvalidRequest.WithDescription("send access_token or id_token, not both")
	case access != "":
		return p.accessTokeninfo(x, access)
	}
	return p.idTokeninfo(x, id)
}

func (p *Provider) accessTokeninfo(x *call, raw string) (*tokeninfo, *Error) {
	claims, g, scopes, err := p.verifyAccessToken(raw)
	x.rec.ClientID = claims.ClientID
	if err == nil && claims.Cnf != nil {
		err = ErrInvalidToken.WithDescription("the access token is DPoP-bound, and tokeninfo takes no DPoP proof: present it at userinfo with the DPoP scheme and a proof, or introspect it as a confidential client (RFC 9449 §7)")
	}
	if err != nil {
		return nil, err.withStatus(http.StatusBadRequest)
	}
	info := p.describeToken("access_token", g.user, scopes, audienceClaim(g), claims.ExpiresAt.Time)
	info.ClientID, info.Scope = g.clientID, strings.Join(scopes, " ")
	return info, nil
}

func (p *Provider) idTokeninfo(x *call, raw string) (*tokeninfo, *Error) {
	claims, g, scopes, err := p.verifyIDToken(raw, true)
	x.rec.ClientID = tokenClient(claims)
	if err != nil {
		return nil, err.withStatus(http.StatusBadRequest)
	}
	info := p.describeToken("id_token", g.user, scopes, claims.Audience, claims.ExpiresAt.Time)
	info.ClientID = g.clientID
	return info, nil
}

// describeToken is what tokeninfo says of a token about u with scopes: its
// email only when the email scope was granted (OIDC Core §5.4).
func (p *Provider) describeToken(typ string, u User, scopes []string, aud any, exp time.Time) *tokeninfo {
	info := &tokeninfo{
		Issuer: p.issuer, Audience: aud, Subject: u.Subject, TokenType: typ,
		Expires: exp.Unix(), ExpiresIn: int64(exp.Sub(p.Now()) / time.Second),
	}
	if slices.Contains(scopes, "email") {
		info.Email, info.EmailVerified = u.Claims["email"], u.Claims["email_verified"]
	}
	return info
}
