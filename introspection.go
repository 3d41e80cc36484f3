package oauthtest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// introspection is the answer of RFC 7662 §2.2; only active is set for a
// token that is not active.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	Username  string `json:"username,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       any    `json:"aud,omitempty"` // the token's audience: a string, or a list
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`

	Cnf *confirmation `json:"cnf,omitempty"` // of a DPoP-bound token (RFC 9449 §6.2)
}

// handleIntrospect serves token introspection (RFC 7662) to confidential
// clients, as resource servers are: whether a token is active, by the
// provider's clock and its revocations, and what it grants. Public clients
// are refused, so that no one without a secret can scan tokens (§2.1).
func (p *Provider) handleIntrospect(x *call) {
	form, c, err := p.readClientRequest(x, "RFC 7662 §2.1")
	if err == nil && c.Public {
		err = ErrInvalidClient.WithDescription("client %q is public: introspection needs the credentials of a confidential client, such as a resource server's (RFC 7662 §2.1)", c.ID)
	}
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	writeJSON(x.w, http.StatusOK, p.introspect(form.Get("token")))
}

// introspect describes tok: a refresh token of the store, or an access token.
func (p *Provider) introspect(tok string) introspection {
	now := p.Now()
	if g, r, ok := p.tokens.liveRefresh(tok, now); ok {
		return p.activeToken(g, r.scopes, "refresh_token", r.issuedAt, r.expiresAt, "")
	}
	claims, g, scopes, err := p.verifyAccessToken(tok)
	if err != nil {
		return introspection{} // inactive, whatever the reason (RFC 7662 §2.2)
	}
	info := p.activeToken(g, scopes, "Bearer", claims.IssuedAt.Time, claims.ExpiresAt.Time, claims.ID)
	return info.boundTo(claims.Cnf)
}

func (p *Provider) activeToken(g grant, scopes []string, typ string, iat, exp time.Time, jti string) introspection {
	username, _ := g.user.Claims["preferred_username"].(string)
	return introspection{
		Active: true, Scope: strings.Join(scopes, " "), ClientID: g.clientID, Username: username,
		TokenType: typ, Exp: exp.Unix(), Iat: iat.Unix(), Sub: g.user.Subject, Aud: audienceClaim(g), Iss: p.issuer, Jti: jti,
	}
}

// handleRevoke serves token revocation (RFC 7009): a client revokes its
// own access or ID token, or its refresh token and with it the whole grant.
// Tokens this provider did not issue are answered 200 too (§2.2), and
// revoke nothing: a forged token that copies an issued one's jti does not
// revoke it.
func (p *Provider) handleRevoke(x *call) {
	form, c, err := p.readClientRequest(x, "RFC 7009 §2.1")
	tok := form.Get("token")
	owner, known := "", false
	if err == nil {
		if owner, known = p.tokenOwner(tok); known && owner != c.ID {
			err = ErrUnauthorizedClient.WithDescription("the token was issued to client %q, not %q (RFC 7009 §2.1)", owner, c.ID)
		}
	}
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	if known && !p.tokens.revokeRefreshFamily(tok) {
		p.RevokeToken(tok)
	}
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(http.StatusOK)
}

// readClientRequest reads the form of a POST endpoint that takes a token
// and the client's credentials, and authenticates the client. spec names
// the section that requires the token parameter.
func (p *Provider) readClientRequest(x *call, spec string) (url.Values, Client, *Error) {
	form, err := readPostForm(x)
	if err != nil {
		return nil, Client{}, err
	}
	c, err := p.authenticateClient(x, form)
	if err != nil {
		return form, Client{}, err
	}
	if form.Get("token") == "" {
		return form, c, ErrInvalidRequest.WithDescription("token is missing (%s)", spec)
	}
	return form, c, nil
}
