package oauthtest_test

// The Go code of docs/dpop.md, docs/par-jar.md, docs/registration.md and
// the other pages' newer sections is copied from these tests (each block
// names its function or this file in a <!-- from ... --> marker, and
// TestDocsCodeBlocks checks the copy), so every snippet compiles and runs.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// dpopRoundTripper adds a fresh DPoP proof to every request, as a DPoP
// client does: golang.org/x/oauth2 then gets DPoP-bound tokens.
type dpopRoundTripper struct {
	p    *oauthtest.Provider
	key  *oauthtest.DPoPKey
	base http.RoundTripper
}

func (d dpopRoundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("DPoP", d.p.DPoPProof(d.key, r.Method, r.URL.String()))
	return d.base.RoundTrip(r)
}

func TestDocsDPoPClient(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, err := oauthtest.NewDPoPKey(ecKey) // ES256; ed25519 and RSA keys work too
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid"},
	}
	// dpop_jkt binds the code to the key: only a proof by it redeems the code.
	callback, err := p.Browser().Visit(cfg.AuthCodeURL("state", oauth2.SetAuthURLParam("dpop_jkt", key.Thumbprint())))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: dpopRoundTripper{p, key, http.DefaultTransport}})
	tok, err := cfg.Exchange(ctx, callback.Code)
	if err != nil {
		t.Fatal(err)
	}
	// tok.TokenType is "DPoP"; the access token's cnf.jkt is key.Thumbprint().

	// At a resource: the DPoP scheme, and a proof that carries the token's hash (ath).
	req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
	req.Header.Set("Authorization", "DPoP "+tok.AccessToken)
	req.Header.Set("DPoP", p.DPoPProof(key, http.MethodGet, p.UserinfoURL(), oauthtest.ForAccessToken(tok.AccessToken)))
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if tok.TokenType != "DPoP" || resp.StatusCode != http.StatusOK {
		t.Errorf("token_type %q; userinfo with DPoP: HTTP %d", tok.TokenType, resp.StatusCode)
	}

	// As a Bearer token it is refused: 401 with a DPoP challenge.
	req, _ = http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("as Bearer: HTTP %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// dpopTokenRequest posts a client credentials request with proof.
func dpopTokenRequest(t *testing.T, p *oauthtest.Provider, proof string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(p.ClientID(), p.ClientSecret())
	req.Header.Set("DPoP", proof)
	return do(t, p, req)
}

func TestDocsDPoPNonce(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDPoPNonces())
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	key, _ := oauthtest.NewDPoPKey(ecKey)

	resp, body := dpopTokenRequest(t, p, p.DPoPProof(key, "POST", p.TokenURL()))
	// 400 use_dpop_nonce, and the nonce to use in the DPoP-Nonce header
	nonce := resp.Header.Get("DPoP-Nonce")
	resp, body2 := dpopTokenRequest(t, p, p.DPoPProof(key, "POST", p.TokenURL(), oauthtest.SetClaims(map[string]any{"nonce": nonce})))
	// 200, token_type DPoP
	if body["error"] != "use_dpop_nonce" || resp.StatusCode != http.StatusOK || body2["token_type"] != "DPoP" {
		t.Errorf("first %v; retry HTTP %d %v", body, resp.StatusCode, body2)
	}

	// Spoiled proofs, for a client's error handling: each is invalid_dpop_proof.
	for _, proof := range []string{
		p.DPoPProof(key, "POST", p.TokenURL(), oauthtest.Expired()),                                    // iat six minutes ago
		p.DPoPProof(key, "POST", p.TokenURL(), oauthtest.SetHeader(map[string]any{"typ": "JWT"})),      // not dpop+jwt
		p.DPoPProof(key, "POST", p.TokenURL(), oauthtest.SetClaims(map[string]any{"htm": "GET"})),      // another method
		p.DPoPProof(key, "POST", p.TokenURL(), oauthtest.BadSignature()),                               // tampered
		p.DPoPProof(key, "POST", p.UserinfoURL(), oauthtest.SetClaims(map[string]any{"nonce": nonce})), // another URI
	} {
		if _, body := dpopTokenRequest(t, p, proof); body["error"] != "invalid_dpop_proof" {
			t.Errorf("a spoiled proof: %v", body)
		}
	}
}

