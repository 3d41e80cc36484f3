package failures_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/failures"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// login returns the code the provider sends the browser back with.
func login(t *testing.T, p *oauthtest.Provider) (*oauth2.Config, context.Context, string) {
	t.Helper()
	cfg := &oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback", Scopes: []string{"openid", "email"},
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cb, err := p.Browser().Visit(cfg.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg, ctx, cb.Code
}

func start(t *testing.T, p *oauthtest.Provider) (*failures.Session, context.Context) {
	t.Helper()
	cfg, ctx, code := login(t, p)
	s, err := failures.Start(ctx, cfg, p.UserinfoURL(), code)
	if err != nil {
		t.Fatal(err)
	}
	return s, ctx
}

func newProvider(t *testing.T) *oauthtest.Provider {
	return oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
}

func TestExpiredCode(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	cfg, ctx, code := login(t, p)
	p.FastForward(11 * time.Minute) // the user left the callback tab open
	if _, err := failures.Start(ctx, cfg, p.UserinfoURL(), code); !errors.Is(err, failures.ErrLoginAgain) {
		t.Errorf("Start: %v, want ErrLoginAgain", err)
	}
}

func TestExpiredAccessTokenIsRefreshed(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	s, ctx := start(t, p)
	p.FastForward(61 * time.Minute)
	claims, err := s.Profile(ctx)
	if err != nil || claims["email"] != "test.user@example.com" {
		t.Fatalf("Profile: %v %v", claims, err)
	}
	p.CheckRequests(t, oauthtest.EndpointRefresh, 1)
}

func TestRevokedRefreshToken(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	s, ctx := start(t, p)
	p.RevokeUser("test-user") // an admin ended the user's sessions
	if _, err := s.Profile(ctx); !errors.Is(err, failures.ErrLoginAgain) {
		t.Errorf("Profile: %v, want ErrLoginAgain", err)
	}
}

func TestProviderOutage(t *testing.T) {
	t.Parallel()
	p := newProvider(t)
	s, ctx := start(t, p)
	p.TakeDown()
	if _, err := s.Profile(ctx); !errors.Is(err, failures.ErrProviderDown) {
		t.Errorf("Profile while down: %v, want ErrProviderDown", err)
	}
	p.BringUp()
	p.FailNext(oauthtest.EndpointUserinfo, 1, oauthtest.FaultStatus(http.StatusBadGateway))
	if _, err := s.Profile(ctx); !errors.Is(err, failures.ErrProviderDown) {
		t.Errorf("Profile behind a failing gateway: %v, want ErrProviderDown", err)
	}
	if _, err := s.Profile(ctx); err != nil {
		t.Errorf("Profile after the outage: %v", err)
	}
	p.FastForward(61 * time.Minute)
	p.FailNext(oauthtest.EndpointRefresh, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))
	if _, err := s.Profile(ctx); !errors.Is(err, failures.ErrProviderDown) {
		t.Errorf("a refresh during maintenance: %v, want ErrProviderDown, not a new login", err)
	}
}
