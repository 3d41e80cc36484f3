package oauthtest_test

import (
	"crypto"
	"crypto/ed25519"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// otherRedirectURI is registered for the PAR clients too, so that a test
// can tell which of two registered URIs was used.
const otherRedirectURI = "http://127.0.0.1:9999/other"

// Keys of the PAR clients' request objects: fixed seeds, so no key is
// generated at run time.
var (
	appKey   = ed25519.NewKeyFromSeed([]byte("oauthtest par app key seed 32 b."))
	otherKey = ed25519.NewKeyFromSeed([]byte("oauthtest par other key seed 32."))
)

// parClients are two confidential clients that may push requests and sign
// request objects, and a public one.
func parClients() []oauthtest.Option {
	return []oauthtest.Option{
		oauthtest.WithClient(oauthtest.Client{ID: "app", Secret: "app-secret", RedirectURIs: []string{redirectURI, otherRedirectURI}, PublicKeys: []crypto.PublicKey{appKey.Public()}}),
		oauthtest.WithClient(oauthtest.Client{ID: "other", Secret: "other-secret", RedirectURIs: []string{redirectURI}, PublicKeys: []crypto.PublicKey{otherKey.Public()}}),
		oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}}),
	}
}

// parProvider is a provider with parClients and opts.
func parProvider(t *testing.T, opts ...oauthtest.Option) *oauthtest.Provider {
	return oauthtest.NewTestProvider(t, append(parClients(), opts...)...)
}

// pushedParams are valid authorization parameters of client app for the
// PAR endpoint; change edits them.
func pushedParams(change func(url.Values)) url.Values {
	v := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid profile"}, "state": {"st"}, "nonce": {"n"}}
	if change != nil {
		change(v)
	}
	return v
}

// push posts form to the PAR endpoint, with Basic credentials when user is set.
func push(t *testing.T, p *oauthtest.Provider, form url.Values, user, pass string) (*http.Response, map[string]any) {
	t.Helper()
	return postForm(t, p, p.PushedAuthorizationURL(), form, user, pass)
}

// pushedURI pushes form for client app and returns the request_uri.
func pushedURI(t *testing.T, p *oauthtest.Provider, form url.Values) string {
	t.Helper()
	resp, body := push(t, p, form, "app", "app-secret")
	uri, _ := body["request_uri"].(string)
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("push: HTTP %d %v", resp.StatusCode, body)
	}
	return uri
}

// parAuthURL is the authorization URL that redeems a pushed request.
func parAuthURL(p *oauthtest.Provider, clientID, uri string) string {
	return p.AuthURL() + "?" + url.Values{"client_id": {clientID}, "request_uri": {uri}}.Encode()
}

// wantRefusalPage asserts that rawURL gets an error page saying want, and
// no redirect.
func wantRefusalPage(t *testing.T, p *oauthtest.Provider, rawURL, want string) {
	t.Helper()
	resp := visit(t, p, http.MethodGet, rawURL, nil)
	b, _ := io.ReadAll(resp.Body)
	page := html.UnescapeString(string(b))
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" || !strings.Contains(page, want) {
		t.Fatalf("HTTP %d, Location %q, page:\n%s\nwant a 400 page saying %q", resp.StatusCode, resp.Header.Get("Location"), b, want)
	}
}

// parConfig is the golang.org/x/oauth2 configuration of client app.
func parConfig(p *oauthtest.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID: "app", ClientSecret: "app-secret", RedirectURL: redirectURI, Scopes: []string{"openid", "profile"},
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
}

