package oauthtest_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
)

// signJWT signs claims with key: ES256 for an ECDSA key, HS256 for a secret.
func signJWT(t *testing.T, key any, claims jwt.MapClaims) string {
	t.Helper()
	method := jwt.SigningMethod(jwt.SigningMethodES256)
	if _, ok := key.([]byte); ok {
		method = jwt.SigningMethodHS256
	}
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// critJWT signs claims with an ECDSA key and a crit header naming an
// extension nobody understands (RFC 7515 §4.1.11).
func critJWT(t *testing.T, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	tok.Header["crit"], tok.Header["x-ext"] = []string{"x-ext"}, true
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// assertionClaims are valid claims of an assertion by iss about sub for
// p's token endpoint, with a jti of their own.
func assertionClaims(p *oauthtest.Provider, iss, sub string) jwt.MapClaims {
	return jwt.MapClaims{"iss": iss, "sub": sub, "aud": p.TokenURL(), "exp": p.Now().Add(time.Minute).Unix(),
		"iat": p.Now().Unix(), "jti": rand.Text()}
}

// TestPrivateKeyJWT: a client authenticates with a JWT signed by its key
// (private_key_jwt) or its secret (client_secret_jwt), and each refusal says
// which check failed.
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{ID: "jwt-app", Secret: "jwt-app-secret-of-32-bytes-at-least",
			PublicKeys:  []crypto.PublicKey{key.Public()},
			AuthMethods: []string{oauthtest.AuthMethodPrivateKeyJWT, oauthtest.AuthMethodSecretJWT}}),
		oauthtest.WithClient(oauthtest.Client{ID: "keyless", Secret: "s"}))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "jwt-app", ""
	redeem := func(assertion string) (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, cfg)}, "redirect_uri": {redirectURI},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
		resp, body := postForm(t, p, p.TokenURL(), form, "", "")
		return resp.StatusCode, body
	}
	if status, body := redeem(signJWT(t, key, assertionClaims(p, "jwt-app", "jwt-app"))); status != 200 || body["access_token"] == nil {
		t.Errorf("private_key_jwt: HTTP %d %v", status, body)
	}
	if status, body := redeem(signJWT(t, []byte("jwt-app-secret-of-32-bytes-at-least"), assertionClaims(p, "jwt-app", "jwt-app"))); status != 200 {
		t.Errorf("client_secret_jwt: HTTP %d %v", status, body)
	}
	if m := p.RequestsTo(oauthtest.EndpointToken); m[0].AuthMethod != oauthtest.AuthMethodPrivateKeyJWT || m[1].AuthMethod != oauthtest.AuthMethodSecretJWT {
		t.Errorf("logged auth methods %s, %s", m[0].AuthMethod, m[1].AuthMethod)
	}
	replayed := signJWT(t, key, assertionClaims(p, "jwt-app", "jwt-app"))
	redeem(replayed)
	with := func(change func(jwt.MapClaims)) string {
		c := assertionClaims(p, "jwt-app", "jwt-app")
		change(c)
		return signJWT(t, key, c)
	}
	for _, tc := range []struct {
		name, assertion, want string
	}{
		{"replayed", replayed, "was used before"},
		{"wrong iss", with(func(c jwt.MapClaims) { c["iss"] = "someone" }), `iss is "someone", not "jwt-app"`},
		{"wrong aud", with(func(c jwt.MapClaims) { c["aud"] = "https://elsewhere.example/token" }), "aud"},
		{"expired", with(func(c jwt.MapClaims) { c["exp"] = p.Now().Add(-time.Minute).Unix() }), "expired"},
		{"no exp", with(func(c jwt.MapClaims) { delete(c, "exp") }), "exp"},
		{"no jti", with(func(c jwt.MapClaims) { delete(c, "jti") }), "no jti"},
		{"another key", signJWT(t, other, assertionClaims(p, "jwt-app", "jwt-app")), "signature"},
		{"another secret", signJWT(t, []byte("not-the-secret-not-the-secret-xx"), assertionClaims(p, "jwt-app", "jwt-app")), "signature"},
		{"not a JWT", "x", "not a JWT"},
		{"a crit header", critJWT(t, key, assertionClaims(p, "jwt-app", "jwt-app")), "crit"},
	} {
		status, body := redeem(tc.assertion)
		if d, _ := body["error_description"].(string); status != 401 || body["error"] != "invalid_client" || !strings.Contains(d, tc.want) {
			t.Errorf("%s: HTTP %d %v, want invalid_client with %q", tc.name, status, body, tc.want)
		}
	}
	// A client registered without assertion methods cannot use one.
	form := url.Values{"grant_type": {"authorization_code"}, "code": {"c"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {signJWT(t, key, assertionClaims(p, "keyless", "keyless"))}}
	resp, body := postForm(t, p, p.TokenURL(), form, "", "")
	wantJSONError(t, resp, body, "invalid_client", 401)
}

