package oauthtest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// exactClient registers its redirect URIs, so they are matched exactly.
var exactClient = oauthtest.Client{ID: "web", Secret: "web-secret", RedirectURIs: []string{"https://app.example/cb", "http://127.0.0.1:8080/cb?tenant=1"}}

// nativeClient is a native app with a private-use URI scheme (RFC 8252 §7.1).
var nativeClient = oauthtest.Client{ID: "native", Public: true, RedirectURIs: []string{"com.example.app:/oauth2redirect"}}

// authorizeParams are valid parameters for exactClient; each case changes some.
func authorizeParams(change func(url.Values)) url.Values {
	v := url.Values{
		"client_id": {"web"}, "redirect_uri": {"https://app.example/cb"}, "response_type": {"code"},
		"scope": {"openid email"}, "state": {"xyz"}, "nonce": {"n"},
	}
	if change != nil {
		change(v)
	}
	return v
}

// pageCase is a request whose client or redirect URI cannot be trusted: it
// must get an error page, never a redirect.
type pageCase struct {
	name   string
	method string
	query  string
	status int
	want   string // in the page
}

func (tc pageCase) run(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(exactClient))
	method := tc.method
	if method == "" {
		method = http.MethodGet
	}
	resp := visit(t, p, method, p.AuthURL()+"?"+tc.query, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d; Location %q; body %s", resp.StatusCode, tc.status, resp.Header.Get("Location"), b)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Fatalf("redirected to %s", loc)
	}
	if !strings.Contains(string(b), tc.want) {
		t.Errorf("page does not say %q:\n%s", tc.want, b)
	}
}

func TestAuthorizeErrorPage(t *testing.T) {
	t.Parallel()
	q := func(change func(url.Values)) string { return authorizeParams(change).Encode() }
	for _, tc := range []pageCase{
		{name: "missing client_id", query: q(func(v url.Values) { v.Del("client_id") }), status: 400, want: "client_id is missing; registered clients: &#34;oauthtest-client&#34;, &#34;web&#34;"},
		{name: "unknown client_id", query: q(func(v url.Values) { v.Set("client_id", "nope") }), status: 400, want: "client_id &#34;nope&#34; is not registered"},
		{name: "duplicate client_id", query: q(func(v url.Values) { v.Add("client_id", "web") }), status: 400, want: "client_id was sent 2 times"},
		{name: "duplicate redirect_uri", query: q(func(v url.Values) { v.Add("redirect_uri", "https://app.example/cb") }), status: 400, want: "redirect_uri was sent 2 times"},
		{name: "missing redirect_uri with two registered", query: q(func(v url.Values) { v.Del("redirect_uri") }), status: 400, want: "redirect_uri is missing"},
		{name: "unregistered redirect_uri names the registered ones", query: q(func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }), status: 400, want: "registered: &#34;https://app.example/cb&#34;, &#34;http://127.0.0.1:8080/cb?tenant=1&#34;"},
		{name: "prefix of a registered URI", query: q(func(v url.Values) { v.Set("redirect_uri", "https://app.example/c") }), status: 400, want: "is not registered"},
		{name: "extension of a registered URI", query: q(func(v url.Values) { v.Set("redirect_uri", "https://app.example/cb/evil") }), status: 400, want: "is not registered"},
		{name: "case-folded URI", query: q(func(v url.Values) { v.Set("redirect_uri", "https://APP.example/cb") }), status: 400, want: "is not registered"},
		{name: "URI with a fragment", query: q(func(v url.Values) { v.Set("redirect_uri", "https://app.example/cb#x") }), status: 400, want: "is not registered"},
		{name: "registered URI without its query", query: q(func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8080/cb") }), status: 400, want: "is not registered"},
		{name: "default client refuses a non-loopback URI", query: q(func(v url.Values) {
			v.Set("client_id", oauthtest.DefaultClientID)
			v.Set("redirect_uri", "https://evil.example/cb")
		}), status: 400, want: "any loopback URI"},
		{name: "default client refuses a loopback URI with a fragment", query: q(func(v url.Values) {
			v.Set("client_id", oauthtest.DefaultClientID)
			v.Set("redirect_uri", "http://127.0.0.1/cb#frag")
		}), status: 400, want: "is not registered"},
		{name: "wrong method", method: http.MethodPut, query: q(nil), status: 405, want: "accepts GET and POST"},
		// A request object or request_uri that fails cannot vouch for the
		// redirect URI in it, and the one outside is ignored (RFC 9101 §6.3).
		{name: "request object that is no JWT", query: q(func(v url.Values) { v.Set("request", "eyJ...") }), status: 400, want: "invalid_request_object: the request object is not a JWT"},
		{name: "request_uri to fetch", query: q(func(v url.Values) { v.Set("request_uri", "https://app.example/req.jwt") }), status: 400, want: "request_uri_not_supported: request_uri &#34;https://app.example/req.jwt&#34; was not issued by this provider"},
		{name: "request_uri never pushed", query: q(func(v url.Values) { v.Set("request_uri", "urn:ietf:params:oauth:request_uri:nope") }), status: 400, want: "invalid_request_uri: request_uri &#34;urn:ietf:params:oauth:request_uri:nope&#34; was not issued"},
	} {
		t.Run(tc.name, tc.run)
	}
}

// redirectCase is a request with a valid client and redirect URI that must
// be refused by a redirect carrying error, error_description and state.
type redirectCase struct {
	name     string
	change   func(url.Values)
	code     string
	fragment bool // the error comes in the fragment
}

func (tc redirectCase) run(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(exactClient), oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true}))
	params := authorizeParams(tc.change)
	query, fragment := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+params.Encode(), nil), params.Get("redirect_uri"))
	got := query
	if tc.fragment {
		got = fragment
	}
	if got.Get("error") != tc.code || got.Get("error_description") == "" {
		t.Fatalf("query %v fragment %v; want error %s with a description", query, fragment, tc.code)
	}
	if got.Get("state") != params.Get("state") || got.Get("iss") != p.Issuer() {
		t.Errorf("state %q iss %q; want %q and %q", got.Get("state"), got.Get("iss"), params.Get("state"), p.Issuer())
	}
	if got.Has("code") {
		t.Error("an error response carries a code")
	}
}

