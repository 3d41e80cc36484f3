package oauthtest_test

// Benchmarks, each beside its floor: what the same work costs without the
// provider. scripts/bench.sh runs them interleaved and compares each pair
// with its target (docs/performance.md).

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// ---- 1. Start and close ----

// cleanupTB runs NewTestProvider's cleanup when asked, as a test's end does.
type cleanupTB struct {
	testing.TB
	cleanups []func()
}

func (c *cleanupTB) Cleanup(f func()) { c.cleanups = append(c.cleanups, f) }
func (c *cleanupTB) end() {
	for _, f := range c.cleanups {
		f()
	}
	c.cleanups = c.cleanups[:0]
}

func BenchmarkStartClose(b *testing.B) {
	b.ReportAllocs()
	tb := &cleanupTB{TB: b}
	for b.Loop() {
		oauthtest.NewTestProvider(tb)
		tb.end()
	}
}

func BenchmarkStartCloseFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		httptest.NewServer(http.NotFoundHandler()).Close()
	}
}

// ---- 2. A code flow, and 3. a refresh ----

// flowClient is what an app holds: an oauth2 config and a go-oidc verifier
// whose key set is cached after the first verification.
type flowClient struct {
	cfg      *oauth2.Config
	ctx      context.Context
	browser  *http.Client
	verifier *oidc.IDTokenVerifier
}

func newFlowClient(b *testing.B, issuer, authURL, tokenURL string, hc *http.Client) *flowClient {
	b.Helper()
	ctx := oidc.ClientContext(context.Background(), hc)
	browser := *hc
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	keys := oidc.NewRemoteKeySet(ctx, issuer+"/.well-known/jwks.json")
	return &flowClient{
		cfg: &oauth2.Config{ClientID: oauthtest.DefaultClientID, ClientSecret: oauthtest.DefaultClientSecret,
			Endpoint:    oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader},
			RedirectURL: "http://127.0.0.1:9999/callback", Scopes: []string{"openid", "email"}},
		ctx: ctx, browser: &browser,
		verifier: oidc.NewVerifier(issuer, keys, &oidc.Config{ClientID: oauthtest.DefaultClientID, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA}}),
	}
}

// flow runs authorize, exchange and ID token verification.
func (c *flowClient) flow(b testing.TB) *oauth2.Token {
	resp, err := c.browser.Get(c.cfg.AuthCodeURL("st"))
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := c.cfg.Exchange(c.ctx, loc.Query().Get("code"))
	if err != nil {
		b.Fatal(err)
	}
	c.verify(b, tok)
	return tok
}

func (c *flowClient) verify(b testing.TB, tok *oauth2.Token) {
	if _, err := c.verifier.Verify(c.ctx, tok.Extra("id_token").(string)); err != nil {
		b.Fatal(err)
	}
}

func (c *flowClient) refresh(b testing.TB, rt string) *oauth2.Token {
	tok, err := c.cfg.TokenSource(c.ctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		b.Fatal(err)
	}
	c.verify(b, tok)
	return tok
}

func providerClient(b *testing.B, opts ...oauthtest.Option) (*oauthtest.Provider, *flowClient) {
	p := oauthtest.NewTestProvider(b, opts...)
	return p, newFlowClient(b, p.Issuer(), p.AuthURL(), p.TokenURL(), p.HTTPClient())
}

