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
	return runApp(t, srv, p, p.ClientID(), secret)
}

// runApp starts the app on srv, whose listener is ready, against p.
func runApp(t *testing.T, srv *httptest.Server, p *oauthtest.Provider, clientID, secret string) string {
	t.Helper()
	url := "http://" + srv.Listener.Addr().String()
	app, err := webapp.New(context.Background(), webapp.Config{
		Issuer: p.Issuer(), ClientID: clientID, ClientSecret: secret,
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
	if code, page := get(t, b, app+"/login"); code != 200 || !strings.Contains(page, "Hello, Test User!") {
		t.Fatalf("after login: %d %s", code, page)
	}
	// Logging out of the app logs out of the provider, which sends the
	// browser back home.
	resp, err := b.PostForm(app+"/logout", nil)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.String() != app+"/" || !strings.Contains(string(page), "Not logged in") {
		t.Fatalf("after logout at %s: %s", resp.Request.URL, page)
	}
	if reqs := p.RequestsTo(oauthtest.EndpointLogout); len(reqs) != 1 || reqs[0].Status != http.StatusFound || reqs[0].ClientID != p.ClientID() {
		t.Errorf("logout requests %+v", reqs)
	}
}

// TestBackchannelLogout: when the provider ends the user's session, it
// tells the app, which ends its own.
func TestBackchannelLogout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(nil)
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "webapp", Secret: "webapp-secret",
		BackchannelLogoutURI: "http://" + srv.Listener.Addr().String() + "/backchannel-logout"}))
	app := runApp(t, srv, p, "webapp", "webapp-secret")
	b := browser(t)
	if _, page := get(t, b, app+"/login"); !strings.Contains(page, "Hello, Test User!") {
		t.Fatalf("after login: %s", page)
	}
	p.SignOut() // as an administrator, or the user in another tab, would
	if _, page := get(t, b, app); !strings.Contains(page, "Not logged in") {
		t.Errorf("after the provider's logout: %s", page)
	}
	if ds := p.BackchannelLogouts(); len(ds) != 1 || ds[0].Status != http.StatusOK || ds[0].Error != "" {
		t.Errorf("deliveries %+v", ds)
	}
}

func TestLoginAsAnotherUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUser(oauthtest.User{Subject: "ada", Claims: map[string]any{"name": "Ada Lovelace"}}))
	if _, page := get(t, browser(t), startApp(t, p, p.ClientSecret())+"/login"); !strings.Contains(page, "Hello, Ada Lovelace!") {
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
