package oauthtest_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// logoutURL is the end_session_endpoint with params.
func logoutURL(p *oauthtest.Provider, params url.Values) string {
	return p.Issuer() + oauthtest.LogoutPath + "?" + params.Encode()
}

// TestEndSessionEndpoint: discovery names it; a valid hint and a
// registered URI send the browser back with state; then prompt=none gets
// login_required until the next interactive login.
func TestEndSessionEndpoint(t *testing.T) {
	t.Parallel()
	web := oauthtest.Client{ID: "web", Secret: "s", RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{"https://app.example/bye"}}
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(web))
	op, err := oidc.NewProvider(clientContext(p), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		EndSession  string `json:"end_session_endpoint"`
		Backchannel bool   `json:"backchannel_logout_supported"`
		Session     bool   `json:"backchannel_logout_session_supported"`
	}
	if err := op.Claims(&meta); err != nil || meta.EndSession != p.Issuer()+"/oauth/logout" || !meta.Backchannel || !meta.Session {
		t.Errorf("discovery %+v (%v)", meta, err)
	}
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "web", "s"
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	resp := visit(t, p, http.MethodGet, logoutURL(p, url.Values{"id_token_hint": {tok.Extra("id_token").(string)},
		"post_logout_redirect_uri": {"https://app.example/bye"}, "state": {"s 1"}, "logout_hint": {"test-user"}}), nil)
	if resp.StatusCode != 302 || resp.Header.Get("Location") != "https://app.example/bye?state=s+1" {
		t.Fatalf("logout: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if code := authorizeError(t, p, oauth2.SetAuthURLParam("prompt", "none")); code != "login_required" {
		t.Errorf("prompt=none after logout: %s", code)
	}
	authorizeCode(t, p, oauthConfig(p)) // an interactive login
	authorizeCode(t, p, oauthConfig(p), oauth2.SetAuthURLParam("prompt", "none"))
}

