package oauthtest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Grant types the token endpoint serves (the grant_type parameter).
const (
	GrantAuthorizationCode = "authorization_code"                              // RFC 6749 §4.1
	GrantRefreshToken      = "refresh_token"                                   // RFC 6749 §6
	GrantClientCredentials = "client_credentials"                              // RFC 6749 §4.4
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"    // RFC 8628 §3.4
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693 §2.1
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523 §2.1
)

// grantType declares a grant of the token endpoint once: the dispatch, the
// error texts, discovery, per-client permissions and the token issuer
// read it.
type grantType struct {
	name    string
	params  []string // required besides grant_type, checked before any fault is served
	user    bool     // its tokens are about a user; without, about the client itself
	refresh bool     // it issues refresh tokens
	idToken bool     // it issues ID tokens when openid is granted
	public  bool     // public clients may use it
	// issue answers a request of client c; jkt is the thumbprint of the
	// DPoP key the request proved, "" without a proof (RFC 9449 §5).
	issue func(p *Provider, c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error)
}

// grantTypes are the grants of the token endpoint, in the order discovery
// lists them.
var grantTypes = []grantType{
	{GrantAuthorizationCode, []string{"code"}, true, true, true, true, (*Provider).exchangeCode},
	{GrantRefreshToken, []string{"refresh_token"}, true, true, true, true, (*Provider).refresh},
	{GrantClientCredentials, nil, false, false, false, false, (*Provider).grantClientCredentials},
	{GrantDeviceCode, []string{"device_code"}, true, true, true, true, (*Provider).redeemDeviceCode},
	{GrantTokenExchange, []string{"subject_token", "subject_token_type"}, true, false, false, false, (*Provider).exchangeToken},
	{GrantJWTBearer, []string{"assertion"}, true, false, false, true, (*Provider).jwtBearer},
}

// defaultGrantTypes are the grants of a client that names none.
func defaultGrantTypes() []string { return []string{GrantAuthorizationCode, GrantRefreshToken} }

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
func (p *Provider) handleToken(x *call) {
	c, form, g, err := p.readTokenRequest(x)
	var jkt string
	if err == nil {
		jkt, err = p.tokenDPoP(x, c)
	}
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	resp, err := g.issue(p, c, form, g, jkt)
	if err != nil {
		x.jsonError(err)
		return
	}
	writeJSON(x.w, http.StatusOK, resp)
}

// readTokenRequest reads and checks a token request: its form, its client's
// authentication, its grant type and the parameters the grant requires.
func (p *Provider) readTokenRequest(x *call) (Client, url.Values, *grantType, *Error) {
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
	if err := c.mayUseGrant(g.name); err != nil {
		return Client{}, nil, nil, err
	}
	for _, name := range g.params {
		if form.Get(name) == "" {
			return Client{}, nil, nil, ErrInvalidRequest.WithDescription("%s is missing (grant_type %s)", name, g.name)
		}
	}
	return c, form, g, nil
}

// mayUseGrant refuses client c the grant called name, one of grantTypes,
// if c may not use it: its grant_types leave it out, or it needs a
// confidential client. It is the one such check, in one wording (RFC 6749
// §5.2 unauthorized_client): the token endpoint runs it on every request;
// the authorization endpoint, and PAR which validates as it does, for
// authorization_code, which redeems the code asked for; the device
// authorization endpoint for the device_code grant, which redeems the
// device code.
func (c Client) mayUseGrant(name string) *Error {
	switch {
	case c.Public && !findGrant(name).public:
		return ErrUnauthorizedClient.WithDescription("client %q is public, and grant_type %q needs a confidential client (RFC 6749 §5.2)", c.ID, name)
	case !slices.Contains(c.GrantTypes, name):
		return ErrUnauthorizedClient.WithDescription("client %q may not use grant_type %q; its grant_types: %s (RFC 6749 §5.2)", c.ID, name, cmp.Or(strings.Join(c.GrantTypes, ", "), "none"))
	}
	return nil
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

// issue mints the tokens of a response to a request of grant type gt,
// with scopes (a subset of g.scopes) and, in an ID token, nonce.
func (p *Provider) issue(g grant, scopes []string, nonce string, gt *grantType) (*tokenResponse, *Error) {
	return p.issueFor(g, issuance{scopes: scopes, nonce: nonce}, gt)
}

// issueFor mints the tokens of a response, turning a signing failure into
// a server_error.
func (p *Provider) issueFor(g grant, is issuance, gt *grantType) (*tokenResponse, *Error) {
	resp, err := p.issueTokens(g, is, gt)
	if err != nil {
		return nil, ErrServerError.WithDescription("signing tokens failed: %v", err)
	}
	return resp, nil
}
