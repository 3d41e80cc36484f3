package oauthtest_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestCodeFlowWithRealClients runs the whole flow a web app runs: discovery,
// authorize, exchange with each auth style, ID token verification with a
// nonce, userinfo.
func TestCodeFlowWithRealClients(t *testing.T) {
	t.Parallel()
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"header", oauth2.AuthStyleInHeader}, {"params", oauth2.AuthStyleInParams}, {"autodetect", oauth2.AuthStyleAutoDetect}} {
		t.Run(style.name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t)
			ctx := clientContext(p)
			op, err := oidc.NewProvider(ctx, p.Issuer())
			if err != nil {
				t.Fatal(err)
			}
			cfg := oauthConfig(p)
			cfg.Endpoint = op.Endpoint()
			cfg.Endpoint.AuthStyle = style.style

			code := authorizeCode(t, p, cfg, oidc.Nonce("n-123"))
			tok, err := cfg.Exchange(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			rawID, _ := tok.Extra("id_token").(string)
			idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, rawID)
			if err != nil {
				t.Fatal(err)
			}
			if idt.Nonce != "n-123" || idt.Subject != oauthtest.DefaultUser().Subject {
				t.Errorf("ID token nonce %q sub %q", idt.Nonce, idt.Subject)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var claims struct {
				Email string `json:"email"`
				Name  string `json:"name"`
			}
			if err := idt.Claims(&claims); err != nil || claims.Email != "test.user@example.com" || claims.Name != "Test User" {
				t.Errorf("ID token claims %+v, %v", claims, err)
			}
			ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatal(err)
			}
			if ui.Subject != oauthtest.DefaultUser().Subject || ui.Email != "test.user@example.com" || !ui.EmailVerified {
				t.Errorf("userinfo %+v", ui)
			}
		})
	}
}

// TestTokenResponseShape checks RFC 6749 §5.1: expires_in in seconds,
// Bearer, scope, refresh token, no caching.
func TestTokenResponseShape(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	resp, body := postForm(t, p, p.TokenURL(), map[string][]string{
		"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, cfg)}, "redirect_uri": {redirectURI},
	}, cfg.ClientID, cfg.ClientSecret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %v", resp.StatusCode, body)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) || body["scope"] != "openid profile email" {
		t.Errorf("token response %v", body)
	}
	for _, k := range []string{"access_token", "refresh_token", "id_token"} {
		if s, _ := body[k].(string); s == "" {
			t.Errorf("%s missing", k)
		}
	}
}

// TestPKCEPublicClient runs a public client with S256 PKCE.
func TestPKCEPublicClient(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}}))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "spa", ""
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client sends client_id in the body
	ctx := clientContext(p)
	verifier := oauth2.GenerateVerifier()
	code := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))
	if _, err := cfg.Exchange(ctx, code, oauth2.VerifierOption("wrong"+verifier[5:])); err == nil {
		t.Fatal("a wrong verifier was accepted")
	}
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("token %+v", tok)
	}
}

// TestPKCEPlainDefault: without code_challenge_method the method is plain.
func TestPKCEPlainDefault(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	verifier := oauth2.GenerateVerifier()
	code := authorizeCode(t, p, cfg, oauth2.SetAuthURLParam("code_challenge", verifier))
	if _, err := cfg.Exchange(clientContext(p), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
}

// TestTokenSourceRefreshes: an expired access token is refreshed by the
// TokenSource, with a rotated refresh token and a new ID token.
func TestTokenSourceRefreshes(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	tok := issuedTokens(t, p)
	p.FastForward(61 * time.Minute)
	tok.Expiry = time.Now().Add(-time.Minute) // oauth2 judges expiry by its own clock
	next, err := cfg.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if next.AccessToken == tok.AccessToken || next.RefreshToken == tok.RefreshToken {
		t.Error("refresh did not issue new tokens")
	}
	if id, _ := next.Extra("id_token").(string); id == "" {
		t.Error("refresh with openid returned no id_token")
	}
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, next.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idt.Nonce != "" {
		t.Errorf("refreshed ID token has nonce %q (OIDC Core §12.2)", idt.Nonce)
	}
	// The rotated-out token is dead.
	_, err = refreshOnce(ctx, cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", http.StatusBadRequest)
}

// TestExpiredAccessTokenAtUserinfo: after the hour, go-oidc sees an expired
// ID token and userinfo refuses the access token.
func TestExpiredTokens(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	tok := issuedTokens(t, p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	p.FastForward(61 * time.Minute)
	_, err = op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
	var expired *oidc.TokenExpiredError
	if !errors.As(err, &expired) {
		t.Errorf("Verify after 61 minutes: %v, want *oidc.TokenExpiredError", err)
	}
	if _, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted an expired access token")
	}
}