func TestDocsPAR(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid"},
	}
	verifier := oauth2.GenerateVerifier()

	// The client pushes the parameters of its authorization request,
	// authenticating as at the token endpoint.
	form := url.Values{
		"response_type": {"code"}, "redirect_uri": {cfg.RedirectURL}, "scope": {"openid"}, "state": {"st"},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
	}
	req, _ := http.NewRequest(http.MethodPost, p.PushedAuthorizationURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var pushed struct {
		RequestURI string `json:"request_uri"` // urn:ietf:params:oauth:request_uri:...
		ExpiresIn  int    `json:"expires_in"`  // 60
	}
	if err := json.NewDecoder(resp.Body).Decode(&pushed); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: HTTP %d, %v", resp.StatusCode, err)
	}

	// The browser carries client_id and request_uri alone.
	authURL := p.AuthURL() + "?" + url.Values{"client_id": {cfg.ClientID}, "request_uri": {pushed.RequestURI}}.Encode()
	callback, err := p.Browser().Visit(authURL)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(ctx, callback.Code, oauth2.VerifierOption(verifier))
	if err != nil || callback.State != "st" || pushed.ExpiresIn != 60 {
		t.Fatalf("exchange: %v; state %q, expires_in %d", err, callback.State, pushed.ExpiresIn)
	}
	_ = tok
	if _, err := p.Browser().Visit(authURL); err == nil { // a request_uri is used once
		t.Error("a request_uri was used twice")
	}
}

func TestDocsRequestObject(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{
		ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1:8080/callback"},
		PublicKeys: []crypto.PublicKey{key.Public()}, // verify its request objects (and private_key_jwt)
	}))
	object := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{
		"iss": "app", "aud": p.Issuer(), "client_id": "app", "exp": p.Now().Add(time.Minute).Unix(), "jti": rand.Text(),
		"response_type": "code", "redirect_uri": "http://127.0.0.1:8080/callback", "scope": "openid", "state": "st",
	})
	object.Header["typ"] = "oauth-authz-req+jwt"
	signed, err := object.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	// By value: the parameters come from the object alone.
	callback, err := p.Browser().Visit(p.AuthURL() + "?" + url.Values{"client_id": {"app"}, "request": {signed}}.Encode())
	if err != nil || callback.Code == "" || callback.State != "st" {
		t.Fatalf("visit: %+v, %v", callback, err)
	}
	// Its jti is spent: the same object again is invalid_request_object.
	if _, err := p.Browser().Visit(p.AuthURL() + "?" + url.Values{"client_id": {"app"}, "request": {signed}}.Encode()); err == nil {
		t.Error("a request object was used twice")
	}
}

