package oauthtest_test

import (
	"crypto/ed25519"
	"net/http"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// TestAttackRequestObjectJOSE: a request object with a crit header (an
// extension the provider does not understand), or signed HS256 with the
// bytes of the client's public key (algorithm confusion), is refused.
func TestAttackRequestObjectJOSE(t *testing.T) {
	t.Parallel()
	p := parProvider(t)
	crit := jwt.NewWithClaims(jwt.SigningMethodEdDSA, roClaims(p, "app", nil))
	crit.Header["typ"], crit.Header["crit"], crit.Header["exp-ext"] = "oauth-authz-req+jwt", []string{"exp-ext"}, true
	withCrit, err := crit.SignedString(appKey)
	if err != nil {
		t.Fatal(err)
	}
	wantRefusalPage(t, p, byValue(p, "app", withCrit), "crit")
	confused := requestObject(t, []byte(appKey.Public().(ed25519.PublicKey)), roClaims(p, "app", nil))
	wantRefusalPage(t, p, byValue(p, "app", confused), "signature does not verify")
}

// TestAttackDPoPCrit: nor is a DPoP proof with a crit header accepted.
func TestAttackDPoPCrit(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	c := newDPoPClient(t)
	proof := c.proof(p, "POST", p.TokenURL(), func(h, _ map[string]any) { h["crit"], h["exp-ext"] = []string{"exp-ext"}, true })
	resp, body := tokenRequest(t, p, clientCredentialsForm, proof)
	if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" {
		t.Errorf("a proof with crit: HTTP %d %v, want invalid_dpop_proof", resp.StatusCode, body)
	}
}
