package oauthtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// dpopClient is a DPoP client's key, with proofs built here with
// golang-jwt and crypto/ecdsa, independently of the provider's code.
type dpopClient struct {
	key *ecdsa.PrivateKey
	jwk map[string]any
	jkt string
}

func newDPoPClient(t testing.TB) *dpopClient {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	x, y := b64(key.X.FillBytes(make([]byte, 32))), b64(key.Y.FillBytes(make([]byte, 32)))
	sum := sha256.Sum256(fmt.Appendf(nil, `{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`, x, y)) // RFC 7638 §3
	return &dpopClient{key: key, jwk: map[string]any{"kty": "EC", "crv": "P-256", "x": x, "y": y}, jkt: b64(sum[:])}
}

// proof is a valid proof for method and uri, made now by p's clock; edit
// may change its header and claims before it is signed.
func (c *dpopClient) proof(p *oauthtest.Provider, method, uri string, edit func(header, claims map[string]any)) string {
	claims := jwt.MapClaims{"jti": rand.Text(), "htm": method, "htu": uri, "iat": p.Now().Unix()}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["typ"], t.Header["jwk"] = "dpop+jwt", c.jwk
	if edit != nil {
		edit(t.Header, claims)
	}
	s, err := t.SignedString(c.key)
	if err != nil {
		panic(err)
	}
	return s
}

// ath is the hash of an access token that a resource proof carries.
func ath(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64(sum[:])
}

// tokenRequest posts form to the token endpoint with the given DPoP
// header values and the default client's Basic credentials unless the
// form names a client_id.
func tokenRequest(t *testing.T, p *oauthtest.Provider, form url.Values, proofs ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !form.Has("client_id") {
		req.SetBasicAuth(p.ClientID(), p.ClientSecret())
	}
	for _, proof := range proofs {
		req.Header.Add("DPoP", proof)
	}
	return do(t, p, req)
}

// resourceRequest calls userinfo with token in scheme and the given proofs.
func resourceRequest(t *testing.T, p *oauthtest.Provider, scheme, token string, proofs ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
	req.Header.Set("Authorization", scheme+" "+token)
	for _, proof := range proofs {
		req.Header.Add("DPoP", proof)
	}
	return do(t, p, req)
}

var clientCredentialsForm = url.Values{"grant_type": {oauthtest.GrantClientCredentials}}

// ccClient may use client_credentials; it is the client of proof checks.
var ccClient = oauthtest.WithClient(oauthtest.Client{ID: oauthtest.DefaultClientID, Secret: oauthtest.DefaultClientSecret,
	GrantTypes: []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken, oauthtest.GrantClientCredentials}})

// wantDPoPBound asserts a token response of token_type DPoP whose access
// token's cnf.jkt is jkt, and returns the access token.
func wantDPoPBound(t *testing.T, p *oauthtest.Provider, resp *http.Response, body map[string]any, jkt string) string {
	t.Helper()
	if resp.StatusCode != 200 || body["token_type"] != "DPoP" {
		t.Fatalf("HTTP %d %v; want a DPoP token", resp.StatusCode, body)
	}
	tok := body["access_token"].(string)
	if cnf, _ := accessClaims(t, p, tok)["cnf"].(map[string]any); cnf["jkt"] != jkt {
		t.Fatalf("cnf %v; want jkt %s", cnf, jkt)
	}
	return tok
}

// wantDPoPChallenge asserts a resource's 401 with a DPoP challenge carrying code.
func wantDPoPChallenge(t *testing.T, resp *http.Response, body map[string]any, code string) {
	t.Helper()
	h := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 401 || body["error"] != code || !strings.HasPrefix(h, "DPoP ") || !strings.Contains(h, `error="`+code+`"`) || !strings.Contains(h, `algs="`) {
		t.Fatalf("HTTP %d %v, WWW-Authenticate %q; want 401 and a DPoP challenge with %s", resp.StatusCode, body, h, code)
	}
}

