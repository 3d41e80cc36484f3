package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// tokenCase posts a token request whose form and credentials a case sets up
// from a fresh code, and expects an error.
type tokenCase struct {
	name   string
	setup  func(f url.Values, cred *[2]string) // cred is the Basic user and password; empty for none
	code   string
	status int
}

func (tc tokenCase) run(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{ID: "other", Secret: "other-secret"}),
		oauthtest.WithClient(oauthtest.Client{ID: "basic-only", Secret: "s", AuthMethods: []string{oauthtest.AuthMethodBasic}}),
		oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true}))
	cfg := oauthConfig(p)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, cfg)}, "redirect_uri": {redirectURI}}
	cred := [2]string{cfg.ClientID, cfg.ClientSecret}
	tc.setup(form, &cred)
	resp, body := postForm(t, p, p.TokenURL(), form, cred[0], cred[1])
	wantJSONError(t, resp, body, tc.code, tc.status)
	// RFC 6749 §5.2: a Basic challenge answers a client that used Basic,
	// with the error in its auth-params; a client that did not gets none.
	challenge := resp.Header.Get("WWW-Authenticate")
	if basic := cred[0] != ""; tc.code == "invalid_client" && basic != strings.HasPrefix(challenge, `Basic realm="oauthtest", error="invalid_client", error_description="`) {
		t.Errorf("invalid_client to a client that used Basic (%t): challenge %q", basic, challenge)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", resp.Header)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	inBody := func(f url.Values, c *[2]string) {
		f.Set("client_id", c[0])
		f.Set("client_secret", c[1])
		*c = [2]string{}
	}
	for _, tc := range []tokenCase{
		{name: "no client authentication", setup: func(f url.Values, c *[2]string) { *c = [2]string{} }, code: "invalid_client", status: 401},
		{name: "unknown client", setup: func(f url.Values, c *[2]string) { c[0] = "nope" }, code: "invalid_client", status: 401},
		{name: "wrong secret in header", setup: func(f url.Values, c *[2]string) { c[1] = "wrong" }, code: "invalid_client", status: 401},
		{name: "wrong secret in body", setup: func(f url.Values, c *[2]string) { inBody(f, c); f.Set("client_secret", "wrong") }, code: "invalid_client", status: 401},
		{name: "confidential client without secret", setup: func(f url.Values, c *[2]string) { inBody(f, c); f.Del("client_secret") }, code: "invalid_client", status: 401},
		{name: "two auth methods", setup: func(f url.Values, c *[2]string) { f.Set("client_secret", c[1]) }, code: "invalid_request", status: 400},
		{name: "body client_id differs from header", setup: func(f url.Values, c *[2]string) { f.Set("client_id", "other") }, code: "invalid_client", status: 401},
		{name: "auth method not registered", setup: func(f url.Values, c *[2]string) {
			f.Set("client_id", "basic-only")
			f.Set("client_secret", "s")
			*c = [2]string{}
		}, code: "invalid_client", status: 401},
		{name: "client assertion and Basic", setup: func(f url.Values, c *[2]string) { f.Set("client_assertion", "x") }, code: "invalid_request", status: 400},
		{name: "client assertion, not a JWT", setup: func(f url.Values, c *[2]string) {
			*c = [2]string{}
			f.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
			f.Set("client_assertion", "x")
		}, code: "invalid_client", status: 401},
		{name: "missing grant_type", setup: func(f url.Values, c *[2]string) { f.Del("grant_type") }, code: "invalid_request", status: 400},
		{name: "unsupported grant_type", setup: func(f url.Values, c *[2]string) { f.Set("grant_type", "password") }, code: "unsupported_grant_type", status: 400},
		{name: "duplicate parameter", setup: func(f url.Values, c *[2]string) { f.Add("code", "x") }, code: "invalid_request", status: 400},
		{name: "missing code", setup: func(f url.Values, c *[2]string) { f.Del("code") }, code: "invalid_request", status: 400},
		{name: "unknown code", setup: func(f url.Values, c *[2]string) { f.Set("code", "made-up") }, code: "invalid_grant", status: 400},
		{name: "code of another client", setup: func(f url.Values, c *[2]string) { *c = [2]string{"other", "other-secret"} }, code: "invalid_grant", status: 400},
		{name: "missing redirect_uri", setup: func(f url.Values, c *[2]string) { f.Del("redirect_uri") }, code: "invalid_grant", status: 400},
		{name: "other redirect_uri", setup: func(f url.Values, c *[2]string) { f.Set("redirect_uri", "http://127.0.0.1:9999/other") }, code: "invalid_grant", status: 400},
		{name: "verifier without challenge", setup: func(f url.Values, c *[2]string) { f.Set("code_verifier", oauth2.GenerateVerifier()) }, code: "invalid_grant", status: 400},
		{name: "missing refresh_token", setup: func(f url.Values, c *[2]string) { f.Set("grant_type", "refresh_token") }, code: "invalid_request", status: 400},
		{name: "unknown refresh_token", setup: func(f url.Values, c *[2]string) { f.Set("grant_type", "refresh_token"); f.Set("refresh_token", "x") }, code: "invalid_grant", status: 400},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestTokenEndpointTransport covers what is wrong before any parameter is read.
func TestTokenEndpointTransport(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, p.TokenURL(), nil)
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_request", 405)
		if resp.Header.Get("Allow") != "POST" {
			t.Errorf("Allow %q", resp.Header.Get("Allow"))
		}
	})
	t.Run("JSON body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(`{"grant_type":"authorization_code"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_request", 400)
	})
	t.Run("oversized body", func(t *testing.T) {
		resp, body := postForm(t, p, p.TokenURL(), url.Values{"code": {strings.Repeat("x", 1<<20)}}, "", "")
		wantJSONError(t, resp, body, "invalid_request", 413)
	})
	t.Run("Bearer instead of Basic", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader("grant_type=authorization_code&code=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer abc")
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_client", 401)
	})
}

