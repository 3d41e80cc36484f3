package oauthtest_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// registrationURL is p's registration endpoint.
func registrationURL(p *oauthtest.Provider) string { return p.Issuer() + oauthtest.RegistrationPath }

// sendJSON sends body as JSON with method to rawURL, with a Bearer token
// when token is set, and decodes the answer.
func sendJSON(t *testing.T, p *oauthtest.Provider, method, rawURL, token string, body any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, rawURL, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, p, req)
}

// register registers md and returns the Client Information Response.
func register(t *testing.T, p *oauthtest.Provider, md map[string]any) map[string]any {
	t.Helper()
	resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", md)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("registration: HTTP %d %v: %v", resp.StatusCode, body["error"], body["error_description"])
	}
	return body
}

// webClient is the metadata of a confidential web client.
func webClient() map[string]any {
	return map[string]any{"redirect_uris": []string{redirectURI}, "client_name": "Web", "contacts": []string{"dev@example.com"}}
}

// TestRegistrationOffByDefault: without the option there is no
// registration endpoint, and discovery advertises none.
func TestRegistrationOffByDefault(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	resp, _ := sendJSON(t, p, http.MethodPost, registrationURL(p), "", webClient())
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("registration without the option: HTTP %d, want 404", resp.StatusCode)
	}
	_, doc := do(t, p, mustRequest(t, http.MethodGet, p.DiscoveryURL()))
	for _, k := range []string{"registration_endpoint", "client_id_metadata_document_supported"} {
		if _, ok := doc[k]; ok {
			t.Errorf("discovery advertises %s without the option", k)
		}
	}
	for _, e := range p.Endpoints() {
		if e.Endpoint == oauthtest.EndpointRegistration {
			t.Error("Endpoints lists the registration endpoint without the option")
		}
	}
}

// TestRegistrationDiscovery: with the options, discovery names the
// registration endpoint and says metadata documents are supported.
func TestRegistrationDiscovery(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""), oauthtest.WithClientIDMetadataDocuments(nil))
	_, doc := do(t, p, mustRequest(t, http.MethodGet, p.DiscoveryURL()))
	if doc["registration_endpoint"] != registrationURL(p) || doc["client_id_metadata_document_supported"] != true {
		t.Errorf("registration_endpoint %v, client_id_metadata_document_supported %v", doc["registration_endpoint"], doc["client_id_metadata_document_supported"])
	}
}

