package oauthtest_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// fuzzProvider serves requests in process, through its handler.
func fuzzProvider(f *testing.F) *oauthtest.Provider {
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"),
		oauthtest.WithClient(exactClient), oauthtest.WithClient(nativeClient), oauthtest.WithClient(oauthtest.Client{ID: "spa", Public: true}),
		oauthtest.WithClient(tvClient), oauthtest.WithClient(allGrantsClient))
	if err != nil {
		f.Fatal(err)
	}
	return p
}

// rawRequest builds a request from untrusted parts without parsing them as
// httptest.NewRequest would (it panics on what a fuzzer makes).
func rawRequest(method, path, rawQuery, body string) *http.Request {
	r := &http.Request{
		Method: method, URL: &url.URL{Path: path, RawQuery: rawQuery}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body)), Host: "op.example", RemoteAddr: "127.0.0.1:1",
	}
	r.ContentLength = int64(len(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r
}

// knownErrors are the error codes the provider may answer with.
var knownErrors = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "unsupported_response_type", "invalid_scope", "access_denied", "invalid_token",
	"insufficient_scope", "login_required", "consent_required", "request_not_supported", "request_uri_not_supported",
	"invalid_target", "authorization_pending", "slow_down", "expired_token", "invalid_request_uri", "invalid_request_object"}

// allGrantsClient may use every grant a confidential client may.
var allGrantsClient = oauthtest.Client{ID: "all", Secret: "all-secret", GrantTypes: []string{
	oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken, oauthtest.GrantClientCredentials,
	oauthtest.GrantDeviceCode, oauthtest.GrantTokenExchange, oauthtest.GrantJWTBearer}}

// wantStatus fails unless status is one of allowed.
func wantStatus(t *testing.T, w *httptest.ResponseRecorder, allowed ...int) {
	t.Helper()
	if !slices.Contains(allowed, w.Code) {
		t.Fatalf("HTTP %d, want one of %v; body %s", w.Code, allowed, w.Body)
	}
}

// wantJSONErrorBody fails unless the body is an RFC 6749 §5.2 error with a
// known code and a description.
func wantJSONErrorBody(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || !slices.Contains(knownErrors, body.Error) || body.Description == "" {
		t.Fatalf("HTTP %d error body %q (%v)", w.Code, w.Body, err)
	}
}

// uriText matches the characters RFC 3986 allows in a URI. A target with
// anything else may be read one way by Go and another by a browser.
var uriText = regexp.MustCompile(`^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$`)

// destination is where a browser sent to raw goes: scheme, host and path.
// A query or fragment the provider appends does not change it.
func destination(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || !uriText.MatchString(raw) {
		return "", false
	}
	return u.Scheme + "://" + u.User.String() + "@" + u.Host + u.EscapedPath(), true
}

// loopbackTarget tells whether a browser sent to raw reaches this machine
// by http(s), with no user information: the promise of a client that
// registers no redirect URI. It judges the target that was answered, with
// net/netip, not the request's redirect_uri with the provider's own rule.
func loopbackTarget(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(u.Hostname())
	return err == nil && ip.IsLoopback()
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]*)">`)

