package oauthtest_test

// The Go code of docs/*.md is copied from these tests (each block names
// its function in a <!-- from ... --> marker, and TestDocsCodeBlocks checks
// the copy), so every snippet compiles and runs.

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

func TestDocsConfiguration(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{
			ID: "web", Secret: "s3cret",
			RedirectURIs: []string{"https://app.example/callback"}, // exact match
			Scopes:       []string{"openid", "email", "orders:read"},
			AuthMethods:  []string{oauthtest.AuthMethodBasic},
		}),
		oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true}), // PKCE required
		oauthtest.WithUser(oauthtest.User{
			Subject: "ada",
			Claims:  map[string]any{"name": "Ada Lovelace", "email": "ada@example.com", "roles": []string{"admin"}},
		}),
		oauthtest.WithAccessTokenLifetime(5*time.Minute),
	)
	var ids []string
	for _, c := range p.Clients() {
		ids = append(ids, c.ID)
	}
	if got := strings.Join(ids, " "); got != "oauthtest-client spa web" || p.Users().Current.Subject != "ada" {
		t.Errorf("clients %q, user %q", got, p.Users().Current.Subject)
	}
	if tok := issuedTokens(t, p); time.Until(tok.Expiry) > 5*time.Minute {
		t.Errorf("the access token expires at %v, more than 5 minutes away", tok.Expiry)
	}
}

func TestDocsFaults(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable)) // 503 JSON
	p.FailNext(oauthtest.EndpointAuthorize, 1, oauthtest.FaultError(oauthtest.ErrServerError))        // redirect with error and state
	p.Fail(oauthtest.EndpointJWKS, oauthtest.FaultStatus(502))                                        // HTML 502 until p.ClearFaults()
	p.FailNext(oauthtest.EndpointRefresh, 1, oauthtest.FaultStatus(504).After(2*time.Second))         // slow, then a gateway timeout
	p.TakeDown()                                                                                      // every connection dropped, as if the provider crashed; p.BringUp() to recover
	if _, err := p.HTTPClient().Get(p.JWKSURL()); err == nil {
		t.Error("a provider taken down answered")
	}
	p.BringUp()
	resp, err := p.HTTPClient().Get(p.JWKSURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("JWKS: HTTP %d, want 502", resp.StatusCode)
	}
}

func TestDocsMint(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})
	_, expired := verifier.Verify(ctx, p.MintIDToken(oauthtest.Expired()))             // *oidc.TokenExpiredError
	_, wrongAudience := verifier.Verify(ctx, p.MintIDToken(oauthtest.WrongAudience())) // "expected audience"
	tok := p.MintIDToken(oauthtest.SetClaims(map[string]any{"nonce": "n", "email": "x@example.com"}))
	if te := (*oidc.TokenExpiredError)(nil); !errors.As(expired, &te) {
		t.Errorf("an expired token: %v", expired)
	}
	if wrongAudience == nil || !strings.Contains(wrongAudience.Error(), "expected audience") {
		t.Errorf("a token for another audience: %v", wrongAudience)
	}
	idt, err := verifier.Verify(ctx, tok)
	if err != nil || idt.Nonce != "n" {
		t.Errorf("a token with chosen claims: %v %v", idt, err)
	}
}

func TestDocsObserve(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg, ctx := oauthConfig(p), clientContext(p)
	verifier := oauth2.GenerateVerifier()
	code := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refreshOnce(ctx, cfg, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	p.CheckRequests(t, oauthtest.EndpointRefresh, 1) // the app refreshed exactly once
	p.CheckAuthMethod(t, oauthtest.AuthMethodBasic)  // every token request used client_secret_basic
	p.CheckPKCE(t, oauthtest.PKCES256)               // every authorization request used S256
	t.Log(p.Dump())                                  // clients, users, codes, tokens, faults, keys, requests
}

func TestDocsQueueUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg, ctx := oauthConfig(p), clientContext(p)
	if err := p.QueueUser(oauthtest.User{Subject: "ada", Claims: map[string]any{"roles": []string{"admin"}}}); err != nil {
		t.Fatal(err) // a user without a Subject, or with a claim the provider sets
	}
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if sub := subjectOf(t, tok.AccessToken); sub != "ada" {
		t.Errorf("logged in as %q, want ada", sub)
	}
	p.RevokeUser("ada")
	_, err = refreshOnce(ctx, cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
}

// subjectOf reads the sub of a JWT without verifying it.
func subjectOf(t *testing.T, token string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	sub, _ := claims["sub"].(string)
	return sub
}

func TestDocsTime(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})
	tok := issuedTokens(t, p, "openid")
	if _, err := verifier.Verify(ctx, tok.Extra("id_token").(string)); err != nil {
		t.Fatalf("a fresh ID token: %v", err)
	}
	p.FastForward(61 * time.Minute) // the ID token is now expired for go-oidc, the access token for userinfo
	if _, err := verifier.Verify(ctx, tok.Extra("id_token").(string)); err == nil {
		t.Error("go-oidc accepted an ID token expired by the provider's clock")
	}
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("userinfo with an expired access token: HTTP %d", resp.StatusCode)
	}
}

func TestSessionExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport())
		tok := issuedTokens(t, p, "openid")
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != http.StatusOK {
			t.Fatalf("userinfo: HTTP %d", resp.StatusCode)
		}
		time.Sleep(61 * time.Minute)
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo an hour later: HTTP %d, want 401", resp.StatusCode)
		}
		if !tok.Expiry.Before(time.Now()) {
			t.Error("x/oauth2 does not see the token expired")
		}
	})
}
