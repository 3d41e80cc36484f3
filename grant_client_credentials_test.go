package oauthtest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// serviceClient may use client credentials, with scopes of its own.
var serviceClient = oauthtest.Client{ID: "svc", Secret: "svc-secret", GrantTypes: []string{oauthtest.GrantClientCredentials},
	Scopes: []string{"openid", "orders:read", "orders:write"}}

// accessClaims verifies an access token of a provider that signs with
// InsecureTestKey and returns its claims.
func accessClaims(t *testing.T, p *oauthtest.Provider, raw string) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil },
		jwt.WithIssuer(p.Issuer()), jwt.WithTimeFunc(p.Now)); err != nil {
		t.Fatalf("access token: %v", err)
	}
	return claims
}

// TestClientCredentials through golang.org/x/oauth2/clientcredentials: the
// token is the client's own, for the audience asked, with no refresh or ID
// token; claim hooks see the grant.
func TestClientCredentials(t *testing.T) {
	t.Parallel()
	var hookGrant string
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(serviceClient),
		oauthtest.WithAccessTokenClaims(func(tc oauthtest.TokenContext, claims map[string]any) { hookGrant = tc.GrantType }))
	ctx := clientContext(p)
	cfg := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret", TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	claims := accessClaims(t, p, tok.AccessToken)
	if claims["sub"] != "svc" || claims["aud"] != "svc" || claims["client_id"] != "svc" || claims["scope"] != "orders:read orders:write" || claims["auth_time"] != nil {
		t.Errorf("claims %v", claims)
	}
	if tok.RefreshToken != "" || tok.Extra("id_token") != nil || hookGrant != oauthtest.GrantClientCredentials {
		t.Errorf("refresh %q, id_token %v, hook saw %q", tok.RefreshToken, tok.Extra("id_token"), hookGrant)
	}
	cfg.Scopes = []string{"orders:read"}
	cfg.EndpointParams = url.Values{"resource": {"https://api.example/orders", "https://api.example/stock"}}
	tok, err = cfg.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if claims := accessClaims(t, p, tok.AccessToken); claims["scope"] != "orders:read" || len(claims["aud"].([]any)) != 2 {
		t.Errorf("with scope and two resources: %v", claims)
	}
	if got := introspect(t, p, tok.AccessToken); got["sub"] != "svc" || got["active"] != true {
		t.Errorf("introspection %v", got)
	}
	if infos := p.Tokens(); len(infos) != 2 || infos[0].GrantType != oauthtest.GrantClientCredentials || infos[0].Subject != "svc" {
		t.Errorf("tokens %+v", infos)
	}
}

// TestClientCredentialsErrors: each refusal with its RFC code.
func TestClientCredentialsErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(serviceClient), oauthtest.WithClient(exactClient))
	for _, tc := range []struct {
		name       string
		user, pass string
		form       url.Values
		code       string
		status     int
		want       string
	}{
		{"not allowed the grant", exactClient.ID, exactClient.Secret, url.Values{}, "unauthorized_client", 400, `may not use grant_type "client_credentials"; its grant_types: authorization_code, refresh_token`},
		{"wrong secret", "svc", "wrong", url.Values{}, "invalid_client", 401, "client_secret does not match"},
		{"openid", "svc", "svc-secret", url.Values{"scope": {"openid"}}, "invalid_scope", 400, "concerns a user"},
		{"scope not allowed", "svc", "svc-secret", url.Values{"scope": {"admin"}}, "invalid_scope", 400, `scope "admin" is not allowed`},
		{"relative resource", "svc", "svc-secret", url.Values{"resource": {"/orders"}}, "invalid_target", 400, "not an absolute URI"},
	} {
		tc.form.Set("grant_type", oauthtest.GrantClientCredentials)
		resp, body := postForm(t, p, p.TokenURL(), tc.form, tc.user, tc.pass)
		wantJSONError(t, resp, body, tc.code, tc.status)
		if d, _ := body["error_description"].(string); !strings.Contains(d, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, d, tc.want)
		}
	}
}
