package oauthtest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// Keys of the FAPI clients: fixed seeds, so no key is generated at run time.
var (
	bankKey = ed25519.NewKeyFromSeed([]byte("oauthtest fapi bank key seed 32."))
	dpopKey = ed25519.NewKeyFromSeed([]byte("oauthtest fapi dpop key seed 32."))
)

// fapiVerifier is the PKCE verifier of the FAPI tests; fapiChallenge its
// S256 challenge.
const fapiVerifier = "fapi-verifier-0123456789-0123456789-0123456789"

func fapiChallenge() string {
	sum := sha256.Sum256([]byte(fapiVerifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// fapiProvider is a provider with WithFAPI2 and opts, and the clients
// bank (private_key_jwt with bankKey, also registering an http redirect
// URI that is not loopback), secret (client_secret_basic) and spa (public).
func fapiProvider(t *testing.T, opts ...oauthtest.Option) *oauthtest.Provider {
	t.Helper()
	return oauthtest.NewTestProvider(t, append([]oauthtest.Option{
		oauthtest.WithFAPI2(),
		oauthtest.WithClient(oauthtest.Client{ID: "bank", RedirectURIs: []string{redirectURI, "http://bank.example/cb"},
			PublicKeys: []crypto.PublicKey{bankKey.Public(), oauthtest.InsecureTestKey().Public()}}),
		oauthtest.WithClient(oauthtest.Client{ID: "secret", Secret: "s", RedirectURIs: []string{redirectURI}}),
		oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true, RedirectURIs: []string{redirectURI}}),
	}, opts...)...)
}

// bankClaims are valid claims of a client assertion of bank for p;
// change edits them.
func bankClaims(p *oauthtest.Provider, change func(jwt.MapClaims)) jwt.MapClaims {
	now := p.Now()
	c := jwt.MapClaims{"iss": "bank", "sub": "bank", "aud": p.Issuer(), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": rand.Text()}
	if change != nil {
		change(c)
	}
	return c
}

// withAssertion adds to form a client assertion signed with method and key.
func withAssertion(t *testing.T, form url.Values, method jwt.SigningMethod, key crypto.Signer, claims jwt.MapClaims) url.Values {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	form = cloneValues(form)
	form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
	form.Set("client_assertion", s)
	form.Set("client_id", "bank")
	return form
}

// bankAuth adds a valid EdDSA assertion of bank to form.
func bankAuth(t *testing.T, p *oauthtest.Provider, form url.Values) url.Values {
	return withAssertion(t, form, jwt.SigningMethodEdDSA, bankKey, bankClaims(p, nil))
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// fapiParams are valid pushed parameters of bank; change edits them.
func fapiParams(change func(url.Values)) url.Values {
	v := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "scope": {"openid offline_access"},
		"code_challenge": {fapiChallenge()}, "code_challenge_method": {"S256"}, "state": {"st"}}
	if change != nil {
		change(v)
	}
	return v
}

// fapiCode pushes fapiParams, follows the request_uri and returns the code.
func fapiCode(t *testing.T, p *oauthtest.Provider) string {
	t.Helper()
	resp, body := push(t, p, bankAuth(t, p, fapiParams(nil)), "", "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PAR: %d %v", resp.StatusCode, body)
	}
	q, _ := redirected(t, visit(t, p, http.MethodGet, parAuthURL(p, "bank", body["request_uri"].(string)), nil), redirectURI)
	if q.Get("code") == "" || q.Get("iss") != p.Issuer() {
		t.Fatalf("authorization response %v: want a code and iss %s", q, p.Issuer())
	}
	return q.Get("code")
}

// fapiToken posts form, authenticated as bank, with a DPoP proof.
func fapiToken(t *testing.T, p *oauthtest.Provider, key *oauthtest.DPoPKey, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	return tokenRequest(t, p, bankAuth(t, p, form), p.DPoPProof(key, http.MethodPost, p.TokenURL()))
}

func newFAPIDPoPKey(t *testing.T) *oauthtest.DPoPKey {
	t.Helper()
	k, err := oauthtest.NewDPoPKey(dpopKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestFAPI2Flow: a confidential client pushes its request with
// private_key_jwt and PKCE S256, gets a code with iss, redeems it with a
// DPoP proof for a DPoP-bound token that userinfo serves, and an ES256 ID
// token, and refreshes
// without rotation: no new refresh token, and the old one still works.
func TestFAPI2Flow(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	key := newFAPIDPoPKey(t)
	code := fapiCode(t, p)
	resp, body := fapiToken(t, p, key, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {fapiVerifier}})
	if resp.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("%d %v; want a DPoP token", resp.StatusCode, body)
	}
	at := body["access_token"].(string)
	if resp, body := resourceRequest(t, p, "DPoP", at, p.DPoPProof(key, http.MethodGet, p.UserinfoURL(), oauthtest.ForAccessToken(at))); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo with the bound token: %d %v", resp.StatusCode, body)
	}
	idTok, _, err := jwt.NewParser().ParseUnverified(body["id_token"].(string), jwt.MapClaims{})
	if err != nil || idTok.Method.Alg() != oauthtest.ES256 {
		t.Fatalf("ID token alg %v (%v), want ES256 (FAPI 2.0 §5.4.1)", idTok.Method.Alg(), err)
	}
	rt, _ := body["refresh_token"].(string)
	if rt == "" {
		t.Fatalf("no refresh token: %v", body)
	}
	for range 2 { // the same refresh token twice: it is not rotated
		resp, body = fapiToken(t, p, key, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if resp.StatusCode != http.StatusOK || body["refresh_token"] != nil {
			t.Fatalf("refresh: %d %v; want 200 and no new refresh token (FAPI 2.0 §5.3.2.1 item 9)", resp.StatusCode, body)
		}
	}
}

// TestFAPI2AssertionLeeway: an assertion issued 5 s ahead of the provider's
// clock is accepted, one 30 s ahead is refused (FAPI 2.0 §5.3.2.1 item 13).
func TestFAPI2AssertionLeeway(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	for _, tc := range []struct {
		ahead time.Duration
		want  int
	}{{5 * time.Second, http.StatusCreated}, {30 * time.Second, http.StatusUnauthorized}} {
		claims := bankClaims(p, func(c jwt.MapClaims) {
			c["iat"], c["nbf"] = p.Now().Add(tc.ahead).Unix(), p.Now().Add(tc.ahead).Unix()
		})
		resp, body := push(t, p, withAssertion(t, fapiParams(nil), jwt.SigningMethodEdDSA, bankKey, claims), "", "")
		if resp.StatusCode != tc.want {
			t.Errorf("iat %v ahead: %d %v, want %d", tc.ahead, resp.StatusCode, body, tc.want)
		}
	}
}

// TestFAPI2RefusesAtPAR: each rule of the profile that a pushed request can
// break is refused with an error that names it.
func TestFAPI2RefusesAtPAR(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	ok := fapiParams(nil)
	for _, tc := range []struct {
		name, code, rule string
		form             func() url.Values
		user, pass       string
	}{
		{"public client", "invalid_client", "§5.3.2.1 item 3", func() url.Values { f := fapiParams(nil); f.Set("client_id", "spa"); return f }, "", ""},
		{"client secret", "invalid_client", "§5.3.2.1 item 6", func() url.Values { return ok }, "secret", "s"},
		{"RS256 assertion", "invalid_client", "§5.4.1", func() url.Values {
			return withAssertion(t, ok, jwt.SigningMethodRS256, oauthtest.InsecureTestKey(), bankClaims(p, nil))
		}, "", ""},
		{"aud array", "invalid_client", "§5.3.2.1 item 8", func() url.Values {
			return withAssertion(t, ok, jwt.SigningMethodEdDSA, bankKey, bankClaims(p, func(c jwt.MapClaims) { c["aud"] = []string{p.Issuer()} }))
		}, "", ""},
		{"aud endpoint", "invalid_client", "§5.3.2.1 item 8", func() url.Values {
			return withAssertion(t, ok, jwt.SigningMethodEdDSA, bankKey, bankClaims(p, func(c jwt.MapClaims) { c["aud"] = p.PushedAuthorizationURL() }))
		}, "", ""},
		{"hybrid", "unsupported_response_type", "§5.3.2.2 item 1", func() url.Values {
			return bankAuth(t, p, fapiParams(func(v url.Values) { v.Set("response_type", "code id_token"); v.Set("nonce", "n") }))
		}, "", ""},
		{"no PKCE", "invalid_request", "§5.3.2.2 item 5", func() url.Values {
			return bankAuth(t, p, fapiParams(func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }))
		}, "", ""},
		{"plain PKCE", "invalid_request", "§5.3.2.2 item 5", func() url.Values {
			return bankAuth(t, p, fapiParams(func(v url.Values) { v.Set("code_challenge", fapiVerifier); v.Set("code_challenge_method", "plain") }))
		}, "", ""},
		{"no redirect_uri", "invalid_request", "§5.3.2.2 item 6", func() url.Values {
			return bankAuth(t, p, fapiParams(func(v url.Values) { v.Del("redirect_uri") }))
		}, "", ""},
		{"http redirect", "invalid_request", "§5.3.2.2 item 8", func() url.Values {
			return bankAuth(t, p, fapiParams(func(v url.Values) { v.Set("redirect_uri", "http://bank.example/cb") }))
		}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := push(t, p, tc.form(), tc.user, tc.pass)
			wantFAPIError(t, resp, body, tc.code, tc.rule)
		})
	}
}

