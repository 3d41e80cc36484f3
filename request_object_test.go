package oauthtest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// requestObject signs claims as a request object (RFC 9101 §4): EdDSA,
// ES256 or PS256 by the key's type, HS256 for a secret, unsigned for nil.
func requestObject(t *testing.T, key any, claims jwt.MapClaims) string {
	t.Helper()
	var method jwt.SigningMethod
	switch key.(type) {
	case ed25519.PrivateKey:
		method = jwt.SigningMethodEdDSA
	case *ecdsa.PrivateKey:
		method = jwt.SigningMethodES256
	case *rsa.PrivateKey:
		method = jwt.SigningMethodPS256
	case []byte:
		method = jwt.SigningMethodHS256
	case nil:
		method, key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
	}
	return signRequestObject(t, method, key, claims)
}

// signRequestObject signs claims with method and key, typ oauth-authz-req+jwt.
func signRequestObject(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["typ"] = "oauth-authz-req+jwt"
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// roClaims are valid claims of a request object of clientID for p, with
// the parameters of pushedParams and a jti of their own; change edits them.
func roClaims(p *oauthtest.Provider, clientID string, change func(jwt.MapClaims)) jwt.MapClaims {
	now := p.Now()
	c := jwt.MapClaims{
		"iss": clientID, "aud": p.Issuer(), "client_id": clientID, "exp": now.Add(time.Minute).Unix(), "nbf": now.Unix(),
		"iat": now.Unix(), "jti": rand.Text(), "response_type": "code", "redirect_uri": redirectURI,
		"scope": "openid profile", "state": "ro", "nonce": "n", "max_age": 300,
	}
	if change != nil {
		change(c)
	}
	return c
}

// byValue is the authorization URL that sends a request object by value.
func byValue(p *oauthtest.Provider, clientID, object string) string {
	return p.AuthURL() + "?" + url.Values{"client_id": {clientID}, "request": {object}}.Encode()
}

// TestRequestObjectAlgorithms: a request object by value, signed with each
// algorithm the provider verifies with the client's registered key or
// secret, leads to a code golang.org/x/oauth2 redeems.
func TestRequestObjectAlgorithms(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey := oauthtest.InsecureTestKey()
	p := parProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "signer", Secret: "signer-secret", RedirectURIs: []string{redirectURI},
		PublicKeys: []crypto.PublicKey{appKey.Public(), ec.Public(), rsaKey.Public()}}))
	cfg := parConfig(p)
	cfg.ClientID, cfg.ClientSecret = "signer", "signer-secret"
	for _, tc := range []struct {
		alg    string
		method jwt.SigningMethod
		key    any
	}{
		{"EdDSA", jwt.SigningMethodEdDSA, appKey},
		{"ES256", jwt.SigningMethodES256, ec},
		{"RS256", jwt.SigningMethodRS256, rsaKey},
		{"PS256", jwt.SigningMethodPS256, rsaKey},
		{"HS256", jwt.SigningMethodHS256, []byte("signer-secret")},
	} {
		t.Run(tc.alg, func(t *testing.T) {
			cb, err := p.Browser().Visit(byValue(p, "signer", signRequestObject(t, tc.method, tc.key, roClaims(p, "signer", nil))))
			if err != nil || cb.Code == "" || cb.State != "ro" {
				t.Fatalf("visit: %+v, %v", cb, err)
			}
			if tok, err := cfg.Exchange(clientContext(p), cb.Code); err != nil || tok.Extra("scope") != "openid profile" {
				t.Fatalf("exchange: %v", err)
			}
		})
	}
}

// TestRequestObjectUsesOnlyItsParameters: the parameters outside a
// request object, but client_id, are ignored (RFC 9101 §6.3).
func TestRequestObjectUsesOnlyItsParameters(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	outer := url.Values{"client_id": {"app"}, "request": {requestObject(t, appKey, roClaims(p, "app", func(c jwt.MapClaims) { c["scope"] = "openid" }))},
		"redirect_uri": {otherRedirectURI}, "scope": {"openid profile email"}, "state": {"outer"}, "response_mode": {"fragment"}}
	cb, err := p.Browser().Visit(p.AuthURL() + "?" + outer.Encode())
	if err != nil || cb.State != "ro" || cb.ResponseMode != "query" || !strings.HasPrefix(cb.URL, redirectURI+"?") {
		t.Fatalf("visit: %+v, %v; want the object's redirect URI, state and response mode", cb, err)
	}
	if tok, err := parConfig(p).Exchange(clientContext(p), cb.Code); err != nil || tok.Extra("scope") != "openid" {
		t.Fatalf("exchange: %v; want the object's scope", err)
	}
}

