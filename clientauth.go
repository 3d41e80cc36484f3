package oauthtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// authenticateClient authenticates the client of a request to the token,
// introspection or revocation endpoint by the method it used (RFC 6749
// §2.3): client_secret_basic, client_secret_post or, for a public client,
// none, and records who the client said it was and how. Every failure is
// invalid_client.
func (p *Provider) authenticateClient(x *exchange, form url.Values) (Client, *Error) {
	id, secret, method, err := clientCredentials(x.r, form)
	if err != nil {
		x.rec.ClientID = form.Get("client_id")
		return Client{}, err
	}
	x.rec.ClientID, x.rec.AuthMethod = id, method
	c, ok := p.clients.get(id)
	switch {
	case !ok:
		return Client{}, ErrInvalidClient.WithDescription("client %q is not registered; registered clients: %s", id, quoteList(p.clients.ids()))
	case !slices.Contains(c.AuthMethods, method):
		return Client{}, ErrInvalidClient.WithDescription("client %q authenticates with %s; this request used %s", id, strings.Join(c.AuthMethods, " or "), method)
	case method != AuthMethodNone && !c.checkSecret(secret):
		return Client{}, ErrInvalidClient.WithDescription("client_secret does not match the one registered for client %q", id)
	}
	return c, nil
}

// clientCredentials reads the client's identity, its secret and the method
// it used. Using two methods at once is refused (RFC 6749 §2.3).
func clientCredentials(r *http.Request, form url.Values) (id, secret, method string, err *Error) {
	bodyID, bodySecret := form.Get("client_id"), form.Get("client_secret")
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return "", "", "", ErrInvalidClient.WithDescription("client assertions (private_key_jwt, client_secret_jwt) are not supported; use client_secret_basic, client_secret_post or none")
	}
	if r.Header.Get("Authorization") == "" {
		switch {
		case bodyID == "":
			return "", "", "", ErrInvalidClient.WithDescription("no client authentication: send HTTP Basic credentials, or client_id (and client_secret) in the body")
		case bodySecret != "":
			return bodyID, bodySecret, AuthMethodPost, nil
		}
		return bodyID, "", AuthMethodNone, nil
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return "", "", "", ErrInvalidClient.WithDescription("the Authorization header is not HTTP Basic client credentials (RFC 6749 §2.3.1)")
	}
	if bodySecret != "" {
		return "", "", "", ErrInvalidRequest.WithDescription("the client authenticated twice, with an Authorization header and a client_secret in the body; use one method (RFC 6749 §2.3)")
	}
	// RFC 6749 §2.3.1: both are form-urlencoded before Basic encoding.
	id, err1 := url.QueryUnescape(user)
	secret, err2 := url.QueryUnescape(pass)
	switch {
	case err1 != nil || err2 != nil:
		return "", "", "", ErrInvalidClient.WithDescription("the Basic credentials are not form-urlencoded (RFC 6749 §2.3.1)")
	case bodyID != "" && bodyID != id:
		return "", "", "", ErrInvalidClient.WithDescription("client_id %q in the body differs from %q in the Authorization header", bodyID, id)
	}
	return id, secret, AuthMethodBasic, nil
}
