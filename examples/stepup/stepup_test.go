package stepup_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/stepup"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// strong is what the API requires: a phishing-resistant login (OpenID EAP
// ACR Values 1.0), at most five minutes ago.
var strong = []string{"phrh", "phr"}

// setup starts a provider and the API, and returns the client's
// configuration and a browser for its user.
func setup(t *testing.T, opts ...oauthtest.Option) (*oauthtest.Provider, *oauth2.Config, string) {
	t.Helper()
	p := oauthtest.NewTestProvider(t, opts...)
	api := stepup.New(context.Background(), stepup.Config{Issuer: p.Issuer(), Audience: p.ClientID(), ACR: strong, MaxAge: 5 * time.Minute, Now: p.Now, Client: p.HTTPClient()})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	cfg := &oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:9999/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   []string{"openid"},
	}
	return p, cfg, srv.URL + "/transfer"
}

// login runs the code flow in browser b and returns the access token.
func login(t *testing.T, p *oauthtest.Provider, b *oauthtest.Browser, cfg *oauth2.Config, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	cb, err := b.Visit(cfg.AuthCodeURL("st", opts...))
	if err != nil || cb.Error != "" {
		t.Fatalf("authorize: %v %s %s", err, cb.Error, cb.ErrorDescription)
	}
	tok, err := cfg.Exchange(context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient()), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func call(t *testing.T, url, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestStepUp: a first login without acr is refused with the RFC 9470
// challenge; the client authorizes again with its acr_values and max_age,
// which the provider satisfies with the first value it supports.
func TestStepUp(t *testing.T) {
	t.Parallel()
	p, cfg, api := setup(t)
	b := p.Browser()
	resp := call(t, api, login(t, p, b, cfg))
	opts, ok := stepup.StepUp(resp)
	if !ok || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `acr_values="phrh phr", max_age="300"`) {
		t.Fatalf("HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp := call(t, api, login(t, p, b, cfg, opts...)); resp.StatusCode != 200 {
		t.Errorf("after stepping up: HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestStepUpStaged: the test decides how the user authenticates. The
// user's logins are password-only (acr "0"), which no acr_values changes;
// the test stages the stronger login the step-up gets (QueueUser with
// ACR). A login grown old is refused again, and max_age brings a fresh one.
func TestStepUpStaged(t *testing.T) {
	t.Parallel()
	ann := oauthtest.User{Subject: "ann", ACR: "0", AMR: []string{"pwd"}}
	p, cfg, api := setup(t, oauthtest.WithUser(ann))
	b := p.Browser()
	opts, ok := stepup.StepUp(call(t, api, login(t, p, b, cfg)))
	if !ok {
		t.Fatal("no challenge")
	}
	if _, ok := stepup.StepUp(call(t, api, login(t, p, b, cfg, opts...))); !ok {
		t.Fatal("a password-only user passed after stepping up")
	}
	strongAnn := ann
	strongAnn.ACR, strongAnn.AMR = "phr", []string{"hwk", "pin"}
	if err := p.QueueUser(strongAnn); err != nil {
		t.Fatal(err)
	}
	token := login(t, p, b, cfg, opts...)
	if resp := call(t, api, token); resp.StatusCode != 200 {
		t.Fatalf("staged strong login: HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	p.FastForward(6 * time.Minute) // the provider's clock, which the API reads too
	resp := call(t, api, token)
	if opts, ok = stepup.StepUp(resp); !ok || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "ago") {
		t.Fatalf("an old login: HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if err := p.QueueUser(strongAnn); err != nil {
		t.Fatal(err)
	}
	if resp := call(t, api, login(t, p, b, cfg, opts...)); resp.StatusCode != 200 {
		t.Errorf("a fresh login: HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestStepUpOnTheLoginPage: with the login page, the person (here the
// Browser, typing the user) chooses the stronger login.
func TestStepUpOnTheLoginPage(t *testing.T) {
	t.Parallel()
	p, cfg, api := setup(t, oauthtest.WithLoginPage())
	opts, _ := stepup.StepUp(call(t, api, login(t, p, p.Browser(), cfg)))
	b := p.Browser().LogInAs(oauthtest.User{Subject: "ann", ACR: "phrh", AMR: []string{"hwk"}})
	if resp := call(t, api, login(t, p, b, cfg, opts...)); resp.StatusCode != 200 {
		t.Errorf("HTTP %d %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestStepUpIgnoresOtherAnswers: only an insufficient_user_authentication
// challenge is a step-up.
func TestStepUpIgnoresOtherAnswers(t *testing.T) {
	t.Parallel()
	_, _, api := setup(t)
	if _, ok := stepup.StepUp(call(t, api, "not-a-token")); ok {
		t.Error("invalid_token read as a step-up")
	}
}
