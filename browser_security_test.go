package oauthtest_test

import (
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

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

// hiddenField matches the hidden inputs of the provider's pages.
var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)

// pageForm returns the hidden fields of a provider page and the cookies
// its response set: what a browser posts back.
func pageForm(t *testing.T, resp *http.Response, page string) (url.Values, []*http.Cookie) {
	t.Helper()
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d\n%s", resp.StatusCode, page)
	}
	form := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
		form.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return form, resp.Cookies()
}

// sameOrigin are the headers a browser sends with a form posted from one
// of p's own pages.
func sameOrigin(p *oauthtest.Provider) http.Header {
	u, _ := url.Parse(p.Issuer())
	return http.Header{"Origin": {u.Scheme + "://" + u.Host}, "Sec-Fetch-Site": {"same-origin"}}
}

// loginPageForm opens the login page of the default client in a fresh
// browser and returns the form it would post and its cookies.
func loginPageForm(t *testing.T, p *oauthtest.Provider, opts ...oauth2.AuthCodeOption) (url.Values, []*http.Cookie) {
	t.Helper()
	resp, page := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st", opts...), nil, nil, nil)
	return pageForm(t, resp, page)
}

// TestLoginFormForgery: the login page's answer counts only when posted
// from the page this browser was shown for this request: a cross-site
// POST, a foreign Origin, a missing or wrong token, another browser's or
// another request's token, or an answer in a GET is refused with a page,
// and signs nobody in. Before, any POST (or GET) naming a user logged the
// browser in as that user.
func TestLoginFormForgery(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice, bob))
	form, cookies := loginPageForm(t, p)
	twin, _ := loginPageForm(t, p) // the same request in another browser
	other, otherCookies := loginPageForm(t, p, oauth2.SetAuthURLParam("nonce", "n2"))
	answer := func(f url.Values) url.Values {
		f = url.Values(maps.Clone(f))
		f.Set("oauthtest_login", "bob")
		return f
	}
	without := func(f url.Values, k string) url.Values {
		f = answer(f)
		f.Del(k)
		return f
	}
	withToken := func(f url.Values, token string) url.Values {
		f = answer(f)
		f.Set("oauthtest_form", token)
		return f
	}
	foreign := http.Header{"Origin": {"https://evil.example"}}
	crossSite := http.Header{"Sec-Fetch-Site": {"cross-site"}}
	for _, tc := range []struct {
		name    string
		method  string
		form    url.Values
		cookies []*http.Cookie
		header  http.Header
	}{
		{"cross-site post of a forged form", http.MethodPost, without(form, "oauthtest_form"), nil, http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}},
		{"no token", http.MethodPost, without(form, "oauthtest_form"), cookies, sameOrigin(p)},
		{"no cookie", http.MethodPost, answer(form), nil, sameOrigin(p)},
		{"wrong token", http.MethodPost, withToken(form, "AAAA"), cookies, sameOrigin(p)},
		{"another browser's token", http.MethodPost, withToken(form, twin.Get("oauthtest_form")), cookies, sameOrigin(p)},
		{"the token of another request", http.MethodPost, withToken(form, other.Get("oauthtest_form")), otherCookies, sameOrigin(p)},
		{"Sec-Fetch-Site cross-site", http.MethodPost, answer(form), cookies, crossSite},
		{"Sec-Fetch-Site same-site", http.MethodPost, answer(form), cookies, http.Header{"Sec-Fetch-Site": {"same-site"}}},
		{"foreign Origin", http.MethodPost, answer(form), cookies, foreign},
		{"Origin null", http.MethodPost, answer(form), cookies, http.Header{"Origin": {"null"}}},
	} {
		resp, page := send(t, p, tc.method, p.AuthURL(), tc.form, tc.cookies, tc.header)
		if resp.StatusCode != 403 || resp.Header.Get("Location") != "" || !strings.Contains(page, "This form was refused") {
			t.Errorf("%s: HTTP %d to %q\n%s", tc.name, resp.StatusCode, resp.Header.Get("Location"), page)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "oauthtest_session" {
				t.Errorf("%s: a session cookie was set", tc.name)
			}
		}
	}
	resp, page := send(t, p, http.MethodGet, p.AuthURL()+"?"+answer(form).Encode(), nil, cookies, nil)
	if resp.StatusCode != 403 || !strings.Contains(page, "must be posted") {
		t.Errorf("an answer in a GET: HTTP %d\n%s", resp.StatusCode, page)
	}
	if n := len(p.Users().Queued); n != 0 || p.Users().Current.Subject != "test-user" {
		t.Errorf("users changed: %+v", p.Users())
	}
	// The page's own post works, from the browser (Origin, Sec-Fetch-Site)
	// or from automation that sends neither.
	for _, h := range []http.Header{sameOrigin(p), nil} {
		q, _ := redirected(t, respOf(send(t, p, http.MethodPost, p.AuthURL(), answer(form), cookies, h)), redirectURI)
		if q.Get("code") == "" {
			t.Errorf("the page's own post: %v", q)
		}
	}
}

