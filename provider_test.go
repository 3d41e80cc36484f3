package oauthtest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// fakeTB records what NewTestProvider does with its test.
type fakeTB struct {
	fatal    string
	cleanups []func()
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Fatalf(format string, args ...any) { f.fatal = fmt.Sprintf(format, args...) }
func (f *fakeTB) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }

func TestNewTestProviderFailsTheTestOnBadOptions(t *testing.T) {
	t.Parallel()
	var tb fakeTB
	if p := oauthtest.NewTestProvider(&tb, oauthtest.WithClient(oauthtest.Client{ID: "x"})); p != nil || !strings.Contains(tb.fatal, `client "x" is confidential and needs a Secret`) {
		t.Errorf("provider %v, Fatalf %q", p, tb.fatal)
	}
}

func TestNewTestProviderRegistersCleanup(t *testing.T) {
	t.Parallel()
	var tb fakeTB
	p := oauthtest.NewTestProvider(&tb)
	if tb.fatal != "" || len(tb.cleanups) != 1 {
		t.Fatalf("Fatalf %q, %d cleanups", tb.fatal, len(tb.cleanups))
	}
	tb.cleanups[0]()
	if _, err := http.Get(p.DiscoveryURL()); err == nil {
		t.Error("the provider still answers after cleanup")
	}
	p.Close() // a second Close is harmless
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, tc := range []struct {
		opt  oauthtest.Option
		want string
	}{
		{oauthtest.WithClient(oauthtest.Client{Secret: "s"}), "client has no ID"},
		{oauthtest.WithClient(oauthtest.Client{ID: "p", Public: true, Secret: "s"}), `client "p" is public and must not have a secret`},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", RedirectURIs: []string{"/relative"}}), "is not absolute: it needs a scheme"},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", RedirectURIs: []string{"https://a.example/cb#x"}}), "has a fragment"},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", AuthMethods: []string{"none"}}), `auth method "none" does not fit a confidential client`},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", AuthMethods: []string{"private_key_jwt"}}), `auth method "private_key_jwt" needs PublicKeys`},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", AuthMethods: []string{"tls_client_auth"}}), `auth method "tls_client_auth" is not one of`},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", PublicKeys: []crypto.PublicKey{p384.Public()}}), "must be on P-256"},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", PublicKeys: []crypto.PublicKey{ec256.Public()}, AuthMethods: []string{oauthtest.AuthMethodBasic}}), `auth method "client_secret_basic" needs a Secret`},
		{oauthtest.WithTrustedIssuer("", ec256.Public()), "a trusted issuer needs a name"},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", GrantTypes: []string{"password"}}), `grant type "password" is not supported`},
		{oauthtest.WithClient(oauthtest.Client{ID: "p", Public: true, GrantTypes: []string{oauthtest.GrantClientCredentials}}), `client "p" is public and cannot use grant type "client_credentials"`},
		{oauthtest.WithUser(oauthtest.User{}), "user has no Subject"},
		{oauthtest.WithUser(oauthtest.User{Subject: "u", Claims: map[string]any{"iss": "x"}}), `claim "iss" is set by the provider`},
		{oauthtest.WithIssuer("not a url"), "must be an http or https URL"},
		{oauthtest.WithIssuer("https://a.example/?q=1"), "without query or fragment"},
		{oauthtest.WithAccessTokenLifetime(time.Millisecond), "shorter than one second"},
		{oauthtest.WithSigningKey(small), "has 1024 bits"},
		{oauthtest.WithSigningKey(p384), "must be on P-256"},
		{oauthtest.WithoutServer(), "WithoutServer needs WithIssuer"},
		{oauthtest.WithAlgorithm("PS256"), `algorithm "PS256" is not supported`},
		{oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", SigningAlg: "RS512"}), `SigningAlg "RS512" is not supported`},
		{oauthtest.WithClient(oauthtest.Client{ID: "p", Public: true, SigningAlg: oauthtest.HS256}), `client "p" is public: it has no secret to sign HS256 tokens`},
		{oauthtest.WithAddr("256.0.0.1:1"), "listen on 256.0.0.1:1"},
	} {
		p, err := oauthtest.NewProvider(tc.opt)
		if err == nil {
			p.Close()
			t.Errorf("no error, want %q", tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "oauthtest: ") {
			t.Errorf("error %q, want %q", err, tc.want)
		}
	}
}

