package oauthtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Grant types the token endpoint serves.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// handleToken serves the token endpoint (RFC 6749 §3.2): the authorization
// code grant (§4.1.3) and refresh (§6). Errors are JSON (§5.2).
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	form, err := readPostForm(w, r)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	ep, clientID := tokenRequestTarget(r, form)
	w, done := p.fault(w, r, ep, clientID, writeJSONError)
	if done {
		return
	}
	resp, err := p.token(r, form)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (p *Provider) token(r *http.Request, form url.Values) (*tokenResponse, *Error) {
	client, err := p.authenticateClient(r, form)
	if err != nil {
		return nil, err
	}
	switch gt := form.Get("grant_type"); gt {
	case GrantAuthorizationCode:
		return p.exchangeCode(client, form)
	case GrantRefreshToken:
		return p.refresh(client, form)
	case "":
		return nil, ErrInvalidRequest.WithDescription("grant_type is missing; supported: authorization_code, refresh_token")
	default:
		return nil, ErrUnsupportedGrantType.WithDescription("grant_type %q is not supported; supported: authorization_code, refresh_token", gt)
	}
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). A code
// redeemed twice fails, and the tokens of its first redemption are revoked.
func (p *Provider) exchangeCode(c Client, form url.Values) (*tokenResponse, *Error) {
	code := form.Get("code")
	if code == "" {
		return nil, ErrInvalidRequest.WithDescription("code is missing")
	}
	now := p.Now()
	ac, replay, err := p.codes.redeem(code, p.ids.uuid(), now, func(ac *authCode) *Error {
		return checkCodeBinding(ac, c, form)
	})
	if replay {
		p.tokens.revokeFamily(ac.family, now)
	}
	if err != nil {
		return nil, err
	}
	g := grant{family: ac.family, clientID: c.ID, user: ac.user, scopes: ac.scopes, authTime: ac.authTime}
	return p.issue(g, ac.scopes, ac.nonce, GrantAuthorizationCode)
}

// checkCodeBinding checks that the code is redeemed by the client, with the
// redirect URI and the PKCE verifier, it was issued for.
func checkCodeBinding(ac *authCode, c Client, form url.Values) *Error {
	uri := form.Get("redirect_uri")
	switch {
	case ac.clientID != c.ID:
		return ErrInvalidGrant.WithDescription("code was issued to client %q, not %q", ac.clientID, c.ID)
	case ac.redirectGiven && uri == "":
		return ErrInvalidGrant.WithDescription("redirect_uri is missing: the authorization request used %q and the token request must repeat it (RFC 6749 §4.1.3)", ac.redirectURI)
	case uri != "" && uri != ac.redirectURI:
		return ErrInvalidGrant.WithDescription("redirect_uri %q does not match %q of the authorization request (RFC 6749 §4.1.3)", uri, ac.redirectURI)
	}
	return verifyPKCE(ac.challenge, ac.method, form.Get("code_verifier"))
}

// refresh rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2): a new
// refresh token each time, the old one dead, the scope narrowed on request.
func (p *Provider) refresh(c Client, form url.Values) (*tokenResponse, *Error) {
	tok := form.Get("refresh_token")
	if tok == "" {
		return nil, ErrInvalidRequest.WithDescription("refresh_token is missing")
	}
	requested := splitScope(form.Get("scope"))
	var scopes []string
	g, err := p.tokens.rotate(tok, p.Now(), func(g grant) *Error {
		if g.clientID != c.ID {
			return ErrInvalidGrant.WithDescription("refresh token was issued to client %q, not %q", g.clientID, c.ID)
		}
		var err *Error
		scopes, err = narrowScope(g.scopes, requested)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p.issue(g, scopes, "", GrantRefreshToken)
}

// narrowScope returns the requested scopes if all were granted, or the
// granted ones if none were requested (RFC 6749 §6).
func narrowScope(granted, requested []string) ([]string, *Error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, s := range requested {
		if !slices.Contains(granted, s) {
			return nil, ErrInvalidScope.WithDescription("scope %q was not granted; a refresh may narrow the scope, never widen it; granted: %s (RFC 6749 §6)", s, strings.Join(granted, " "))
		}
	}
	return requested, nil
}

// issue mints the tokens of a response, turning a signing failure into a
// server_error.
func (p *Provider) issue(g grant, scopes []string, nonce, grantType string) (*tokenResponse, *Error) {
	resp, err := p.issueTokens(g, scopes, nonce, grantType)
	if err != nil {
		return nil, ErrServerError.WithDescription("signing tokens failed: %v", err)
	}
	return resp, nil
}

// tokenRequestTarget tells which endpoint and client a token request is
// for, to find the faults staged for it. Nothing is checked here.
func tokenRequestTarget(r *http.Request, form url.Values) (Endpoint, string) {
	id, _, _, _ := clientCredentials(r, form)
	if form.Get("grant_type") == GrantRefreshToken {
		return EndpointRefresh, id
	}
	return EndpointToken, id
}