// TestRegistrationInitialAccessToken: a provider that requires an initial
// access token refuses a registration without it or with another one, as
// RFC 6750 §3 says, and accepts it with it.
func TestRegistrationInitialAccessToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration("let-me-in"))
	resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", webClient())
	wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
	if got := resp.Header.Get("WWW-Authenticate"); got != `Bearer realm="oauthtest"` {
		t.Errorf("without a token: WWW-Authenticate %q, want a bare Bearer challenge (RFC 6750 §3.1)", got)
	}
	resp, body = sendJSON(t, p, http.MethodPost, registrationURL(p), "let-me-in-not", webClient())
	wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `error="invalid_token"`) {
		t.Errorf("with a wrong token: WWW-Authenticate %q, want error=invalid_token", got)
	}
	if resp, body = sendJSON(t, p, http.MethodPost, registrationURL(p), "let-me-in", webClient()); resp.StatusCode != http.StatusCreated {
		t.Fatalf("with the token: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestRegistrationResponse: the Client Information Response of RFC 7591
// §3.2.1 and RFC 7592 §3, with the defaults filled in; the client is then
// listed by Clients.
func TestRegistrationResponse(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""), oauthtest.WithTime(start))
	resp, info := sendJSON(t, p, http.MethodPost, registrationURL(p), "", webClient())
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("HTTP %d, Cache-Control %q: %v", resp.StatusCode, resp.Header.Get("Cache-Control"), info)
	}
	id, _ := info["client_id"].(string)
	want := map[string]any{
		"client_id_issued_at": float64(start.Unix()), "client_secret_expires_at": float64(0),
		"registration_client_uri":    registrationURL(p) + "?client_id=" + url.QueryEscape(id),
		"token_endpoint_auth_method": "client_secret_basic", "client_name": "Web",
		"scope": strings.Join(oauthtest.DefaultScopes(), " "),
	}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("%s = %v, want %v", k, info[k], v)
		}
	}
	for _, k := range []string{"client_secret", "registration_access_token"} {
		if s, _ := info[k].(string); len(s) < 32 {
			t.Errorf("%s = %q, want a long random string", k, s)
		}
	}
	if !slices.ContainsFunc(p.Clients(), func(c oauthtest.Client) bool { return c.ID == id && c.Secret == info["client_secret"] }) {
		t.Errorf("Clients() does not list %q", id)
	}
	public := register(t, p, map[string]any{"redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "none"})
	if _, ok := public["client_secret"]; ok {
		t.Errorf("a public client got a secret: %v", public)
	}
	if _, ok := public["client_secret_expires_at"]; ok {
		t.Errorf("a client without a secret got client_secret_expires_at: %v", public)
	}
}

// TestRegistrationMetadataErrors: each rule of static registration, and
// each of RFC 7591, refuses metadata with the RFC 7591 §3.2.2 code.
func TestRegistrationMetadataErrors(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	rsaJWK := map[string]any{"kty": "RSA", "n": "sXch", "e": "AQAB", "d": "private"}
	with := func(k string, v any) map[string]any { md := webClient(); md[k] = v; return md }
	for name, tc := range map[string]struct {
		md   map[string]any
		code string
	}{
		"javascript: redirect URI":        {with("redirect_uris", []string{"javascript:alert(document.cookie)//"}), "invalid_redirect_uri"},
		"data: redirect URI":              {with("redirect_uris", []string{"data:text/html;base64,PHNjcmlwdD4="}), "invalid_redirect_uri"},
		"redirect URI with a fragment":    {with("redirect_uris", []string{"https://app.example/cb#x"}), "invalid_redirect_uri"},
		"relative redirect URI":           {with("redirect_uris", []string{"/callback"}), "invalid_redirect_uri"},
		"no redirect URIs":                {map[string]any{"client_name": "x"}, "invalid_redirect_uri"},
		"redirect_uris not an array":      {with("redirect_uris", redirectURI), "invalid_redirect_uri"},
		"javascript: post-logout URI":     {with("post_logout_redirect_uris", []string{"javascript:alert(1)"}), "invalid_redirect_uri"},
		"unknown auth method":             {with("token_endpoint_auth_method", "tls_client_auth"), "invalid_client_metadata"},
		"private_key_jwt without keys":    {with("token_endpoint_auth_method", "private_key_jwt"), "invalid_client_metadata"},
		"jwks and jwks_uri":               {with("jwks", map[string]any{"keys": []any{}}), "invalid_client_metadata"},
		"private key in jwks":             {with("jwks", map[string]any{"keys": []any{rsaJWK}}), "invalid_client_metadata"},
		"short RSA key in jwks":           {with("jwks", map[string]any{"keys": []any{map[string]any{"kty": "RSA", "n": "sXch", "e": "AQAB"}}}), "invalid_client_metadata"},
		"unknown grant type":              {with("grant_types", []string{"authorization_code", "password"}), "invalid_client_metadata"},
		"code without authorization_code": {map[string]any{"redirect_uris": []string{redirectURI}, "grant_types": []string{"refresh_token"}, "response_types": []string{"code"}}, "invalid_client_metadata"},
		"authorization_code without code": {with("response_types", []string{"code id_token"}), "invalid_client_metadata"},
		"unsupported response type":       {with("response_types", []string{"token"}), "invalid_client_metadata"},
		"public client_credentials":       {map[string]any{"token_endpoint_auth_method": "none", "grant_types": []string{"client_credentials"}}, "invalid_client_metadata"},
		"javascript: logo_uri":            {with("logo_uri", "javascript:alert(1)"), "invalid_client_metadata"},
		"relative client_uri":             {with("client_uri", "/about"), "invalid_client_metadata"},
		"empty contact":                   {with("contacts", []string{" "}), "invalid_client_metadata"},
		"contacts not strings":            {with("contacts", []int{1}), "invalid_client_metadata"},
		"scope with a quote":              {with("scope", `openid "admin"`), "invalid_client_metadata"},
		"unknown application_type":        {with("application_type", "desktop"), "invalid_client_metadata"},
		"unsupported ID token alg":        {with("id_token_signed_response_alg", "none"), "invalid_client_metadata"},
		"HS256 for a public client":       {map[string]any{"redirect_uris": []string{redirectURI}, "token_endpoint_auth_method": "none", "id_token_signed_response_alg": "HS256"}, "invalid_client_metadata"},
		"backchannel URI with fragment":   {with("backchannel_logout_uri", "https://app.example/bc#x"), "invalid_client_metadata"},
		"client chooses its client_id":    {with("client_id", "admin"), "invalid_client_metadata"},
		"client chooses its secret":       {with("client_secret", "hunter2"), "invalid_client_metadata"},
		"software statement not a JWT":    {with("software_statement", "not-a-jwt"), "invalid_software_statement"},
		"software statement unapproved":   {with("software_statement", unsignedStatement(t)), "unapproved_software_statement"},
	} {
		if name == "jwks and jwks_uri" {
			tc.md["jwks_uri"] = "https://app.example/jwks.json"
		}
		resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", tc.md)
		if resp.StatusCode != http.StatusBadRequest || body["error"] != tc.code || body["error_description"] == "" {
			t.Errorf("%s: HTTP %d %v (%v); want 400 %s", name, resp.StatusCode, body["error"], body["error_description"], tc.code)
		}
	}
	if n := len(p.Clients()); n != 1 {
		t.Errorf("%d clients after refused registrations, want only the default one", n)
	}
}

// unsignedStatement is a software statement of an issuer nobody trusts.
func unsignedStatement(t *testing.T) string {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://stranger.example", "client_name": "Bank"}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRegistrationBody: the body must be a JSON object sent as
// application/json (RFC 7591 §3.1).
func TestRegistrationBody(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	for name, req := range map[string]*http.Request{
		"a form":                            formRequest(t, registrationURL(p), "application/x-www-form-urlencoded", "redirect_uris=x"),
		"not JSON":                          formRequest(t, registrationURL(p), "application/json", "{"),
		"an array":                          formRequest(t, registrationURL(p), "application/json", "[]"),
		"too large":                         formRequest(t, registrationURL(p), "application/json", `{"client_name":"`+strings.Repeat("x", 70<<10)+`"}`),
		"POST to a registration_client_uri": formRequest(t, registrationURL(p)+"?client_id=x", "application/json", "{}"),
	} {
		resp, body := do(t, p, req)
		if resp.StatusCode/100 != 4 || (body["error"] != "invalid_client_metadata" && body["error"] != "invalid_request") {
			t.Errorf("%s: HTTP %d %v", name, resp.StatusCode, body)
		}
	}
}

func formRequest(t *testing.T, rawURL, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

// registeredConfig is the golang.org/x/oauth2 configuration of a
// registered client.
func registeredConfig(p *oauthtest.Provider, info map[string]any) *oauth2.Config {
	cfg := oauthConfig(p)
	cfg.ClientID, _ = info["client_id"].(string)
	cfg.ClientSecret, _ = info["client_secret"].(string)
	return cfg
}

// TestRegisteredClientCodeFlow: a registered client runs the code flow
// with golang.org/x/oauth2, and its token works at userinfo.
func TestRegisteredClientCodeFlow(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	cfg := registeredConfig(p, register(t, p, webClient()))
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := userinfo(t, p, tok.AccessToken); resp.StatusCode != http.StatusOK || body["sub"] == "" {
		t.Fatalf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	cfg.ClientSecret = "wrong"
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err == nil {
		t.Error("a wrong secret for a registered client was accepted")
	}
	cfg.RedirectURL = "http://127.0.0.1:9999/other"
	if resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st"), nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unregistered redirect URI: HTTP %d, want the error page", resp.StatusCode)
	}
}

// TestRegistrationManagement: the registration access token reads,
// updates and deletes its own registration (RFC 7592), and nothing else.
func TestRegistrationManagement(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	info := register(t, p, webClient())
	other := register(t, p, webClient())
	uri, tok := info["registration_client_uri"].(string), info["registration_access_token"].(string)

	resp, read := sendJSON(t, p, http.MethodGet, uri, tok, nil)
	if resp.StatusCode != http.StatusOK || read["client_secret"] != info["client_secret"] || read["client_name"] != "Web" {
		t.Fatalf("read: HTTP %d %v", resp.StatusCode, read)
	}
	for name, token := range map[string]string{"no token": "", "a wrong token": tok + "x", "another client's token": other["registration_access_token"].(string)} {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			resp, body := sendJSON(t, p, method, uri, token, read)
			wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
				t.Errorf("%s %s: no Bearer challenge", method, name)
			}
		}
	}
	if resp, body := sendJSON(t, p, http.MethodGet, registrationURL(p)+"?client_id="+oauthtest.DefaultClientID, tok, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reading a static client with a registration token: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestRegistrationUpdate: PUT replaces the metadata (RFC 7592 §2.2): an
// omitted member is deleted; client_id must match; the secret cannot be
// chosen; the members of the response only are refused.
func TestRegistrationUpdate(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	info := register(t, p, webClient())
	uri, tok := info["registration_client_uri"].(string), info["registration_access_token"].(string)
	update := func(change func(map[string]any)) (*http.Response, map[string]any) {
		md := map[string]any{"client_id": info["client_id"], "client_secret": info["client_secret"], "redirect_uris": []string{"http://127.0.0.1:9999/new"}}
		change(md)
		return sendJSON(t, p, http.MethodPut, uri, tok, md)
	}
	for name, change := range map[string]func(map[string]any){
		"another client_id":         func(md map[string]any) { md["client_id"] = "someone-else" },
		"no client_id":              func(md map[string]any) { delete(md, "client_id") },
		"a chosen secret":           func(md map[string]any) { md["client_secret"] = "hunter2" },
		"registration_access_token": func(md map[string]any) { md["registration_access_token"] = tok },
		"client_id_issued_at":       func(md map[string]any) { md["client_id_issued_at"] = 1 },
		"a javascript: redirect":    func(md map[string]any) { md["redirect_uris"] = []string{"javascript:alert(1)"} },
	} {
		resp, body := update(change)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(body["error"].(string), "invalid_") {
			t.Errorf("update with %s: HTTP %d %v", name, resp.StatusCode, body)
		}
	}
	resp, body := update(func(map[string]any) {})
	if resp.StatusCode != http.StatusOK || body["client_name"] != nil || body["client_secret"] != info["client_secret"] ||
		body["registration_access_token"] != tok || body["client_id_issued_at"] != info["client_id_issued_at"] {
		t.Fatalf("update: HTTP %d %v", resp.StatusCode, body)
	}
	cfg := registeredConfig(p, info)
	cfg.RedirectURL = "http://127.0.0.1:9999/new"
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
		t.Fatalf("the updated redirect URI: %v", err)
	}
	resp, body = update(func(md map[string]any) { md["token_endpoint_auth_method"] = "none"; delete(md, "client_secret") })
	if _, ok := body["client_secret"]; resp.StatusCode != http.StatusOK || ok {
		t.Errorf("becoming public: HTTP %d %v, want no secret", resp.StatusCode, body)
	}
}

// TestRegistrationDelete: DELETE answers 204 (RFC 7592 §2.3); the client
// and its registration access token are gone, and its tokens are refused.
func TestRegistrationDelete(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	info := register(t, p, webClient())
	uri, tok := info["registration_client_uri"].(string), info["registration_access_token"].(string)
	cfg := registeredConfig(p, info)
	token, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := sendJSON(t, p, http.MethodDelete, uri, tok, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: HTTP %d", resp.StatusCode)
	}
	resp, body := userinfo(t, p, token.AccessToken)
	wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
	_, err = cfg.TokenSource(clientContext(p), &oauth2.Token{RefreshToken: token.RefreshToken}).Token()
	wantRetrieveError(t, err, "invalid_client", http.StatusUnauthorized)
	resp, body = sendJSON(t, p, http.MethodGet, uri, tok, nil)
	wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
	if slices.ContainsFunc(p.Clients(), func(c oauthtest.Client) bool { return c.ID == cfg.ClientID }) {
		t.Error("Clients() still lists the deleted client")
	}
}

// TestRegistrationReset: Reset forgets registered clients.
func TestRegistrationReset(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	info := register(t, p, webClient())
	p.Reset()
	resp, body := sendJSON(t, p, http.MethodGet, info["registration_client_uri"].(string), info["registration_access_token"].(string), nil)
	wantJSONError(t, resp, body, "invalid_token", http.StatusUnauthorized)
	if n := len(p.Clients()); n != 1 {
		t.Errorf("%d clients after Reset, want the default one", n)
	}
}

// ed25519JWKS is the JWK Set of key's public half.
func ed25519JWKS(key ed25519.PrivateKey) map[string]any {
	x := base64.RawURLEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	return map[string]any{"keys": []any{map[string]any{"kty": "OKP", "crv": "Ed25519", "x": x, "use": "sig"}}}
}

// clientAssertion is a private_key_jwt assertion of client id for p.
func clientAssertion(t *testing.T, p *oauthtest.Provider, id string, key ed25519.PrivateKey) string {
	t.Helper()
	now := p.Now()
	s, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": id, "sub": id, "aud": p.TokenURL(),
		"exp": now.Add(time.Minute).Unix(), "jti": base64.RawURLEncoding.EncodeToString(key[:8]) + now.String()}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRegistrationPrivateKeyJWT: a client registers its keys by jwks or
// jwks_uri and authenticates with private_key_jwt; a jwks_uri that does
// not answer a JWK Set is refused.
func TestRegistrationPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	jwksServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/jwks.json" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ed25519JWKS(key))
	}))
	t.Cleanup(jwksServer.Close)
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	for name, keys := range map[string][2]any{"jwks": {"jwks", ed25519JWKS(key)}, "jwks_uri": {"jwks_uri", jwksServer.URL + "/jwks.json"}} {
		info := register(t, p, map[string]any{"token_endpoint_auth_method": "private_key_jwt", "grant_types": []string{"client_credentials"}, keys[0].(string): keys[1]})
		id := info["client_id"].(string)
		form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {clientAssertion(t, p, id, key)}}
		if resp, body := postForm(t, p, p.TokenURL(), form, "", ""); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: token: HTTP %d %v", name, resp.StatusCode, body)
		}
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		form.Set("client_assertion", clientAssertion(t, p, id, other))
		resp, body := postForm(t, p, p.TokenURL(), form, "", "")
		wantJSONError(t, resp, body, "invalid_client", http.StatusUnauthorized)
	}
	resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
		"grant_types": []string{"client_credentials"}, "jwks_uri": jwksServer.URL + "/missing.json"})
	wantJSONError(t, resp, body, "invalid_client_metadata", http.StatusBadRequest)
}

