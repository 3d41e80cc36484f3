package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// dpopProof is a DPoP proof (RFC 9449 §4.2) by key for a POST to uri,
// with nonce unless it is "".
func dpopProof(t *testing.T, key *ecdsa.PrivateKey, uri, nonce string) string {
	t.Helper()
	b64 := base64.RawURLEncoding.EncodeToString
	claims := jwt.MapClaims{"jti": rand.Text(), "htm": http.MethodPost, "htu": uri, "iat": time.Now().Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["typ"] = "dpop+jwt"
	tok.Header["jwk"] = map[string]any{"kty": "EC", "crv": "P-256",
		"x": b64(key.X.FillBytes(make([]byte, 32))), "y": b64(key.Y.FillBytes(make([]byte, 32)))}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clientCredentials asks the token endpoint for a token for client id,
// with the DPoP proof if there is one, and returns the answer's status,
// DPoP-Nonce header and body.
func clientCredentials(t *testing.T, issuer, id, proof string) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, id+"-secret")
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header.Get("DPoP-Nonce"), body
}

// TestDPoPSettings: "dpop_nonces" (or -dpop-nonces) demands the
// provider's nonce in each proof, "dpop_required" (or -dpop-required)
// requires a proof of every client, and a client's
// "dpop_bound_access_tokens" of that client alone.
func TestDPoPSettings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clients := `"clients": [
	    {"id": "bound", "secret": "bound-secret", "grant_types": ["client_credentials"], "dpop_bound_access_tokens": true},
	    {"id": "free", "secret": "free-secret", "grant_types": ["client_credentials"]}]`
	write := func(name, cfg string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	plain := write("plain.json", `{"version": 1, `+clients+`}`)
	withFields := write("dpop.json", `{"version": 1, "dpop_nonces": true, "dpop_required": true, `+clients+`}`)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, c := range []struct {
		args            string
		nonces, require bool
	}{
		{"-config " + plain, false, false},
		{"-config " + withFields, true, true},
		{"-config " + plain + " -dpop-nonces", true, false},
		{"-config " + plain + " -dpop-required", false, true},
	} {
		pr := startCommand(t, append(strings.Fields(c.args), "-addr", "127.0.0.1:0")...)
		tokenURL := pr.issuer + "/oauth/token"
		if status, _, body := clientCredentials(t, pr.issuer, "bound", ""); status != http.StatusBadRequest || body["error"] != "invalid_dpop_proof" {
			t.Errorf("%s: bound client without a proof: HTTP %d %v", c.args, status, body)
		}
		status, _, body := clientCredentials(t, pr.issuer, "free", "")
		if refused := status == http.StatusBadRequest && body["error"] == "invalid_dpop_proof"; refused != c.require {
			t.Errorf("%s: free client without a proof: HTTP %d %v; want refused %t", c.args, status, body, c.require)
		}
		status, nonce, body := clientCredentials(t, pr.issuer, "bound", dpopProof(t, key, tokenURL, ""))
		if demanded := status == http.StatusBadRequest && body["error"] == "use_dpop_nonce" && nonce != ""; demanded != c.nonces {
			t.Errorf("%s: a proof without a nonce: HTTP %d, DPoP-Nonce %q, %v; want a nonce demanded %t", c.args, status, nonce, body, c.nonces)
		}
		if c.nonces {
			status, _, body = clientCredentials(t, pr.issuer, "bound", dpopProof(t, key, tokenURL, nonce))
		}
		if status != http.StatusOK || body["token_type"] != "DPoP" {
			t.Errorf("%s: a proof with the nonce: HTTP %d %v, want a DPoP token", c.args, status, body)
		}
	}
}
