package oauthtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// redirectURI is where test flows are sent back to; nothing listens there:
// the tests read the redirect instead of following it.
const redirectURI = "http://127.0.0.1:9999/callback"

// oauthConfig is the golang.org/x/oauth2 configuration of p's default client.
// It pins AuthStyleInHeader: with auto-detection, oauth2 retries a failed
// first token request in the other style, which would use up a fault
// staged for one request.
func oauthConfig(p *oauthtest.Provider, scopes ...string) *oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{"openid", "profile", "email"}
	}
	return &oauth2.Config{
		ClientID:     p.ClientID(),
		ClientSecret: p.ClientSecret(),
		Endpoint:     oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  redirectURI,
		Scopes:       scopes,
	}
}

// clientContext makes golang.org/x/oauth2 and go-oidc use p's HTTP client.
func clientContext(p *oauthtest.Provider) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
}

// visit requests rawURL without following a redirect, as a browser's first hop.
func visit(t *testing.T, p *oauthtest.Provider, method, rawURL string, form url.Values) *http.Response {
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
	c := *p.HTTPClient()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// redirected asserts a 302 to a URI starting with prefix and returns the
// parameters in its query and fragment.
func redirected(t *testing.T, resp *http.Response, prefix string) (query, fragment url.Values) {
	t.Helper()
	if resp.StatusCode != http.StatusFound {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d, want 302; body: %s", resp.StatusCode, b)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), prefix) {
		t.Fatalf("redirected to %s, want a URI starting with %s", loc, prefix)
	}
	fragment, err = url.ParseQuery(loc.EscapedFragment())
	if err != nil {
		t.Fatal(err)
	}
	return loc.Query(), fragment
}

// authorizeCode runs the authorization request for cfg and returns the code.
func authorizeCode(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	q, _ := redirected(t, visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", opts...), nil), cfg.RedirectURL)
	if q.Get("error") != "" {
		t.Fatalf("authorize failed: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	if q.Get("state") != "st" {
		t.Fatalf("state = %q, want st", q.Get("state"))
	}
	return q.Get("code")
}

// wantRetrieveError asserts err is a token endpoint error with code and status.
func wantRetrieveError(t *testing.T, err error, code string, status int) *oauth2.RetrieveError {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v is not an *oauth2.RetrieveError; want %s", err, code)
	}
	if re.ErrorCode != code || re.Response.StatusCode != status {
		t.Fatalf("got %s (HTTP %d): %s; want %s (HTTP %d)", re.ErrorCode, re.Response.StatusCode, re.ErrorDescription, code, status)
	}
	if re.ErrorDescription == "" {
		t.Errorf("%s has no error_description", code)
	}
	return re
}

// postForm posts form to rawURL, with Basic credentials when user is set,
// and decodes the JSON answer.
func postForm(t *testing.T, p *oauthtest.Provider, rawURL string, form url.Values, user, pass string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return do(t, p, req)
}

// do sends req and decodes a JSON answer, if any.
func do(t *testing.T, p *oauthtest.Provider, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if len(b) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("answer is not JSON: %v: %s", err, b)
		}
	}
	return resp, body
}

// wantJSONError asserts a JSON error answer with code and status.
func wantJSONError(t *testing.T, resp *http.Response, body map[string]any, code string, status int) {
	t.Helper()
	if resp.StatusCode != status || body["error"] != code {
		t.Fatalf("got HTTP %d %v: %v; want HTTP %d %s", resp.StatusCode, body["error"], body["error_description"], status, code)
	}
	if d, _ := body["error_description"].(string); d == "" {
		t.Errorf("%s has no error_description", code)
	}
}

// withClient adds cfg's client credentials to form (client_secret_post).
func withClient(form url.Values, cfg *oauth2.Config) url.Values {
	form.Set("client_id", cfg.ClientID)
	form.Set("client_secret", cfg.ClientSecret)
	return form
}

// decodeTokenResponse returns a token response's JSON, or its error as an
// *oauth2.RetrieveError like golang.org/x/oauth2 reports it.
func decodeTokenResponse(resp *http.Response) (map[string]any, error) {
	var body map[string]any
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		code, _ := body["error"].(string)
		desc, _ := body["error_description"].(string)
		return nil, &oauth2.RetrieveError{Response: resp, Body: b, ErrorCode: code, ErrorDescription: desc}
	}
	return body, nil
}

// userinfo calls the userinfo endpoint with a bearer token.
func userinfo(t *testing.T, p *oauthtest.Provider, token string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return do(t, p, req)
}

// refreshOnce redeems refresh token rt for cfg's client, as a TokenSource
// does when its token has expired.
func refreshOnce(ctx context.Context, cfg *oauth2.Config, rt string) (*oauth2.Token, error) {
	return cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
}

// browserLogin authorizes the default client in browser b and returns the
// subject of the access token it redeems, or the error that came back.
func browserLogin(t *testing.T, p *oauthtest.Provider, b *oauthtest.Browser, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	cfg := oauthConfig(p)
	cb, err := b.Visit(cfg.AuthCodeURL("st", opts...))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Error != "" {
		return cb.Error
	}
	tok, err := cfg.Exchange(clientContext(p), cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	_, body := userinfo(t, p, tok.AccessToken)
	sub, _ := body["sub"].(string)
	return sub
}