// TestDPoPCodeFlow: a code redeemed with a proof gives a DPoP token bound
// to the key (RFC 9449 §5, §6.1), which userinfo serves with the DPoP
// scheme and a proof carrying ath (§7), refuses as Bearer (§7.2), and
// introspection describes with cnf (§6.2).
func TestDPoPCodeFlow(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	c := newDPoPClient(t)
	cfg := oauthConfig(p)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, cfg)}, "redirect_uri": {redirectURI}}
	resp, body := tokenRequest(t, p, form, c.proof(p, "POST", p.TokenURL(), nil))
	tok := wantDPoPBound(t, p, resp, body, c.jkt)

	proof := c.proof(p, "GET", p.UserinfoURL(), func(_, claims map[string]any) { claims["ath"] = ath(tok) })
	if resp, body := resourceRequest(t, p, "DPoP", tok, proof); resp.StatusCode != 200 || body["sub"] != "test-user" {
		t.Fatalf("userinfo with DPoP: HTTP %d %v", resp.StatusCode, body)
	}
	resp, body = resourceRequest(t, p, "Bearer", tok)
	wantDPoPChallenge(t, resp, body, "invalid_token")

	resp, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {tok}}, p.ClientID(), p.ClientSecret())
	if cnf, _ := body["cnf"].(map[string]any); body["active"] != true || body["token_type"] != "DPoP" || cnf["jkt"] != c.jkt {
		t.Errorf("introspection %v", body)
	}
	// Without a proof: a Bearer token, without cnf anywhere.
	bearer := issuedTokens(t, p, "openid")
	if claims := accessClaims(t, p, bearer.AccessToken); claims["cnf"] != nil || bearer.TokenType != "Bearer" {
		t.Errorf("a token without proof: %s %v", bearer.TokenType, claims)
	}
	_, body = postForm(t, p, p.IntrospectionURL(), url.Values{"token": {bearer.AccessToken}}, p.ClientID(), p.ClientSecret())
	if body["cnf"] != nil || body["token_type"] != "Bearer" {
		t.Errorf("introspection of a Bearer token %v", body)
	}
}

// TestDPoPEveryGrant: every grant of the token endpoint binds its access
// token to the proven key (RFC 9449 §5).
func TestDPoPEveryGrant(t *testing.T) {
	t.Parallel()
	partner, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := oauthtest.NewTestProvider(t, ccClient, oauthtest.WithTrustedIssuer("https://partner.example", partner.Public()),
		oauthtest.WithClient(gatewayClient), oauthtest.WithClient(tvClient),
		oauthtest.WithClient(oauthtest.Client{ID: "batch", Secret: "batch-secret", GrantTypes: []string{oauthtest.GrantJWTBearer}}))
	c := newDPoPClient(t)
	_, device := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}, "scope": {"openid"}}, "", "")
	cases := map[string]struct {
		form       url.Values
		user, pass string
	}{
		oauthtest.GrantClientCredentials: {clientCredentialsForm, p.ClientID(), p.ClientSecret()},
		oauthtest.GrantTokenExchange: {url.Values{"grant_type": {oauthtest.GrantTokenExchange}, "subject_token": {p.MintAccessToken()},
			"subject_token_type": {oauthtest.TokenTypeAccessToken}}, "gateway", "gw-secret"},
		oauthtest.GrantJWTBearer: {url.Values{"grant_type": {oauthtest.GrantJWTBearer},
			"assertion": {signJWT(t, partner, assertionClaims(p, "https://partner.example", "test-user"))}}, "batch", "batch-secret"},
		oauthtest.GrantDeviceCode: {url.Values{"grant_type": {oauthtest.GrantDeviceCode}, "device_code": {fmt.Sprint(device["device_code"])}, "client_id": {"tv"}}, "", ""},
	}
	for name, tc := range cases {
		req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(tc.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		req.Header.Set("DPoP", c.proof(p, "POST", p.TokenURL(), nil))
		resp, body := do(t, p, req)
		t.Run(name, func(t *testing.T) { wantDPoPBound(t, p, resp, body, c.jkt) })
	}
}

