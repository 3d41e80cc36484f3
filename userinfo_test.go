package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// issuedTokens runs a flow for scopes and returns the token response.
func issuedTokens(t *testing.T, p *oauthtest.Provider, scopes ...string) *oauth2.Token {
	t.Helper()
	cfg := oauthConfig(p, scopes...)
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestUserinfoErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	other := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	for _, tc := range []struct {
		name   string
		token  string
		code   string
		status int
	}{
		{"garbage", "not-a-token", "invalid_token", 401},
		{"refresh token", tok.RefreshToken, "invalid_token", 401},
		{"ID token", tok.Extra("id_token").(string), "invalid_token", 401},
		{"another provider's token", issuedTokens(t, other).AccessToken, "invalid_token", 401},
		{"tampered token", tok.AccessToken[:len(tok.AccessToken)-4] + "AAAA", "invalid_token", 401},
		{"no openid scope", issuedTokens(t, p, "email").AccessToken, "insufficient_scope", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := userinfo(t, p, tc.token)
			wantJSONError(t, resp, body, tc.code, tc.status)
			if h := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, `error="`+tc.code+`"`) {
				t.Errorf("WWW-Authenticate %q", h)
			}
		})
	}
	t.Run("no token", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
		resp, _ := do(t, p, req)
		if h := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != 401 || h != `Bearer realm="oauthtest"` {
			t.Errorf("status %d, WWW-Authenticate %q; want 401 and a challenge without error (RFC 6750 §3.1)", resp.StatusCode, h)
		}
	})
	t.Run("Basic scheme", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
		req.SetBasicAuth("a", "b")
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_token", 401)
	})
	t.Run("token in header and body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, p.UserinfoURL(), strings.NewReader(url.Values{"access_token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_request", 400)
	})
	t.Run("wrong method", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, p.UserinfoURL(), nil)
		resp, body := do(t, p, req)
		wantJSONError(t, resp, body, "invalid_request", 405)
	})
}

func TestUserinfoClaimsFollowScopes(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUser(oauthtest.User{
		Subject: "alice",
		Claims:  map[string]any{"email": "alice@example.com", "name": "Alice", "roles": []string{"admin"}},
	}))
	t.Run("openid only", func(t *testing.T) {
		_, body := userinfo(t, p, issuedTokens(t, p, "openid").AccessToken)
		if body["sub"] != "alice" || body["email"] != nil || body["name"] != nil || body["roles"] == nil {
			t.Errorf("userinfo %v: want sub and the custom roles only", body)
		}
	})
	t.Run("openid email", func(t *testing.T) {
		_, body := userinfo(t, p, issuedTokens(t, p, "openid", "email").AccessToken)
		if body["email"] != "alice@example.com" || body["name"] != nil {
			t.Errorf("userinfo %v: want email, not name", body)
		}
	})
	t.Run("form body", func(t *testing.T) {
		tok := issuedTokens(t, p, "openid", "profile")
		req, _ := http.NewRequest(http.MethodPost, p.UserinfoURL(), strings.NewReader(url.Values{"access_token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := do(t, p, req)
		if resp.StatusCode != 200 || body["name"] != "Alice" {
			t.Errorf("status %d userinfo %v", resp.StatusCode, body)
		}
	})
}
