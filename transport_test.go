package oauthtest_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// TestMalformedRequests: requests that are wrong before any parameter can be
// trusted get a clear 4xx, never a panic, a 500 or a redirect.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	for _, tc := range []struct {
		name, method, url, contentType, body string
		basic                                string // raw Authorization header
		status                               int
		want                                 string // in the body
	}{
		{name: "authorize POST with JSON", method: "POST", url: p.AuthURL(), contentType: "application/json", body: `{"client_id":"x"}`, status: 400, want: "must be application/x-www-form-urlencoded"},
		{name: "authorize with a malformed query", method: "GET", url: p.AuthURL() + "?client_id=%zz", status: 400, want: "not a valid form"},
		{name: "authorize POST over the size limit", method: "POST", url: p.AuthURL(), contentType: "application/x-www-form-urlencoded", body: "state=" + strings.Repeat("x", 1<<20), status: 413, want: "exceeds"},
		{name: "token with a malformed body", method: "POST", url: p.TokenURL(), contentType: "application/x-www-form-urlencoded", body: "grant_type=%zz", status: 400, want: `"error":"invalid_request"`},
		{name: "token with undecodable Basic credentials", method: "POST", url: p.TokenURL(), contentType: "application/x-www-form-urlencoded", body: "grant_type=authorization_code&code=x", basic: "Basic b2F1dGh0ZXN0LWNsaWVudDolenp6", status: 401, want: "not form-urlencoded"},
		{name: "token with non-base64 Basic credentials", method: "POST", url: p.TokenURL(), contentType: "application/x-www-form-urlencoded", body: "grant_type=authorization_code&code=x", basic: "Basic !!!", status: 401, want: `"error":"invalid_client"`},
		{name: "userinfo POST over the size limit", method: "POST", url: p.UserinfoURL(), contentType: "application/x-www-form-urlencoded", body: "access_token=" + strings.Repeat("x", 1<<20), status: 413, want: `"error":"invalid_request"`},
		{name: "discovery POST", method: "POST", url: p.DiscoveryURL(), status: 405, want: `"error":"invalid_request"`},
		{name: "JWKS DELETE", method: "DELETE", url: p.JWKSURL(), status: 405, want: `"error":"invalid_request"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			if tc.basic != "" {
				req.Header.Set("Authorization", tc.basic)
			}
			c := *p.HTTPClient()
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Errorf("HTTP %d %s; want HTTP %d with %q", resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
}

// TestUserinfoSaysWhy: expired and revoked tokens are told apart.
func TestUserinfoSaysWhy(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	p.FastForward(time.Hour)
	resp, body := userinfo(t, p, tok.AccessToken)
	wantJSONError(t, resp, body, "invalid_token", 401)
	if d := body["error_description"].(string); !strings.Contains(d, "expired") {
		t.Errorf("description %q does not say expired", d)
	}

	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	tok, err := cfg.Exchange(clientContext(p), code)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = cfg.Exchange(clientContext(p), code) // a replay revokes tok
	resp, body = userinfo(t, p, tok.AccessToken)
	wantJSONError(t, resp, body, "invalid_token", 401)
	if d := body["error_description"].(string); !strings.Contains(d, "revoked") {
		t.Errorf("description %q does not say revoked", d)
	}
}

func TestUnknownPathIs404(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	for _, path := range []string{"/", "/oauth", "/oauth/token/", "/oauth/authorize/x", "/.well-known/jwks"} {
		resp, err := p.HTTPClient().Get(p.Issuer() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: HTTP %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestEveryEndpointRefusesOtherMethods: each endpoint of Endpoints answers
// a method it does not accept with 405, its Allow header and its own kind
// of error (a page for the browser's endpoints, JSON for the others).
func TestEveryEndpointRefusesOtherMethods(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	for _, e := range p.Endpoints() {
		req, _ := http.NewRequest(http.MethodDelete, e.URL, nil)
		resp, err := p.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		page := e.Endpoint == oauthtest.EndpointAuthorize || e.Endpoint == oauthtest.EndpointDeviceVerification || e.Endpoint == oauthtest.EndpointLogout
		if resp.StatusCode != 405 || resp.Header.Get("Allow") == "" || page != strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: HTTP %d, Allow %q, %s", e.Endpoint, resp.StatusCode, resp.Header.Get("Allow"), resp.Header.Get("Content-Type"))
		}
		reqs := p.RequestsTo(e.Endpoint)
		if last := reqs[len(reqs)-1]; last.Method != http.MethodDelete || last.Error != "invalid_request" {
			t.Errorf("%s: logged %+v", e.Endpoint, last)
		}
	}
}
