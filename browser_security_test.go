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
