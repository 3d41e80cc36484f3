package oauthtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
)

// idVerifier discovers p afresh, with an empty key cache.
func idVerifier(t *testing.T, p *oauthtest.Provider, ctx context.Context) *oidc.IDTokenVerifier {
	t.Helper()
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	return op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})
}

func idToken(t *testing.T, p *oauthtest.Provider) string {
	t.Helper()
	return issuedTokens(t, p).Extra("id_token").(string)
}

// TestRotationWithOverlap: go-oidc's cached key set picks up a rotated key,
// and tokens signed before keep verifying until the old key is retired.
func TestRotationWithOverlap(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	cached := idVerifier(t, p, ctx)
	before := idToken(t, p)
	if _, err := cached.Verify(ctx, before); err != nil {
		t.Fatal(err)
	}
	old := p.SigningKeyID()
	next := p.PublishNextKey()
	if kids := p.KeyIDs(); !slices.Equal(kids, []string{old, next}) || p.SigningKeyID() != old {
		t.Fatalf("after PublishNextKey: published %v, signing %s", kids, p.SigningKeyID())
	}
	if p.RotateKey() != next || p.SigningKeyID() != next {
		t.Fatal("RotateKey did not switch to the published key")
	}
	after := idToken(t, p)
	if _, err := cached.Verify(ctx, after); err != nil {
		t.Errorf("the cached key set did not pick up the new key: %v", err)
	}
	if _, err := idVerifier(t, p, ctx).Verify(ctx, before); err != nil {
		t.Errorf("a token signed before the rotation: %v", err)
	}
	p.RetireOldKeys()
	if _, err := idVerifier(t, p, ctx).Verify(ctx, before); err == nil {
		t.Error("a fresh verifier accepted a token signed with a retired key")
	}
	if _, err := cached.Verify(ctx, before); err != nil {
		t.Errorf("go-oidc's cache still holds the retired key, so this should verify: %v", err)
	}
}

// TestRotationWithoutOverlap: rotating and retiring at once.
func TestRotationWithoutOverlap(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	cached := idVerifier(t, p, ctx)
	before := issuedTokens(t, p)
	p.RotateKey()
	p.RetireOldKeys()
	if len(p.KeyIDs()) != 1 {
		t.Fatalf("published %v", p.KeyIDs())
	}
	if _, err := cached.Verify(ctx, idToken(t, p)); err != nil {
		t.Errorf("a token signed with the new key: %v", err)
	}
	if _, err := idVerifier(t, p, ctx).Verify(ctx, before.Extra("id_token").(string)); err == nil {
		t.Error("a fresh verifier accepted a token of the retired key")
	}
	if resp, _ := userinfo(t, p, before.AccessToken); resp.StatusCode != 200 {
		t.Errorf("the provider itself no longer accepts its own unexpired token: HTTP %d", resp.StatusCode)
	}
}

func TestKeySeeds(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{oauthtest.RS256, oauthtest.ES256, oauthtest.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			a1 := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(alg), oauthtest.WithKeySeed(1))
			a2 := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(alg), oauthtest.WithKeySeed(1))
			b := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(alg), oauthtest.WithKeySeed(2))
			if a1.SigningKeyID() != a2.SigningKeyID() || a1.SigningKeyID() == b.SigningKeyID() {
				t.Errorf("kids %s %s %s: want the same for one seed, another for another", a1.SigningKeyID(), a2.SigningKeyID(), b.SigningKeyID())
			}
			verifyFlow(t, a1, clientContext(a1))
			// A token of b does not verify with a1's keys, even with the issuer check off.
			ctx := clientContext(a1)
			op, err := oidc.NewProvider(ctx, a1.Issuer())
			if err != nil {
				t.Fatal(err)
			}
			v := op.Verifier(&oidc.Config{ClientID: a1.ClientID(), SkipIssuerCheck: true, SupportedSigningAlgs: []string{alg}})
			if _, err := v.Verify(ctx, idToken(t, b)); err == nil {
				t.Error("a token of another provider's key verified")
			}
			// Derived keys rotate the same on every run; rotated RS256 keys
			// are generated, as eight shipped keys cannot give every seed
			// a sequence of its own.
			if r1, r2 := a1.RotateKey(), a2.RotateKey(); (r1 == r2) != (alg != oauthtest.RS256) {
				t.Errorf("rotated kids %s, %s", r1, r2)
			}
		})
	}
}

// publishedKids fetches p's JWKS over HTTP and returns its kids and size.
func publishedKids(t *testing.T, p *oauthtest.Provider) ([]string, int) {
	t.Helper()
	resp := visit(t, p, http.MethodGet, p.Issuer()+oauthtest.JWKSPath, nil)
	b, _ := io.ReadAll(resp.Body)
	var set struct{ Keys []struct{ Kid string } }
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids, len(b)
}

