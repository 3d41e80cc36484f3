package oauthtest_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// requireDPoP is a resource server's middleware, the code under test: it
// serves a request whose DPoP-bound access token is valid and whose DPoP
// proof was made by the token's key for this request and token
// (RFC 9449 §4.3, §7). A real one also refuses a proof's jti seen before.
func requireDPoP(verifier *oidc.IDTokenVerifier, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkDPoPRequest(r.Context(), verifier, r); err != nil {
			w.Header().Set("WWW-Authenticate", `DPoP error="invalid_token", algs="ES256 EdDSA PS256"`)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func checkDPoPRequest(ctx context.Context, verifier *oidc.IDTokenVerifier, r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP ")
	proofs := r.Header.Values("DPoP")
	if !ok || len(proofs) != 1 {
		return errors.New("send the token with the DPoP scheme and one DPoP proof")
	}
	at, err := verifier.Verify(ctx, token) // signature, issuer, expiry
	if err != nil {
		return err
	}
	var bound struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := at.Claims(&bound); err != nil || bound.Cnf.JKT == "" {
		return errors.New("the access token is not DPoP-bound")
	}
	jws, err := jose.ParseSigned(proofs[0], []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.EdDSA, jose.PS256, jose.RS256})
	if err != nil {
		return err
	}
	h := jws.Signatures[0].Protected
	if h.ExtraHeaders[jose.HeaderType] != "dpop+jwt" || h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		return errors.New("the proof needs typ dpop+jwt and a public jwk")
	}
	payload, err := jws.Verify(h.JSONWebKey)
	if err != nil {
		return err
	}
	var proof struct {
		HTM, HTU, ATH string
		IAT           int64
	}
	if err := json.Unmarshal(payload, &proof); err != nil {
		return err
	}
	jkt, _ := h.JSONWebKey.Thumbprint(crypto.SHA256)
	hash := sha256.Sum256([]byte(token))
	switch {
	case base64.RawURLEncoding.EncodeToString(jkt) != bound.Cnf.JKT:
		return errors.New("the proof's key is not the token's (cnf.jkt)")
	case proof.ATH != base64.RawURLEncoding.EncodeToString(hash[:]):
		return errors.New("the proof's ath is not this token's hash")
	case proof.HTM != r.Method || proof.HTU != "http://"+r.Host+r.URL.Path:
		return errors.New("the proof is for another request (htm, htu)")
	case time.Since(time.Unix(proof.IAT, 0)).Abs() > 5*time.Minute:
		return errors.New("the proof is too old (iat)")
	}
	return nil
}

// A resource server under test verifies DPoP-bound access tokens: the
// provider mints a token bound to the test's key, and DPoPProof makes the
// proofs the client would send, a good one and spoiled ones.
func ExampleProvider_DPoPProof() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := oidc.ClientContext(context.Background(), p.HTTPClient())
	verifier := oidc.NewVerifier(p.Issuer(), oidc.NewRemoteKeySet(ctx, p.JWKSURL()), &oidc.Config{SkipClientIDCheck: true})
	api := httptest.NewServer(requireDPoP(verifier, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "orders")
	})))
	defer api.Close()

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, err := oauthtest.NewDPoPKey(ecKey)
	if err != nil {
		panic(err)
	}
	token := p.MintAccessToken(oauthtest.DPoPBound(key.Thumbprint()))
	call := func(what, proof string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, api.URL+"/orders", nil)
		req.Header.Set("Authorization", "DPoP "+token)
		req.Header.Set("DPoP", proof)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(what+":", resp.StatusCode)
	}
	call("good proof", p.DPoPProof(key, "GET", api.URL+"/orders", oauthtest.ForAccessToken(token)))
	call("no ath", p.DPoPProof(key, "GET", api.URL+"/orders"))
	call("for POST", p.DPoPProof(key, "POST", api.URL+"/orders", oauthtest.ForAccessToken(token)))
	call("bad signature", p.DPoPProof(key, "GET", api.URL+"/orders", oauthtest.ForAccessToken(token), oauthtest.BadSignature()))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherKey, _ := oauthtest.NewDPoPKey(other)
	call("another key", p.DPoPProof(otherKey, "GET", api.URL+"/orders", oauthtest.ForAccessToken(token)))
	// Output:
	// good proof: 200
	// no ath: 401
	// for POST: 401
	// bad signature: 401
	// another key: 401
}