// TestRegistrationSoftwareStatement: the claims of a statement signed by
// a trusted issuer take precedence over the plain metadata (RFC 7591
// §3.1.1); one signed by another key is invalid.
func TestRegistrationSoftwareStatement(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""), oauthtest.WithTrustedIssuer("https://store.example", key.Public()))
	sign := func(k ed25519.PrivateKey) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"iss": "https://store.example", "client_name": "Approved", "software_id": "app-1"}).SignedString(k)
		return s
	}
	md := webClient()
	md["software_statement"] = sign(key)
	if info := register(t, p, md); info["client_name"] != "Approved" || info["software_id"] != "app-1" {
		t.Errorf("the statement's claims did not take precedence: %v", info)
	}
	_, forged, _ := ed25519.GenerateKey(rand.Reader)
	md["software_statement"] = sign(forged)
	resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", md)
	wantJSONError(t, resp, body, "invalid_software_statement", http.StatusBadRequest)
}

// TestRegistrationDump: Dump tells which clients registered dynamically.
func TestRegistrationDump(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	if strings.Contains(p.Dump(), "registered dynamically") {
		t.Error("Dump names a registered client before any registered")
	}
	id := register(t, p, webClient())["client_id"].(string)
	if d := p.Dump(); !strings.Contains(d, `registered dynamically: "`+id+`"`) {
		t.Errorf("Dump does not name %q:\n%s", id, d)
	}
}