// wantFAPIError asserts an error response with code whose description
// names rule of the profile.
func wantFAPIError(t *testing.T, resp *http.Response, body map[string]any, code, rule string) {
	t.Helper()
	desc, _ := body["error_description"].(string)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 || body["error"] != code || !strings.Contains(desc, rule) {
		t.Fatalf("%d %v; want %s naming %s", resp.StatusCode, body, code, rule)
	}
}

// TestFAPI2AuthorizeNeedsPAR: an authorization request not pushed gets an
// error page naming the rule, never a redirect (FAPI 2.0 §5.3.2.2 item 3).
func TestFAPI2AuthorizeNeedsPAR(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	q := fapiParams(nil)
	q.Set("client_id", "bank")
	wantRefusalPage(t, p, p.AuthURL()+"?"+q.Encode(), "§5.3.2.2 item 3")
}

// TestFAPI2TokenNeedsDPoP: the token endpoint refuses a request without a
// DPoP proof, and a proof signed with an algorithm the profile forbids.
func TestFAPI2TokenNeedsDPoP(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	code := fapiCode(t, p)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {fapiVerifier}}
	resp, body := tokenRequest(t, p, bankAuth(t, p, form))
	wantFAPIError(t, resp, body, "invalid_dpop_proof", "§5.3.2.1 items 4, 5")

	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	es384, _ := oauthtest.NewDPoPKey(ec)
	resp, body = tokenRequest(t, p, bankAuth(t, p, form), p.DPoPProof(es384, http.MethodPost, p.TokenURL()))
	wantFAPIError(t, resp, body, "invalid_dpop_proof", "§5.4.1")

	resp, body = fapiToken(t, p, newFAPIDPoPKey(t), form) // the code was not spent by the refusals
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
}