// TestManyRotations: however often a provider rotates, its JWKS holds at
// most four keys, and no kid ever comes back, retired or not; its own
// tokens of recent keys still pass userinfo. Before, every rotation stayed
// in the JWKS (4.5 MB after 10,000) and RS256 came back to retired keys
// after eight.
func TestManyRotations(t *testing.T) {
	t.Parallel()
	for alg, rotations := range map[string]int{oauthtest.ES256: 2000, oauthtest.RS256: 10} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(alg))
			seen := map[string]bool{p.SigningKeyID(): true}
			for i := range rotations {
				var kid string
				if i%2 == 0 {
					kid = p.RotateKey()
				} else {
					kid = p.PublishNextKey()
					p.RotateKey()
				}
				if i%3 == 0 {
					p.RetireOldKeys()
				}
				if seen[kid] {
					t.Fatalf("rotation %d came back to key %s", i, kid)
				}
				seen[kid] = true
			}
			kids, size := publishedKids(t, p)
			if len(kids) > 4+1 || size > 4096 { // + ES256's RS256 companion
				t.Errorf("after %d rotations the JWKS has %d keys, %d bytes", rotations, len(kids), size)
			}
			if !slices.Contains(kids, p.SigningKeyID()) {
				t.Errorf("the signing key %s is not published: %v", p.SigningKeyID(), kids)
			}
			tok := p.MintAccessToken()
			p.RotateKey()
			if resp, _ := userinfo(t, p, tok); resp.StatusCode != 200 {
				t.Errorf("a token of the previous key at userinfo: HTTP %d", resp.StatusCode)
			}
		})
	}
}

// TestRotationKeepsFourKeys: rotating without retiring drops the oldest
// key from the JWKS once four are published.
func TestRotationKeepsFourKeys(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(oauthtest.EdDSA))
	kids := []string{p.SigningKeyID()}
	for range 4 {
		kids = append(kids, p.RotateKey())
	}
	if got, _ := publishedKids(t, p); !slices.Equal(got[:4], kids[1:]) {
		t.Errorf("published %v, want the last four of %v", got, kids)
	}
}

// TestSeedsShareNoKey: providers of seeds 0 to 9 (a version 2 config gives
// issuer i seed i) never publish a key another publishes, however they
// rotate: before, seed s rotated to seed s+1's key, and seed 8 signed with
// seed 0's.
func TestSeedsShareNoKey(t *testing.T) {
	t.Parallel()
	owner := map[string]uint64{}
	for seed := range uint64(10) {
		for _, alg := range []string{oauthtest.RS256, oauthtest.ES256} {
			p := oauthtest.NewTestProvider(t, oauthtest.WithAlgorithm(alg), oauthtest.WithKeySeed(seed))
			p.PublishNextKey()
			if alg == oauthtest.ES256 {
				p.RotateKey()
			}
			kids, _ := publishedKids(t, p)
			for _, kid := range kids {
				if o, ok := owner[kid]; ok && o != seed {
					t.Errorf("seed %d (%s) publishes %s, a key of seed %d", seed, alg, kid, o)
				}
				owner[kid] = seed
			}
		}
	}
}

// TestHS256Client: an app verifies the access token with the client
// secret.
func TestHS256Client(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "legacy", Secret: "shared-secret-of-the-legacy-app", SigningAlg: oauthtest.HS256}))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "legacy", "shared-secret-of-the-legacy-app"
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	secret := func(*jwt.Token) (any, error) { return []byte(cfg.ClientSecret), nil }
	for _, raw := range []string{tok.AccessToken, tok.Extra("id_token").(string)} {
		if _, err := jwt.Parse(raw, secret, jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(p.Issuer()), jwt.WithAudience("legacy")); err != nil {
			t.Errorf("verifying with the client secret: %v", err)
		}
	}
	if resp, body := userinfo(t, p, tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("userinfo with an HS256 access token: %d %v", resp.StatusCode, body)
	}
	// A token claiming another client, signed with this one's secret, is refused.
	forged, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": p.Issuer(), "client_id": oauthtest.DefaultClientID, "exp": p.Now().Unix() + 60}).SignedString([]byte(cfg.ClientSecret))
	resp, body := userinfo(t, p, forged)
	wantJSONError(t, resp, body, "invalid_token", 401)
	// The default client's tokens are still RS256.
	if _, err := verifyRS256(idToken(t, p)); err != nil {
		t.Error(err)
	}
}

func verifyRS256(raw string) (*jwt.Token, error) {
	return jwt.Parse(raw, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil }, jwt.WithValidMethods([]string{"RS256"}))
}

// TestStartsDeriveNoKey: a provider's keys are parsed or derived once per
// process, not per provider. A provider that has published its keys costs
// no more allocations with ES256 or EdDSA than with the shipped RS256 key,
// where deriving an ES256 key allocates some 30 times and an EdDSA key 14.
// Not parallel: AllocsPerRun counts the whole process's allocations.
func TestStartsDeriveNoKey(t *testing.T) {
	start := func(alg string, opts ...oauthtest.Option) float64 {
		opts = append(opts, oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"), oauthtest.WithAlgorithm(alg))
		return testing.AllocsPerRun(50, func() {
			p, err := oauthtest.NewProvider(opts...)
			if err != nil {
				t.Fatal(err)
			}
			p.KeyIDs()
			p.Close()
		})
	}
	rs := start(oauthtest.RS256)
	for _, alg := range []string{oauthtest.ES256, oauthtest.EdDSA} {
		if n := start(alg); n > rs {
			t.Errorf("%s: a start allocates %v times, %v with RS256: the key is derived per provider", alg, n, rs)
		}
	}
	// The check can fail: with another seed, each provider derives its key.
	if n := start(oauthtest.EdDSA, oauthtest.WithKeySeed(7)); n <= rs {
		t.Errorf("a seeded EdDSA start allocates %v times, no more than RS256's %v: the test no longer sees derivations", n, rs)
	}
}
