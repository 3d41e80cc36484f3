package oauthtest_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// refreshAtOnce redeems refresh token rt n times at once, as an app's tabs
// do: each goroutine waits at a start barrier, then refreshes. It returns
// the tokens and errors, in no particular order.
func refreshAtOnce(ctx context.Context, cfg *oauth2.Config, rt string, n int) ([]*oauth2.Token, []error) {
	start := make(chan struct{})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		tokens []*oauth2.Token
		errs   []error
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tok, err := refreshOnce(ctx, cfg, rt)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				tokens = append(tokens, tok)
			}
		}()
	}
	close(start)
	wg.Wait()
	return tokens, errs
}

// reuseProvider has a stopped clock and, with window, a reuse interval.
func reuseProvider(t *testing.T, opts ...oauthtest.Option) (*oauthtest.Provider, *oauth2.Config, *oauth2.Token) {
	t.Helper()
	opts = append(opts, oauthtest.WithTime(time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)))
	p := oauthtest.NewTestProvider(t, opts...)
	return p, oauthConfig(p), issuedTokens(t, p)
}

// TestRefreshAtOnceStrict: without a reuse interval, two refreshes of one
// token at once are served exactly once; the other is a replay, which
// revokes the family, the winner's new refresh token too.
func TestRefreshAtOnceStrict(t *testing.T) {
	t.Parallel()
	p, cfg, tok := reuseProvider(t)
	ctx := clientContext(p)
	tokens, errs := refreshAtOnce(ctx, cfg, tok.RefreshToken, 2)
	if len(tokens) != 1 || len(errs) != 1 {
		t.Fatalf("%d served, %d refused; want exactly one of each", len(tokens), len(errs))
	}
	if re := wantRetrieveError(t, errs[0], "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "RFC 9700 §4.14.2") {
		t.Errorf("replay description %q", re.ErrorDescription)
	}
	_, err := refreshOnce(ctx, cfg, tokens[0].RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
}

// TestRefreshAtOnceWithReuseInterval: within the interval both tabs get the
// same successor refresh token, each with an access token of its own, and
// the family lives on: one live refresh token, which rotates as usual.
func TestRefreshAtOnceWithReuseInterval(t *testing.T) {
	t.Parallel()
	p, cfg, tok := reuseProvider(t, oauthtest.WithRefreshReuseInterval(10*time.Second))
	ctx := clientContext(p)
	tokens, errs := refreshAtOnce(ctx, cfg, tok.RefreshToken, 2)
	if len(errs) != 0 {
		t.Fatalf("refused within the reuse interval: %v", errs)
	}
	a, b := tokens[0], tokens[1]
	if a.RefreshToken != b.RefreshToken || a.RefreshToken == tok.RefreshToken {
		t.Errorf("refresh tokens %q and %q: want the same successor", a.RefreshToken, b.RefreshToken)
	}
	if a.AccessToken == b.AccessToken {
		t.Error("the same access token twice: each refresh signs its own")
	}
	for _, at := range []string{a.AccessToken, b.AccessToken} {
		if resp, _ := userinfo(t, p, at); resp.StatusCode != 200 {
			t.Errorf("access token refused at userinfo: HTTP %d", resp.StatusCode)
		}
	}
	var live []string
	for _, info := range p.Tokens() {
		if info.Kind == oauthtest.KindRefreshToken && !info.Rotated && !info.Revoked {
			live = append(live, info.ID)
		}
	}
	if len(live) != 1 || live[0] != a.RefreshToken {
		t.Errorf("live refresh tokens %q, want the successor alone", live)
	}
	if _, err := refreshOnce(ctx, cfg, a.RefreshToken); err != nil {
		t.Errorf("the successor: %v", err)
	}
}

// TestRefreshReuseWindow: by the provider's clock, a reuse within the
// interval gets the successor; past it, it is a replay that revokes the
// family.
func TestRefreshReuseWindow(t *testing.T) {
	t.Parallel()
	p, cfg, tok := reuseProvider(t, oauthtest.WithRefreshReuseInterval(10*time.Second))
	ctx := clientContext(p)
	first, err := refreshOnce(ctx, cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	p.FastForward(9 * time.Second)
	again, err := refreshOnce(ctx, cfg, tok.RefreshToken)
	if err != nil || again.RefreshToken != first.RefreshToken {
		t.Fatalf("reuse after 9s of 10: %v, refresh token %q, want %q", err, again.RefreshToken, first.RefreshToken)
	}
	p.FastForward(time.Second)
	_, err = refreshOnce(ctx, cfg, tok.RefreshToken)
	if re := wantRetrieveError(t, err, "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "reuse interval of 10s") {
		t.Errorf("description %q does not name the interval", re.ErrorDescription)
	}
	_, err = refreshOnce(ctx, cfg, first.RefreshToken)
	if re := wantRetrieveError(t, err, "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "revoked") {
		t.Errorf("the successor after a replay: %q, want revoked", re.ErrorDescription)
	}
}

// TestRefreshReuseOneGenerationOnly: a token whose successor was rotated
// too is a replay even within the interval, as at Auth0.
func TestRefreshReuseOneGenerationOnly(t *testing.T) {
	t.Parallel()
	p, cfg, tok := reuseProvider(t, oauthtest.WithRefreshReuseInterval(time.Minute))
	ctx := clientContext(p)
	first, err := refreshOnce(ctx, cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	second, err := refreshOnce(ctx, cfg, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	_, err = refreshOnce(ctx, cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	_, err = refreshOnce(ctx, cfg, second.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400) // the family is revoked
}

// TestRefreshReusePerClient: a client's Lifetimes.RefreshReuse applies to
// it alone; the default client stays strict.
func TestRefreshReusePerClient(t *testing.T) {
	t.Parallel()
	spa := oauthtest.Client{ID: "spa", Public: true, Lifetimes: oauthtest.Lifetimes{RefreshReuse: 5 * time.Second}}
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(spa), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	ctx := clientContext(p)
	cfg := &oauth2.Config{ClientID: "spa", RedirectURL: redirectURI, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier)), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := refreshAtOnce(ctx, cfg, tok.RefreshToken, 2); len(errs) != 0 {
		t.Errorf("client with a reuse interval: %v", errs)
	}
	p2, cfg2, tok2 := reuseProvider(t, oauthtest.WithClient(spa))
	if _, errs := refreshAtOnce(clientContext(p2), cfg2, tok2.RefreshToken, 2); len(errs) != 1 {
		t.Errorf("the default client beside it: %d refused, want 1", len(errs))
	}
}

// TestRefreshReuseIntervalValidated: a negative interval is refused.
func TestRefreshReuseIntervalValidated(t *testing.T) {
	t.Parallel()
	for _, opt := range []oauthtest.Option{
		oauthtest.WithRefreshReuseInterval(-time.Second),
		oauthtest.WithLifetimes(oauthtest.Lifetimes{RefreshReuse: -1}),
		oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", Lifetimes: oauthtest.Lifetimes{RefreshReuse: -1}}),
	} {
		_, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("http://127.0.0.1:1"), opt)
		if err == nil || !strings.Contains(err.Error(), "negative") {
			t.Errorf("negative reuse interval: %v", err)
		}
	}
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("http://127.0.0.1:1"), oauthtest.WithRefreshReuseInterval(0))
	if err != nil {
		t.Fatalf("0, strict: %v", err)
	}
	p.Close()
}
