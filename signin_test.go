package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// signedInLogin authorizes the default client in b and returns the ID
// token's subject and auth_time, or the error that came back.
func signedInLogin(t *testing.T, p *oauthtest.Provider, b *oauthtest.Browser, opts ...oauth2.AuthCodeOption) (string, any) {
	t.Helper()
	cfg := oauthConfig(p)
	cb, err := b.Visit(cfg.AuthCodeURL("st", opts...))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Error != "" {
		return cb.Error, nil
	}
	tok, err := cfg.Exchange(clientContext(p), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	id := accessClaims(t, p, tok.Extra("id_token").(string))
	return id["sub"].(string), id["auth_time"]
}

// TestSignInSkipsTheLogin: a browser signed in with SignIn is approved for
// its user without the login page (which would pick the current user),
// with the auth_time of SignIn, prompt=none too; a request asking for a
// new login gets the login page.
func TestSignInSkipsTheLogin(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	signedIn := func() *oauthtest.Browser {
		b := p.Browser()
		if err := b.SignIn(oauthtest.User{Subject: "alice"}); err != nil {
			t.Fatal(err)
		}
		return b
	}
	b, at := signedIn(), p.Now().Unix()
	p.FastForward(time.Minute)
	for _, opts := range [][]oauth2.AuthCodeOption{nil, {oauth2.SetAuthURLParam("prompt", "none")}, {oauth2.SetAuthURLParam("login_hint", "al")}} {
		if sub, authTime := signedInLogin(t, p, b, opts...); sub != "alice" || authTime != float64(at) {
			t.Errorf("%v: sub %s, auth_time %v; want alice at %d", opts, sub, authTime, at)
		}
	}
	for name, opt := range map[string]oauth2.AuthCodeOption{
		"prompt=login":                         oauth2.SetAuthURLParam("prompt", "login"),
		"prompt=select_account":                oauth2.SetAuthURLParam("prompt", "select_account"),
		"max_age=30":                           oauth2.SetAuthURLParam("max_age", "30"),
		"login_hint=test-user":                 oauth2.SetAuthURLParam("login_hint", "test-user"),
		"an essential acr alice's login lacks": oauth2.SetAuthURLParam("claims", `{"id_token": {"acr": {"essential": true, "values": ["phrh"]}}}`),
		"the claims parameter's sub":           oauth2.SetAuthURLParam("claims", `{"id_token": {"sub": {"value": "test-user"}}}`),
	} {
		b := signedIn()
		p.FastForward(time.Minute) // beyond max_age
		if sub, _ := signedInLogin(t, p, b, opt); sub != "test-user" {
			t.Errorf("%s: %s; want a new login, on the page, of the current user", name, sub)
		}
	}
	if sub, _ := signedInLogin(t, p, p.Browser()); sub != "test-user" {
		t.Errorf("another browser: %s", sub)
	}
	b = signedIn()
	p.SignOut()
	if got, _ := signedInLogin(t, p, b, oauth2.SetAuthURLParam("prompt", "none")); got != "login_required" {
		t.Errorf("prompt=none after SignOut: %s", got)
	}
}

// TestSignInCookie: the cookie is the provider's session cookie, lasting
// the refresh token lifetime, of the client's with ForClient; wrong users
// and clients are refused.
func TestSignInCookie(t *testing.T) {
	t.Parallel()
	short := oauthtest.Client{ID: "short", Secret: "s", Lifetimes: oauthtest.Lifetimes{RefreshToken: time.Hour}}
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(short))
	c, err := p.SignIn(alice)
	host, _ := url.Parse(p.Issuer())
	if err != nil || c.Name != "oauthtest_session" || len(c.Value) < 20 || c.Domain != host.Hostname() || c.Path != "/" || !c.HttpOnly ||
		!c.Secure || c.SameSite != http.SameSiteNoneMode || !c.Expires.Equal(p.Now().Add(oauthtest.DefaultRefreshTokenLifetime).Truncate(time.Second)) {
		t.Errorf("cookie %+v, %v", c, err)
	}
	if c, err := p.ForClient("short").SignIn(alice); err != nil || !c.Expires.Equal(p.Now().Add(time.Hour).Truncate(time.Second)) {
		t.Errorf("for client short: %+v, %v", c, err)
	}
	for want, signIn := range map[string]func() (*http.Cookie, error){
		"user has no Subject": func() (*http.Cookie, error) { return p.SignIn(oauthtest.User{}) },
		`claim "iss" is set by the provider`: func() (*http.Cookie, error) {
			return p.SignIn(oauthtest.User{Subject: "x", Claims: map[string]any{"iss": "x"}})
		},
		`client_id "nope" is not registered`: func() (*http.Cookie, error) { return p.ForClient("nope").SignIn(alice) },
	} {
		if c, err := signIn(); err == nil || !strings.Contains(err.Error(), want) || c != nil {
			t.Errorf("got %v, %v; want %q", c, err, want)
		}
	}
}

// TestControlSessions: POST /sessions answers the cookie and a Playwright
// storageState; a request carrying it gets a code for the user with
// prompt=none; wrong input is refused.
func TestControlSessions(t *testing.T) {
	t.Parallel()
	p := controlProvider(t, oauthtest.WithUsers(alice))
	out := control(t, p, "POST", "/sessions", `{"subject": "alice"}`)
	cookie := out["cookie"].(map[string]any)
	state := out["storage_state"].(map[string]any)
	if cookie["name"] != "oauthtest_session" || cookie["httpOnly"] != true || cookie["sameSite"] == nil || cookie["expires"].(float64) < float64(p.Now().Unix()) ||
		text(t, state["cookies"].([]any)[0]) != text(t, cookie) || text(t, state["origins"]) != "[]" {
		t.Errorf("answer %s", text(t, out))
	}
	tok := silentLogin(t, p, cookie)
	if _, info := userinfo(t, p, tok.AccessToken); info["sub"] != "alice" || info["email"] != "alice@example.com" {
		t.Errorf("userinfo %v", info)
	}
	for body, want := range map[string]string{
		`{}`:                                    "subject is required",
		`{"subject": "a", "client_id": "nope"}`: `client_id "nope" is not registered`,
		`{"subject": "a", "claims": {"sub": "b"}}`: `claim "sub" is set by the provider`,
		`{"subject": "a", "claim": {}}`:            `takes no field "claim"; did you mean "claims"?`,
	} {
		status, out := raw(t, p, "POST", "/sessions", body, map[string]string{"Content-Type": "application/json"})
		wantRefusal(t, body, status, out, 400, want)
	}
}

// silentLogin runs the default client's prompt=none login in a browser
// carrying only the session cookie the control API's /sessions answered,
// and redeems the code.
func silentLogin(t *testing.T, p *oauthtest.Provider, cookie map[string]any) *oauth2.Token {
	t.Helper()
	cfg := oauthConfig(p)
	req, _ := http.NewRequest(http.MethodGet, cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none")), nil)
	req.AddCookie(&http.Cookie{Name: cookie["name"].(string), Value: cookie["value"].(string)})
	client := *p.HTTPClient()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := cfg.Exchange(clientContext(p), loc.Query().Get("code"))
	if err != nil {
		t.Fatalf("%s: %v", loc, err)
	}
	return tok
}