// TestRequestObjectRefusals: each check of a request object by value
// refuses with invalid_request_object on an error page, never a redirect.
func TestRequestObjectRefusals(t *testing.T) {
	t.Parallel()
	p := parProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "pss", Secret: "pss-secret", RedirectURIs: []string{redirectURI},
		PublicKeys: []crypto.PublicKey{oauthtest.InsecureTestKey().Public()}, RequestObjectSigningAlg: oauthtest.PS256}))
	claims := func(change func(jwt.MapClaims)) jwt.MapClaims { return roClaims(p, "app", change) }
	signed := func(change func(jwt.MapClaims)) string { return requestObject(t, appKey, claims(change)) }
	valid := signed(nil)
	parts := strings.Split(valid, ".")
	for _, tc := range []struct {
		name, clientID, object, want string
	}{
		{"unsigned", "app", requestObject(t, nil, claims(nil)), "invalid_request_object: the request object is unsigned (alg none)"},
		{"wrong iss", "app", signed(func(c jwt.MapClaims) { c["iss"] = "other" }), `the request object's iss is "other", not the client_id "app"`},
		{"no iss", "app", signed(func(c jwt.MapClaims) { delete(c, "iss") }), `the request object's iss is "", not the client_id "app"`},
		{"wrong aud", "app", signed(func(c jwt.MapClaims) { c["aud"] = "https://other.example" }), `aud "https://other.example" is not the issuer`},
		{"aud the token endpoint", "app", signed(func(c jwt.MapClaims) { c["aud"] = p.TokenURL() }), "is not the issuer"},
		{"no exp", "app", signed(func(c jwt.MapClaims) { delete(c, "exp") }), "it has no exp"},
		{"expired", "app", signed(func(c jwt.MapClaims) { c["exp"] = p.Now().Add(-time.Second).Unix() }), "it expired at"},
		{"nbf in the future", "app", signed(func(c jwt.MapClaims) { c["nbf"] = p.Now().Add(time.Minute).Unix() }), "it is not valid before"},
		{"client_id inside differs", "app", signed(func(c jwt.MapClaims) { c["client_id"] = "other" }), `client_id is "other", not the client_id parameter "app"`},
		{"no client_id inside", "app", signed(func(c jwt.MapClaims) { delete(c, "client_id") }), `client_id is "", not the client_id parameter "app"`},
		{"outer client_id differs", "other", valid, `signature does not verify with a key of client "other"`},
		{"request_uri inside", "app", signed(func(c jwt.MapClaims) { c["request_uri"] = "urn:x" }), "holds a request or request_uri"},
		{"key of another client", "app", requestObject(t, otherKey, claims(nil)), `signature does not verify with a key of client "app"`},
		{"tampered payload", "app", parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2], "invalid_request_object"},
		{"HS256 with another secret", "app", requestObject(t, []byte("other-secret"), claims(nil)), "signature does not verify"},
		{"alg the client did not register", "pss", requestObject(t, appKey, roClaims(p, "pss", nil)), `signed with alg "EdDSA"; client "pss" may use PS256`},
		{"typ of another JWT", "app", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims(nil))
			tok.Header["typ"] = "at+jwt"
			s, _ := tok.SignedString(appKey)
			return s
		}(), `typ is "at+jwt"`},
		{"encrypted", "app", "eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", "encrypted (JWE)"},
		{"not a JWT", "app", "hello", "is not a JWT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantRefusalPage(t, p, byValue(p, tc.clientID, tc.object), tc.want)
			if reqs := p.RequestsTo(oauthtest.EndpointAuthorize); reqs[len(reqs)-1].Error != "invalid_request_object" {
				t.Errorf("logged %q", reqs[len(reqs)-1].Error)
			}
		})
	}
	t.Run("replayed jti", func(t *testing.T) {
		object := signed(nil)
		if cb, err := p.Browser().Visit(byValue(p, "app", object)); err != nil || cb.Code == "" {
			t.Fatalf("first use: %+v, %v", cb, err)
		}
		wantRefusalPage(t, p, byValue(p, "app", object), "jti")
	})
	t.Run("PS256 for the client that registered it", func(t *testing.T) {
		if cb, err := p.Browser().Visit(byValue(p, "pss", requestObject(t, oauthtest.InsecureTestKey(), roClaims(p, "pss", nil)))); err != nil || cb.Code == "" {
			t.Fatalf("visit: %+v, %v", cb, err)
		}
	})
}

