package oauthtest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// corsRequest sends method to rawURL from a page on origin; preflight
// asks for POST.
func corsRequest(t *testing.T, p *oauthtest.Provider, method, rawURL, origin string, preflight bool) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, rawURL, nil)
	req.Header.Set("Origin", origin)
	if preflight {
		req.Header.Set("Access-Control-Request-Method", http.MethodPost)
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
	}
	resp, _ := do(t, p, req)
	return resp
}

// TestCORS: an allowed origin is echoed, with Vary, on answers and errors
// alike, and its preflights get 204; a disallowed one gets nothing new.
func TestCORS(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithAllowedOrigins("https://extra.example"))
	for _, origin := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "https://extra.example"} {
		for _, u := range []string{p.DiscoveryURL(), p.JWKSURL(), p.UserinfoURL(), p.Issuer() + "/.well-known/oauth-authorization-server"} {
			resp := corsRequest(t, p, http.MethodGet, u, origin, false)
			if resp.Header.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(strings.Join(resp.Header.Values("Vary"), ","), "Origin") {
				t.Errorf("%s from %s: HTTP %d, headers %v", u, origin, resp.StatusCode, resp.Header)
			}
		}
		for _, u := range []string{p.TokenURL(), p.UserinfoURL(), p.RevocationURL(), p.IntrospectionURL(), p.Issuer() + oauthtest.TokeninfoPath} {
			resp := corsRequest(t, p, http.MethodOptions, u, origin, true)
			h := resp.Header
			if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
				!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || h.Get("Access-Control-Max-Age") == "" {
				t.Errorf("preflight of %s from %s: HTTP %d %v", u, origin, resp.StatusCode, h)
			}
		}
	}
	// An error answer carries the headers, so that the app can read it.
	if resp := corsRequest(t, p, http.MethodPost, p.TokenURL(), "http://localhost:5173", false); resp.StatusCode != 400 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Errorf("an error: HTTP %d %v", resp.StatusCode, resp.Header)
	}
	// A disallowed origin gets no CORS headers, and the rest is unchanged.
	for _, origin := range []string{"https://evil.example", "http://localhost.evil.example"} {
		if resp := corsRequest(t, p, http.MethodGet, p.DiscoveryURL(), origin, false); resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("discovery from %s: HTTP %d %v", origin, resp.StatusCode, resp.Header)
		}
		if resp := corsRequest(t, p, http.MethodOptions, p.TokenURL(), origin, true); resp.StatusCode != 405 || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a preflight from %s: HTTP %d %v", origin, resp.StatusCode, resp.Header)
		}
	}
	// The authorization endpoint is a navigation: no CORS.
	if resp := corsRequest(t, p, http.MethodGet, p.AuthURL(), "http://localhost:5173", false); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("authorize: %v", resp.Header)
	}
}

// TestCORSOriginsOfRedirectURIs: without a client that accepts any
// loopback URI, the allowed origins are those of the registered redirect
// URIs.
func TestCORSOriginsOfRedirectURIs(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithoutDefaultClient(),
		oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true, RedirectURIs: []string{"https://app.example:8443/callback"}}))
	for origin, allowed := range map[string]bool{"https://app.example:8443": true, "https://APP.example:8443": true, "https://app.example": false, "http://localhost:5173": false} {
		got := corsRequest(t, p, http.MethodGet, p.JWKSURL(), origin, false).Header.Get("Access-Control-Allow-Origin") != ""
		if got != allowed {
			t.Errorf("%s: allowed %t, want %t", origin, got, allowed)
		}
	}
	if _, err := oauthtest.NewProvider(oauthtest.WithAllowedOrigins("https://app.example/path")); err == nil || !strings.Contains(err.Error(), "without a path") {
		t.Errorf("an origin with a path: %v", err)
	}
}