// TestDPoPProofChecks: each check of RFC 9449 §4.3 refuses a proof that
// breaks it with invalid_dpop_proof, naming the check, and the same
// request with a good proof passes.
func TestDPoPProofChecks(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	c, other := newDPoPClient(t), newDPoPClient(t)
	uri := p.TokenURL()
	edit := func(f func(h, cl map[string]any)) []string { return []string{c.proof(p, "POST", uri, f)} }
	hmac := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"jti": "x", "htm": "POST", "htu": uri, "iat": p.Now().Unix()})
	hmac.Header["typ"], hmac.Header["jwk"] = "dpop+jwt", c.jwk
	hs256, _ := hmac.SignedString([]byte("a shared secret"))
	none := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"jti": "y", "htm": "POST", "htu": uri, "iat": p.Now().Unix()})
	none.Header["typ"], none.Header["jwk"] = "dpop+jwt", c.jwk
	unsigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	replayed := c.proof(p, "POST", uri, nil)
	if resp, body := tokenRequest(t, p, clientCredentialsForm, replayed); resp.StatusCode != 200 {
		t.Fatalf("a good proof: HTTP %d %v", resp.StatusCode, body)
	}
	cases := []struct {
		name   string
		proofs []string
		rule   string
	}{
		{"two headers", []string{c.proof(p, "POST", uri, nil), c.proof(p, "POST", uri, nil)}, "check 1"},
		{"not a JWT", []string{"not-a-jwt"}, "check 2"},
		{"no typ", edit(func(h, _ map[string]any) { delete(h, "typ") }), "check 4"},
		{"typ JWT", edit(func(h, _ map[string]any) { h["typ"] = "JWT" }), "check 4"},
		{"symmetric alg", []string{hs256}, "check 5"},
		{"alg none", []string{unsigned}, "check 5"},
		{"no jwk", edit(func(h, _ map[string]any) { delete(h, "jwk") }), "check 3"},
		{"jwk of another type", edit(func(h, _ map[string]any) { h["jwk"] = map[string]any{"kty": "OKP", "crv": "Ed25519", "x": c.jwk["x"]} }), "check 5"},
		{"jwk off the curve", edit(func(h, _ map[string]any) {
			h["jwk"] = map[string]any{"kty": "EC", "crv": "P-256", "x": c.jwk["x"], "y": c.jwk["x"]}
		}), "check 5"},
		{"jwk with its private key", edit(func(h, _ map[string]any) {
			h["jwk"] = map[string]any{"kty": "EC", "crv": "P-256", "x": c.jwk["x"], "y": c.jwk["y"], "d": b64(c.key.D.Bytes())}
		}), "check 7"},
		{"signed by another key", edit(func(h, _ map[string]any) { h["jwk"] = other.jwk }), "check 6"},
		{"no jti", edit(func(_, cl map[string]any) { delete(cl, "jti") }), "check 3"},
		{"no iat", edit(func(_, cl map[string]any) { delete(cl, "iat") }), "check 3"},
		{"htm GET", edit(func(_, cl map[string]any) { cl["htm"] = "GET" }), "check 8"},
		{"htu of userinfo", edit(func(_, cl map[string]any) { cl["htu"] = p.UserinfoURL() }), "check 9"},
		{"htu of another host", edit(func(_, cl map[string]any) { cl["htu"] = "https://elsewhere.example/oauth/token" }), "check 9"},
		{"htu not a URI", edit(func(_, cl map[string]any) { cl["htu"] = "/oauth/token" }), "check 9"},
		{"made six minutes ago", edit(func(_, cl map[string]any) { cl["iat"] = p.Now().Add(-6 * time.Minute).Unix() }), "check 11"},
		{"made two minutes ahead", edit(func(_, cl map[string]any) { cl["iat"] = p.Now().Add(2 * time.Minute).Unix() }), "check 11"},
		{"replayed", []string{replayed}, "§11.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := tokenRequest(t, p, clientCredentialsForm, tc.proofs...)
			wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
			if d, _ := body["error_description"].(string); !strings.Contains(d, "RFC 9449") || !strings.Contains(d, tc.rule) {
				t.Errorf("error_description %q does not name %s of RFC 9449", d, tc.rule)
			}
		})
	}
}

