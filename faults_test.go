package oauthtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestAutoDetectRetriesAFailedExchange documents a trap: oauth2's default
// auth style detection sends a failed first exchange again, so one staged
// fault is used up and the retry succeeds.
func TestAutoDetectRetriesAFailedExchange(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleAutoDetect
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
		t.Errorf("the retry failed: %v", err)
	}
}

func TestFaultAtTokenEndpointKeepsTheCode(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	code := authorizeCode(t, p, cfg)
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable.WithDescription("maintenance")))
	_, err := cfg.Exchange(ctx, code)
	wantRetrieveError(t, err, "temporarily_unavailable", 503)
	if _, err := cfg.Exchange(ctx, code); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

func TestFaultAtAuthorizeIsRedirected(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	p.FailNext(oauthtest.EndpointAuthorize, 2, oauthtest.FaultError(oauthtest.ErrServerError.WithDescription("database down")))
	for range 2 {
		if code := authorizeError(t, p); code != "server_error" {
			t.Errorf("error %s, want server_error", code)
		}
	}
	authorizeCode(t, p, oauthConfig(p))
	// A fault never redirects to an unregistered URI.
	p.FailNext(oauthtest.EndpointAuthorize, 1, oauthtest.FaultError(oauthtest.ErrServerError))
	resp := visit(t, p, http.MethodGet, p.AuthURL()+"?client_id=oauthtest-client&redirect_uri=https://evil.example/cb&response_type=code&scope=openid", nil)
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestFaultUntilCleared(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	p.Fail(oauthtest.EndpointUserinfo, oauthtest.FaultStatus(http.StatusBadGateway))
	for range 3 {
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 502 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	p.ClearFaults()
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("after ClearFaults: HTTP %d", resp.StatusCode)
	}
}

// TestTransportFaults: what the client sees of each fault, and whether the
// code it sent survives. A fault that answers instead of the endpoint
// (error, status, drop) leaves the code usable; one that lets the endpoint
// answer (latency, content type, malformed JSON) lets it redeem the code,
// as README.md says, so sending it again is a replay.
func TestTransportFaults(t *testing.T) {
	t.Parallel()
	var re *oauth2.RetrieveError
	for _, tc := range []struct {
		name   string
		fault  oauthtest.Fault
		check  func(error) bool
		usable bool
	}{
		{"error", oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable), func(err error) bool { return errors.As(err, &re) && re.Response.StatusCode == 503 }, true},
		{"gateway timeout", oauthtest.FaultStatus(504), func(err error) bool { return errors.As(err, &re) && re.Response.StatusCode == 504 }, true},
		{"dropped connection", oauthtest.FaultDrop(), func(err error) bool { return err != nil && !errors.As(err, &re) }, true},
		{"malformed JSON", oauthtest.FaultMalformedJSON(), func(err error) bool { return err != nil && !errors.As(err, &re) }, false},
		{"wrong content type", oauthtest.FaultContentType("text/plain"), func(err error) bool { return err != nil }, false},
		{"latency", oauthtest.FaultLatency(time.Millisecond), func(err error) bool { return err == nil }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t)
			cfg := oauthConfig(p)
			code := authorizeCode(t, p, cfg)
			p.FailNext(oauthtest.EndpointToken, 1, tc.fault)
			if _, err := cfg.Exchange(clientContext(p), code); !tc.check(err) {
				t.Errorf("the client saw %v", err)
			}
			_, err := cfg.Exchange(clientContext(p), code)
			switch {
			case tc.usable && err != nil:
				t.Errorf("the code was lost to the fault: %v", err)
			case !tc.usable:
				if re := wantRetrieveError(t, err, "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "already redeemed") {
					t.Errorf("second exchange: %s", re.ErrorDescription)
				}
			}
		})
	}
}

func TestLatencyMeetsTheClientsTimeout(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultStatus(504).After(time.Minute))
	ctx, cancel := context.WithTimeout(clientContext(p), 20*time.Millisecond)
	defer cancel()
	if _, err := cfg.Exchange(ctx, code); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the client saw %v, want its deadline", err)
	}
}

