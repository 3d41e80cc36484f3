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
	Aud       string `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
}

// handleIntrospect serves token introspection (RFC 7662) to any
// authenticated client: whether a token is active, by the provider's clock
// and its revocations, and what it grants.
func (p *Provider) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	w, form, _, ok := p.clientRequest(w, r, EndpointIntrospection) // any client may ask, as a resource server does
	if !ok {
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeJSONError(w, ErrInvalidRequest.WithDescription("token is missing (RFC 7662 §2.1)"))
		return
	}
	writeJSON(w, http.StatusOK, p.introspect(tok))
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
	return p.activeToken(g, scopes, "Bearer", claims.IssuedAt.Time, claims.ExpiresAt.Time, claims.ID)
}

func (p *Provider) activeToken(g grant, scopes []string, typ string, iat, exp time.Time, jti string) introspection {
	username, _ := g.user.Claims["preferred_username"].(string)
	return introspection{
		Active: true, Scope: strings.Join(scopes, " "), ClientID: g.clientID, Username: username,
		TokenType: typ, Exp: exp.Unix(), Iat: iat.Unix(), Sub: g.user.Subject, Aud: g.clientID, Iss: p.issuer, Jti: jti,
	}
}

// handleRevoke serves token revocation (RFC 7009): a client revokes its
// own access token, or its refresh token and with it the whole grant.
// Unknown tokens are answered 200 too (§2.2).
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	w, form, client, ok := p.clientRequest(w, r, EndpointRevocation)
	if !ok {
		return
	}
	tok := form.Get("token")
	if tok == "" {
		writeJSONError(w, ErrInvalidRequest.WithDescription("token is missing (RFC 7009 §2.1)"))
		return
	}
	if owner, known := p.tokens.owner(tok); known && owner != client.ID {
		writeJSONError(w, ErrUnauthorizedClient.WithDescription("the token was issued to client %q, not %q (RFC 7009 §2.1)", owner, client.ID))
		return
	}
	if !p.tokens.revokeRefreshFamily(tok) {
		p.RevokeToken(tok)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}

// clientRequest reads the form of a POST endpoint that needs client
// authentication, applies the fault staged for it, and answers errors. ok
// is false when the answer has been given; otherwise answer through the
// returned writer.
func (p *Provider) clientRequest(w http.ResponseWriter, r *http.Request, ep Endpoint) (_ http.ResponseWriter, form url.Values, c Client, ok bool) {
	form, err := readPostForm(w, r)
	if err == nil {
		c, err = p.authenticateClient(r, form)
	}
	if err != nil {
		writeJSONError(w, err)
		return w, nil, Client{}, false
	}
	w, done := p.fault(w, r, ep, c.ID, writeJSONError)
	return w, form, c, !done
}