func TestDocsRegistration(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration("")) // "": anyone may register
	ctx := clientContext(p)
	metadata := `{"redirect_uris": ["http://127.0.0.1:8080/callback"], "client_name": "My app",
		"grant_types": ["authorization_code", "refresh_token"]}`
	resp, err := p.HTTPClient().Post(p.Issuer()+oauthtest.RegistrationPath, "application/json", strings.NewReader(metadata))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var registered struct {
		ClientID                string `json:"client_id"`
		ClientSecret            string `json:"client_secret"`
		RegistrationAccessToken string `json:"registration_access_token"` // to read, update or delete it
		RegistrationClientURI   string `json:"registration_client_uri"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&registered); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: HTTP %d, %v", resp.StatusCode, err)
	}
	cfg := oauth2.Config{
		ClientID: registered.ClientID, ClientSecret: registered.ClientSecret, RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid"},
	}
	callback, err := p.Browser().Visit(cfg.AuthCodeURL("state"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Exchange(ctx, callback.Code); err != nil {
		t.Fatal(err)
	}

	// RFC 7592: DELETE with the registration access token; its tokens are revoked.
	req, _ := http.NewRequest(http.MethodDelete, registered.RegistrationClientURI, nil)
	req.Header.Set("Authorization", "Bearer "+registered.RegistrationAccessToken)
	resp, err = p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("delete: HTTP %d, want 204", resp.StatusCode)
	}
}

func TestDocsMetadataDocument(t *testing.T) {
	t.Parallel()
	// The client's metadata document, at the URL that is its client_id.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"client_id":     "http://" + r.Host + r.URL.Path, // its own URL
			"client_name":   "MCP client",
			"redirect_uris": []string{"http://127.0.0.1:8080/callback"},
		}) // token_endpoint_auth_method none: a public client, PKCE required
	}))
	defer site.Close()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil))
	cfg := oauth2.Config{
		ClientID: site.URL + "/client.json", RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		Scopes:   []string{"openid"},
	}
	verifier := oauth2.GenerateVerifier()
	callback, err := p.Browser().Visit(cfg.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)))
	if err != nil || callback.Code == "" {
		t.Fatalf("%+v, %v", callback, err)
	}
	if _, err := cfg.Exchange(clientContext(p), callback.Code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
}

func TestDocsResources(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid", "offline_access"},
	}
	const calendar, contacts = "https://calendar.example/", "https://contacts.example/"
	// The authorization request names every API the app will call...
	authURL := cfg.AuthCodeURL("state") + "&resource=" + url.QueryEscape(calendar) + "&resource=" + url.QueryEscape(contacts)
	callback, err := p.Browser().Visit(authURL)
	if err != nil {
		t.Fatal(err)
	}
	// ... and each token request one of them: it becomes the access token's aud.
	tok, err := cfg.Exchange(ctx, callback.Code, oauth2.SetAuthURLParam("resource", calendar))
	if err != nil {
		t.Fatal(err)
	}
	// The refresh token keeps both: a refresh may ask for the other one.
	refreshed, err := refreshWithParam(ctx, &cfg, tok.RefreshToken, "resource", contacts)
	if err != nil {
		t.Fatal(err)
	}
	if got := accessClaims(t, p, tok.AccessToken)["aud"]; got != calendar {
		t.Errorf("aud %v, want %s", got, calendar)
	}
	if got := accessClaims(t, p, refreshed["access_token"].(string))["aud"]; got != contacts {
		t.Errorf("refreshed aud %v, want %s", got, contacts)
	}
}

// refreshWithParam refreshes rt with one extra parameter, which
// golang.org/x/oauth2's TokenSource cannot send.
func refreshWithParam(ctx context.Context, cfg *oauth2.Config, rt, name, value string) (map[string]any, error) {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, name: {value}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, cfg.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	resp, err := ctx.Value(oauth2.HTTPClient).(*http.Client).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status)
	}
	return body, nil
}

func TestDocsRefreshReuse(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithRefreshReuseInterval(10*time.Second))
	ctx := clientContext(p)
	cfg := oauthConfig(p, "openid", "offline_access")
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	// Two tabs refresh with the same token at once: both are served.
	first, err := refreshOnce(ctx, cfg, tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	second, err := refreshOnce(ctx, cfg, tok.RefreshToken) // within 10 s: the same successor
	if err != nil {
		t.Fatal(err)
	}
	if first.RefreshToken != second.RefreshToken || first.AccessToken == second.AccessToken {
		t.Errorf("reuse: successors %q and %q", first.RefreshToken, second.RefreshToken)
	}
}

func TestDocsControlToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI(), oauthtest.WithControlToken("s3cret"))
	req, _ := http.NewRequest(http.MethodPost, p.Issuer()+"/_oauthtest/codes/expire", nil)
	req.Header.Set("Authorization", "Bearer s3cret") // without it: 403 forbidden
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("with the token: HTTP %d", resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodPost, p.Issuer()+"/_oauthtest/codes/expire", nil)
	resp, err = p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("without the token: HTTP %d, want 403", resp.StatusCode)
	}
}

func TestDocsMintHeader(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	typJWT := p.MintAccessToken(oauthtest.SetHeader(map[string]any{"typ": "JWT"})) // not at+jwt: userinfo refuses it
	if resp, _ := userinfo(t, p, typJWT); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("typ JWT at userinfo: HTTP %d, want 401", resp.StatusCode)
	}
}

func TestDocsDeviceDenial(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage())
	form := url.Values{"client_id": {p.ClientID()}, "client_secret": {p.ClientSecret()}, "scope": {"openid"}}
	_, device := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, form, "", "")
	userCode := device["user_code"].(string)
	p.QueueDenial()
	err := p.ApproveDevice(userCode) // the queued denial wins: the device gets access_denied
	if !errors.Is(err, oauthtest.ErrAccessDenied) {
		t.Errorf("ApproveDevice after QueueDenial: %v, want ErrAccessDenied", err)
	}
}

func TestDocsClaimsParameter(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUser(oauthtest.User{
		Subject: "ann", Claims: map[string]any{"email": "ann@example.com"},
		ACR: "phr", AMR: []string{"hwk", "pin"},
	}))
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback",
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid"},
	}
	// Only openid is asked for; the claims parameter adds email to the ID
	// token and acr to userinfo.
	claims := `{"id_token": {"email": null}, "userinfo": {"acr": null}}`
	callback, err := p.Browser().Visit(cfg.AuthCodeURL("state", oauth2.SetAuthURLParam("claims", claims)))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(clientContext(p), callback.Code)
	if err != nil {
		t.Fatal(err)
	}
	id := accessClaims(t, p, tok.Extra("id_token").(string))
	if id["email"] != "ann@example.com" || id["acr"] != "phr" || len(id["amr"].([]any)) != 2 {
		t.Errorf("ID token %v; want email, acr phr and amr", id)
	}
	if at := accessClaims(t, p, tok.AccessToken); at["acr"] != "phr" {
		t.Errorf("access token %v; want acr phr (RFC 9068 §2.2.1)", at)
	}
	if _, info := userinfo(t, p, tok.AccessToken); info["acr"] != "phr" || info["email"] != nil {
		t.Errorf("userinfo %v; want acr and no email", info)
	}
	if _, info := userinfo(t, p, issuedTokens(t, p, "openid").AccessToken); info["acr"] != nil {
		t.Errorf("userinfo without the claims parameter: %v; want no acr", info)
	}
	// An essential acr the login cannot meet: no code.
	essential := `{"id_token": {"acr": {"essential": true, "values": ["phrh"]}}}`
	callback, err = p.Browser().Visit(cfg.AuthCodeURL("state", oauth2.SetAuthURLParam("claims", essential)))
	if err != nil || callback.Error != "unmet_authentication_requirements" || callback.Code != "" {
		t.Errorf("essential acr phrh for a phr login: %+v, %v", callback, err)
	}
}

func TestDocsClaimRules(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClient(oauthtest.Client{ID: "reports", Secret: "reports-secret", GrantTypes: []string{oauthtest.GrantClientCredentials}}),
		oauthtest.WithClaimRules(
			oauthtest.ClaimRule{AccessToken: map[string]any{"tenant": "acme", "roles": []string{"viewer"}}},
			oauthtest.ClaimRule{ // later rules win
				When:        oauthtest.ClaimWhen{ClientID: "reports", GrantType: oauthtest.GrantClientCredentials},
				AccessToken: map[string]any{"roles": []string{"reports.read"}},
			},
			oauthtest.ClaimRule{
				When:     oauthtest.ClaimWhen{Scope: "email"},
				IDToken:  map[string]any{"contact": "${email}"}, // the user's claim; left out if the user has none
				Userinfo: map[string]any{"plan": "gold"},
			},
		))
	// ...
	if err := p.SetClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"tenant": "globex"}}); err != nil {
		t.Fatal(err) // a claim the provider sets (sub, aud, exp...), an unknown client or grant
	}
	// ... until p.Reset(), which brings back the configured rules
	p.Reset()
	tok := issuedTokens(t, p, "openid", "email")
	if at := accessClaims(t, p, tok.AccessToken); at["tenant"] != "acme" || at["roles"].([]any)[0] != "viewer" {
		t.Errorf("the code flow's access token: %v", at)
	}
	if id := accessClaims(t, p, tok.Extra("id_token").(string)); id["contact"] != "test.user@example.com" {
		t.Errorf("ID token: %v", id)
	}
	if _, info := userinfo(t, p, tok.AccessToken); info["plan"] != "gold" {
		t.Errorf("userinfo: %v", info)
	}
	svc := clientcredentialsToken(t, p, "reports", "reports-secret")
	if at := accessClaims(t, p, svc); at["roles"].([]any)[0] != "reports.read" || at["tenant"] != "acme" {
		t.Errorf("the reports client's access token: %v", at)
	}
	if err := p.SetClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"tenant": "globex"}}); err != nil {
		t.Fatal(err)
	}
	if at := accessClaims(t, p, p.MintAccessToken()); at["tenant"] != "globex" || at["roles"] != nil {
		t.Errorf("after SetClaimRules: %v", at)
	}
	if err := p.SetClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"aud": "x"}}); err == nil {
		t.Error("a rule setting aud was accepted")
	}
}

// clientcredentialsToken is the access token of a client credentials grant.
func clientcredentialsToken(t *testing.T, p *oauthtest.Provider, id, secret string) string {
	t.Helper()
	resp, body := postForm(t, p, p.TokenURL(), url.Values{"grant_type": {"client_credentials"}}, id, secret)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("client credentials: HTTP %d %v", resp.StatusCode, body)
	}
	return body["access_token"].(string)
}

// jsonBlocks are the ```json blocks of a docs page.
func jsonBlocks(t *testing.T, page string) []string {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rest := range strings.Split(string(b), "```json\n")[1:] {
		block, _, _ := strings.Cut(rest, "```")
		out = append(out, block)
	}
	return out
}

// TestDocsClaimRulesJSON: the JSON of docs/claim-rules.md is valid, and
// each block with claim_rules makes a provider with the clients it names.
func TestDocsClaimRulesJSON(t *testing.T) {
	t.Parallel()
	blocks := jsonBlocks(t, "docs/claim-rules.md")
	loaded := 0
	for i, block := range blocks {
		type issuer struct {
			Clients    []struct{ ID, Secret string } `json:"clients"`
			ClaimRules []oauthtest.ClaimRule         `json:"claim_rules"`
		}
		var doc struct {
			issuer
			Issuers []issuer `json:"issuers"`
		}
		if err := json.Unmarshal([]byte(block), &doc); err != nil {
			t.Errorf("block %d: not valid JSON: %v", i, err)
			continue
		}
		for _, iss := range append(doc.Issuers, doc.issuer) {
			if len(iss.ClaimRules) == 0 {
				continue
			}
			opts := []oauthtest.Option{oauthtest.WithoutServer(), oauthtest.WithIssuer("http://127.0.0.1:1"), oauthtest.WithClaimRules(iss.ClaimRules...)}
			for _, c := range iss.Clients {
				opts = append(opts, oauthtest.WithClient(oauthtest.Client{ID: c.ID, Secret: c.Secret}))
			}
			if _, err := oauthtest.NewProvider(opts...); err != nil {
				t.Errorf("block %d: %v", i, err)
			}
			loaded++
		}
	}
	if len(blocks) < 3 || loaded < 2 {
		t.Errorf("%d JSON blocks, %d with claim rules", len(blocks), loaded)
	}
}

func TestDocsSignIn(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(oauthtest.User{Subject: "ada", Claims: map[string]any{"name": "Ada"}}))
	// A browser test's cookie: give it to Playwright, Cypress, chromedp...
	cookie, err := p.SignIn(oauthtest.User{Subject: "ada"}) // the known user ada, claims included
	if err != nil {
		t.Fatal(err)
	}
	// Or sign p.Browser() in: the next Visit is approved for ada without the login page.
	b := p.Browser()
	if err := b.SignIn(oauthtest.User{Subject: "ada"}); err != nil {
		t.Fatal(err)
	}
	callback, err := b.Visit(oauthConfig(p).AuthCodeURL("state"))
	if err != nil || callback.Code == "" || cookie.Name != "oauthtest_session" || !cookie.HttpOnly {
		t.Fatalf("%+v, %v; cookie %+v", callback, err, cookie)
	}
	if c := p.Codes(); c[len(c)-1].Subject != "ada" {
		t.Errorf("signed in as %s", c[len(c)-1].Subject)
	}
}

// TestDocsFAPIConfig: the config of docs/fapi.md is compat/fapi.json,
// which CI runs.
func TestDocsFAPIConfig(t *testing.T) {
	t.Parallel()
	blocks := jsonBlocks(t, "docs/fapi.md")
	want, err := os.ReadFile("compat/fapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 || blocks[0] != string(want) {
		t.Errorf("docs/fapi.md's config differs from compat/fapi.json:\n%v", blocks)
	}
}