// TestPARFlow: a client pushes its request with PKCE, the browser visits
// the authorization URL with only client_id and request_uri, and
// golang.org/x/oauth2 redeems the code, which is bound to the pushed
// redirect URI and code challenge.
func TestPARFlow(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	cfg := parConfig(p)
	verifier := oauth2.GenerateVerifier()
	resp, body := push(t, p, pushedParams(func(v url.Values) {
		v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(verifier))
		v.Set("code_challenge_method", "S256")
	}), "app", "app-secret")
	if resp.StatusCode != http.StatusCreated || body["expires_in"] != float64(60) || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("push: HTTP %d %v, Cache-Control %q; want 201 with expires_in 60, not cached", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}
	cb, err := p.Browser().Visit(parAuthURL(p, "app", body["request_uri"].(string)))
	if err != nil || cb.Code == "" || cb.State != "st" || cb.Issuer != p.Issuer() || !strings.HasPrefix(cb.URL, redirectURI+"?") {
		t.Fatalf("visit: %+v, %v", cb, err)
	}
	ctx := clientContext(p)
	_, err = cfg.Exchange(ctx, cb.Code)
	wantRetrieveError(t, err, "invalid_grant", http.StatusBadRequest) // no code_verifier: the pushed challenge binds
	other := *cfg
	other.RedirectURL = otherRedirectURI
	_, err = other.Exchange(ctx, cb.Code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant", http.StatusBadRequest) // the pushed redirect_uri binds
	tok, err := cfg.Exchange(ctx, cb.Code, oauth2.VerifierOption(verifier))
	if err != nil || tok.Extra("scope") != "openid profile" || tok.Extra("id_token") == nil {
		t.Fatalf("exchange: %v, scope %v", err, tok.Extra("scope"))
	}
	p.CheckPKCE(t, oauthtest.PKCES256)
	if pushes := p.RequestsTo(oauthtest.EndpointPushedAuthorization); len(pushes) != 1 || pushes[0].AuthMethod != oauthtest.AuthMethodBasic || pushes[0].PKCEMethod != "S256" {
		t.Errorf("request log of the PAR endpoint: %+v", pushes)
	}
}

// TestPARUsesOnlyThePushedParameters: at the authorization endpoint,
// parameters beside client_id and request_uri are ignored (RFC 9126 §4,
// RFC 9101 §6.3), so they cannot redirect the response or widen the scope.
func TestPARUsesOnlyThePushedParameters(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	uri := pushedURI(t, p, pushedParams(func(v url.Values) { v.Set("scope", "openid"); v.Set("state", "pushed") }))
	outer := url.Values{"client_id": {"app"}, "request_uri": {uri}, "redirect_uri": {otherRedirectURI}, "scope": {"openid profile email"},
		"state": {"outer"}, "response_mode": {"fragment"}, "response_type": {"code id_token"}}
	cb, err := p.Browser().Visit(p.AuthURL() + "?" + outer.Encode())
	if err != nil || cb.State != "pushed" || cb.ResponseMode != "query" || !strings.HasPrefix(cb.URL, redirectURI+"?") || cb.IDToken != "" {
		t.Fatalf("visit: %+v, %v; want the pushed redirect URI, state and response type", cb, err)
	}
	tok, err := parConfig(p).Exchange(clientContext(p), cb.Code)
	if err != nil || tok.Extra("scope") != "openid" {
		t.Fatalf("exchange: %v, scope %v; want the pushed scope", err, tok.Extra("scope"))
	}
}

// TestPARRefusesAtTheEndpoint: the PAR endpoint authenticates the client
// as the token endpoint does and checks the parameters as the
// authorization endpoint would, answering JSON errors (RFC 9126 §2.3).
func TestPARRefusesAtTheEndpoint(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	for _, tc := range []struct {
		name, user, pass string
		form             url.Values
		status           int
		code             string
	}{
		{"wrong secret", "app", "nope", pushedParams(nil), 401, "invalid_client"},
		{"no client authentication", "", "", pushedParams(nil), 401, "invalid_client"},
		{"public client posing as confidential", "spa", "x", pushedParams(nil), 401, "invalid_client"},
		{"request_uri in the push", "app", "app-secret", pushedParams(func(v url.Values) { v.Set("request_uri", "urn:ietf:params:oauth:request_uri:x") }), 400, "invalid_request"},
		{"unregistered redirect_uri", "app", "app-secret", pushedParams(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }), 400, "invalid_request"},
		{"implicit response_type", "app", "app-secret", pushedParams(func(v url.Values) { v.Set("response_type", "token") }), 400, "unsupported_response_type"},
		{"scope not allowed", "app", "app-secret", pushedParams(func(v url.Values) { v.Set("scope", "openid admin") }), 400, "invalid_scope"},
		{"bad PKCE method", "app", "app-secret", pushedParams(func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "S512")
		}), 400, "invalid_request"},
		{"public client without PKCE", "", "", pushedParams(func(v url.Values) { v.Set("client_id", "spa") }), 400, "invalid_request"},
		{"client_id of another client", "app", "app-secret", pushedParams(func(v url.Values) { v.Set("client_id", "other") }), 401, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := push(t, p, tc.form, tc.user, tc.pass)
			wantJSONError(t, resp, body, tc.code, tc.status)
			if body["request_uri"] != nil {
				t.Errorf("a refused push got a request_uri")
			}
		})
	}
	t.Run("public client with PKCE", func(t *testing.T) {
		resp, body := push(t, p, pushedParams(func(v url.Values) {
			v.Set("client_id", "spa")
			v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
			v.Set("code_challenge_method", "S256")
		}), "", "")
		if resp.StatusCode != http.StatusCreated {
			t.Errorf("HTTP %d %v", resp.StatusCode, body)
		}
	})
}

