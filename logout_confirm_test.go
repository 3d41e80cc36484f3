package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// TestLogoutCSRF: a page on another site that makes the browser GET or
// POST the logout endpoint without an id_token_hint of its session ends
// nothing: the person is asked first (RP-Initiated Logout 1.0 §2), and only
// the page's own form, with its token, signs out. Before, a cross-site
// image request signed the browser out.
func TestLogoutCSRF(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	resp, _ := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st"), nil, nil, nil)
	session := cookieNamed(t, resp, "oauthtest_session")
	alive := func(when string) bool {
		t.Helper()
		silent := oauthConfig(p).AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none"))
		resp, _ := send(t, p, http.MethodGet, silent, nil, []*http.Cookie{session}, nil)
		q, _ := redirected(t, resp, redirectURI)
		return q.Has("code")
	}

	resp, page := send(t, p, http.MethodGet, logoutURL(p, url.Values{}), nil, []*http.Cookie{session}, crossOrigin)
	if resp.StatusCode != 200 || !strings.Contains(page, "Sign out of oauthtest?") || !alive("after a cross-site GET") {
		t.Fatalf("a cross-site logout without a hint: HTTP %d, session alive %v\n%s", resp.StatusCode, alive(""), page)
	}
	wantUnframed(t, "the logout confirmation page", resp)
	form, cookies := pageForm(t, resp, page)
	form.Set("oauthtest_logout", "1")

	forged := url.Values{"oauthtest_logout": {"1"}}
	resp, _ = send(t, p, http.MethodPost, logoutURL(p, url.Values{}), forged, []*http.Cookie{session}, crossOrigin)
	if resp.StatusCode != http.StatusForbidden || !alive("after a forged confirmation") {
		t.Errorf("a forged confirmation: HTTP %d, want 403 and the session alive", resp.StatusCode)
	}

	resp, page = send(t, p, http.MethodPost, logoutURL(p, url.Values{}), form, append(cookies, session), sameOrigin(p))
	if resp.StatusCode != 200 || !strings.Contains(page, "Signed out") || alive("after the confirmation") {
		t.Errorf("the page's own confirmation: HTTP %d, session alive %v\n%s", resp.StatusCode, alive(""), page)
	}
}

// TestLogoutHintOfTheSessionNeedsNoConfirmation: an RP that sends the ID
// token of the browser's session logs it out at once, as before.
func TestLogoutHintOfTheSessionNeedsNoConfirmation(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	b := p.Browser()
	cb, err := b.Visit(oauthConfig(p).AuthCodeURL("st", oauth2.SetAuthURLParam("response_type", "code id_token"), oauth2.SetAuthURLParam("nonce", "n")))
	if err != nil || cb.IDToken == "" {
		t.Fatalf("login: %v %+v", err, cb)
	}
	post := "http://127.0.0.1:9999/bye"
	out, err := b.Visit(logoutURL(p, url.Values{"id_token_hint": {cb.IDToken}, "post_logout_redirect_uri": {post}, "state": {"s"}}))
	if err != nil || !strings.HasPrefix(out.URL, post) || out.State != "s" {
		t.Errorf("logout with the session's hint: %v %+v", err, out)
	}
}