// TestDeterministicKeys: every provider publishes the same JWKS, whose kid is
// the RFC 7638 thumbprint of the shipped key.
func TestDeterministicKeys(t *testing.T) {
	t.Parallel()
	get := func(p *oauthtest.Provider) string {
		resp, err := p.HTTPClient().Get(p.JWKSURL())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	a, b := get(oauthtest.NewTestProvider(t)), get(oauthtest.NewTestProvider(t))
	if a != b || !strings.Contains(a, `"kid":"`+testKeyKid+`"`) {
		t.Errorf("JWKS differ or lack kid %s:\n%s\n%s", testKeyKid, a, b)
	}
	thumb, err := (&jose.JSONWebKey{Key: oauthtest.InsecureTestKey().Public()}).Thumbprint(crypto.SHA256)
	if err != nil || base64.RawURLEncoding.EncodeToString(thumb) != testKeyKid {
		t.Errorf("go-jose computes the thumbprint %s (%v), want %s", base64.RawURLEncoding.EncodeToString(thumb), err, testKeyKid)
	}
}

// testKeyKid is the RFC 7638 thumbprint of InsecureTestKey. Users may pin
// it, so it changes only with the shipped key, and deliberately.
const testKeyKid = "CvtsCI_pKCWE_q_jRVxtfQayc2c_lNJVTIh_NRXK4_k"

// TestSigningKeys runs a flow verified by go-oidc with each supported key type.
func TestSigningKeys(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for name, key := range map[string]crypto.Signer{"RS256": oauthtest.InsecureTestKey(), "ES256": ec, "EdDSA": ed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t, oauthtest.WithSigningKey(key))
			verifyFlow(t, p, clientContext(p))
		})
	}
}

// verifyFlow runs discovery, a code flow and ID token verification.
func verifyFlow(t *testing.T, p *oauthtest.Provider, ctx context.Context) {
	t.Helper()
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(p)
	cfg.Endpoint = op.Endpoint()
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Error(err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTLS())
	if !strings.HasPrefix(p.Issuer(), "https://127.0.0.1:") || p.TLSConfig() == nil {
		t.Fatalf("issuer %s", p.Issuer())
	}
	verifyFlow(t, p, clientContext(p))
}