// TestRequestObjectUnsigned: an unsigned request object is accepted from a
// client registered for alg none alone, and never where signed ones are
// required.
func TestRequestObjectUnsigned(t *testing.T) {
	t.Parallel()
	lax := oauthtest.Client{ID: "lax", Secret: "lax-secret", RedirectURIs: []string{redirectURI}, RequestObjectSigningAlg: "none"}
	p := parProvider(t, oauthtest.WithClient(lax))
	if cb, err := p.Browser().Visit(byValue(p, "lax", requestObject(t, nil, roClaims(p, "lax", nil)))); err != nil || cb.Code == "" {
		t.Fatalf("unsigned from lax: %+v, %v", cb, err)
	}
	wantRefusalPage(t, p, byValue(p, "lax", requestObject(t, []byte("lax-secret"), roClaims(p, "lax", nil))), `signed with alg "HS256"; client "lax" may use none`)
	if algs, _ := discovery(t, p)["request_object_signing_alg_values_supported"].([]any); len(algs) != 6 || algs[5] != "none" {
		t.Errorf("discovery: request_object_signing_alg_values_supported %v, want none too", algs)
	}
	strict := parProvider(t, oauthtest.WithClient(lax), oauthtest.WithRequireSignedRequestObject())
	wantRefusalPage(t, strict, byValue(strict, "lax", requestObject(t, nil, roClaims(strict, "lax", nil))), `unsigned (alg none), and client "lax" must sign`)
}