// TestPARRequestURIRefusals: at the authorization endpoint a request_uri
// is used once, before it expires, by the client that pushed it; anything
// else is an error page, never a redirect.
func TestPARRequestURIRefusals(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	t.Run("used twice", func(t *testing.T) {
		uri := pushedURI(t, p, pushedParams(nil))
		if cb, err := p.Browser().Visit(parAuthURL(p, "app", uri)); err != nil || cb.Code == "" {
			t.Fatalf("first use: %+v, %v", cb, err)
		}
		wantRefusalPage(t, p, parAuthURL(p, "app", uri), "invalid_request_uri: request_uri was used already")
	})
	t.Run("another client's", func(t *testing.T) {
		uri := pushedURI(t, p, pushedParams(nil))
		wantRefusalPage(t, p, parAuthURL(p, "other", uri), `invalid_request_uri: request_uri was pushed by client "app", not "other"`)
		if cb, err := p.Browser().Visit(parAuthURL(p, "app", uri)); err != nil || cb.Code == "" {
			t.Errorf("the pusher's use after another client's attempt: %+v, %v", cb, err)
		}
	})
	t.Run("both request and request_uri", func(t *testing.T) {
		uri := pushedURI(t, p, pushedParams(nil))
		wantRefusalPage(t, p, parAuthURL(p, "app", uri)+"&request=x.y.z", "invalid_request: request and request_uri were both sent")
	})
	t.Run("forgotten by Reset", func(t *testing.T) {
		p := parProvider(t)
		uri := pushedURI(t, p, pushedParams(nil))
		p.Reset()
		wantRefusalPage(t, p, parAuthURL(p, "app", uri), "invalid_request_uri: request_uri")
	})
	t.Run("request_uri twice", func(t *testing.T) {
		uri := pushedURI(t, p, pushedParams(nil))
		wantRefusalPage(t, p, parAuthURL(p, "app", uri)+"&request_uri="+url.QueryEscape(uri), "request_uri was sent 2 times")
	})
}

// TestPARExpiry: a request_uri lasts expires_in by the provider's clock,
// 60 seconds by default or WithPushedRequestLifetime's, which is bounded.
func TestPARExpiry(t *testing.T) {
	t.Parallel()
	p := parProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	fresh, stale := pushedURI(t, p, pushedParams(nil)), pushedURI(t, p, pushedParams(nil))
	p.FastForward(59 * time.Second)
	if cb, err := p.Browser().Visit(parAuthURL(p, "app", fresh)); err != nil || cb.Code == "" {
		t.Fatalf("at 59 s: %+v, %v", cb, err)
	}
	p.FastForward(time.Second)
	wantRefusalPage(t, p, parAuthURL(p, "app", stale), "invalid_request_uri: request_uri expired at 2030-01-01T00:01:00Z; it is now 2030-01-01T00:01:00Z")

	short := parProvider(t, oauthtest.WithPushedRequestLifetime(5*time.Second))
	resp, body := push(t, short, pushedParams(nil), "app", "app-secret")
	if resp.StatusCode != http.StatusCreated || body["expires_in"] != float64(5) {
		t.Errorf("WithPushedRequestLifetime(5s): HTTP %d %v", resp.StatusCode, body)
	}
	for _, d := range []time.Duration{0, time.Millisecond, 11 * time.Minute} {
		if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"), oauthtest.WithPushedRequestLifetime(d)); err == nil {
			t.Errorf("WithPushedRequestLifetime(%v) was accepted", d)
		}
	}
}