func BenchmarkFlow(b *testing.B) {
	_, c := providerClient(b)
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

func BenchmarkFlowFloor(b *testing.B) {
	srv, c := floorClient(b)
	defer srv.Close()
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

// BenchmarkDPoPFlow is BenchmarkFlow with a DPoP proof (ES256) on the
// token request, which the provider verifies and binds the token to: its
// floor is BenchmarkFlow, so the difference is what DPoP costs both sides.
func BenchmarkDPoPFlow(b *testing.B) {
	p := oauthtest.NewTestProvider(b)
	hc := *p.HTTPClient()
	hc.Transport = &dpopTransport{base: hc.Transport, p: p, c: newDPoPClient(b)}
	c := newFlowClient(b, p.Issuer(), p.AuthURL(), p.TokenURL(), &hc)
	b.ReportAllocs()
	for b.Loop() {
		if tok := c.flow(b); tok.TokenType != "DPoP" {
			b.Fatalf("token_type %q", tok.TokenType)
		}
	}
}

// dpopTransport adds a fresh DPoP proof to each POST, as a DPoP client's
// HTTP client does.
type dpopTransport struct {
	base http.RoundTripper
	p    *oauthtest.Provider
	c    *dpopClient
}

func (t *dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost {
		r = r.Clone(r.Context())
		r.Header.Set("DPoP", t.c.proof(t.p, r.Method, r.URL.String(), nil))
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

func BenchmarkRefresh(b *testing.B) {
	_, c := providerClient(b)
	rt := c.flow(b).RefreshToken
	b.ReportAllocs()
	for b.Loop() {
		rt = c.refresh(b, rt).RefreshToken
	}
}

func BenchmarkRefreshFloor(b *testing.B) {
	srv, c := floorClient(b)
	defer srv.Close()
	b.ReportAllocs()
	for b.Loop() {
		c.refresh(b, "rt")
	}
}

// ---- 4. Throughput on one shared provider ----

func BenchmarkParallelFlows(b *testing.B) {
	_, c := providerClient(b)
	c.flow(b)           // caches the key set
	b.SetParallelism(2) // 4 goroutines with GOMAXPROCS=2
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.flow(b)
		}
	})
}

func BenchmarkParallelFlowsFloor(b *testing.B) {
	srv, c := floorClient(b)
	defer srv.Close()
	c.flow(b)
	b.SetParallelism(2)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.flow(b)
		}
	})
}

// ---- 5. 200 parallel tests, each with its own provider and one flow ----

func Benchmark200Tests(b *testing.B) { bench200(b) }

func Benchmark200TestsFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		run200(b, func() (func(), *flowClient) {
			srv, c := floorClient(b)
			return srv.Close, c
		})
	}
}

func run200(b *testing.B, start func() (stop func(), c *flowClient)) {
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			stop, c := start()
			defer stop()
			c.flow(b)
		})
	}
	wg.Wait()
}

// ---- 7. ES256 and EdDSA against RS256 ----

