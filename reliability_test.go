package oauthtest_test

import (
	"errors"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// oneWinner runs f from n goroutines released at once and asserts that
// exactly one succeeds and the others get invalid_grant. It returns the
// winner's tokens.
func oneWinner(t *testing.T, n int, f func() (*oauth2.Token, error)) *oauth2.Token {
	t.Helper()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		start   = make(chan struct{})
		winners []*oauth2.Token
		errs    []error
	)
	for range n {
		wg.Go(func() {
			<-start
			tok, err := f()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				winners = append(winners, tok)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d winners, want exactly 1; errors: %v", len(winners), errs)
	}
	for _, err := range errs {
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || re.Response.StatusCode != 400 {
			t.Fatalf("a loser saw %v, want invalid_grant", err)
		}
	}
	return winners[0]
}

func TestCodeRedeemedExactlyOnce(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	code := authorizeCode(t, p, cfg)
	winner := oneWinner(t, 100, func() (*oauth2.Token, error) { return cfg.Exchange(ctx, code) })
	if resp, _ := userinfo(t, p, winner.AccessToken); resp.StatusCode != 401 {
		t.Errorf("the winner's access token survived the replays: HTTP %d", resp.StatusCode)
	}
	_, err := refreshOnce(ctx, cfg, winner.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
}

func TestRefreshTokenRedeemedExactlyOnce(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	rt := issuedTokens(t, p).RefreshToken
	winner := oneWinner(t, 100, func() (*oauth2.Token, error) { return refreshOnce(ctx, cfg, rt) })
	_, err := refreshOnce(ctx, cfg, winner.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400) // the family was revoked by the replays
}

func TestVerifierAlphabet(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	// A valid plain challenge, redeemed with verifiers that break RFC 7636 §4.1.
	good := strings.Repeat("a", 43)
	code := authorizeCode(t, p, cfg, oauth2.SetAuthURLParam("code_challenge", good))
	for _, v := range []string{strings.Repeat("a", 42), strings.Repeat("a", 129), good[:42] + "+", good[:42] + " "} {
		_, err := cfg.Exchange(clientContext(p), code, oauth2.VerifierOption(v))
		wantRetrieveError(t, err, "invalid_grant", 400)
	}
	if _, err := cfg.Exchange(clientContext(p), code, oauth2.VerifierOption(good)); err != nil {
		t.Errorf("the right verifier after wrong ones: %v", err)
	}
}

func TestOversizedParameters(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	long := strings.Repeat("x", 9<<10)
	resp := visit(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL(long), nil)
	if resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("a 9 KiB state: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	r, body := postForm(t, p, p.TokenURL(), url.Values{"grant_type": {"authorization_code"}, "code": {long}}, p.ClientID(), p.ClientSecret())
	wantJSONError(t, r, body, "invalid_request", 400)
	resp = visit(t, p, http.MethodGet, p.AuthURL()+"?state="+strings.Repeat("x", 100<<10), nil)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("a 100 KiB URL: HTTP %d, want 431 from net/http", resp.StatusCode)
	}
}

// TestHeaderLimit pins what README.md says: on a new connection, net/http
// reads a request line and headers of up to 64 KiB plus its 4 KiB of buffer
// slack, and refuses more with 431 before the provider sees the request. (On
// a reused connection it has read up to 4 KiB of the next request before it
// starts counting.)
func TestHeaderLimit(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	for size, want := range map[int]int{66 << 10: http.StatusOK, 69 << 10: http.StatusRequestHeaderFieldsTooLarge} {
		req, _ := http.NewRequest(http.MethodGet, p.JWKSURL(), nil)
		req.Close = true // a connection of its own
		req.Header.Set("X-Padding", strings.Repeat("x", size))
		resp, err := p.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%d KiB of headers: HTTP %d, want %d", size>>10, resp.StatusCode, want)
		}
	}
}

// TestMemoryFollowsWhatIsLive: after many flows whose tokens expired, the
// provider holds what the newest flow issued, not what was ever issued.
func TestMemoryFollowsWhatIsLive(t *testing.T) {
	t.Parallel()
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"),
		oauthtest.WithAlgorithm(oauthtest.EdDSA), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	for range 3000 {
		handlerFlow(t, p)
	}
	if n := len(p.Tokens()); n < 6000 {
		t.Fatalf("%d tokens live, want the 6000 just issued", n)
	}
	p.FastForward(oauthtest.DefaultRefreshTokenLifetime + time.Minute)
	handlerFlow(t, p)
	if tokens, codes := len(p.Tokens()), len(p.Codes()); tokens != 2 || codes != 1 {
		t.Errorf("after everything expired and one more flow: %d tokens, %d codes held; want 2 and 1", tokens, codes)
	}
}

// handlerFlow runs authorize and token exchange through p's handler.
func handlerFlow(t testing.TB, p *oauthtest.Provider) {
	t.Helper()
	q := url.Values{"client_id": {p.ClientID()}, "redirect_uri": {redirectURI}, "response_type": {"code"}, "scope": {"openid"}}
	auth := serve(p, "GET", "https://op.example/oauth/authorize?"+q.Encode(), nil)
	loc, _ := url.Parse(auth.Header().Get("Location"))
	tok := serve(p, "POST", "https://op.example/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {redirectURI},
	})
	if tok.Code != 200 {
		t.Fatalf("flow: %d %s", tok.Code, tok.Body)
	}
}

// TestCloseWaitsForRequestsInFlight: a token request held inside the
// provider completes even though Close began meanwhile; Close returns after.
func TestCloseWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	entered, release := make(chan struct{}), make(chan struct{})
	p, err := oauthtest.NewProvider(oauthtest.WithAccessTokenClaims(func(oauthtest.TokenContext, map[string]any) {
		close(entered)
		<-release
	}))
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	exchanged := make(chan error)
	go func() {
		_, err := cfg.Exchange(clientContext(p), code)
		exchanged <- err
	}()
	<-entered
	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	for { // Close has begun once the listener refuses connections
		c, err := net.Dial("tcp", strings.TrimPrefix(p.Issuer(), "http://"))
		if err != nil {
			break
		}
		c.Close()
		runtime.Gosched()
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a request was in flight")
	default:
	}
	close(release)
	if err := <-exchanged; err != nil {
		t.Errorf("the request in flight failed: %v", err)
	}
	<-closed
	p.Close() // a second Close is harmless
}