// FuzzAuthorizeQuery: whatever the query, no panic, no 500, and never a
// redirect (or form_post) anywhere but the place the request's
// redirect_uri names, and only if the client registered it (or, without
// registered URIs, if it is on this machine).
func FuzzAuthorizeQuery(f *testing.F) {
	for _, seed := range []string{
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&response_type=code&scope=openid&state=s",
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb%2F..%2Fevil&response_type=code&scope=openid",
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&redirect_uri=https%3A%2F%2Fevil.example&response_type=code",
		"client_id=oauthtest-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb&response_type=code+id_token&scope=openid&nonce=n&response_mode=form_post",
		"client_id=oauthtest-client&redirect_uri=http%3A%2F%2F127.0.0.1.evil.example%2Fcb&response_type=code&scope=openid",
		"client_id=oauthtest-client&redirect_uri=http%3A%2F%2Fuser%40127.0.0.1%2Fcb&response_type=code&scope=openid",
		"client_id=spa&redirect_uri=http%3A%2F%2Flocalhost%3A5173%2F&response_type=code&scope=openid&code_challenge=" + strings.Repeat("a", 43),
		"client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Ftenant%3D1&response_type=code&scope=openid&prompt=none&login_hint=x",
		"client_id=native&redirect_uri=com.example.app%3A%2Foauth2redirect&response_type=code&scope=openid&code_challenge=" + strings.Repeat("a", 43),
		"client_id=native&redirect_uri=com.example.app%3A%2Foauth2redirect%2F&response_type=code&scope=openid",
		"client_id=%zz", "client_id=web;redirect_uri=x", "", "=&=&", "client_id=web&response_mode=fragment&response_type=token",
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&request=eyJhbGciOiJub25lIn0.eyJpc3MiOiJ3ZWIifQ.",
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&request=a.b.c.d.e",
		"client_id=web&redirect_uri=https%3A%2F%2Fapp.example%2Fcb&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax",
		"client_id=web&request_uri=https%3A%2F%2Fevil.example%2Fr&request=x",
	} {
		f.Add(seed)
	}
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, query string) {
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, rawRequest(http.MethodGet, "/oauth/authorize", query, ""))
		wantStatus(t, w, http.StatusFound, http.StatusOK, http.StatusBadRequest)
		if w.Code == http.StatusBadRequest {
			return // the error page: no redirect
		}
		target := w.Header().Get("Location")
		if w.Code == http.StatusOK {
			m := formAction.FindStringSubmatch(w.Body.String())
			if m == nil {
				t.Fatalf("200 without a form_post form: %s", w.Body)
			}
			target = html.UnescapeString(m[1])
		}
		params, _ := url.ParseQuery(query) // the provider parsed it, or it would have answered 400
		client, uri := params.Get("client_id"), params.Get("redirect_uri")
		var allowed bool
		switch client {
		case exactClient.ID, nativeClient.ID:
			registered := map[string][]string{exactClient.ID: exactClient.RedirectURIs, nativeClient.ID: nativeClient.RedirectURIs}[client]
			if uri == "" && len(registered) == 1 {
				uri = registered[0] // RFC 6749 §3.1.2.3
			}
			allowed = slices.Contains(registered, uri)
		case oauthtest.DefaultClientID, "spa":
			allowed = loopbackTarget(target)
		}
		want, ok1 := destination(uri)
		got, ok2 := destination(target)
		if !allowed || !ok1 || !ok2 || got != want {
			t.Fatalf("client %q, redirect_uri %q: answered to %q (allowed: %t)", client, uri, target, allowed)
		}
	})
}

// FuzzTokenForm: whatever the form, of every grant and client
// authentication method, a JSON error with a known code or a token
// response, never a panic or a 500.
func FuzzTokenForm(f *testing.F) {
	p := fuzzProvider(f)
	subject := p.MintAccessToken()
	for _, seed := range []string{
		"grant_type=authorization_code&code=x&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback",
		"grant_type=refresh_token&refresh_token=x&scope=openid+email",
		"grant_type=authorization_code&code=x&code_verifier=" + strings.Repeat("a", 43),
		"grant_type=client_credentials", "grant_type=client_credentials&scope=openid&resource=%2Fx&audience=a&audience=b",
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&device_code=x&client_id=tv",
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=" + subject +
			"&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&actor_token=x&actor_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt",
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + subject,
		"grant_type=authorization_code&code=x&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" + subject,
		"grant_type=%zz", "code=a&code=b", "client_id=spa", "client_assertion=x",
		"grant_type=refresh_token&refresh_token=eyJhbGciOiJub25lIn0.e30.", "", "&&&===",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, basic bool) {
		r := rawRequest(http.MethodPost, "/oauth/token", "", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			r.SetBasicAuth(allGrantsClient.ID, allGrantsClient.Secret)
		}
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge)
		if w.Code == http.StatusOK {
			var tok struct{ AccessToken, TokenType string }
			if err := json.Unmarshal(w.Body.Bytes(), &struct {
				AccessToken *string `json:"access_token"`
				TokenType   *string `json:"token_type"`
			}{&tok.AccessToken, &tok.TokenType}); err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" {
				t.Fatalf("HTTP 200 without a token response: %s", w.Body)
			}
			return
		}
		wantJSONErrorBody(t, w)
	})
}

