package oauthtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// dpopToken is an access token of the default client, with openid, bound to c's key.
func dpopToken(t *testing.T, p *oauthtest.Provider, c *dpopClient) string {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, oauthConfig(p))}, "redirect_uri": {redirectURI}}
	resp, body := tokenRequest(t, p, form, c.proof(p, "POST", p.TokenURL(), nil))
	return wantDPoPBound(t, p, resp, body, c.jkt)
}

// TestAttackDPoPMisboundProofs: a proof bound to another request, another
// token or another curve than its alg is refused, at the token endpoint
// and at userinfo.
func TestAttackDPoPMisboundProofs(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	c := newDPoPClient(t)
	u, _ := url.Parse(p.TokenURL())
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for name, edit := range map[string]func(h, cl map[string]any){
		"trailing slash": func(_, cl map[string]any) { cl["htu"] = p.TokenURL() + "/" },
		"other port":     func(_, cl map[string]any) { cl["htu"] = "http://" + u.Hostname() + ":1" + u.Path },
		"path case": func(_, cl map[string]any) {
			cl["htu"] = strings.Replace(p.TokenURL(), "/oauth/token", "/OAuth/Token", 1)
		},
		"percent-encoded": func(_, cl map[string]any) {
			cl["htu"] = strings.Replace(p.TokenURL(), "/oauth/token", "/oauth/%74oken", 1)
		},
		"htm lower case": func(_, cl map[string]any) { cl["htm"] = "post" },
		"userinfo proof": func(_, cl map[string]any) { cl["htm"], cl["htu"] = "GET", p.UserinfoURL() },
		"P-384 key for ES256": func(h, _ map[string]any) {
			h["jwk"] = map[string]any{"kty": "EC", "crv": "P-384", "x": b64(p384.X.FillBytes(make([]byte, 48))), "y": b64(p384.Y.FillBytes(make([]byte, 48)))}
		},
	} {
		resp, body := tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), edit))
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" {
			t.Errorf("%s: HTTP %d %v, want invalid_dpop_proof", name, resp.StatusCode, body)
		}
	}

	tok, other := dpopToken(t, p, c), dpopToken(t, p, c)
	good := c.proof(p, "GET", p.UserinfoURL(), func(_, cl map[string]any) { cl["ath"] = ath(tok) })
	if resp, body := resourceRequest(t, p, "DPoP", tok, good); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with a good proof: HTTP %d %v", resp.StatusCode, body)
	}
	for name, proof := range map[string]string{
		"replayed":             good,
		"ath of another token": c.proof(p, "GET", p.UserinfoURL(), func(_, cl map[string]any) { cl["ath"] = ath(other) }),
		"token endpoint proof": c.proof(p, "POST", p.TokenURL(), func(_, cl map[string]any) { cl["ath"] = ath(tok) }),
		"another key":          newDPoPClient(t).proof(p, "GET", p.UserinfoURL(), func(_, cl map[string]any) { cl["ath"] = ath(tok) }),
	} {
		resp, body := resourceRequest(t, p, "DPoP", tok, proof)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("userinfo, %s: HTTP %d %v, want 401", name, resp.StatusCode, body)
		}
	}
}

// TestAttackDPoPNonceOfAnotherProvider: a nonce one provider gave is not
// another's.
func TestAttackDPoPNonceOfAnotherProvider(t *testing.T) {
	t.Parallel()
	p, q := oauthtest.NewTestProvider(t, ccClient, oauthtest.WithDPoPNonces()), oauthtest.NewTestProvider(t, ccClient, oauthtest.WithDPoPNonces())
	c := newDPoPClient(t)
	resp, _ := tokenRequest(t, q, clientCredentialsForm, c.proof(q, "POST", q.TokenURL(), nil))
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("no DPoP-Nonce")
	}
	resp, body := tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), func(_, cl map[string]any) { cl["nonce"] = nonce }))
	if body["error"] != "use_dpop_nonce" {
		t.Errorf("another provider's nonce: HTTP %d %v, want use_dpop_nonce", resp.StatusCode, body)
	}
}

// TestAttackDPoPBoundTokenAtTokeninfo: a DPoP-bound access token is
// useless to whoever stole it without the key (RFC 9449 §7): tokeninfo,
// which takes no proof, does not describe it (its subject, email...).
func TestAttackDPoPBoundTokenAtTokeninfo(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	tok := dpopToken(t, p, newDPoPClient(t))
	resp, body := postForm(t, p, p.Issuer()+oauthtest.TokeninfoPath, url.Values{"access_token": {tok}}, "", "")
	if resp.StatusCode == http.StatusOK || body["error"] != "invalid_token" {
		t.Errorf("tokeninfo of a DPoP-bound token without proof: HTTP %d %v, want invalid_token", resp.StatusCode, body)
	}
}