// TestDeviceFormForgery: the device page's decision counts only when
// posted from the page with its token; a forged one leaves the device
// pending. Before, any POST approved the device for the user it named.
func TestDeviceFormForgery(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	_, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}}, "", "")
	code := body["user_code"].(string)
	resp, page := send(t, p, http.MethodGet, p.Issuer()+"/oauth/device", nil, nil, nil)
	form, cookies := pageForm(t, resp, page)
	approve := url.Values{"user_code": {code}, "oauthtest_login": {"alice"}}
	for name, req := range map[string]struct {
		form    url.Values
		cookies []*http.Cookie
		header  http.Header
	}{
		"cross-site, no token": {approve, nil, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}}},
		"no token":             {approve, cookies, sameOrigin(p)},
		"foreign Origin":       {withForm(approve, form), cookies, http.Header{"Origin": {"https://evil.example"}}},
		"cross-site":           {withForm(approve, form), cookies, http.Header{"Sec-Fetch-Site": {"cross-site"}}},
		"no cookie":            {withForm(approve, form), nil, sameOrigin(p)},
	} {
		resp, page := send(t, p, http.MethodPost, p.Issuer()+"/oauth/device", req.form, req.cookies, req.header)
		if resp.StatusCode != 403 || !strings.Contains(page, "This form was refused") {
			t.Errorf("%s: HTTP %d\n%s", name, resp.StatusCode, page)
		}
	}
	if ds := p.Devices(); ds[0].State != "pending" {
		t.Fatalf("after forged posts: %+v", ds)
	}
	if _, page := send(t, p, http.MethodPost, p.Issuer()+"/oauth/device", withForm(approve, form), cookies, sameOrigin(p)); !strings.Contains(page, `data-outcome="approved"`) {
		t.Errorf("the page's own post:\n%s", page)
	}
}

// withForm adds the page's form token to f.
func withForm(f, page url.Values) url.Values {
	f = url.Values(maps.Clone(f))
	f.Set("oauthtest_form", page.Get("oauthtest_form"))
	return f
}

// wantUnframed asserts the headers that keep a page out of other sites'
// frames (RFC 9700 §4.16).
func wantUnframed(t *testing.T, name string, resp *http.Response) {
	t.Helper()
	if resp.Header.Get("Content-Security-Policy") != "frame-ancestors 'none'" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s (HTTP %d) can be framed: CSP %q, X-Frame-Options %q", name, resp.StatusCode,
			resp.Header.Get("Content-Security-Policy"), resp.Header.Get("X-Frame-Options"))
	}
}

// TestPagesCannotBeFramed: the login, device, logout and error pages say
// that no site may frame them; silent renew (prompt=none), which apps run
// in an iframe, never answers with a page, only redirects, and those carry
// no such header. Before, every page could be framed.
func TestPagesCannotBeFramed(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithClient(tvClient))
	resp, page := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st"), nil, nil, nil)
	wantUnframed(t, "the login page", resp)
	form, cookies := pageForm(t, resp, page)
	form.Set("oauthtest_login", "test-user")
	resp, _ = send(t, p, http.MethodPost, p.AuthURL(), form, cookies, sameOrigin(p))
	session := cookieNamed(t, resp, "oauthtest_session")
	resp, _ = send(t, p, http.MethodPost, p.AuthURL(), nil, nil, crossOrigin)
	wantUnframed(t, "the refusal of a forged form", resp)
	resp, _ = send(t, p, http.MethodGet, p.Issuer()+"/oauth/device", nil, nil, nil)
	wantUnframed(t, "the device page", resp)
	resp, _ = send(t, p, http.MethodGet, p.AuthURL()+"?client_id=nobody", nil, nil, nil)
	wantUnframed(t, "the error page", resp)
	// Silent renew in an iframe: with the session, and once it has ended.
	silent := oauthConfig(p).AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none"))
	iframe := http.Header{"Sec-Fetch-Dest": {"iframe"}, "Sec-Fetch-Site": {"same-site"}}
	for _, want := range []string{"code", "error"} {
		resp, page = send(t, p, http.MethodGet, silent, nil, []*http.Cookie{session}, iframe)
		if q, _ := redirected(t, resp, redirectURI); !q.Has(want) || page != "" {
			t.Errorf("silent renew: %v\n%s", q, page)
		}
		if resp.Header.Get("X-Frame-Options") != "" || resp.Header.Get("Content-Security-Policy") != "" {
			t.Errorf("silent renew's redirect forbids frames: %v", resp.Header)
		}
		resp, _ = send(t, p, http.MethodGet, logoutURL(p, url.Values{}), nil, []*http.Cookie{session}, nil)
		wantUnframed(t, "the logout page", resp)
	}
}