func BenchmarkFlowES256(b *testing.B) {
	_, c := providerClient(b, oauthtest.WithAlgorithm(oauthtest.ES256))
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

func BenchmarkFlowEdDSA(b *testing.B) {
	_, c := providerClient(b, oauthtest.WithAlgorithm(oauthtest.EdDSA))
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

// BenchmarkFlowEdDSAFloor is an EdDSA flow with nothing of the provider in
// it: what FlowEdDSA cannot go below.
func BenchmarkFlowEdDSAFloor(b *testing.B) {
	srv, c := floorClientWith(b, ed25519Floor())
	defer srv.Close()
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

// ---- 8. The in-memory transport against loopback ----

func BenchmarkFlowEdDSAInMemory(b *testing.B) {
	_, c := providerClient(b, oauthtest.WithAlgorithm(oauthtest.EdDSA), oauthtest.WithInMemoryTransport())
	b.ReportAllocs()
	for b.Loop() {
		c.flow(b)
	}
}

// Benchmark200TestsEdDSA and Benchmark200TestsEdDSAInMemory are the 200
// tests of target 5 with EdDSA, over loopback and in memory: with RS256
// the signatures would hide what the transport costs.
func Benchmark200TestsEdDSA(b *testing.B) {
	bench200(b, oauthtest.WithAlgorithm(oauthtest.EdDSA))
}

func Benchmark200TestsEdDSAInMemory(b *testing.B) {
	bench200(b, oauthtest.WithAlgorithm(oauthtest.EdDSA), oauthtest.WithInMemoryTransport())
}

func bench200(b *testing.B, opts ...oauthtest.Option) {
	b.ReportAllocs()
	for b.Loop() {
		run200(b, func() (func(), *flowClient) {
			tb := &cleanupTB{TB: b}
			p := oauthtest.NewTestProvider(tb, opts...)
			return tb.end, newFlowClient(b, p.Issuer(), p.AuthURL(), p.TokenURL(), p.HTTPClient())
		})
	}
}

// ---- 6. Memory retained ----

// BenchmarkRetainedHeap reports the heap a provider holds after 100,000
// flows whose tokens have all expired, and per live flow before that.
func BenchmarkRetainedHeap(b *testing.B) {
	for b.Loop() {
		p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"),
			oauthtest.WithAlgorithm(oauthtest.EdDSA), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
		if err != nil {
			b.Fatal(err)
		}
		before := heap()
		const flows = 100_000
		for range flows {
			handlerFlow(b, p)
		}
		live := heap()
		p.FastForward(oauthtest.DefaultRefreshTokenLifetime + time.Minute)
		handlerFlow(b, p) // the next flow sweeps what expired
		after := heap()
		b.ReportMetric(float64(live-before)/flows, "B/live-flow")
		b.ReportMetric(float64(after-before), "B-retained")
		runtime.KeepAlive(p)
	}
}

func heap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// ---- The floor server ----

// floorKey is the floor's signing key: an RSA-2048 key as rsa.GenerateKey
// makes one, the same kind as the provider's shipped keys, so that both
// sides of a ratio pay the same for each signature.
var floorKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// floorSigner is how a floor server signs: a JWS method, its key, and the
// key's public JWK without kid, alg and use.
type floorSigner struct {
	method jwt.SigningMethod
	key    crypto.Signer
	jwk    string
}

func rsaFloor() floorSigner {
	k := floorKey()
	return floorSigner{jwt.SigningMethodRS256, k, fmt.Sprintf(`"kty":"RSA","n":%q,"e":"AQAB"`, b64(k.N.Bytes()))}
}

// ed25519Floor signs with Ed25519, to show what an EdDSA flow costs with
// nothing of the provider in it.
func ed25519Floor() floorSigner {
	k := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	return floorSigner{jwt.SigningMethodEdDSA, k, fmt.Sprintf(`"kty":"OKP","crv":"Ed25519","x":%q`, b64(k.Public().(ed25519.PublicKey)))}
}

// floorClient starts the floor: trivial handlers that make the same two
// round trips and sign the same two RS256 tokens, one after the other, with
// one key.
func floorClient(b *testing.B) (*httptest.Server, *flowClient) {
	return floorClientWith(b, rsaFloor())
}

func floorClientWith(b *testing.B, fs floorSigner) (*httptest.Server, *flowClient) {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	kid := "floor"
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("redirect_uri")+"?code=c&state="+r.URL.Query().Get("state"), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().Unix()
		claims := jwt.MapClaims{"iss": srv.URL, "sub": "test-user", "aud": oauthtest.DefaultClientID, "iat": now, "exp": now + 3600}
		access := fs.sign(kid, claims)
		id := fs.sign(kid, claims)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600, "refresh_token": "rt", "id_token": id})
	})
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"keys":[{"kid":%q,"alg":%q,"use":"sig",%s}]}`, kid, fs.method.Alg(), fs.jwk)
	})
	return srv, newFlowClient(b, srv.URL, srv.URL+"/authorize", srv.URL+"/token", srv.Client())
}

func (fs floorSigner) sign(kid string, claims jwt.MapClaims) string {
	t := jwt.NewWithClaims(fs.method, claims)
	t.Header["kid"] = kid
	s, err := t.SignedString(fs.key)
	if err != nil {
		panic(err)
	}
	return s
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
