package oauthtest_test

import (
	"errors"
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
		"TLS":            {oauthtest.WithTLS()},
		"TLS, chosen":    {oauthtest.WithTLS(), oauthtest.WithIssuer("https://idp.example")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t, append(opts, oauthtest.WithInMemoryTransport())...)
			if name == "default issuer" && p.Issuer() != oauthtest.DefaultInMemoryIssuer {
				t.Errorf("issuer %s, want %s", p.Issuer(), oauthtest.DefaultInMemoryIssuer)
			}
			if name == "TLS" && p.Issuer() != "https://oauthtest.test" {
				t.Errorf("issuer %s", p.Issuer())
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
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="oauthtest"` {
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
		{[]oauthtest.Option{oauthtest.WithIssuer("https://x.test")}, "an https issuer needs WithTLS"},
	} {
		_, err := oauthtest.NewProvider(append(tc.opts, oauthtest.WithInMemoryTransport())...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("error %v, want %q", err, tc.want)
		}
	}
}