func TestRefreshFaultSparesCodeExchange(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	p.FailNext(oauthtest.EndpointRefresh, 1, oauthtest.FaultError(oauthtest.ErrInvalidGrant.WithDescription("session ended")))
	tok := issuedTokens(t, p)
	_, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	if _, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken); err != nil {
		t.Errorf("the refresh token was lost to a staged fault: %v", err)
	}
}

func TestJWKSFaultAndDiscoveryFault(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	p.FailNext(oauthtest.EndpointDiscovery, 1, oauthtest.FaultStatus(503))
	if _, err := oidc.NewProvider(ctx, p.Issuer()); err == nil {
		t.Error("discovery succeeded through a fault")
	}
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	raw := issuedTokens(t, p).Extra("id_token").(string)
	p.FailNext(oauthtest.EndpointJWKS, 1, oauthtest.FaultStatus(500))
	verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})
	if _, err := verifier.Verify(ctx, raw); err == nil {
		t.Error("verified without keys")
	}
	if _, err := verifier.Verify(ctx, raw); err != nil {
		t.Errorf("after the fault: %v", err)
	}
}

func TestTakeDown(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	p.TakeDown()
	if _, err := oidc.NewProvider(clientContext(p), p.Issuer()); err == nil {
		t.Error("discovery answered while down")
	}
	_, err := refreshOnce(clientContext(p), oauthConfig(p), tok.RefreshToken)
	var re *oauth2.RetrieveError
	if err == nil || errors.As(err, &re) {
		t.Errorf("refresh while down: %v, want a transport error", err)
	}
	p.BringUp()
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("a token issued before the outage: HTTP %d", resp.StatusCode)
	}
}

// TestParallelSubtestsShareAProvider: each subtest stages users and faults
// for its own client, and sees only its own.
func TestParallelSubtestsShareAProvider(t *testing.T) {
	t.Parallel()
	var opts []oauthtest.Option
	for i := range 8 {
		opts = append(opts, oauthtest.WithClient(oauthtest.Client{ID: fmt.Sprintf("app-%d", i), Secret: "s"}))
	}
	p := oauthtest.NewTestProvider(t, opts...)
	for i := range 8 {
		t.Run(fmt.Sprintf("app-%d", i), func(t *testing.T) {
			t.Parallel()
			id := fmt.Sprintf("app-%d", i)
			scope := p.ForClient(id)
			cfg := oauthConfig(p)
			cfg.ClientID, cfg.ClientSecret = id, "s"
			ctx := clientContext(p)
			if err := scope.QueueUser(oauthtest.User{Subject: "user-of-" + id}); err != nil {
				t.Fatal(err)
			}
			scope.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))
			code := authorizeCode(t, p, cfg)
			if scope.LastCode() != code {
				t.Errorf("LastCode %q, want %q", scope.LastCode(), code)
			}
			_, err := cfg.Exchange(ctx, code)
			wantRetrieveError(t, err, "temporarily_unavailable", 503)
			tok, err := cfg.Exchange(ctx, code)
			if err != nil {
				t.Fatal(err)
			}
			if _, body := userinfo(t, p, tok.AccessToken); body["sub"] != "user-of-"+id {
				t.Errorf("logged in %v, want user-of-%s", body["sub"], id)
			}
		})
	}
}

func TestClientScopedFaultsAndDenials(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "b", Secret: "s"}))
	b := oauthConfig(p)
	b.ClientID, b.ClientSecret = "b", "s"
	p.ForClient("b").Fail(oauthtest.EndpointToken, oauthtest.FaultStatus(502))
	p.ForClient("b").QueueDenial()
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Errorf("the default client was hit by b's staging: %s", sub)
	}
	q, _ := redirected(t, visit(t, p, http.MethodGet, b.AuthCodeURL("st"), nil), redirectURI)
	if q.Get("error") != "access_denied" {
		t.Errorf("b's login: %v", q)
	}
	_, err := b.Exchange(clientContext(p), authorizeCode(t, p, b))
	if re := (*oauth2.RetrieveError)(nil); !errors.As(err, &re) || re.Response.StatusCode != 502 {
		t.Errorf("b's exchange: %v, want HTTP 502", err)
	}
	p.ForClient("b").ClearFaults()
	if _, err := b.Exchange(clientContext(p), authorizeCode(t, p, b)); err != nil {
		t.Errorf("after b's ClearFaults: %v", err)
	}
}
