// Package faketime_test runs an app's session against the provider inside
// a testing/synctest bubble: time.Sleep moves a fake clock that the
// provider, golang.org/x/oauth2 and the app all read, so a test of a
// one-hour token and a 30-day refresh token runs in milliseconds.
//
// Run it from the repository's root (Go 1.25 or later, for synctest.Test):
//
//	go test ./examples/faketime
package faketime_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/failures"
	"golang.org/x/oauth2"
)

func TestSessionOutlivesItsTokens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// Created inside the bubble and served in memory: no socket, and
		// the provider's clock is the bubble's.
		p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(), oauthtest.WithAlgorithm(oauthtest.EdDSA))
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
		cfg := &oauth2.Config{
			ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback", Scopes: []string{"openid", "email"},
			Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
		}
		callback, err := p.Browser().Visit(cfg.AuthCodeURL("st"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := failures.Start(ctx, cfg, p.UserinfoURL(), callback.Code)
		if err != nil {
			t.Fatal(err)
		}

		time.Sleep(61 * time.Minute) // the access token expires; no real time passes
		if profile, err := s.Profile(ctx); err != nil || profile["email"] != "test.user@example.com" {
			t.Fatalf("after an hour: %v, %v", profile, err)
		}
		p.CheckRequests(t, oauthtest.EndpointRefresh, 1) // the session refreshed once

		time.Sleep(31 * 24 * time.Hour) // the refresh token expires too
		if _, err := s.Profile(ctx); !errors.Is(err, failures.ErrLoginAgain) {
			t.Errorf("after a month: %v, want ErrLoginAgain", err)
		}
	})
}