func TestAuthorizeErrorRedirect(t *testing.T) {
	t.Parallel()
	loopback := func(v url.Values) { v.Set("client_id", "spa"); v.Set("redirect_uri", "http://127.0.0.1:5173/cb") }
	for _, tc := range []redirectCase{
		{name: "missing response_type", change: func(v url.Values) { v.Del("response_type") }, code: "invalid_request"},
		{name: "implicit flow", change: func(v url.Values) { v.Set("response_type", "token") }, code: "unsupported_response_type"},
		{name: "unknown response_type", change: func(v url.Values) { v.Set("response_type", "code token") }, code: "unsupported_response_type"},
		{name: "missing scope", change: func(v url.Values) { v.Del("scope") }, code: "invalid_scope"},
		{name: "scope not allowed", change: func(v url.Values) { v.Set("scope", "openid admin") }, code: "invalid_scope"},
		{name: "duplicate state", change: func(v url.Values) { v.Add("state", "other") }, code: "invalid_request"},
		{name: "duplicate scope", change: func(v url.Values) { v.Add("scope", "openid") }, code: "invalid_request"},
		{name: "unknown response_mode", change: func(v url.Values) { v.Set("response_mode", "web_message") }, code: "invalid_request"},
		{name: "hybrid in query mode", change: func(v url.Values) { v.Set("response_type", "code id_token"); v.Set("response_mode", "query") }, code: "invalid_request", fragment: true},
		{name: "hybrid without nonce", change: func(v url.Values) { v.Set("response_type", "code id_token"); v.Del("nonce") }, code: "invalid_request", fragment: true},
		{name: "hybrid without openid", change: func(v url.Values) { v.Set("response_type", "id_token code"); v.Set("scope", "email") }, code: "invalid_request", fragment: true},
		{name: "method without challenge", change: func(v url.Values) { v.Set("code_challenge_method", "S256") }, code: "invalid_request"},
		{name: "unsupported challenge method", change: func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 43))
			v.Set("code_challenge_method", "S512")
		}, code: "invalid_request"},
		{name: "short challenge", change: func(v url.Values) { v.Set("code_challenge", "abc") }, code: "invalid_request"},
		{name: "challenge with forbidden characters", change: func(v url.Values) { v.Set("code_challenge", strings.Repeat("a", 42)+"!") }, code: "invalid_request"},
		{name: "S256 challenge of wrong length", change: func(v url.Values) {
			v.Set("code_challenge", strings.Repeat("a", 50))
			v.Set("code_challenge_method", "S256")
		}, code: "invalid_request"},
		{name: "public client without PKCE", change: loopback, code: "invalid_request"},
	} {
		t.Run(tc.name, tc.run)
	}
}

