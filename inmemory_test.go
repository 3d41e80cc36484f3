package oauthtest_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// TestInMemoryTransport: x/oauth2 and go-oidc reach a provider that has no
// socket, over plain HTTP and TLS, with an issuer of its own or a chosen one.
func TestInMemoryTransport(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]oauthtest.Option{
		"default issuer": {},
		"chosen issuer":  {oauthtest.WithIssuer("http://idp.example:8080/tenant")},
		"https issuer":   {oauthtest.WithIssuer("https://idp.example")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t, append(opts, oauthtest.WithInMemoryTransport())...)
			if name == "default issuer" && p.Issuer() != oauthtest.DefaultInMemoryIssuer {
				t.Errorf("issuer %s, want %s", p.Issuer(), oauthtest.DefaultInMemoryIssuer)
			}
			verifyFlow(t, p, clientContext(p))
		})
	}
}

// TestInMemoryBehavesAsLoopback: status codes, headers, unfollowed
// redirects, size limits, dropped connections and Close are those of the
// loopback server.
func TestInMemoryBehavesAsLoopback(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport())
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	// A redirect is answered, not followed, by a client that does not follow.
	code := authorizeCode(t, p, cfg)
	_, err := cfg.Exchange(ctx, "wrong")
	wantRetrieveError(t, err, "invalid_grant", 400)
	resp, _ := postForm(t, p, p.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {code}}, p.ClientID(), "wrong")
	if resp.StatusCode != 401 || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="oauthtest", error="invalid_client"`) {
		t.Errorf("wrong secret: HTTP %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// net/http's own header limit.
	req, _ := http.NewRequest(http.MethodGet, p.JWKSURL(), nil)
	req.Header.Set("X-Padding", strings.Repeat("x", 100<<10))
	if resp, _ := do(t, p, req); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB of headers: HTTP %d, want 431", resp.StatusCode)
	}
	// A dropped connection is a transport error.
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultDrop())
	_, err = cfg.Exchange(ctx, code)
	if re := (*oauth2.RetrieveError)(nil); err == nil || errors.As(err, &re) {
		t.Errorf("a dropped connection: %v, want a transport error", err)
	}
	if _, err := cfg.Exchange(ctx, code); err != nil {
		t.Errorf("the code after the drop: %v", err)
	}
	// Only the provider is reached.
	if _, err := p.HTTPClient().Get("http://example.com/"); err == nil || !strings.Contains(err.Error(), "reaches only its provider") {
		t.Errorf("another host: %v", err)
	}
	// After Close, connections are refused.
	p.Close()
	if _, err := p.HTTPClient().Get(p.DiscoveryURL()); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("after Close: %v", err)
	}
}

// TestInMemoryCloseWaitsForRequestsInFlight: Close returns once the
// requests in flight are answered, as httptest.Server's does.
func TestInMemoryCloseWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(),
		oauthtest.WithAccessTokenClaims(func(oauthtest.TokenContext, map[string]any) { close(entered); <-release }))
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	exchanged := make(chan error, 1)
	go func() {
		_, err := cfg.Exchange(clientContext(p), code)
		exchanged <- err
	}()
	<-entered // the token handler is signing
	closed := make(chan struct{})
	go func() { p.Close(); close(closed) }()
	select {
	case <-closed:
		t.Error("Close returned while a request was in flight")
	default:
	}
	close(release)
	<-closed
	if err := <-exchanged; err != nil {
		t.Errorf("the request in flight during Close: %v", err)
	}
}

func TestInMemoryOptionConflicts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		opts []oauthtest.Option
		want string
	}{
		{[]oauthtest.Option{oauthtest.WithoutServer(), oauthtest.WithIssuer("http://x.test")}, "WithInMemoryTransport and WithoutServer"},
		{[]oauthtest.Option{oauthtest.WithAddr("127.0.0.1:0")}, "WithInMemoryTransport and WithAddr"},
		{[]oauthtest.Option{oauthtest.WithTLS()}, "WithInMemoryTransport and WithTLS"},
	} {
		_, err := oauthtest.NewProvider(append(tc.opts, oauthtest.WithInMemoryTransport())...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}

// TestInMemoryMatchesLoopback: a differential test. The same requests to a
// provider over loopback and to one in memory get the same status, headers
// and body (the issuer aside).
func TestInMemoryMatchesLoopback(t *testing.T) {
	t.Parallel()
	loop := oauthtest.NewTestProvider(t)
	mem := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport())
	type call struct {
		name, method, path, body, auth string
		header                         int // bytes of padding in a header
	}
	answer := func(p *oauthtest.Provider, c call) (int, http.Header, string) {
		req, _ := http.NewRequest(c.method, p.Issuer()+c.path, strings.NewReader(c.body))
		if c.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		if c.header > 0 {
			req.Header.Set("X-Padding", strings.Repeat("x", c.header))
			req.Close = true
		}
		client := *p.HTTPClient()
		client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, strings.ReplaceAll(string(b), p.Issuer(), "ISSUER")
	}
	for _, c := range []call{
		{name: "JWKS", method: "GET", path: "/.well-known/jwks.json"},
		{name: "JWKS HEAD", method: "HEAD", path: "/.well-known/jwks.json"},
		{name: "discovery POST", method: "POST", path: "/.well-known/openid-configuration"},
		{name: "token, wrong secret", method: "POST", path: "/oauth/token", body: "grant_type=authorization_code&code=x", auth: "Basic b2F1dGh0ZXN0LWNsaWVudDp3cm9uZw=="},
		{name: "token, body too large", method: "POST", path: "/oauth/token", body: "code=" + strings.Repeat("x", 70<<10)},
		{name: "userinfo, no token", method: "GET", path: "/oauth/userinfo"},
		{name: "userinfo, bad token", method: "GET", path: "/oauth/userinfo", auth: "Bearer x.y.z"},
		{name: "authorize, error redirect", method: "GET", path: "/oauth/authorize?client_id=oauthtest-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&state=s"},
		{name: "authorize, error page", method: "GET", path: "/oauth/authorize?client_id=nobody"},
		{name: "unknown path", method: "GET", path: "/nowhere"},
		{name: "66 KiB of headers", method: "GET", path: "/.well-known/jwks.json", header: 66 << 10},
		{name: "69 KiB of headers", method: "GET", path: "/.well-known/jwks.json", header: 69 << 10},
	} {
		ls, lh, lb := answer(loop, c)
		ms, mh, mb := answer(mem, c)
		if ls != ms || lb != mb {
			t.Errorf("%s: loopback HTTP %d %q, in memory HTTP %d %q", c.name, ls, lb, ms, mb)
		}
		for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "WWW-Authenticate", "Allow"} {
			if lh.Get(h) != mh.Get(h) {
				t.Errorf("%s: %s %q over loopback, %q in memory", c.name, h, lh.Get(h), mh.Get(h))
			}
		}
		if lh.Get("Location") != strings.ReplaceAll(mh.Get("Location"), url.QueryEscape(mem.Issuer()), url.QueryEscape(loop.Issuer())) {
			t.Errorf("%s: Location %q over loopback, %q in memory", c.name, lh.Get("Location"), mh.Get("Location"))
		}
		if mh.Get("Date") == "" && ms != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: no Date in memory", c.name)
		}
	}
}