// TestFAPI2CodeLifetime: codes live 60 s by default with the profile
// (FAPI 2.0 §5.3.2.1 item 11).
func TestFAPI2CodeLifetime(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	code := fapiCode(t, p)
	p.FastForward(61 * time.Second)
	resp, body := fapiToken(t, p, newFAPIDPoPKey(t), url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {fapiVerifier}})
	wantJSONError(t, resp, body, "invalid_grant", http.StatusBadRequest)
}

// TestFAPI2RequestObjects: a pushed request object must be signed with
// PS256, ES256 or EdDSA and bear nbf and exp within the profile's limits.
func TestFAPI2RequestObjects(t *testing.T) {
	t.Parallel()
	p := fapiProvider(t)
	object := func(key any, change func(jwt.MapClaims)) url.Values {
		c := roClaims(p, "bank", func(c jwt.MapClaims) {
			c["code_challenge"], c["code_challenge_method"] = fapiChallenge(), "S256"
			if change != nil {
				change(c)
			}
		})
		return bankAuth(t, p, url.Values{"request": {requestObject(t, key, c)}})
	}
	if resp, body := push(t, p, object(bankKey, nil), "", ""); resp.StatusCode != http.StatusCreated {
		t.Fatalf("a valid request object: %d %v", resp.StatusCode, body)
	}
	rs256 := bankAuth(t, p, url.Values{"request": {signRequestObject(t, jwt.SigningMethodRS256, oauthtest.InsecureTestKey(),
		roClaims(p, "bank", nil))}})
	for _, tc := range []struct {
		name, rule string
		form       url.Values
	}{
		{"RS256", "§5.4.1", rs256},
		{"no nbf", "Message Signing §5.3", object(bankKey, func(c jwt.MapClaims) { delete(c, "nbf") })},
		{"long", "Message Signing §5.3", object(bankKey, func(c jwt.MapClaims) { c["exp"] = p.Now().Add(61 * time.Minute).Unix() })},
		{"old nbf", "Message Signing §5.3", object(bankKey, func(c jwt.MapClaims) { c["nbf"] = p.Now().Add(-61 * time.Minute).Unix() })},
	} {
		resp, body := push(t, p, tc.form, "", "")
		t.Run(tc.name, func(t *testing.T) { wantFAPIError(t, resp, body, "invalid_request_object", tc.rule) })
	}
}