// TestLogoutRefusals: a foreign or tampered hint, an unregistered or
// unverifiable redirect, a client that disagrees with the hint: an error
// page, never a redirect, and nobody is logged out. An expired hint is fine.
func TestLogoutRefusals(t *testing.T) {
	t.Parallel()
	web := oauthtest.Client{ID: "web", Secret: "s", RedirectURIs: []string{redirectURI}, PostLogoutRedirectURIs: []string{"https://app.example/bye"}}
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(web))
	hint := p.ForClient("web").MintIDToken()
	for _, tc := range []struct {
		name   string
		params url.Values
		want   string
	}{
		{"tampered hint", url.Values{"id_token_hint": {p.MintIDToken(oauthtest.BadSignature())}}, "not an ID token of this provider"},
		{"foreign hint", url.Values{"id_token_hint": {p.MintIDToken(oauthtest.ForeignKey())}}, "not an ID token of this provider"},
		{"access token as hint", url.Values{"id_token_hint": {p.MintAccessToken()}}, "not an ID token of this provider"},
		{"unregistered URI", url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"https://evil.example/"}}, `registered: "https://app.example/bye"`},
		{"near miss", url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {"https://app.example/bye/"}}, "is not registered"},
		{"no client to match", url.Values{"post_logout_redirect_uri": {"https://app.example/bye"}}, "needs id_token_hint or client_id"},
		{"client disagrees", url.Values{"id_token_hint": {hint}, "client_id": {"oauthtest-client"}}, "is not the audience"},
		{"default client, not loopback", url.Values{"client_id": {"oauthtest-client"}, "post_logout_redirect_uri": {"https://evil.example/"}}, "registers no post_logout_redirect_uris, so only a loopback URI"},
	} {
		resp := visit(t, p, http.MethodGet, logoutURL(p, tc.params), nil)
		raw, _ := io.ReadAll(resp.Body)
		b := html.UnescapeString(string(raw))
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(b, tc.want) {
			t.Errorf("%s: HTTP %d to %q\n%s", tc.name, resp.StatusCode, resp.Header.Get("Location"), b)
		}
	}
	if code := authorizeCode(t, p, oauthConfig(p), oauth2.SetAuthURLParam("prompt", "none")); code == "" {
		t.Error("a refused logout logged the user out")
	}
	for name, params := range map[string]url.Values{
		"expired hint":        {"id_token_hint": {p.ForClient("web").MintIDToken(oauthtest.Expired())}, "post_logout_redirect_uri": {"https://app.example/bye"}},
		"default client":      {"client_id": {"oauthtest-client"}, "post_logout_redirect_uri": {"http://127.0.0.1:8080/bye"}},
		"no redirect at all":  {},
		"client, no redirect": {"client_id": {"web"}},
	} {
		resp := visit(t, p, http.MethodPost, p.Issuer()+oauthtest.LogoutPath, params)
		b, _ := io.ReadAll(resp.Body)
		wantRedirect := params.Get("post_logout_redirect_uri") != ""
		if wantRedirect && (resp.StatusCode != 302 || resp.Header.Get("Location") != params.Get("post_logout_redirect_uri")) ||
			!wantRedirect && (resp.StatusCode != 200 || !strings.Contains(string(b), "No session ended")) { // no cookie, no hint
			t.Errorf("%s: HTTP %d to %q", name, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

// silent runs a prompt=none authorization in browser b and returns the
// user it signs in, or the error.
func silent(t *testing.T, p *oauthtest.Provider, b *oauthtest.Browser, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	return browserLogin(t, p, b, append(opts, oauth2.SetAuthURLParam("prompt", "none"))...)
}

// TestBrowserSessions: each browser's cookie keeps its own login: silent
// renew returns that user with the original auth_time, max_age bounds it,
// and logout ends exactly that session; SignOut ends them all.
func TestBrowserSessions(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
	cfg := oauthConfig(p)
	a, b := p.Browser(), p.Browser()
	if _, err := a.Visit(cfg.AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	if err := p.QueueUser(alice); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Visit(cfg.AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	p.FastForward(30 * time.Minute)
	if sub := silent(t, p, a); sub != "test-user" {
		t.Errorf("browser a's silent renew: %s", sub)
	}
	if sub := silent(t, p, b); sub != "alice" {
		t.Errorf("browser b's silent renew: %s", sub)
	}
	if code := silent(t, p, a, oauth2.SetAuthURLParam("max_age", "600")); code != "login_required" {
		t.Errorf("max_age 600 after 30 minutes: %s", code)
	}
	if sub := silent(t, p, a, oauth2.SetAuthURLParam("max_age", "3600")); sub != "test-user" {
		t.Errorf("max_age 3600 after 30 minutes: %s", sub)
	}
	if _, err := a.Visit(logoutURL(p, url.Values{"client_id": {p.ClientID()}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}})); err != nil {
		t.Fatal(err)
	}
	if code := silent(t, p, a); code != "login_required" {
		t.Errorf("browser a after its logout: %s", code)
	}
	if sub := silent(t, p, b); sub != "alice" {
		t.Errorf("browser b after a's logout: %s", sub)
	}
	p.SignOut()
	if code := silent(t, p, b); code != "login_required" {
		t.Errorf("browser b after SignOut: %s", code)
	}
}

// TestAuthTimeOfSilentRenew: an ID token from silent renew carries the
// login's auth_time, not the renewal's.
func TestAuthTimeOfSilentRenew(t *testing.T) {
	t.Parallel()
	login := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(login))
	cfg := oauthConfig(p)
	b := p.Browser()
	if _, err := b.Visit(cfg.AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	p.FastForward(20 * time.Minute)
	cb, err := b.Visit(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none")))
	if err != nil || cb.Code == "" {
		t.Fatalf("%+v %v", cb, err)
	}
	tok, err := cfg.Exchange(clientContext(p), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	if at := accessClaims(t, p, tok.AccessToken)["auth_time"]; at != float64(login.Unix()) {
		t.Errorf("auth_time %v, want %d", at, login.Unix())
	}
}

// logoutReceiver is an app's back-channel logout endpoint: it records the
// logout tokens it is sent.
type logoutReceiver struct {
	mu     sync.Mutex
	tokens []string
}

func (l *logoutReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens = append(l.tokens, r.PostFormValue("logout_token"))
}

func (l *logoutReceiver) received() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.tokens...)
}

// TestBackchannelLogout: ID tokens carry sid; logging out POSTs a logout
// token with sub, sid and the event, no nonce, to each client the session
// logged in to; each delivery is recorded, a failed one too, and not
// retried.
func TestBackchannelLogout(t *testing.T) {
	t.Parallel()
	receiver := &logoutReceiver{}
	app := httptest.NewServer(receiver)
	t.Cleanup(app.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{ID: "web", Secret: "s", BackchannelLogoutURI: app.URL + "/backchannel"}),
		oauthtest.WithClient(oauthtest.Client{ID: "gone", Secret: "s", BackchannelLogoutURI: down.URL + "/backchannel"}))
	b := p.Browser()
	var sid string
	for _, id := range []string{"web", "gone"} {
		cfg := oauthConfig(p)
		cfg.ClientID, cfg.ClientSecret = id, "s"
		cb, err := b.Visit(cfg.AuthCodeURL("st", oidc.Nonce("n")))
		if err != nil {
			t.Fatal(err)
		}
		tok, err := cfg.Exchange(clientContext(p), cb.Code)
		if err != nil {
			t.Fatal(err)
		}
		claims := jwt.MapClaims{}
		if _, err := jwt.ParseWithClaims(tok.Extra("id_token").(string), claims, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil }); err != nil || claims["sid"] == nil {
			t.Fatalf("ID token %v (%v)", claims, err)
		}
		sid = claims["sid"].(string)
	}
	cb, err := b.Visit(logoutURL(p, url.Values{"client_id": {"web"}, "post_logout_redirect_uri": {"http://127.0.0.1:1/bye"}, "state": {"x"}}))
	if err != nil || cb.State != "x" {
		t.Fatalf("logout: %+v %v", cb, err)
	}
	got := receiver.received()
	if len(got) != 1 {
		t.Fatalf("the app received %d logout tokens", len(got))
	}
	claims, header := jwt.MapClaims{}, map[string]any{}
	tok, err := jwt.ParseWithClaims(got[0], claims, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil },
		jwt.WithIssuer(p.Issuer()), jwt.WithAudience("web"), jwt.WithIssuedAt())
	if err == nil {
		header = tok.Header
	}
	events, _ := claims["events"].(map[string]any)
	if err != nil || claims["sub"] != "test-user" || claims["sid"] != sid || claims["jti"] == nil || claims["nonce"] != nil ||
		events["http://schemas.openid.net/event/backchannel-logout"] == nil || header["typ"] != "logout+jwt" {
		t.Errorf("logout token %v %v (%v)", header, claims, err)
	}
	ds := p.BackchannelLogouts()
	if len(ds) != 2 {
		t.Fatalf("deliveries %+v", ds)
	}
	for _, d := range ds {
		ok := d.ClientID == "web" && d.Status == 200 && d.Error == "" || d.ClientID == "gone" && d.Status == 0 && d.Error != ""
		if !ok || d.SessionID != sid || d.Subject != "test-user" {
			t.Errorf("delivery %+v", d)
		}
	}
	// The provider works on, and a revoked user's sessions end too.
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "web", "s"
	if _, err := b.Visit(cfg.AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	p.RevokeUser("test-user")
	if n := len(receiver.received()); n != 2 {
		t.Errorf("after RevokeUser the app received %d logout tokens, want 2", n)
	}
}