// TestDPoPProofNormalization: htu is compared without query and fragment,
// case-insensitively in scheme and host, with or without the default port
// (RFC 9449 §4.3 check 9, RFC 3986 §6.2); iat within the window passes.
func TestDPoPProofNormalization(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient, oauthtest.WithInMemoryTransport(), oauthtest.WithIssuer("https://OP.example"))
	c := newDPoPClient(t)
	for _, htu := range []string{"https://op.example/oauth/token?x=1", "https://op.example/oauth/token#f", "HTTPS://OP.EXAMPLE:443/oauth/token"} {
		proof := c.proof(p, "POST", htu, func(_, cl map[string]any) { cl["iat"] = p.Now().Add(-4 * time.Minute).Unix() })
		if resp, body := tokenRequest(t, p, clientCredentialsForm, proof); resp.StatusCode != 200 {
			t.Errorf("htu %s: HTTP %d %v", htu, resp.StatusCode, body)
		}
	}
}

// TestDPoPRequired: WithDPoPRequired and Client.DPoPBoundAccessTokens
// refuse a token request without a proof (RFC 9449 §5.2); other clients
// of a provider without the option may still go without.
func TestDPoPRequired(t *testing.T) {
	t.Parallel()
	c := newDPoPClient(t)
	for name, opts := range map[string][]oauthtest.Option{
		"provider": {ccClient, oauthtest.WithDPoPRequired()},
		"client": {oauthtest.WithClient(oauthtest.Client{ID: oauthtest.DefaultClientID, Secret: oauthtest.DefaultClientSecret,
			GrantTypes: []string{oauthtest.GrantClientCredentials}, DPoPBoundAccessTokens: true})},
	} {
		t.Run(name, func(t *testing.T) {
			p := oauthtest.NewTestProvider(t, opts...)
			resp, body := tokenRequest(t, p, clientCredentialsForm)
			wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
			resp, body = tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), nil))
			wantDPoPBound(t, p, resp, body, c.jkt)
		})
	}
	p := oauthtest.NewTestProvider(t, ccClient)
	if resp, body := tokenRequest(t, p, clientCredentialsForm); resp.StatusCode != 200 || body["token_type"] != "Bearer" {
		t.Errorf("without DPoP required: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestDPoPNonces: with WithDPoPNonces a proof needs the provider's nonce
// (RFC 9449 §8): without it, with another, or once it expired, the answer
// is use_dpop_nonce with a fresh nonce in DPoP-Nonce; with it, success,
// and DPoP-Nonce again. Userinfo demands it too, with a 401 (§9).
func TestDPoPNonces(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient, oauthtest.WithDPoPNonces())
	c := newDPoPClient(t)
	withNonce := func(n string) string {
		return c.proof(p, "POST", p.TokenURL(), func(_, cl map[string]any) { cl["nonce"] = n })
	}
	resp, body := tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), nil))
	wantJSONError(t, resp, body, "use_dpop_nonce", 400)
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("use_dpop_nonce without DPoP-Nonce")
	}
	resp, body = tokenRequest(t, p, clientCredentialsForm, withNonce("another"))
	wantJSONError(t, resp, body, "use_dpop_nonce", 400)
	resp, body = tokenRequest(t, p, clientCredentialsForm, withNonce(nonce))
	tok := wantDPoPBound(t, p, resp, body, c.jkt)
	if resp.Header.Get("DPoP-Nonce") != nonce {
		t.Errorf("DPoP-Nonce %q on success, want %q", resp.Header.Get("DPoP-Nonce"), nonce)
	}
	resp, body = resourceRequest(t, p, "DPoP", tok, c.proof(p, "GET", p.UserinfoURL(), func(_, cl map[string]any) { cl["ath"] = ath(tok) }))
	wantDPoPChallenge(t, resp, body, "use_dpop_nonce")

	p.FastForward(11 * time.Minute)
	resp, body = tokenRequest(t, p, clientCredentialsForm, withNonce(nonce))
	wantJSONError(t, resp, body, "use_dpop_nonce", 400)
	if fresh := resp.Header.Get("DPoP-Nonce"); fresh == "" || fresh == nonce {
		t.Errorf("after expiry DPoP-Nonce %q, want a new one", fresh)
	}
}

