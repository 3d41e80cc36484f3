package oauthtest_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// send makes one request as a browser would, with these cookies and
// headers, without following a redirect, and returns the response and its
// body.
func send(t *testing.T, p *oauthtest.Provider, method, rawURL string, form url.Values, cookies []*http.Cookie, header http.Header) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	c := *p.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// cookieNamed returns the cookie resp sets with this name, or fails.
func cookieNamed(t *testing.T, resp *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("HTTP %d sets no cookie %s: %v", resp.StatusCode, name, resp.Header["Set-Cookie"])
	return nil
}

// TestSessionCookieIsNotTheSid: the sid every client sees in ID and logout
// tokens does not open the browser's session; only the cookie's own value
// does. Before, the cookie's value was the sid.
func TestSessionCookieIsNotTheSid(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(&logoutReceiver{})
	t.Cleanup(app.Close)
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "web", Secret: "s", RedirectURIs: []string{redirectURI}, BackchannelLogoutURI: app.URL}))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "web", "s"
	resp, _ := send(t, p, http.MethodGet, cfg.AuthCodeURL("st"), nil, nil, nil)
	cookie := cookieNamed(t, resp, "oauthtest_session")
	q, _ := redirected(t, resp, redirectURI)
	tok, err := cfg.Exchange(clientContext(p), q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.Extra("id_token").(string), claims); err != nil || claims["sid"] == nil {
		t.Fatalf("ID token %v (%v)", claims, err)
	}
	sid := claims["sid"].(string)
	if strings.Contains(cookie.Value, sid) {
		t.Fatalf("the cookie %q carries the sid %q", cookie.Value, sid)
	}
	silent := cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none"))
	forged := []*http.Cookie{{Name: "oauthtest_session", Value: sid}}
	if q, _ := redirected(t, respOf(send(t, p, http.MethodGet, silent, nil, forged, nil)), redirectURI); q.Get("error") != "login_required" {
		t.Errorf("a cookie forged from the sid: %v", q)
	}
	if q, _ := redirected(t, respOf(send(t, p, http.MethodGet, silent, nil, []*http.Cookie{cookie}, nil)), redirectURI); q.Get("code") == "" {
		t.Errorf("the browser's own cookie: %v", q)
	}
}

// respOf drops the body send returns.
func respOf(resp *http.Response, _ string) *http.Response { return resp }

// TestLogoutWithoutCookieOrHintEndsNothing: a logout request that names no
// session (no cookie, no id_token_hint) ends none, and its page says so.
// Before, it ended every browser's session.
func TestLogoutWithoutCookieOrHintEndsNothing(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	a, b := p.Browser(), p.Browser()
	browserLogin(t, p, a)
	if err := p.QueueUser(alice); err != nil {
		t.Fatal(err)
	}
	browserLogin(t, p, b)
	resp, page := send(t, p, http.MethodGet, p.Issuer()+oauthtest.LogoutPath, nil, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, "No session ended") {
		t.Errorf("HTTP %d\n%s", resp.StatusCode, page)
	}
	resp, _ = send(t, p, http.MethodGet, logoutURL(p, url.Values{"client_id": {p.ClientID()}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}}), nil, nil, nil)
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "http://127.0.0.1:1/bye" {
		t.Errorf("with a registered redirect: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if sub := silent(t, p, a); sub != "test-user" {
		t.Errorf("browser a after a logout naming no session: %s", sub)
	}
	if sub := silent(t, p, b); sub != "alice" {
		t.Errorf("browser b after a logout naming no session: %s", sub)
	}
	if n := len(p.BackchannelLogouts()); n != 0 {
		t.Errorf("%d back-channel logouts", n)
	}
}

// TestLogoutHintEndsItsSessionOnly: without a cookie, an id_token_hint
// ends the session it was issued in (its sid; without one, its subject's
// sessions with its client), not the other sessions of the same user.
// Before, it ended every session of the hint's subject.
func TestLogoutHintEndsItsSessionOnly(t *testing.T) {
	t.Parallel()
	app := httptest.NewServer(&logoutReceiver{})
	t.Cleanup(app.Close)
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{ID: "web", Secret: "s", RedirectURIs: []string{redirectURI}, BackchannelLogoutURI: app.URL}),
		oauthtest.WithClient(oauthtest.Client{ID: "plain", Secret: "s", RedirectURIs: []string{redirectURI}}))
	login := func(b *oauthtest.Browser, client string) string {
		t.Helper()
		cfg := oauthConfig(p)
		cfg.ClientID, cfg.ClientSecret = client, "s"
		cb, err := b.Visit(cfg.AuthCodeURL("st"))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cfg.Exchange(clientContext(p), cb.Code)
		if err != nil {
			t.Fatal(err)
		}
		return tok.Extra("id_token").(string)
	}
	logout := func(hint string) {
		t.Helper()
		if resp, page := send(t, p, http.MethodGet, logoutURL(p, url.Values{"id_token_hint": {hint}}), nil, nil, nil); resp.StatusCode != 200 || !strings.Contains(page, "Signed out") {
			t.Fatalf("logout: HTTP %d\n%s", resp.StatusCode, page)
		}
	}
	// The same user in three browsers: a and b with web (ID tokens carry
	// sid), c with plain (no sid).
	a, b, c := p.Browser(), p.Browser(), p.Browser()
	hintA := login(a, "web")
	login(b, "web")
	hintC := login(c, "plain")
	logout(hintA)
	if code := silent(t, p, a); code != "login_required" {
		t.Errorf("browser a after the logout of its ID token: %s", code)
	}
	for name, br := range map[string]*oauthtest.Browser{"b": b, "c": c} {
		if sub := silent(t, p, br); sub != "test-user" {
			t.Errorf("browser %s after the logout of a's ID token: %s", name, sub)
		}
	}
	logout(hintC)
	if code := silent(t, p, c); code != "login_required" {
		t.Errorf("browser c after the logout of its ID token: %s", code)
	}
	if sub := silent(t, p, b); sub != "test-user" {
		t.Errorf("browser b, never with plain, after c's logout: %s", sub)
	}
}
