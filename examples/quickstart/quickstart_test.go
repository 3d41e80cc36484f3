package myapp_test

import (
	"context"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestLogin(t *testing.T) {
	p := oauthtest.NewTestProvider(t) // started now, closed when the test ends
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())

	op, err := oidc.NewProvider(ctx, p.Issuer()) // discovery works
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{
		ClientID:     p.ClientID(),
		ClientSecret: p.ClientSecret(),
		Endpoint:     op.Endpoint(),
		RedirectURL:  "http://127.0.0.1:8080/callback", // any loopback URI, for the default client
		Scopes:       []string{oidc.ScopeOpenID, "email"},
	}
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // one request per token call (auto-detect retries a failure)

	// The browser's part: the provider approves at once and redirects back.
	callback, err := p.Browser().Visit(cfg.AuthCodeURL("state", oidc.Nonce("nonce")))
	if err != nil || callback.Error != "" {
		t.Fatal(err, callback.Error, callback.ErrorDescription) // the provider says why
	}

	// Your app's part.
	tok, err := cfg.Exchange(ctx, callback.Code)
	if err != nil {
		t.Fatal(err)
	}
	idToken, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if idToken.Subject != "test-user" || callback.State != "state" {
		t.Errorf("logged in as %q, state %q", idToken.Subject, callback.State)
	}
}
