package oauthtest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// TestDPoPProofHelper: DPoPProof makes proofs the provider accepts with
// every kind of key NewDPoPKey takes, and the MintOptions spoil them each
// in the way its check refuses.
func TestDPoPProofHelper(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, signer := range []crypto.Signer{newDPoPClient(t).key, ec384, ec521, ed, oauthtest.InsecureTestKey()} {
		key, err := oauthtest.NewDPoPKey(signer)
		if err != nil {
			t.Fatal(err)
		}
		resp, body := tokenRequest(t, p, clientCredentialsForm, p.DPoPProof(key, "POST", p.TokenURL()))
		wantDPoPBound(t, p, resp, body, key.Thumbprint())
	}
	c := newDPoPClient(t)
	key, _ := oauthtest.NewDPoPKey(c.key)
	if key.Thumbprint() != c.jkt {
		t.Errorf("Thumbprint %s, want %s (RFC 7638)", key.Thumbprint(), c.jkt)
	}
	for name, opt := range map[string]oauthtest.MintOption{
		"BadSignature":  oauthtest.BadSignature(),
		"ForeignKey":    oauthtest.ForeignKey(),
		"AlgNone":       oauthtest.AlgNone(),
		"Expired":       oauthtest.Expired(),
		"NotYetValid":   oauthtest.NotYetValid(),
		"Without htm":   oauthtest.Without("htm"),
		"SetClaims htu": oauthtest.SetClaims(map[string]any{"htu": p.UserinfoURL()}),
		"SetHeader typ": oauthtest.SetHeader(map[string]any{"typ": "JWT"}),
		"SetHeader jwk": oauthtest.SetHeader(map[string]any{"jwk": map[string]any{"kty": "EC", "crv": "P-256", "x": c.jwk["x"], "y": c.jwk["y"], "d": b64(c.key.D.Bytes())}}),
	} {
		t.Run(name, func(t *testing.T) {
			resp, body := tokenRequest(t, p, clientCredentialsForm, p.DPoPProof(key, "POST", p.TokenURL(), opt))
			wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
		})
	}
}

// TestNewDPoPKeyRefuses keys DPoP cannot use.
func TestNewDPoPKeyRefuses(t *testing.T) {
	t.Parallel()
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	for _, k := range []crypto.Signer{p224, small, nil} {
		if _, err := oauthtest.NewDPoPKey(k); err == nil || !strings.HasPrefix(err.Error(), "oauthtest: ") {
			t.Errorf("NewDPoPKey(%T) = %v, want an error", k, err)
		}
	}
}

// TestDPoPBoundMint: MintAccessToken with DPoPBound makes a token that
// userinfo serves only with a proof by that key, and introspection
// describes as DPoP; ForAccessToken gives the proof its ath.
func TestDPoPBoundMint(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	p.SetTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newDPoPClient(t)
	key, _ := oauthtest.NewDPoPKey(c.key)
	tok := p.MintAccessToken(oauthtest.DPoPBound(key.Thumbprint()))
	if resp, body := resourceRequest(t, p, "DPoP", tok, p.DPoPProof(key, "GET", p.UserinfoURL(), oauthtest.ForAccessToken(tok))); resp.StatusCode != 200 {
		t.Fatalf("HTTP %d %v", resp.StatusCode, body)
	}
	resp, body := resourceRequest(t, p, "DPoP", tok, p.DPoPProof(key, "GET", p.UserinfoURL()))
	wantDPoPChallenge(t, resp, body, "invalid_dpop_proof")
	_, body = postForm(t, p, p.IntrospectionURL(), map[string][]string{"token": {tok}}, p.ClientID(), p.ClientSecret())
	if body["token_type"] != "DPoP" {
		t.Errorf("introspection %v", body)
	}
}