// TestFAPI2Configuration: the options the profile forbids are refused when
// the provider is built.
func TestFAPI2Configuration(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]oauthtest.Option{
		"RS256":           oauthtest.WithAlgorithm(oauthtest.RS256),
		"code lifetime":   oauthtest.WithCodeLifetime(2 * time.Minute),
		"request_uri":     oauthtest.WithPushedRequestLifetime(10 * time.Minute),
		"client HS256":    oauthtest.WithClient(oauthtest.Client{ID: "h", Secret: "s", SigningAlg: oauthtest.HS256}),
		"client lifetime": oauthtest.WithClient(oauthtest.Client{ID: "l", Secret: "s", Lifetimes: oauthtest.Lifetimes{Code: time.Hour}}),
	} {
		if _, err := oauthtest.NewProvider(oauthtest.WithFAPI2(), opt, oauthtest.WithoutServer(), oauthtest.WithIssuer("https://fapi.example")); err == nil || !strings.Contains(err.Error(), "FAPI 2.0") {
			t.Errorf("%s: error %v, want one naming FAPI 2.0", name, err)
		}
	}
}

// TestFAPI2Discovery: discovery says what the profile allows.
func TestFAPI2Discovery(t *testing.T) {
	t.Parallel()
	d := discovery(t, fapiProvider(t))
	for k, want := range map[string]any{
		"require_pushed_authorization_requests":            true,
		"response_types_supported":                         []any{"code"},
		"code_challenge_methods_supported":                 []any{"S256"},
		"token_endpoint_auth_methods_supported":            []any{"private_key_jwt"},
		"token_endpoint_auth_signing_alg_values_supported": []any{"PS256", "ES256", "EdDSA"},
		"dpop_signing_alg_values_supported":                []any{"PS256", "ES256", "EdDSA"},
		"request_object_signing_alg_values_supported":      []any{"PS256", "ES256", "EdDSA"},
		"id_token_signing_alg_values_supported":            []any{"ES256"},
		"authorization_response_iss_parameter_supported":   true,
	} {
		if got := d[k]; !equalJSON(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
}

func equalJSON(a, b any) bool {
	as, aok := a.([]any)
	bs, bok := b.([]any)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}