func TestAuthorizeSuccess(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(exactClient), oauthtest.WithClient(oauthtest.Client{ID: "one", Secret: "s", RedirectURIs: []string{"https://one.example/cb"}}))
	t.Run("state is echoed unchanged", func(t *testing.T) {
		state := "ünïcødé & = + % # ? / " + strings.Repeat("x", 1000)
		q, _ := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+authorizeParams(func(v url.Values) { v.Set("state", state) }).Encode(), nil), "https://app.example/cb?")
		if q.Get("state") != state || q.Get("code") == "" || q.Get("iss") != p.Issuer() {
			t.Errorf("response %v", q)
		}
	})
	t.Run("no state, no state param", func(t *testing.T) {
		q, _ := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+authorizeParams(func(v url.Values) { v.Del("state") }).Encode(), nil), "https://app.example/cb?")
		if q.Has("state") {
			t.Errorf("state %q", q.Get("state"))
		}
	})
	t.Run("query of the redirect URI is kept", func(t *testing.T) {
		q, _ := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+authorizeParams(func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:8080/cb?tenant=1") }).Encode(), nil), "http://127.0.0.1:8080/cb?tenant=1&")
		if q.Get("tenant") != "1" || q.Get("code") == "" {
			t.Errorf("response %v", q)
		}
	})
	t.Run("the only registered URI is used when redirect_uri is absent", func(t *testing.T) {
		q, _ := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?client_id=one&response_type=code&scope=openid", nil), "https://one.example/cb?")
		if q.Get("code") == "" {
			t.Errorf("response %v", q)
		}
	})
	t.Run("POST", func(t *testing.T) {
		q, _ := redirected(t, visit(t, p, http.MethodPost, p.AuthURL(), authorizeParams(nil)), "https://app.example/cb?")
		if q.Get("code") == "" {
			t.Errorf("response %v", q)
		}
	})
	t.Run("fragment", func(t *testing.T) {
		q, f := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+authorizeParams(func(v url.Values) { v.Set("response_mode", "fragment") }).Encode(), nil), "https://app.example/cb#")
		if q.Has("code") || f.Get("code") == "" || f.Get("state") != "xyz" {
			t.Errorf("query %v fragment %v", q, f)
		}
	})
	t.Run("form_post", func(t *testing.T) {
		resp := visit(t, p, http.MethodGet, p.AuthURL()+"?"+authorizeParams(func(v url.Values) { v.Set("response_mode", "form_post"); v.Set("state", `"><script>`) }).Encode(), nil)
		b, _ := io.ReadAll(resp.Body)
		page := string(b)
		if resp.StatusCode != 200 || !strings.Contains(page, `action="https://app.example/cb"`) || !strings.Contains(page, `name="code"`) {
			t.Fatalf("status %d page %s", resp.StatusCode, page)
		}
		if strings.Contains(page, `"><script>`) || !strings.Contains(page, `value="&#34;&gt;&lt;script&gt;"`) {
			t.Errorf("state is not escaped: %s", page)
		}
	})
}

// TestHybridFlow runs the OpenID Connect hybrid response_type "code id_token": an ID token
// with c_hash and nonce arrives in the fragment with the code.
func TestHybridFlow(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	u := cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("response_type", "code id_token"), oauth2.SetAuthURLParam("nonce", "n-1"))
	_, f := redirected(t, visit(t, p, http.MethodGet, u, nil), redirectURI+"#")
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(f.Get("id_token"), claims, func(*jwt.Token) (any, error) { return oauthtest.InsecureTestKey().Public(), nil }, jwt.WithTimeFunc(p.Now)); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(f.Get("code")))
	if claims["c_hash"] != base64.RawURLEncoding.EncodeToString(sum[:16]) || claims["nonce"] != "n-1" || claims["aud"] != cfg.ClientID {
		t.Errorf("ID token claims %v", claims)
	}
	tok, err := cfg.Exchange(ctx, f.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	if tok.Extra("id_token") == nil {
		t.Error("no ID token from the token endpoint")
	}
}

// TestRedirectURIRegistration: each refused URI says which rule it broke;
// https, loopback and private-use URIs of native apps are accepted.
func TestRedirectURIRegistration(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"javascript:alert(document.cookie)//": "uses the javascript: scheme, which runs code",
		"JavaScript:alert(1)":                 "uses the javascript: scheme",
		"data:text/html,<script>":             "holds characters a URI cannot",
		"data:text/html;base64,PHNjcmlwdD4=":  "uses the data: scheme",
		"vbscript:msgbox(1)":                  "uses the vbscript: scheme",
		"file:///etc/passwd":                  "uses the file: scheme",
		"https:/no-host":                      "has no host",
		"http://":                             "has no host",
		"com.example.app:":                    "has nothing after its scheme",
		"/callback":                           "is not absolute",
		"https://app.example/cb#frag":         "has a fragment",
		"https://app.example/a b":             "holds characters a URI cannot",
	} {
		_, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"),
			oauthtest.WithClient(oauthtest.Client{ID: "c", Public: true, RedirectURIs: []string{uri}}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", uri, err, want)
		}
	}
	for _, uri := range []string{"https://app.example/cb", "http://127.0.0.1:8080/cb", "com.example.app:/oauth2redirect", "com.googleusercontent.apps.123:/cb"} {
		if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"),
			oauthtest.WithClient(oauthtest.Client{ID: "c", Public: true, RedirectURIs: []string{uri}})); err != nil {
			t.Errorf("%s: %v", uri, err)
		}
	}
}

// TestPrivateUseSchemeRedirect: a native app's private-use URI is matched
// exactly and receives the code, which its PKCE verifier redeems.
func TestPrivateUseSchemeRedirect(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(nativeClient))
	cfg := &oauth2.Config{ClientID: nativeClient.ID, Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: nativeClient.RedirectURIs[0], Scopes: []string{"openid"}}
	verifier := oauth2.GenerateVerifier()
	code := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))
	if _, err := cfg.Exchange(clientContext(p), code, oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	for _, near := range []string{"com.example.app:/oauth2redirect/", "com.example.app://oauth2redirect", "COM.EXAMPLE.APP:/oauth2redirect", "com.example.app:/oauth2redirect?x=1"} {
		cfg.RedirectURL = near
		resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), nil)
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: HTTP %d to %q, want the error page", near, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}