// TestRequestObjectAtPAR: a pushed request may carry a request object
// (RFC 9126 §3): its parameters are the request's, outer ones ignored;
// a bad object is a JSON invalid_request_object.
func TestRequestObjectAtPAR(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	pushObject := func(object string, extra url.Values) (*http.Response, map[string]any) {
		form := url.Values{"request": {object}}
		for k, v := range extra {
			form[k] = v
		}
		return push(t, p, form, "app", "app-secret")
	}
	object := requestObject(t, appKey, roClaims(p, "app", nil))
	resp, body := pushObject(object, url.Values{"scope": {"openid admin"}, "redirect_uri": {"https://evil.example/cb"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: HTTP %d %v (outer parameters must be ignored)", resp.StatusCode, body)
	}
	cb, err := p.Browser().Visit(parAuthURL(p, "app", body["request_uri"].(string)))
	if err != nil || cb.Code == "" || cb.State != "ro" || !strings.HasPrefix(cb.URL, redirectURI+"?") {
		t.Fatalf("visit: %+v, %v", cb, err)
	}
	resp, body = pushObject(object, nil)
	wantJSONError(t, resp, body, "invalid_request_object", 400) // its jti was used
	for name, object := range map[string]string{
		"other client's object": requestObject(t, otherKey, roClaims(p, "other", nil)),
		"expired":               requestObject(t, appKey, roClaims(p, "app", func(c jwt.MapClaims) { c["exp"] = p.Now().Add(-time.Minute).Unix() })),
		"unsigned":              requestObject(t, nil, roClaims(p, "app", nil)),
		"aud elsewhere":         requestObject(t, appKey, roClaims(p, "app", func(c jwt.MapClaims) { c["aud"] = "https://other.example" })),
	} {
		resp, body := pushObject(object, nil)
		if resp.StatusCode != 400 || body["error"] != "invalid_request_object" {
			t.Errorf("%s: HTTP %d %v", name, resp.StatusCode, body)
		}
	}
	resp, body = pushObject(requestObject(t, appKey, roClaims(p, "app", func(c jwt.MapClaims) { c["aud"] = p.PushedAuthorizationURL() })), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("aud the PAR endpoint: HTTP %d %v", resp.StatusCode, body)
	}
	resp, body = pushObject(requestObject(t, appKey, roClaims(p, "app", func(c jwt.MapClaims) { c["scope"] = "openid admin" })), nil)
	wantJSONError(t, resp, body, "invalid_scope", 400) // the object's parameters are validated
}

// TestRequireSignedRequestObject: a client that must sign its request
// objects sends them by value or pushed; plain parameters are refused at
// both endpoints.
func TestRequireSignedRequestObject(t *testing.T) {
	t.Parallel()
	p := parProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "signed", Secret: "signed-secret", RedirectURIs: []string{redirectURI},
		PublicKeys: []crypto.PublicKey{appKey.Public()}, RequireSignedRequestObject: true}))
	wantRefusalPage(t, p, p.AuthURL()+"?"+pushedParams(func(v url.Values) { v.Set("client_id", "signed") }).Encode(), `client "signed" must send its authorization parameters in a signed request object`)
	resp, body := push(t, p, pushedParams(nil), "signed", "signed-secret")
	wantJSONError(t, resp, body, "invalid_request", 400)
	if cb, err := p.Browser().Visit(byValue(p, "signed", requestObject(t, appKey, roClaims(p, "signed", nil)))); err != nil || cb.Code == "" {
		t.Errorf("by value: %+v, %v", cb, err)
	}
	resp, body = push(t, p, url.Values{"request": {requestObject(t, appKey, roClaims(p, "signed", nil))}}, "signed", "signed-secret")
	if cb, err := p.Browser().Visit(parAuthURL(p, "signed", body["request_uri"].(string))); resp.StatusCode != 201 || err != nil || cb.Code == "" {
		t.Errorf("pushed: HTTP %d, %+v, %v", resp.StatusCode, cb, err)
	}
	if d := discovery(t, p); d["require_signed_request_object"] != nil {
		t.Errorf("discovery: require_signed_request_object %v without WithRequireSignedRequestObject", d["require_signed_request_object"])
	}
	if d := discovery(t, parProvider(t, oauthtest.WithRequireSignedRequestObject())); d["require_signed_request_object"] != true {
		t.Errorf("discovery: require_signed_request_object %v with WithRequireSignedRequestObject", d["require_signed_request_object"])
	}
}

// TestRequestObjectDiscovery: discovery advertises request objects by
// value and the PAR endpoint, and no request_uri to fetch.
func TestRequestObjectDiscovery(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	d := discovery(t, p)
	algs, _ := d["request_object_signing_alg_values_supported"].([]any)
	if d["request_parameter_supported"] != true || d["request_uri_parameter_supported"] != false || len(algs) != 5 ||
		d["pushed_authorization_request_endpoint"] != p.PushedAuthorizationURL() || d["require_pushed_authorization_requests"] != false {
		t.Errorf("discovery: %v", d)
	}
}

// TestRequestObjectClientValidation: a client's request object settings
// are checked at registration.
func TestRequestObjectClientValidation(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]oauthtest.Client{
		"unknown alg":                 {ID: "c", Secret: "s", RequestObjectSigningAlg: "RS512"},
		"HS256 without a secret":      {ID: "c", Public: true, RequestObjectSigningAlg: "HS256"},
		"PS256 without an RSA key":    {ID: "c", Secret: "s", PublicKeys: []crypto.PublicKey{appKey.Public()}, RequestObjectSigningAlg: "PS256"},
		"none yet signed is required": {ID: "c", Secret: "s", RequestObjectSigningAlg: "none", RequireSignedRequestObject: true},
	} {
		if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"), oauthtest.WithClient(c)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"),
		oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", PublicKeys: []crypto.PublicKey{appKey.Public()}, RequestObjectSigningAlg: "EdDSA"})); err != nil {
		t.Errorf("EdDSA with an Ed25519 key: %v", err)
	}
}