// FuzzAuthorizationHeader: whatever the Authorization header of a token
// request, a clean invalid_client or invalid_request.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, seed := range []string{
		"Basic b2F1dGh0ZXN0LWNsaWVudDpvYXV0aHRlc3Qtc2VjcmV0", "Basic b2F1dGh0ZXN0LWNsaWVudDolenp6", "Basic !!!",
		"Basic ", "basic b2F1dGh0ZXN0LWNsaWVudDo=", "Bearer x", "Basic " + strings.Repeat("QUFB", 3000), "Digest a=b",
	} {
		f.Add(seed)
	}
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, header string) {
		r := rawRequest(http.MethodPost, "/oauth/token", "", "grant_type=authorization_code&code=unknown")
		r.Header.Set("Authorization", header)
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusBadRequest, http.StatusUnauthorized)
		wantJSONErrorBody(t, w)
	})
}

// FuzzBearerToken: whatever the token, userinfo answers a clean RFC 6750
// error (or the claims of a real token) and introspection a JSON verdict.
func FuzzBearerToken(f *testing.F) {
	p := fuzzProvider(f)
	for _, seed := range []string{
		p.MintAccessToken(), p.MintAccessToken(oauthtest.Expired()), p.MintAccessToken(oauthtest.AlgNone()),
		p.MintAccessToken(oauthtest.BadSignature()), p.MintIDToken(), "eyJhbGciOiJIUzI1NiJ9.e30.x", "a.b.c", "", "...",
		strings.Repeat("A", 10000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		r := rawRequest(http.MethodGet, "/oauth/userinfo", "", "")
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusOK, http.StatusUnauthorized, http.StatusForbidden)
		if w.Code != http.StatusOK && w.Body.Len() > 0 {
			wantJSONErrorBody(t, w)
		}

		r = rawRequest(http.MethodPost, "/oauth/introspect", "", url.Values{"token": {tok}}.Encode())
		r.SetBasicAuth(oauthtest.DefaultClientID, oauthtest.DefaultClientSecret)
		w = httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusOK, http.StatusBadRequest)
		var verdict map[string]any
		if w.Code == http.StatusOK && (json.Unmarshal(w.Body.Bytes(), &verdict) != nil || verdict["active"] == nil) {
			t.Fatalf("introspection %s", w.Body)
		}
	})
}

// FuzzPARForm: whatever the form pushed by the default client, a 201
// with a request_uri or a JSON error with a known code, never a panic or
// a 500.
func FuzzPARForm(f *testing.F) {
	for _, seed := range []string{
		"response_type=code&redirect_uri=http%3A%2F%2F127.0.0.1%3A9999%2Fcallback&scope=openid",
		"response_type=code&scope=openid&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax",
		"request=eyJhbGciOiJub25lIn0.eyJpc3MiOiJvYXV0aHRlc3QtY2xpZW50In0.&scope=openid",
		"request=a.b.c.d.e", "client_id=other", "scope=a&scope=b", "", "&&&===", "%zz",
	} {
		f.Add(seed)
	}
	p := fuzzProvider(f)
	f.Fuzz(func(t *testing.T, body string) {
		r := rawRequest(http.MethodPost, "/oauth/par", "", body)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(oauthtest.DefaultClientID, oauthtest.DefaultClientSecret)
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusCreated, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge)
		if w.Code == http.StatusCreated {
			if !strings.Contains(w.Body.String(), `"request_uri":"urn:ietf:params:oauth:request_uri:`) {
				t.Fatalf("HTTP 201 without a request_uri: %s", w.Body)
			}
			return
		}
		wantJSONErrorBody(t, w)
	})
}
