package oauthtest_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
)

// inBubble runs f inside a synctest bubble with a provider served in
// memory: time is fake, and every clock (the provider's, x/oauth2's,
// go-oidc's) reads it.
func inBubble(t *testing.T, f func(t *testing.T, p *oauthtest.Provider, op *oidc.Provider), opts ...oauthtest.Option) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		p := oauthtest.NewTestProvider(t, append(opts, oauthtest.WithInMemoryTransport())...)
		op, err := oidc.NewProvider(clientContext(p), p.Issuer())
		if err != nil {
			t.Fatal(err)
		}
		f(t, p, op)
	})
}

// TestSynctestExpiryAndRefresh: an hour passes by time.Sleep in no real
// time; the ID token is then expired for go-oidc, the access token for
// userinfo, and a TokenSource refreshes.
func TestSynctestExpiryAndRefresh(t *testing.T) {
	inBubble(t, func(t *testing.T, p *oauthtest.Provider, op *oidc.Provider) {
		ctx := clientContext(p)
		cfg := oauthConfig(p)
		tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg))
		if err != nil {
			t.Fatal(err)
		}
		verifier := op.Verifier(&oidc.Config{ClientID: cfg.ClientID}) // time.Now: the bubble's
		raw := tok.Extra("id_token").(string)
		if _, err := verifier.Verify(ctx, raw); err != nil {
			t.Fatal(err)
		}
		ts := cfg.TokenSource(ctx, tok)
		time.Sleep(61 * time.Minute)
		var expired *oidc.TokenExpiredError
		if _, err := verifier.Verify(ctx, raw); !errors.As(err, &expired) {
			t.Errorf("the ID token after 61 minutes: %v, want *oidc.TokenExpiredError", err)
		}
		if resp, body := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 || body["error"] != "invalid_token" {
			t.Errorf("userinfo after 61 minutes: HTTP %d %v", resp.StatusCode, body)
		}
		fresh, err := ts.Token()
		if err != nil {
			t.Fatal(err)
		}
		if fresh.AccessToken == tok.AccessToken || !p.CheckRequests(t, oauthtest.EndpointRefresh, 1) {
			t.Error("the token source did not refresh")
		}
		if _, err := verifier.Verify(ctx, fresh.Extra("id_token").(string)); err != nil {
			t.Errorf("the refreshed ID token: %v", err)
		}
	})
}

// TestSynctestKeyRotation: a verifier that cached the JWKS verifies a token
// signed after a rotation, by fetching the keys again for the new kid.
func TestSynctestKeyRotation(t *testing.T) {
	inBubble(t, func(t *testing.T, p *oauthtest.Provider, op *oidc.Provider) {
		ctx := clientContext(p)
		verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID()})
		if _, err := verifier.Verify(ctx, issuedTokens(t, p).Extra("id_token").(string)); err != nil {
			t.Fatal(err)
		}
		p.RotateKey()
		time.Sleep(time.Minute)
		if _, err := verifier.Verify(ctx, issuedTokens(t, p).Extra("id_token").(string)); err != nil {
			t.Errorf("a token signed after the rotation: %v", err)
		}
	})
}

// TestSynctestLatency: a fault's latency passes in fake time.
func TestSynctestLatency(t *testing.T) {
	inBubble(t, func(t *testing.T, p *oauthtest.Provider, op *oidc.Provider) {
		cfg := oauthConfig(p)
		code := authorizeCode(t, p, cfg)
		p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultLatency(30*time.Second))
		start := time.Now()
		if _, err := cfg.Exchange(clientContext(p), code); err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != 30*time.Second {
			t.Errorf("the exchange took %v of bubble time, want 30s", waited)
		}
	})
}