// TestPARAndTheLoginPage: the login page posts back client_id and
// request_uri (or request), and the request_uri is used up, or the jti
// recorded, only when the client is answered: showing the page does not
// count as a use.
func TestPARAndTheLoginPage(t *testing.T) {
	t.Parallel()
	alice := oauthtest.User{Subject: "alice", Claims: map[string]any{"email": "alice@example.com"}}
	p := parProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	uri := pushedURI(t, p, pushedParams(nil))
	cb, err := p.Browser().PickUser("alice").Visit(parAuthURL(p, "app", uri))
	if err != nil || cb.Code == "" {
		t.Fatalf("visit: %+v, %v", cb, err)
	}
	tok, err := parConfig(p).Exchange(clientContext(p), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	if _, body := userinfo(t, p, tok.AccessToken); body["sub"] != "alice" {
		t.Errorf("userinfo %v, want alice", body)
	}
	wantRefusalPage(t, p, parAuthURL(p, "app", uri), "request_uri was used already")

	object := byValue(p, "app", requestObject(t, appKey, roClaims(p, "app", nil))) // nor is a request object's jti
	if cb, err := p.Browser().PickUser("alice").Visit(object); err != nil || cb.Code == "" {
		t.Fatalf("request object by value through the login page: %+v, %v", cb, err)
	}
	wantRefusalPage(t, p, object, "jti")
}

// TestPARRequired: with require_pushed_authorization_requests, for every
// client or one, the authorization endpoint refuses plain requests and
// request objects by value; pushed ones work.
func TestPARRequired(t *testing.T) {
	t.Parallel()
	plain := func(p *oauthtest.Provider, clientID string) string {
		return p.AuthURL() + "?" + pushedParams(func(v url.Values) { v.Set("client_id", clientID) }).Encode()
	}
	t.Run("provider-wide", func(t *testing.T) {
		t.Parallel()
		p := parProvider(t, oauthtest.WithRequirePushedAuthorizationRequests())
		wantRefusalPage(t, p, plain(p, "app"), `invalid_request: client "app" must push its authorization requests`)
		wantRefusalPage(t, p, p.AuthURL()+"?client_id=app&request="+requestObject(t, appKey, roClaims(p, "app", nil)), "must push")
		if cb, err := p.Browser().Visit(parAuthURL(p, "app", pushedURI(t, p, pushedParams(nil)))); err != nil || cb.Code == "" {
			t.Errorf("pushed: %+v, %v", cb, err)
		}
		if d := discovery(t, p); d["require_pushed_authorization_requests"] != true {
			t.Errorf("discovery: require_pushed_authorization_requests %v", d["require_pushed_authorization_requests"])
		}
	})
	t.Run("per client", func(t *testing.T) {
		t.Parallel()
		p := parProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "strict", Secret: "strict-secret", RedirectURIs: []string{redirectURI}, RequirePushedAuthorizationRequests: true}))
		wantRefusalPage(t, p, plain(p, "strict"), `client "strict" must push`)
		if q, _ := redirected(t, visit(t, p, http.MethodGet, plain(p, "app"), nil), redirectURI); q.Get("code") == "" {
			t.Errorf("another client's plain request: %v", q)
		}
		resp, body := push(t, p, pushedParams(nil), "strict", "strict-secret")
		if cb, err := p.Browser().Visit(parAuthURL(p, "strict", body["request_uri"].(string))); resp.StatusCode != 201 || err != nil || cb.Code == "" {
			t.Errorf("pushed: HTTP %d, %+v, %v", resp.StatusCode, cb, err)
		}
		if d := discovery(t, p); d["require_pushed_authorization_requests"] != false {
			t.Errorf("discovery: require_pushed_authorization_requests %v", d["require_pushed_authorization_requests"])
		}
	})
}

// TestPARFaults: a fault staged for the PAR endpoint hits the first push
// it would have served, not a refused one.
func TestPARFaults(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	p.FailNext(oauthtest.EndpointPushedAuthorization, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))
	resp, body := push(t, p, pushedParams(nil), "app", "nope")
	wantJSONError(t, resp, body, "invalid_client", 401)
	resp, body = push(t, p, pushedParams(nil), "app", "app-secret")
	wantJSONError(t, resp, body, "temporarily_unavailable", 503)
	pushedURI(t, p, pushedParams(nil))
}

// discovery returns p's discovery document.
func discovery(t *testing.T, p *oauthtest.Provider) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.DiscoveryURL(), nil)
	_, body := do(t, p, req)
	return body
}
