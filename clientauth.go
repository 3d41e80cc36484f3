package oauthtest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// credentials are how a request authenticates its client.
type credentials struct {
	id, secret string
	method     string // an AuthMethod...
	assertion  string // the client_assertion of private_key_jwt and client_secret_jwt
}

// authenticateClient authenticates the client of a request to the token,
// introspection, revocation or device authorization endpoint by the method
// it used (RFC 6749 §2.3, RFC 7523 §2.2): client_secret_basic,
// client_secret_post, private_key_jwt, client_secret_jwt or, for a public
// client, none; and records who the client said it was and how. Every
// failure is invalid_client.
func (p *Provider) authenticateClient(x *call, form url.Values) (Client, *Error) {
	cred, err := clientCredentials(x.r, form)
	if err != nil {
		x.rec.ClientID = form.Get("client_id")
		return Client{}, err
	}
	x.rec.ClientID, x.rec.AuthMethod = cred.id, cred.method
	c, ok, refused := p.lookupClient(cred.id)
	switch {
	case refused != "":
		return Client{}, ErrInvalidClient.WithDescription("%s", refused)
	case !ok:
		return Client{}, ErrInvalidClient.WithDescription("client %q is not registered; registered clients: %s", cred.id, quoteList(p.clients.ids()))
	case p.cfg.fapi && cred.method != AuthMethodPrivateKeyJWT:
		return Client{}, p.fapiClientAuth(c, cred.method) // fapi.go
	case !slices.Contains(c.AuthMethods, cred.method):
		return Client{}, ErrInvalidClient.WithDescription("client %q authenticates with %s; this request used %s%s", cred.id, strings.Join(c.AuthMethods, " or "), cred.method, retryHint(c, cred.method))
	case cred.assertion != "":
		return c, p.checkClientAssertion(x, c, cred.assertion)
	case cred.method != AuthMethodNone && !c.checkSecret(cred.secret):
		return Client{}, ErrInvalidClient.WithDescription("client_secret does not match the one registered for client %q", cred.id)
	}
	return c, nil
}

// checkClientAssertion verifies a private_key_jwt or client_secret_jwt
// assertion: iss and sub the client, aud the token endpoint, the issuer or
// the endpoint called (RFC 7523 §3, OIDC Core §9).
func (p *Provider) checkClientAssertion(x *call, c Client, raw string) *Error {
	a := assertion{
		what: "client assertion", keys: clientAssertionKeys(c), issuer: c.ID, subject: c.ID,
		aud: []string{p.TokenURL(), p.issuer, p.issuer + x.r.URL.Path}, jti: true,
	}
	if p.cfg.fapi {
		if err := p.fapiAssertion(raw); err != nil {
			return err
		}
		a.aud, a.algs = []string{p.issuer}, fapiAlgs
	}
	_, err := p.verifyAssertion(raw, a)
	if err != nil {
		return ErrInvalidClient.WithDescription("%v", err)
	}
	return nil
}

// clientCredentials reads the client's identity, its secret or assertion,
// and the method it used. Using two methods at once is refused (RFC 6749
// §2.3).
func clientCredentials(r *http.Request, form url.Values) (credentials, *Error) {
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return assertionCredentials(r, form)
	}
	if r.Header.Get("Authorization") == "" {
		switch {
		case bodyID == "":
			return credentials{}, ErrInvalidClient.WithDescription("no client authentication: send HTTP Basic credentials, client_id (and client_secret) in the body, or a client_assertion")
		case bodySecret != "":
			return credentials{id: bodyID, secret: bodySecret, method: AuthMethodPost}, nil
		}
		return credentials{id: bodyID, method: AuthMethodNone}, nil
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return credentials{}, ErrInvalidClient.WithDescription("the Authorization header is not HTTP Basic client credentials (RFC 6749 §2.3.1)")
	}
	if bodySecret != "" {
		return credentials{}, ErrInvalidRequest.WithDescription("the client authenticated twice, with an Authorization header and a client_secret in the body; use one method (RFC 6749 §2.3)")
	}
	// RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	switch {
	case err1 != nil || err2 != nil:
		return credentials{}, ErrInvalidClient.WithDescription("the Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)")
	case bodyID != "" && bodyID != id:
		return credentials{}, ErrInvalidClient.WithDescription("client_id %q in the body differs from %q in the Authorization header", bodyID, id)
	}
	return credentials{id: id, secret: secret, method: AuthMethodBasic}, nil
}

// assertionCredentials reads a JWT client assertion (RFC 7523 §2.2): the
// client is its sub, or client_id when sent; the method follows its alg.
func assertionCredentials(r *http.Request, form url.Values) (credentials, *Error) {
	raw, typ := form.Get("client_assertion"), form.Get("client_assertion_type")
	switch {
	case r.Header.Get("Authorization") != "" || form.Get("client_secret") != "":
		return credentials{}, ErrInvalidRequest.WithDescription("the client authenticated twice, with a client_assertion and a secret; use one method (RFC 6749 §2.3)")
	case typ != assertionType:
		return credentials{}, ErrInvalidClient.WithDescription("client_assertion_type is %q, not %q (RFC 7523 §2.2)", typ, assertionType)
	case raw == "":
		return credentials{}, ErrInvalidClient.WithDescription("client_assertion is missing (RFC 7523 §2.2)")
	}
	var claims jwt.RegisteredClaims
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &claims)
	if err != nil {
		return credentials{}, ErrInvalidClient.WithDescription("client_assertion is not a JWT: %v", err)
	}
	id := cmp.Or(form.Get("client_id"), claims.Subject)
	if id == "" {
		return credentials{}, ErrInvalidClient.WithDescription("client_assertion has no sub, and the request no client_id, to name the client (RFC 7523 §3)")
	}
	method := AuthMethodPrivateKeyJWT
	if tok.Method.Alg() == HS256 {
		method = AuthMethodSecretJWT
	}
	return credentials{id: id, method: method, assertion: raw}, nil
}

// retryHint explains a client_secret_post request from a client registered
// for client_secret_basic: golang.org/x/oauth2 without Endpoint.AuthStyle
// sends it after its Basic request failed, hiding why that one did.
func retryHint(c Client, method string) string {
	if method != AuthMethodPost || !slices.Contains(c.AuthMethods, AuthMethodBasic) {
		return ""
	}
	return " (with golang.org/x/oauth2 and no Endpoint.AuthStyle, this is its retry after a client_secret_basic request failed: check the secret, and set AuthStyle to see that request's error)"
}