// TestRequireDPoPNonce: without WithDPoPNonces, RequireDPoPNonce demands
// a nonce of the next proof only; the retry with it passes, and later
// proofs need none.
func TestRequireDPoPNonce(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, ccClient)
	c := newDPoPClient(t)
	p.RequireDPoPNonce()
	resp, body := tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), nil))
	wantJSONError(t, resp, body, "use_dpop_nonce", 400)
	nonce := resp.Header.Get("DPoP-Nonce")
	resp, body = tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), func(_, cl map[string]any) { cl["nonce"] = nonce }))
	wantDPoPBound(t, p, resp, body, c.jkt)
	resp, body = tokenRequest(t, p, clientCredentialsForm, c.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, c.jkt)
	if resp.Header.Get("DPoP-Nonce") != "" {
		t.Errorf("DPoP-Nonce %q once the demand was met", resp.Header.Get("DPoP-Nonce"))
	}
	// Reset forgets a demand, and the proofs seen: the same proof passes once more.
	proof := c.proof(p, "POST", p.TokenURL(), nil)
	tokenRequest(t, p, clientCredentialsForm, proof)
	p.RequireDPoPNonce()
	p.Reset()
	resp, body = tokenRequest(t, p, clientCredentialsForm, proof)
	wantDPoPBound(t, p, resp, body, c.jkt)
}

// TestDPoPCodeBinding: a code bound with dpop_jkt is redeemed only with a
// proof by that key (RFC 9449 §10); failed attempts leave it redeemable.
// A dpop_jkt that is not a thumbprint is invalid_request.
func TestDPoPCodeBinding(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	c, other := newDPoPClient(t), newDPoPClient(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg, oauth2.SetAuthURLParam("dpop_jkt", c.jkt))
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	resp, body := tokenRequest(t, p, form)
	wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
	resp, body = tokenRequest(t, p, form, other.proof(p, "POST", p.TokenURL(), nil))
	wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
	resp, body = tokenRequest(t, p, form, c.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, c.jkt)

	q, _ := redirected(t, visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("dpop_jkt", "not-a-thumbprint")), nil), redirectURI)
	if q.Get("error") != "invalid_request" || !strings.Contains(q.Get("error_description"), "RFC 9449 §10") {
		t.Errorf("a bad dpop_jkt: %v", q)
	}
}

// TestDPoPRefreshBinding: a public client's refresh token is bound to its
// DPoP key: a refresh without a proof, or with another key, is refused
// and leaves it usable (RFC 9449 §5). A confidential client may move its
// new tokens to another key.
func TestDPoPRefreshBinding(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true}))
	c, other := newDPoPClient(t), newDPoPClient(t)
	verifier := oauth2.GenerateVerifier()
	cfg := &oauth2.Config{ClientID: "spa", Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, RedirectURL: redirectURI, Scopes: []string{"openid", "offline_access"}}
	code := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))
	resp, body := tokenRequest(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "client_id": {"spa"}, "code_verifier": {verifier}},
		c.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, c.jkt)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}, "client_id": {"spa"}}
	resp, body = tokenRequest(t, p, refresh)
	wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
	resp, body = tokenRequest(t, p, refresh, other.proof(p, "POST", p.TokenURL(), nil))
	wantJSONError(t, resp, body, "invalid_dpop_proof", 400)
	resp, body = tokenRequest(t, p, refresh, c.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, c.jkt)

	// A confidential client's refresh token is bound to its secret instead.
	code = authorizeCode(t, p, oauthConfig(p, "openid"))
	resp, body = tokenRequest(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}, c.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, c.jkt)
	resp, body = tokenRequest(t, p, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}, other.proof(p, "POST", p.TokenURL(), nil))
	wantDPoPBound(t, p, resp, body, other.jkt)
}