// TestJWTBearerGrant (RFC 7523 §2.1): an assertion a trusted issuer signed
// about a user is exchanged for that user's access token.
func TestJWTBearerGrant(t *testing.T) {
	t.Parallel()
	partner, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := oauthtest.NewTestProvider(t, oauthtest.WithTrustedIssuer("https://partner.example", partner.Public()), oauthtest.WithUsers(alice),
		oauthtest.WithClient(oauthtest.Client{ID: "batch", Secret: "batch-secret", GrantTypes: []string{oauthtest.GrantJWTBearer}, Scopes: []string{"openid", "email", "reports"}}))
	grantWith := func(assertion string, extra url.Values) (int, map[string]any) {
		form := url.Values{"grant_type": {oauthtest.GrantJWTBearer}, "assertion": {assertion}}
		for k, v := range extra {
			form[k] = v
		}
		resp, body := postForm(t, p, p.TokenURL(), form, "batch", "batch-secret")
		return resp.StatusCode, body
	}
	status, body := grantWith(signJWT(t, partner, assertionClaims(p, "https://partner.example", "alice")), url.Values{"scope": {"openid reports"}})
	if status != 200 || body["refresh_token"] != nil || body["id_token"] != nil {
		t.Fatalf("HTTP %d %v", status, body)
	}
	if claims := accessClaims(t, p, body["access_token"].(string)); claims["sub"] != "alice" || claims["scope"] != "openid reports" || claims["client_id"] != "batch" {
		t.Errorf("claims %v", claims)
	}
	if _, info := userinfo(t, p, body["access_token"].(string)); info["sub"] != "alice" {
		t.Errorf("userinfo %v", info)
	}
	noJTI := assertionClaims(p, "https://partner.example", "alice")
	delete(noJTI, "jti")
	if status, body := grantWith(signJWT(t, partner, noJTI), nil); status != 200 {
		t.Errorf("an assertion without jti (RFC 7523 §3 makes it optional): HTTP %d %v", status, body)
	}
	replayed := signJWT(t, partner, assertionClaims(p, "https://partner.example", "alice"))
	grantWith(replayed, nil)
	for _, tc := range []struct {
		name, assertion, code, want string
	}{
		{"untrusted issuer", signJWT(t, stranger, assertionClaims(p, "https://stranger.example", "alice")), "invalid_grant", "not a trusted issuer"},
		{"trusted issuer, wrong key", signJWT(t, stranger, assertionClaims(p, "https://partner.example", "alice")), "invalid_grant", "signature"},
		{"replayed", replayed, "invalid_grant", "was used before"},
		{"no sub", signJWT(t, partner, jwt.MapClaims{"iss": "https://partner.example", "aud": p.TokenURL(), "exp": p.Now().Add(time.Minute).Unix()}), "invalid_grant", "no sub"},
	} {
		status, body := grantWith(tc.assertion, nil)
		if d, _ := body["error_description"].(string); status != 400 || body["error"] != tc.code || !strings.Contains(d, tc.want) {
			t.Errorf("%s: HTTP %d %v, want %s with %q", tc.name, status, body, tc.code, tc.want)
		}
	}
}