// crossOrigin are the headers of a form another site posts.
var crossOrigin = http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}

// TestDevicePageTellsTheTruth: after a decision the page says what the
// device will get: approved, denied (also when a queued denial or an
// unknown user turns an approval into a denial), expired, unknown or
// decided before. Before, an approval the device got access_denied for
// said "approved".
func TestDevicePageTellsTheTruth(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	resp, page := send(t, p, http.MethodGet, p.Issuer()+"/oauth/device", nil, nil, nil)
	form, cookies := pageForm(t, resp, page)
	start := func() (userCode, deviceCode string) {
		_, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}}, "", "")
		return body["user_code"].(string), body["device_code"].(string)
	}
	decide := func(userCode string, answer url.Values) (int, string) {
		f := withForm(answer, form)
		f.Set("user_code", userCode)
		resp, page := send(t, p, http.MethodPost, p.Issuer()+"/oauth/device", f, cookies, sameOrigin(p))
		if strings.Contains(page, "Device approved") != strings.Contains(page, `data-outcome="approved"`) {
			t.Errorf("the page says approved, the device is %s", p.Devices()[len(p.Devices())-1].State)
		}
		m := regexp.MustCompile(`data-outcome="([a-z]+)"`).FindStringSubmatch(page)
		if m == nil {
			return resp.StatusCode, ""
		}
		return resp.StatusCode, m[1]
	}
	poll := func(deviceCode, want string) {
		t.Helper()
		resp, body := postForm(t, p, p.TokenURL(), url.Values{"client_id": {"tv"}, "grant_type": {oauthtest.GrantDeviceCode}, "device_code": {deviceCode}}, "", "")
		if got, _ := body["error"].(string); got != want {
			t.Errorf("the device's poll: HTTP %d %v, want %q", resp.StatusCode, body, want)
		}
	}
	alicePick, deny := url.Values{"oauthtest_login": {"alice"}}, url.Values{"oauthtest_deny": {"1"}}

	p.QueueDenial()
	queued, queuedDevice := start()
	if status, outcome := decide(queued, alicePick); status != 200 || outcome != "denied" {
		t.Errorf("approving over a queued denial: HTTP %d %s", status, outcome)
	}
	poll(queuedDevice, "access_denied")
	nobody, nobodyDevice := start()
	if status, outcome := decide(nobody, url.Values{"oauthtest_login": {"nobody"}}); status != 200 || outcome != "denied" {
		t.Errorf("approving as an unknown user: HTTP %d %s", status, outcome)
	}
	poll(nobodyDevice, "access_denied")
	denied, _ := start()
	if status, outcome := decide(denied, deny); status != 200 || outcome != "denied" {
		t.Errorf("denying: HTTP %d %s", status, outcome)
	}
	approved, approvedDevice := start()
	if status, outcome := decide(approved, alicePick); status != 200 || outcome != "approved" {
		t.Errorf("approving: HTTP %d %s", status, outcome)
	}
	if status, outcome := decide(approved, deny); status != 400 || outcome != "decided" {
		t.Errorf("denying an approved device: HTTP %d %s", status, outcome)
	}
	poll(approvedDevice, "")
	if status, outcome := decide("BCDF-GHJK", alicePick); status != 400 || outcome != "unknown" {
		t.Errorf("an unknown code: HTTP %d %s", status, outcome)
	}
	late, _ := start()
	p.FastForward(time.Hour)
	if status, outcome := decide(late, alicePick); status != 400 || outcome != "expired" {
		t.Errorf("an expired code: HTTP %d %s", status, outcome)
	}
	if err := p.ApproveDevice(nobody); err == nil {
		t.Error("ApproveDevice of a denied device")
	}
}