// TestRejectedRequestsLoseNothing: a code or refresh token presented wrongly
// stays usable by its rightful client.
func TestRejectedRequestsLoseNothing(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "other", Secret: "other-secret"}))
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	other := oauthConfig(p)
	other.ClientID, other.ClientSecret = "other", "other-secret"
	verifier := oauth2.GenerateVerifier()
	code := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))

	_, err := other.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = cfg.Exchange(ctx, code) // PKCE downgrade: no verifier
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption("short"))
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantRetrieveError(t, err, "invalid_grant", 400)
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("the code was lost to rejected attempts: %v", err)
	}

	_, err = refreshOnce(ctx, other, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = refreshWith(ctx, p, cfg, tok.RefreshToken, "openid admin")
	wantRetrieveError(t, err, "invalid_scope", 400)
	if _, err := refreshOnce(ctx, cfg, tok.RefreshToken); err != nil {
		t.Fatalf("the refresh token was lost to rejected attempts: %v", err)
	}
}

// refreshWith refreshes with an explicit scope parameter.
func refreshWith(ctx interface{ Value(any) any }, p *oauthtest.Provider, cfg *oauth2.Config, refresh, scope string) (map[string]any, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "scope": {scope}}
	resp, err := p.HTTPClient().PostForm(p.TokenURL(), withClient(form, cfg))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return decodeTokenResponse(resp)
}

func TestCodeExpires(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	p.FastForward(oauthtest.DefaultCodeLifetime)
	_, err := cfg.Exchange(clientContext(p), code)
	re := wantRetrieveError(t, err, "invalid_grant", 400)
	if !strings.Contains(re.ErrorDescription, "expired") {
		t.Errorf("description %q does not say the code expired", re.ErrorDescription)
	}
}

func TestCodeReplayRevokesTokens(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	code := authorizeCode(t, p, cfg)
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Exchange(ctx, code)
	wantRetrieveError(t, err, "invalid_grant", 400)
	resp, _ := userinfo(t, p, tok.AccessToken)
	if resp.StatusCode != 401 {
		t.Errorf("userinfo with a revoked access token: %d", resp.StatusCode)
	}
	_, err = refreshOnce(ctx, cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	first := issuedTokens(t, p)
	second, err := refreshOnce(ctx, cfg, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = refreshOnce(ctx, cfg, first.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = refreshOnce(ctx, cfg, second.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	if resp, _ := userinfo(t, p, second.AccessToken); resp.StatusCode != 401 {
		t.Errorf("userinfo after family revocation: %d", resp.StatusCode)
	}
}

func TestRefreshNarrowsScope(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	tok := issuedTokens(t, p)
	body, err := refreshWith(clientContext(p), p, cfg, tok.RefreshToken, "email")
	if err != nil {
		t.Fatal(err)
	}
	if body["scope"] != "email" || body["id_token"] != nil {
		t.Errorf("narrowed refresh %v", body)
	}
	// The new refresh token keeps the whole grant (RFC 6749 §6).
	body, err = refreshWith(clientContext(p), p, cfg, body["refresh_token"].(string), "openid email")
	if err != nil {
		t.Fatal(err)
	}
	if body["scope"] != "openid email" || body["id_token"] == nil {
		t.Errorf("refresh back to the granted scope %v", body)
	}
}

func TestRefreshTokenExpires(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithRefreshTokenLifetime(2*time.Hour))
	cfg := oauthConfig(p)
	tok := issuedTokens(t, p)
	p.FastForward(2 * time.Hour)
	_, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
}

// TestAccessTokenIsNotARefreshToken: tokens are never confusable.
func TestAccessTokenIsNotARefreshToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	tok := issuedTokens(t, p)
	for _, fake := range []string{tok.AccessToken, tok.Extra("id_token").(string)} {
		_, err := refreshOnce(ctx, cfg, fake)
		wantRetrieveError(t, err, "invalid_grant", 400)
	}
}
