package webapp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/webapp"
)

// startApp runs the app against p with the default client and the given
// secret, and returns its URL.
func startApp(t *testing.T, p *oauthtest.Provider, secret string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	app, err := webapp.New(context.Background(), webapp.Config{
		Issuer: p.Issuer(), ClientID: p.ClientID(), ClientSecret: secret,
		RedirectURL: url + "/callback", HTTPClient: p.HTTPClient(),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = app.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return url
}

// browser follows redirects and keeps cookies, like a person's browser.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLogin(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	app := startApp(t, p, p.ClientSecret())
	b := browser(t)
	if _, page := get(t, b, app); !strings.Contains(page, "Not logged in") {
		t.Fatalf("before login: %s", page)
	}
	if code, page := get(t, b, app+"/login"); code != 200 || page != "Hello, Test User!\n" {
		t.Fatalf("after login: %d %s", code, page)
	}
}

func TestLoginAsAnotherUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUser(oauthtest.User{Subject: "ada", Claims: map[string]any{"name": "Ada Lovelace"}}))
	if _, page := get(t, browser(t), startApp(t, p, p.ClientSecret())+"/login"); page != "Hello, Ada Lovelace!\n" {
		t.Fatalf("after login: %s", page)
	}
}

// TestWrongSecret: a misconfigured app sees the provider refuse it.
func TestWrongSecret(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: oauthtest.DefaultClientID, Secret: "rotated"}))
	code, page := get(t, browser(t), startApp(t, p, oauthtest.DefaultClientSecret)+"/login")
	if code != http.StatusBadGateway || !strings.Contains(page, "invalid_client") {
		t.Fatalf("%d %s", code, page)
	}
}