// TestDPoPResource: userinfo checks a DPoP-bound token's proof: present,
// for this method and URI, with the token's ath, by the token's key
// (RFC 9449 §4.3 check 12, §7.1); a token that is not bound may not use
// the DPoP scheme.
func TestDPoPResource(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	c, other := newDPoPClient(t), newDPoPClient(t)
	tok := p.MintAccessToken(oauthtest.DPoPBound(c.jkt))
	good := func(cl map[string]any) { cl["ath"] = ath(tok) }
	proof := func(k *dpopClient, f func(cl map[string]any)) string {
		return k.proof(p, "GET", p.UserinfoURL(), func(_, cl map[string]any) { good(cl); f(cl) })
	}
	cases := map[string]struct {
		scheme, token string
		proofs        []string
		code          string
	}{
		"no proof":          {"DPoP", tok, nil, "invalid_dpop_proof"},
		"no ath":            {"DPoP", tok, []string{proof(c, func(cl map[string]any) { delete(cl, "ath") })}, "invalid_dpop_proof"},
		"ath of another":    {"DPoP", tok, []string{proof(c, func(cl map[string]any) { cl["ath"] = ath("another") })}, "invalid_dpop_proof"},
		"htm POST":          {"DPoP", tok, []string{proof(c, func(cl map[string]any) { cl["htm"] = "POST" })}, "invalid_dpop_proof"},
		"another key":       {"DPoP", tok, []string{proof(other, func(map[string]any) {})}, "invalid_dpop_proof"},
		"as Bearer":         {"Bearer", tok, []string{proof(c, func(map[string]any) {})}, "invalid_token"},
		"unbound with DPoP": {"DPoP", p.MintAccessToken(), []string{proof(c, func(map[string]any) {})}, "invalid_token"},
		"expired":           {"DPoP", p.MintAccessToken(oauthtest.DPoPBound(c.jkt), oauthtest.Expired()), []string{proof(c, func(map[string]any) {})}, "invalid_token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, body := resourceRequest(t, p, tc.scheme, tc.token, tc.proofs...)
			wantDPoPChallenge(t, resp, body, tc.code)
		})
	}
	if resp, body := resourceRequest(t, p, "DPoP", tok, proof(c, func(map[string]any) {})); resp.StatusCode != 200 || body["sub"] != "test-user" {
		t.Errorf("a good proof: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestDPoPDiscovery: discovery advertises the proof algorithms, all
// asymmetric (RFC 9449 §5.1).
func TestDPoPDiscovery(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	_, body := do(t, p, mustRequest(t, http.MethodGet, p.DiscoveryURL()))
	algs := fmt.Sprint(body["dpop_signing_alg_values_supported"])
	if !strings.Contains(algs, "ES256") || !strings.Contains(algs, "EdDSA") || strings.Contains(algs, "HS") || strings.Contains(algs, "none") {
		t.Errorf("dpop_signing_alg_values_supported %s", algs)
	}
}

// TestDPoPCORS: a browser app may send the DPoP header and read DPoP-Nonce.
func TestDPoPCORS(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	req := mustRequest(t, http.MethodOptions, p.TokenURL())
	req.Header.Set("Origin", "http://localhost:5173")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, _ := do(t, p, req)
	if h := resp.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(h, "DPoP") {
		t.Errorf("Access-Control-Allow-Headers %q", h)
	}
	if h := resp.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(h, "DPoP-Nonce") {
		t.Errorf("Access-Control-Expose-Headers %q", h)
	}
}

func mustRequest(t *testing.T, method, uri string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}
