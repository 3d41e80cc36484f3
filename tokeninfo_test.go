package oauthtest_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
)

// TestTokeninfo: a client library that asks the provider reads a token's
// audience, scope, expiry, subject and email, by GET or POST.
func TestTokeninfo(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	tok := issuedTokens(t, p, "openid", "email")
	get := func(q url.Values) (*http.Response, map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, p.Issuer()+oauthtest.TokeninfoPath+"?"+q.Encode(), nil)
		return do(t, p, req)
	}
	resp, info := get(url.Values{"access_token": {tok.AccessToken}})
	if resp.StatusCode != 200 || info["aud"] != p.ClientID() || info["client_id"] != p.ClientID() || info["sub"] != "test-user" ||
		info["scope"] != "openid email" || info["email"] != "test.user@example.com" || info["expires_in"] != float64(3600) ||
		info["exp"] != float64(time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC).Unix()) || info["token_type"] != "access_token" {
		t.Errorf("access token: HTTP %d %v", resp.StatusCode, info)
	}
	resp, info = postForm(t, p, p.Issuer()+oauthtest.TokeninfoPath, url.Values{"id_token": {tok.Extra("id_token").(string)}}, "", "")
	if resp.StatusCode != 200 || info["sub"] != "test-user" || info["token_type"] != "id_token" || info["client_id"] != p.ClientID() {
		t.Errorf("ID token: HTTP %d %v", resp.StatusCode, info)
	}
	for name, q := range map[string]url.Values{
		"garbage": {"access_token": {"x"}}, "expired": {"access_token": {p.MintAccessToken(oauthtest.Expired())}},
		"foreign": {"id_token": {p.MintIDToken(oauthtest.ForeignKey())}}, "ID token as access token": {"access_token": {tok.Extra("id_token").(string)}},
	} {
		resp, body := get(q)
		wantJSONError(t, resp, body, "invalid_token", 400)
		_ = name
	}
	resp, body := get(url.Values{})
	wantJSONError(t, resp, body, "invalid_request", 400)
	p.RevokeToken(tok.AccessToken)
	resp, body = get(url.Values{"access_token": {tok.AccessToken}})
	wantJSONError(t, resp, body, "invalid_token", 400)
}

// TestRS256AlwaysListed: an EdDSA provider lists RS256 too (OIDC Discovery
// §3), publishes an RS256 key, and signs RS256 for a client registered for
// it; go-oidc verifies both clients' ID tokens through discovery.
func TestRS256AlwaysListed(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(oauthtest.EdDSA),
		oauthtest.WithClient(oauthtest.Client{ID: "legacy", Secret: "s", SigningAlg: oauthtest.RS256}))
	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Algs []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := op.Claims(&meta); err != nil || len(meta.Algs) != 2 || meta.Algs[0] != "EdDSA" || meta.Algs[1] != "RS256" {
		t.Errorf("algorithms %v (%v)", meta.Algs, err)
	}
	for _, id := range []string{p.ClientID(), "legacy"} {
		raw := p.ForClient(id).MintIDToken()
		idt, err := op.Verifier(&oidc.Config{ClientID: id, Now: p.Now}).Verify(ctx, raw)
		if err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		if alg := strings.Split(raw, ".")[0]; (id == "legacy") != strings.Contains(string(must(base64.RawURLEncoding.DecodeString(alg))), "RS256") {
			t.Errorf("%s's token header %s", idt.Audience, must(base64.RawURLEncoding.DecodeString(alg)))
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
