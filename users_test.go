package oauthtest_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

var (
	alice = oauthtest.User{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "preferred_username": "al"}}
	bob   = oauthtest.User{Subject: "bob", Claims: map[string]any{"email": "bob@example.com"}}
)

// loginSubject runs a flow and returns the subject of the verified ID token.
func loginSubject(t *testing.T, p *oauthtest.Provider, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	ctx := clientContext(p)
	cfg := oauthConfig(p)
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg, opts...))
	if err != nil {
		t.Fatal(err)
	}
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	return idt.Subject
}

// authorizeError runs an authorization that must fail and returns its error code.
func authorizeError(t *testing.T, p *oauthtest.Provider, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	q, _ := redirected(t, visit(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st", opts...), nil), redirectURI)
	if q.Get("state") != "st" || q.Get("error_description") == "" || q.Has("code") {
		t.Errorf("error response %v", q)
	}
	return q.Get("error")
}

func TestQueueUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	if err := p.QueueUser(alice); err != nil {
		t.Fatal(err)
	}
	if err := p.QueueUser(bob); err != nil {
		t.Fatal(err)
	}
	if err := p.QueueUser(oauthtest.User{}); err == nil {
		t.Error("QueueUser accepted a user without subject")
	}
	var got []string
	for range 3 {
		got = append(got, loginSubject(t, p))
	}
	if strings.Join(got, " ") != "alice bob test-user" {
		t.Errorf("logins %v, want alice bob test-user", got)
	}
}

func TestQueueDenial(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	p.QueueDenial()
	if code := authorizeError(t, p); code != "access_denied" {
		t.Errorf("error %s, want access_denied", code)
	}
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Errorf("after the denial: %s", sub)
	}
	p.QueueDenial()
	if code := authorizeError(t, p, oauth2.SetAuthURLParam("prompt", "none")); code != "consent_required" {
		t.Errorf("error %s, want consent_required", code)
	}
}

func TestLoginHint(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUsers(alice, bob))
	for hint, want := range map[string]string{"bob": "bob", "bob@example.com": "bob", "al": "alice", "test-user": "test-user"} {
		if sub := loginSubject(t, p, oauth2.SetAuthURLParam("login_hint", hint)); sub != want {
			t.Errorf("login_hint %q logged in %s, want %s", hint, sub, want)
		}
	}
	if code := authorizeError(t, p, oauth2.SetAuthURLParam("login_hint", "carol")); code != "access_denied" {
		t.Errorf("unknown login_hint: %s", code)
	}
	if err := p.AddUser(oauthtest.User{Subject: "carol"}); err != nil {
		t.Fatal(err)
	}
	if sub := loginSubject(t, p, oauth2.SetAuthURLParam("login_hint", "carol")); sub != "carol" {
		t.Errorf("AddUser: %s", sub)
	}
}

func TestPromptNone(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	none := oauth2.SetAuthURLParam("prompt", "none")
	if sub := loginSubject(t, p, none); sub != "test-user" {
		t.Fatalf("prompt=none with a session: %s", sub)
	}
	p.SignOut()
	if code := authorizeError(t, p, none); code != "login_required" {
		t.Errorf("prompt=none after SignOut: %s", code)
	}
	loginSubject(t, p) // signs in again
	if sub := loginSubject(t, p, none); sub != "test-user" {
		t.Errorf("prompt=none after signing in again: %s", sub)
	}
	for _, prompt := range []string{"none login", "bogus"} {
		if code := authorizeError(t, p, oauth2.SetAuthURLParam("prompt", prompt)); code != "invalid_request" {
			t.Errorf("prompt=%q: %s", prompt, code)
		}
	}
}

func TestClaimsHooks(t *testing.T) {
	t.Parallel()
	var grants []string
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithAccessTokenClaims(func(tc oauthtest.TokenContext, claims map[string]any) {
			claims["roles"] = []string{"admin"}
			claims["aud"] = "https://api.example"
		}),
		oauthtest.WithIDTokenClaims(func(tc oauthtest.TokenContext, claims map[string]any) {
			grants = append(grants, tc.GrantType) // flows below run one at a time
			claims["tenant"] = "acme"
		}))
	tok := issuedTokens(t, p)
	access := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok.AccessToken, access, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil }); err != nil {
		t.Fatal(err)
	}
	if access["aud"] != "https://api.example" || access["roles"] == nil {
		t.Errorf("access token claims %v", access)
	}
	id := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok.Extra("id_token").(string), id, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil }); err != nil {
		t.Fatal(err)
	}
	if id["tenant"] != "acme" || id["roles"] != nil {
		t.Errorf("ID token claims %v", id)
	}
	if _, err := refreshOnce(clientContext(p), oauthConfig(p), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if strings.Join(grants, " ") != "authorization_code refresh_token" {
		t.Errorf("grant types seen by the hook: %v", grants)
	}
}

func TestLoginPage(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice, bob))
	cfg := oauthConfig(p)
	resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st"), nil)
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, `value="alice"`) || !strings.Contains(page, `value="test-user"`) || !strings.Contains(page, `name="state" value="st"`) {
		t.Fatalf("HTTP %d page:\n%s", resp.StatusCode, page)
	}
	// The browser submits the page: the same parameters, its form token
	// and cookie, and the pick.
	form, cookies := pageForm(t, resp, page)
	if want, _ := url.ParseQuery(strings.SplitN(cfg.AuthCodeURL("st"), "?", 2)[1]); form.Get("oauthtest_form") == "" || len(form) != len(want)+1 {
		t.Errorf("the page posts %v", form)
	}
	form.Set("oauthtest_login", "bob")
	q, _ := redirected(t, respOf(send(t, p, http.MethodPost, p.AuthURL(), form, cookies, sameOrigin(p))), redirectURI)
	tok, err := cfg.Exchange(clientContext(p), q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if _, body := userinfo(t, p, tok.AccessToken); body["sub"] != "bob" {
		t.Errorf("signed in %v, want bob", body["sub"])
	}
	// prompt=none cannot show a page: the session's user is approved.
	if sub := loginSubject(t, p, oauth2.SetAuthURLParam("prompt", "none")); sub != "test-user" {
		t.Errorf("prompt=none: %s", sub)
	}
}

// TestUsersAreReadable: the current, known and queued users, as copies.
func TestUsersAreReadable(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUsers(alice))
	if err := p.ForClient("web").QueueUser(alice); err != nil {
		t.Fatal(err)
	}
	p.QueueDenial()
	p.SignOut()
	us := p.Users()
	if us.Current.Subject != "test-user" || len(us.Known) != 1 || us.Known[0].Subject != "alice" || !us.SignedOut ||
		len(us.Queued) != 2 || us.Queued[0].ClientID != "web" || us.Queued[0].User.Subject != "alice" || !us.Queued[1].Deny {
		t.Errorf("users %+v", us)
	}
	us.Current.Claims["name"] = "changed"
	if p.Users().Current.Claims["name"] != "Test User" {
		t.Error("Users returned the provider's own claims map")
	}
}
