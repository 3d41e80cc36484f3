package oauthtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestBrowserResponseModes: the browser returns what arrived at the
// redirect URI, whether in the query, the fragment or a form_post form.
func TestBrowserResponseModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode string
		opts []oauth2.AuthCodeOption
	}{
		{"query", nil},
		{"fragment", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_type", "code id_token"), oidc.Nonce("n")}},
		{"form_post", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_mode", "form_post")}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t)
			cfg := oauthConfig(p)
			cb, err := p.Browser().Visit(cfg.AuthCodeURL("st", tc.opts...))
			if err != nil {
				t.Fatal(err)
			}
			if cb.ResponseMode != tc.mode || cb.Code == "" || cb.State != "st" || cb.Issuer != p.Issuer() ||
				!strings.HasPrefix(cb.URL, redirectURI) || cb.Params.Get("code") != cb.Code || (tc.mode == "fragment") != (cb.IDToken != "") {
				t.Errorf("callback %+v", cb)
			}
			if _, err := cfg.Exchange(clientContext(p), cb.Code); err != nil {
				t.Errorf("exchanging the code: %v", err)
			}
		})
	}
}

// TestBrowserErrors: an error redirected to the client arrives as a
// callback; an error page, which the client never sees, is an error.
func TestBrowserErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	p.QueueDenial()
	cb, err := p.Browser().Visit(oauthConfig(p).AuthCodeURL("st"))
	if err != nil || cb.Error != "access_denied" || cb.ErrorDescription == "" || cb.State != "st" || cb.Code != "" {
		t.Errorf("a denial: %+v, %v", cb, err)
	}
	cfg := oauthConfig(p)
	cfg.ClientID = "nobody"
	if _, err := p.Browser().Visit(cfg.AuthCodeURL("st")); err == nil || !strings.Contains(err.Error(), `client_id "nobody" is not registered`) {
		t.Errorf("an unknown client: %v", err)
	}
}

// TestBrowserLoginPage: the browser picks the user, the current one by
// default, or declines.
func TestBrowserLoginPage(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	subject := func(b *oauthtest.Browser) string { return browserLogin(t, p, b) }
	if sub := subject(p.Browser()); sub != "test-user" {
		t.Errorf("by default: %s, want the current user", sub)
	}
	if sub := subject(p.Browser().PickUser("alice")); sub != "alice" {
		t.Errorf("PickUser(alice): %s", sub)
	}
	if got := subject(p.Browser().Deny()); got != "access_denied" {
		t.Errorf("Deny: %s, want access_denied", got)
	}
}

// TestBrowserInMemory: the browser reaches a provider that has no socket.
func TestBrowserInMemory(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport())
	cfg := oauthConfig(p)
	cb, err := p.Browser().Visit(cfg.AuthCodeURL("st"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Exchange(clientContext(p), cb.Code); err != nil {
		t.Error(err)
	}
}

// TestBrowserErrorSaysWhy: when the provider answers with its error page
// (a redirect URI not registered), Visit's error is the page's description,
// once, without the page's styles.
func TestBrowserErrorSaysWhy(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	cfg.RedirectURL = "https://app.example/callbak"
	_, err := p.Browser().Visit(cfg.AuthCodeURL("st"))
	msg := fmt.Sprint(err)
	if !strings.Contains(msg, `redirect_uri "https://app.example/callbak"`) || strings.Contains(msg, "font-family") || strings.Count(msg, "callbak") != 1 {
		t.Errorf("Visit: %s", msg)
	}
}
