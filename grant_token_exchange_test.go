package oauthtest_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// gatewayClient exchanges the tokens the default client's users send it
// for tokens to call APIs.
var gatewayClient = oauthtest.Client{ID: "gateway", Secret: "gw-secret", GrantTypes: []string{oauthtest.GrantTokenExchange},
	ExchangeFrom: []string{oauthtest.DefaultClientID}}

func exchange(t *testing.T, p *oauthtest.Provider, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", oauthtest.GrantTokenExchange)
	resp, body := postForm(t, p, p.TokenURL(), form, "gateway", "gw-secret")
	return resp.StatusCode, body
}

// TestTokenExchange (RFC 8693): the new token is about the subject's user,
// for the audience asked, with narrowed scopes and the actor in act.
func TestTokenExchange(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(gatewayClient))
	user := issuedTokens(t, p, "openid", "profile", "email")
	status, body := exchange(t, p, url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {oauthtest.TokenTypeAccessToken},
		"audience": {"https://orders.example"}, "scope": {"openid email"}})
	if status != 200 || body["issued_token_type"] != oauthtest.TokenTypeAccessToken || body["token_type"] != "Bearer" || body["refresh_token"] != nil {
		t.Fatalf("HTTP %d %v", status, body)
	}
	claims := accessClaims(t, p, body["access_token"].(string))
	if claims["sub"] != "test-user" || claims["aud"] != "https://orders.example" || claims["client_id"] != "gateway" || claims["scope"] != "openid email" || claims["act"] != nil {
		t.Errorf("claims %v", claims)
	}
	// An actor: the gateway acting for the user, with a token of its own.
	actor := p.ForClient("gateway").MintAccessToken(oauthtest.AsUser(oauthtest.User{Subject: "gateway-service"}))
	status, body = exchange(t, p, url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {oauthtest.TokenTypeAccessToken},
		"actor_token": {actor}, "actor_token_type": {oauthtest.TokenTypeAccessToken}})
	if status != 200 {
		t.Fatalf("with an actor: HTTP %d %v", status, body)
	}
	chained := body["access_token"].(string)
	if act, _ := accessClaims(t, p, chained)["act"].(map[string]any); act["sub"] != "gateway-service" {
		t.Errorf("act %v", act)
	}
	// Exchanging that token again nests the acts (RFC 8693 §4.1).
	status, body = exchange(t, p, url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {oauthtest.TokenTypeAccessToken},
		"actor_token": {chained}, "actor_token_type": {oauthtest.TokenTypeAccessToken}})
	if act, _ := accessClaims(t, p, body["access_token"].(string))["act"].(map[string]any); status != 200 || act["sub"] != "test-user" || act["act"].(map[string]any)["sub"] != "gateway-service" {
		t.Errorf("nested act: HTTP %d %v", status, act)
	}
	// An ID token is a subject too.
	status, body = exchange(t, p, url.Values{"subject_token": {user.Extra("id_token").(string)}, "subject_token_type": {oauthtest.TokenTypeIDToken}})
	if status != 200 || accessClaims(t, p, body["access_token"].(string))["sub"] != "test-user" {
		t.Errorf("an ID token subject: HTTP %d %v", status, body)
	}
	if tokens := p.Tokens(); tokens[len(tokens)-1].GrantType != oauthtest.GrantTokenExchange {
		t.Errorf("the last token's grant: %+v", tokens[len(tokens)-1])
	}
}

// TestTokenExchangeErrors: foreign, expired and revoked subject tokens are
// invalid_request (RFC 8693 §2.2.2); widening the scope is invalid_scope.
func TestTokenExchangeErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(gatewayClient), oauthtest.WithClient(exactClient))
	user := issuedTokens(t, p, "openid", "email")
	revoked := issuedTokens(t, p)
	p.RevokeToken(revoked.AccessToken)
	at := oauthtest.TokenTypeAccessToken
	for _, tc := range []struct {
		name string
		form url.Values
		code string
		want string
	}{
		{"no subject_token_type", url.Values{"subject_token": {user.AccessToken}}, "invalid_request", "subject_token_type is missing"},
		{"unsupported type", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {"urn:ietf:params:oauth:token-type:saml2"}}, "invalid_request", "is not supported"},
		{"foreign", url.Values{"subject_token": {p.MintAccessToken(oauthtest.ForeignKey())}, "subject_token_type": {at}}, "invalid_request", "not a valid access token"},
		{"expired", url.Values{"subject_token": {p.MintAccessToken(oauthtest.Expired())}, "subject_token_type": {at}}, "invalid_request", "expired"},
		{"revoked", url.Values{"subject_token": {revoked.AccessToken}, "subject_token_type": {at}}, "invalid_request", "revoked"},
		{"ID token as access token", url.Values{"subject_token": {user.Extra("id_token").(string)}, "subject_token_type": {at}}, "invalid_request", "not a valid access token"},
		{"widened scope", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}, "scope": {"openid profile"}}, "invalid_scope", `scope "profile" was not granted`},
		{"refresh token asked", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}, "requested_token_type": {"urn:ietf:params:oauth:token-type:refresh_token"}}, "invalid_request", "requested_token_type"},
		{"actor type without actor", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}, "actor_token_type": {at}}, "invalid_request", "without actor_token"},
		{"bad actor", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}, "actor_token": {"x"}, "actor_token_type": {at}}, "invalid_request", "actor_token is not a valid"},
		{"bad resource", url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}, "resource": {"orders"}}, "invalid_target", "absolute URI"},
	} {
		status, body := exchange(t, p, tc.form)
		if d, _ := body["error_description"].(string); status != 400 || body["error"] != tc.code || !strings.Contains(d, tc.want) {
			t.Errorf("%s: HTTP %d %v, want %s with %q", tc.name, status, body, tc.code, tc.want)
		}
	}
	// A client configured without the grant may not exchange tokens.
	form := url.Values{"grant_type": {oauthtest.GrantTokenExchange}, "subject_token": {user.AccessToken}, "subject_token_type": {at}}
	resp, body := postForm(t, p, p.TokenURL(), form, exactClient.ID, exactClient.Secret)
	wantJSONError(t, resp, body, "unauthorized_client", 400)
	p.FastForward(2 * time.Hour)
	if status, body := exchange(t, p, url.Values{"subject_token": {user.AccessToken}, "subject_token_type": {at}}); status != 400 || body["error"] != "invalid_request" {
		t.Errorf("a subject expired by the provider's clock: HTTP %d %v", status, body)
	}
}