// TestMountedHandler serves the provider below a path of the app's own server.
func TestMountedHandler(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer(app.URL+"/idp/"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	mux.Handle("/idp/", p.Handler())
	mux.Handle("/.well-known/oauth-authorization-server/idp", p.Handler())
	if p.Issuer() != app.URL+"/idp" || p.TokenURL() != app.URL+"/idp/oauth/token" {
		t.Fatalf("issuer %s token URL %s", p.Issuer(), p.TokenURL())
	}
	verifyFlow(t, p, context.WithValue(context.Background(), oauth2.HTTPClient, app.Client()))
	// RFC 8414 §3 inserts the well-known path between the host and the
	// issuer's path; OpenID Connect Discovery §4 appends it.
	for _, u := range []string{app.URL + "/.well-known/oauth-authorization-server/idp", app.URL + "/idp/.well-known/openid-configuration"} {
		resp, err := app.Client().Get(u)
		if err != nil {
			t.Fatal(err)
		}
		var m struct{ Issuer string }
		err = json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || m.Issuer != p.Issuer() {
			t.Errorf("%s: HTTP %d, issuer %q (%v)", u, resp.StatusCode, m.Issuer, err)
		}
	}
}

func TestWithAddr(t *testing.T) {
	t.Parallel()
	p, err := oauthtest.NewProvider(oauthtest.WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.Issuer(), "http://127.0.0.1:") || strings.HasSuffix(p.Issuer(), ":0") {
		t.Errorf("issuer %s", p.Issuer())
	}
	verifyFlow(t, p, clientContext(p))
}

// TestProvidersAreIndependent: codes, tokens, faults, users and clocks of
// one provider mean nothing to another.
func TestProvidersAreIndependent(t *testing.T) {
	t.Parallel()
	a, b := oauthtest.NewTestProvider(t), oauthtest.NewTestProvider(t)
	code := authorizeCode(t, a, oauthConfig(a))
	_, err := oauthConfig(b).Exchange(clientContext(b), code)
	wantRetrieveError(t, err, "invalid_grant", 400)
	tok := issuedTokens(t, a)
	_, err = refreshOnce(clientContext(b), oauthConfig(b), tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)

	a.Fail(oauthtest.EndpointToken, oauthtest.FaultStatus(503))
	a.QueueDenial()
	a.FastForward(24 * time.Hour)
	if sub := loginSubject(t, b); sub != "test-user" {
		t.Errorf("b was affected by a's staging: %s", sub)
	}
	if d := a.Now().Sub(b.Now()); d < 23*time.Hour {
		t.Errorf("clocks differ by %v, want a day", d)
	}
}

func TestCustomUserClaimsInIDToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	if err := p.SetUser(oauthtest.User{Subject: "bob", Claims: map[string]any{"groups": []string{"dev"}, "email": "bob@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetUser(oauthtest.User{Subject: "bad", Claims: map[string]any{"sub": "x"}}); err == nil {
		t.Error("SetUser accepted a reserved claim")
	}
	cfg := oauthConfig(p, "openid")
	ctx := clientContext(p)
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	op, _ := oidc.NewProvider(ctx, p.Issuer())
	idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	if idt.Subject != "bob" || claims["groups"] == nil || claims["email"] != nil {
		t.Errorf("claims %v: want sub bob, groups, and no email without the email scope", claims)
	}
}

func TestErrorsIs(t *testing.T) {
	t.Parallel()
	e := oauthtest.ErrInvalidGrant.WithDescription("code %q expired", "abc")
	if !errors.Is(e, oauthtest.ErrInvalidGrant) || errors.Is(e, oauthtest.ErrInvalidRequest) {
		t.Error("errors.Is does not compare error codes")
	}
	if oauthtest.ErrInvalidGrant.ErrorDescription != "" {
		t.Error("WithDescription changed the prototype")
	}
	if e.Error() != `oauthtest: invalid_grant: code "abc" expired` || e.StatusCode() != 400 {
		t.Errorf("%q %d", e.Error(), e.StatusCode())
	}
	if oauthtest.ErrInvalidClient.StatusCode() != 401 || oauthtest.ErrTemporarilyUnavailable.StatusCode() != 503 {
		t.Error("status codes")
	}
	wrapped := fmt.Errorf("exchange: %w", e)
	var target *oauthtest.Error
	if !errors.As(wrapped, &target) || target.ErrorCode != "invalid_grant" {
		t.Error("errors.As")
	}
}

func TestDiscoveryAdvertisesClientScopes(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "api", Secret: "s", Scopes: []string{"openid", "orders:read"}}))
	op, err := oidc.NewProvider(clientContext(p), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Scopes []string `json:"scopes_supported"`
	}
	if err := op.Claims(&meta); err != nil || !strings.Contains(strings.Join(meta.Scopes, " "), "offline_access orders:read") {
		t.Errorf("scopes_supported %v (%v)", meta.Scopes, err)
	}
	cfg := oauthConfig(p, "openid", "orders:read")
	cfg.ClientID, cfg.ClientSecret = "api", "s"
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
		t.Errorf("the advertised scope does not work: %v", err)
	}
}
