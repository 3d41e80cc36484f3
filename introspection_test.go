package oauthtest_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// introspect asks about tok as the default client.
func introspect(t *testing.T, p *oauthtest.Provider, tok string) map[string]any {
	t.Helper()
	resp, body := postForm(t, p, p.IntrospectionURL(), url.Values{"token": {tok}}, p.ClientID(), p.ClientSecret())
	if resp.StatusCode != 200 {
		t.Fatalf("introspection: HTTP %d %v", resp.StatusCode, body)
	}
	return body
}

func TestIntrospection(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	tok := issuedTokens(t, p)
	got := introspect(t, p, tok.AccessToken)
	if got["active"] != true || got["scope"] != "openid profile email" || got["client_id"] != p.ClientID() || got["sub"] != "test-user" ||
		got["token_type"] != "Bearer" || got["iss"] != p.Issuer() || got["username"] != "test.user" ||
		got["exp"] != float64(time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC).Unix()) || got["jti"] == nil {
		t.Errorf("access token: %v", got)
	}
	if got := introspect(t, p, tok.RefreshToken); got["active"] != true || got["token_type"] != "refresh_token" {
		t.Errorf("refresh token: %v", got)
	}
	for name, raw := range map[string]string{"garbage": "x", "ID token": tok.Extra("id_token").(string), "expired": p.MintAccessToken(oauthtest.Expired())} {
		if got := introspect(t, p, raw); len(got) != 1 || got["active"] != false {
			t.Errorf("%s: %v, want only active=false", name, got)
		}
	}
	p.FastForward(time.Hour)
	if got := introspect(t, p, tok.AccessToken); got["active"] != false {
		t.Errorf("after an hour by the provider's clock: %v", got)
	}
	if _, err := refreshOnce(clientContext(p), oauthConfig(p), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if got := introspect(t, p, tok.RefreshToken); got["active"] != false {
		t.Errorf("a rotated refresh token: %v", got)
	}
}

func TestIntrospectionErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	resp, body := postForm(t, p, p.IntrospectionURL(), url.Values{}, p.ClientID(), p.ClientSecret())
	wantJSONError(t, resp, body, "invalid_request", 400)
	resp, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {"x"}}, "", "")
	wantJSONError(t, resp, body, "invalid_client", 401)
	resp, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {"x"}}, p.ClientID(), "wrong")
	wantJSONError(t, resp, body, "invalid_client", 401)
	req, _ := http.NewRequest(http.MethodGet, p.IntrospectionURL(), nil)
	resp, body = do(t, p, req)
	wantJSONError(t, resp, body, "invalid_request", 405)
	p.FailNext(oauthtest.EndpointIntrospection, 1, oauthtest.FaultError(oauthtest.ErrServerError))
	resp, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {"x"}}, p.ClientID(), p.ClientSecret())
	wantJSONError(t, resp, body, "server_error", 500)
}

// revoke posts a revocation as cred's client.
func revoke(t *testing.T, p *oauthtest.Provider, tok, id, secret string) (*http.Response, map[string]any) {
	t.Helper()
	return postForm(t, p, p.RevocationURL(), url.Values{"token": {tok}}, id, secret)
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "other", Secret: "s"}))
	cfg := oauthConfig(p)
	t.Run("access token", func(t *testing.T) {
		tok := issuedTokens(t, p)
		if resp, _ := revoke(t, p, tok.AccessToken, p.ClientID(), p.ClientSecret()); resp.StatusCode != 200 {
			t.Fatalf("HTTP %d", resp.StatusCode)
		}
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 {
			t.Errorf("userinfo after revocation: %d", resp.StatusCode)
		}
		if _, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken); err != nil {
			t.Errorf("revoking the access token killed the refresh token: %v", err)
		}
	})
	t.Run("refresh token revokes the grant", func(t *testing.T) {
		tok := issuedTokens(t, p)
		revoke(t, p, tok.RefreshToken, p.ClientID(), p.ClientSecret())
		_, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken)
		wantRetrieveError(t, err, "invalid_grant", 400)
		if got := introspect(t, p, tok.AccessToken); got["active"] != false {
			t.Errorf("the access token of the revoked grant: %v", got)
		}
	})
	t.Run("unknown token", func(t *testing.T) {
		if resp, _ := revoke(t, p, "never-issued", p.ClientID(), p.ClientSecret()); resp.StatusCode != 200 {
			t.Errorf("HTTP %d, want 200 (RFC 7009 §2.2)", resp.StatusCode)
		}
	})
	t.Run("another client's token", func(t *testing.T) {
		tok := issuedTokens(t, p)
		resp, body := revoke(t, p, tok.RefreshToken, "other", "s")
		wantJSONError(t, resp, body, "unauthorized_client", 400)
		if got := introspect(t, p, tok.RefreshToken); got["active"] != true {
			t.Error("the refused revocation revoked the token")
		}
	})
	t.Run("errors", func(t *testing.T) {
		resp, body := revoke(t, p, "", p.ClientID(), p.ClientSecret())
		wantJSONError(t, resp, body, "invalid_request", 400)
		resp, body = revoke(t, p, "x", p.ClientID(), "wrong")
		wantJSONError(t, resp, body, "invalid_client", 401)
	})
	if reqs := p.RequestsTo(oauthtest.EndpointRevocation); len(reqs) == 0 || reqs[0].AuthMethod != oauthtest.AuthMethodBasic {
		t.Errorf("observed revocations %+v", reqs)
	}
}

// TestIntrospectionRefusesPublicClients: a client without a secret cannot
// scan tokens, another client's or its own (RFC 7662 §2.1); a confidential
// client, such as a resource server, may introspect any client's token.
func TestIntrospectionRefusesPublicClients(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "pub", Public: true}),
		oauthtest.WithClient(oauthtest.Client{ID: "api", Secret: "api-secret"}))
	acme := issuedTokens(t, p).AccessToken
	resp, body := postForm(t, p, p.IntrospectionURL(), url.Values{"client_id": {"pub"}, "token": {acme}}, "", "")
	wantJSONError(t, resp, body, "invalid_client", 401)
	if body["active"] != nil || body["sub"] != nil {
		t.Errorf("a public client learned about a token: %v", body)
	}
	resp, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {acme}}, "api", "api-secret")
	if resp.StatusCode != 200 || body["active"] != true {
		t.Errorf("a resource server's introspection: HTTP %d %v", resp.StatusCode, body)
	}
}
