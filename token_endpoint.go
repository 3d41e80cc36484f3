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

// grantType is a grant the token endpoint serves: the parameters it
// requires, checked before any fault is served, and how it issues tokens.
type grantType struct {
	name   string
	params []string // required, besides grant_type
	issue  func(p *Provider, c Client, form url.Values) (*tokenResponse, *Error)
}

// grantTypes are the grants of the token endpoint, in the order discovery
// lists them.
var grantTypes = []grantType{
	{GrantAuthorizationCode, []string{"code"}, (*Provider).exchangeCode},
	{GrantRefreshToken, []string{"refresh_token"}, (*Provider).refresh},
}

// grantNames lists the names of the grants, for discovery and error messages.
func grantNames() []string {
	names := make([]string, len(grantTypes))
	for i, g := range grantTypes {
		names[i] = g.name
	}
	return names
}

// handleToken serves the token endpoint (RFC 6749 §3.2): the authorization
// code grant (§4.1.3) and refresh (§6). Errors are JSON (§5.2). A fault hits
// only a request that passed every check short of redeeming what it sent.
func (p *Provider) handleToken(x *exchange) {
	c, form, g, err := p.readTokenRequest(x)
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	resp, err := g.issue(p, c, form)
	if err != nil {
		x.jsonError(err)
		return
	}
	writeJSON(x.w, http.StatusOK, resp)
}

// readTokenRequest reads and checks a token request: its form, its client's
// authentication, its grant type and the parameters the grant requires.
func (p *Provider) readTokenRequest(x *exchange) (Client, url.Values, *grantType, *Error) {
	form, err := readPostForm(x)
	if err != nil {
		return Client{}, nil, nil, err
	}
	x.rec.GrantType, x.rec.PKCEVerifier = form.Get("grant_type"), form.Has("code_verifier")
	g := findGrant(x.rec.GrantType)
	c, err := p.authenticateClient(x, form)
	if err != nil {
		return Client{}, nil, nil, err
	}
	supported := strings.Join(grantNames(), ", ")
	switch {
	case x.rec.GrantType == "":
		return Client{}, nil, nil, ErrInvalidRequest.WithDescription("grant_type is missing; supported: %s", supported)
	case g == nil:
		return Client{}, nil, nil, ErrUnsupportedGrantType.WithDescription("grant_type %q is not supported; supported: %s", x.rec.GrantType, supported)
	}
	for _, name := range g.params {
		if form.Get(name) == "" {
			return Client{}, nil, nil, ErrInvalidRequest.WithDescription("%s is missing (grant_type %s)", name, g.name)
		}
	}
	return c, form, g, nil
}

// findGrant returns the grant type called name, or nil.
func findGrant(name string) *grantType {
	for i := range grantTypes {
		if grantTypes[i].name == name {
			return &grantTypes[i]
		}
	}
	return nil
}

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). A code
// redeemed twice fails, and the tokens of its first redemption are revoked.
func (p *Provider) exchangeCode(c Client, form url.Values) (*tokenResponse, *Error) {
	code := form.Get("code")
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
