package oauthtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// faultOrderCase is a request an endpoint refuses by itself: it must get
// its own error and leave the fault staged for the endpoint untouched.
type faultOrderCase struct {
	name     string
	endpoint oauthtest.Endpoint
	bad      func(t *testing.T, p *oauthtest.Provider) *http.Response
	status   int
	code     string // the error the request log records; "" for none
	good     func(t *testing.T, p *oauthtest.Provider) *http.Response
}

func (tc faultOrderCase) run(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "pub", Public: true}),
		oauthtest.WithClient(oauthtest.Client{ID: "other", Secret: "other-secret"}), oauthtest.WithClient(tvClient))
	p.FailNext(tc.endpoint, 1, oauthtest.FaultStatus(http.StatusBadGateway))
	if resp := tc.bad(t, p); resp.StatusCode != tc.status {
		t.Fatalf("the bad request: HTTP %d, want %d (its own error, not the fault)", resp.StatusCode, tc.status)
	}
	reqs := p.RequestsTo(tc.endpoint)
	if last := reqs[len(reqs)-1]; last.Error != tc.code || last.Status != tc.status || (tc.code != "" && last.ErrorDescription == "") {
		t.Errorf("logged %s %d %q, want %s %d with a description", last.Error, last.Status, last.ErrorDescription, tc.code, tc.status)
	}
	if resp := tc.good(t, p); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("the first good request: HTTP %d, want the staged 502", resp.StatusCode)
	}
	if resp := tc.good(t, p); resp.StatusCode == http.StatusBadGateway {
		t.Error("the fault was served twice")
	}
}

// TestFaultsHitOnlyRequestsTheEndpointWouldServe: at every endpoint, a
// request refused for its own reasons gets its own RFC error, and the
// staged fault waits for a request the endpoint would have served.
func TestFaultsHitOnlyRequestsTheEndpointWouldServe(t *testing.T) {
	t.Parallel()
	basic := func(user, pass string, form url.Values) func(*testing.T, *oauthtest.Provider) *http.Response {
		return func(t *testing.T, p *oauthtest.Provider) *http.Response {
			resp, _ := postForm(t, p, p.TokenURL(), form, user, pass)
			return resp
		}
	}
	def, secret := oauthtest.DefaultClientID, oauthtest.DefaultClientSecret
	exchange := func(t *testing.T, p *oauthtest.Provider) *http.Response {
		cfg := oauthConfig(p)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {authorizeCode(t, p, cfg)}, "redirect_uri": {redirectURI}}
		resp, _ := postForm(t, p, p.TokenURL(), form, def, secret)
		return resp
	}
	refresh := func(t *testing.T, p *oauthtest.Provider) *http.Response {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {issuedTokens(t, p).RefreshToken}}
		resp, _ := postForm(t, p, p.TokenURL(), form, def, secret)
		return resp
	}
	get := func(rawURL func(*oauthtest.Provider) string, token string) func(*testing.T, *oauthtest.Provider) *http.Response {
		return func(t *testing.T, p *oauthtest.Provider) *http.Response {
			req, _ := http.NewRequest(http.MethodGet, rawURL(p), nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, _ := do(t, p, req)
			return resp
		}
	}
	post := func(rawURL func(*oauthtest.Provider) string, user, pass string, form func(*testing.T, *oauthtest.Provider) url.Values) func(*testing.T, *oauthtest.Provider) *http.Response {
		return func(t *testing.T, p *oauthtest.Provider) *http.Response {
			resp, _ := postForm(t, p, rawURL(p), form(t, p), user, pass)
			return resp
		}
	}
	withToken := func(t *testing.T, p *oauthtest.Provider) url.Values {
		return url.Values{"token": {issuedTokens(t, p).AccessToken}}
	}
	noToken := func(*testing.T, *oauthtest.Provider) url.Values { return url.Values{} }
	userinfoGood := func(t *testing.T, p *oauthtest.Provider) *http.Response {
		resp, _ := userinfo(t, p, issuedTokens(t, p).AccessToken)
		return resp
	}
	userinfoWith := func(tok func(*oauthtest.Provider) string) func(*testing.T, *oauthtest.Provider) *http.Response {
		return func(t *testing.T, p *oauthtest.Provider) *http.Response {
			resp, _ := userinfo(t, p, tok(p))
			return resp
		}
	}
	authorize := func(query string) func(*testing.T, *oauthtest.Provider) *http.Response {
		return func(t *testing.T, p *oauthtest.Provider) *http.Response {
			return visit(t, p, http.MethodGet, p.AuthURL()+"?"+query, nil)
		}
	}
	authorizeGood := authorize("client_id=oauthtest-client&response_type=code&scope=openid&redirect_uri=" + url.QueryEscape(redirectURI))
	tokenURL := (*oauthtest.Provider).TokenURL
	introspect, revoke := (*oauthtest.Provider).IntrospectionURL, (*oauthtest.Provider).RevocationURL
	jwks, discovery := (*oauthtest.Provider).JWKSURL, (*oauthtest.Provider).DiscoveryURL
	deviceAuthz := func(p *oauthtest.Provider) string { return p.Issuer() + oauthtest.DeviceAuthorizationPath }
	tokeninfo := func(p *oauthtest.Provider) string { return p.Issuer() + oauthtest.TokeninfoPath }
	tvForm := func(*testing.T, *oauthtest.Provider) url.Values { return url.Values{"client_id": {"tv"}} }
	postTo := func(u func(*oauthtest.Provider) string) func(*testing.T, *oauthtest.Provider) *http.Response {
		return post(u, "", "", noToken)
	}
	for _, tc := range []faultOrderCase{
		{"token: no grant_type", oauthtest.EndpointToken, basic(def, secret, url.Values{"code": {"c"}}), 400, "invalid_request", exchange},
		{"token: unsupported grant", oauthtest.EndpointToken, basic(def, secret, url.Values{"grant_type": {"password"}}), 400, "unsupported_grant_type", exchange},
		{"token: no code", oauthtest.EndpointToken, basic(def, secret, url.Values{"grant_type": {"authorization_code"}}), 400, "invalid_request", exchange},
		{"token: wrong secret", oauthtest.EndpointToken, basic(def, "wrong", url.Values{"grant_type": {"authorization_code"}, "code": {"c"}}), 401, "invalid_client", exchange},
		{"token: GET", oauthtest.EndpointToken, get(tokenURL, ""), 405, "invalid_request", exchange},
		{"refresh: no refresh_token", oauthtest.EndpointRefresh, basic(def, secret, url.Values{"grant_type": {"refresh_token"}}), 400, "invalid_request", refresh},
		{"refresh: wrong secret", oauthtest.EndpointRefresh, basic(def, "wrong", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"r"}}), 401, "invalid_client", refresh},
		{"userinfo: no token", oauthtest.EndpointUserinfo, get((*oauthtest.Provider).UserinfoURL, ""), 401, "", userinfoGood},
		{"userinfo: bad token", oauthtest.EndpointUserinfo, userinfoWith(func(*oauthtest.Provider) string { return "a.b.c" }), 401, "invalid_token", userinfoGood},
		{"userinfo: expired token", oauthtest.EndpointUserinfo, userinfoWith(func(p *oauthtest.Provider) string { return p.MintAccessToken(oauthtest.Expired()) }), 401, "invalid_token", userinfoGood},
		{"userinfo: no openid scope", oauthtest.EndpointUserinfo, userinfoWith(func(p *oauthtest.Provider) string {
			return p.MintAccessToken(oauthtest.SetClaims(map[string]any{"scope": "email"}))
		}), 403, "insufficient_scope", userinfoGood},
		{"introspection: no token", oauthtest.EndpointIntrospection, post(introspect, def, secret, noToken), 400, "invalid_request", post(introspect, def, secret, withToken)},
		{"introspection: wrong secret", oauthtest.EndpointIntrospection, post(introspect, def, "wrong", withToken), 401, "invalid_client", post(introspect, def, secret, withToken)},
		{"introspection: public client", oauthtest.EndpointIntrospection, post(introspect, "", "", func(t *testing.T, p *oauthtest.Provider) url.Values {
			return url.Values{"client_id": {"pub"}, "token": {"t"}}
		}), 401, "invalid_client", post(introspect, def, secret, withToken)},
		{"revocation: no token", oauthtest.EndpointRevocation, post(revoke, def, secret, noToken), 400, "invalid_request", post(revoke, def, secret, withToken)},
		{"revocation: another client's token", oauthtest.EndpointRevocation, post(revoke, "other", "other-secret", withToken), 400, "unauthorized_client", post(revoke, def, secret, withToken)},
		{"jwks: POST", oauthtest.EndpointJWKS, postTo(jwks), 405, "invalid_request", get(jwks, "")},
		{"discovery: POST", oauthtest.EndpointDiscovery, postTo(discovery), 405, "invalid_request", get(discovery, "")},
		{"device authorization: client not allowed", oauthtest.EndpointDeviceAuthorization, post(deviceAuthz, "other", "other-secret", noToken), 400, "unauthorized_client", post(deviceAuthz, "", "", tvForm)},
		{"tokeninfo: no token", oauthtest.EndpointTokeninfo, get(tokeninfo, ""), 400, "invalid_request", func(t *testing.T, p *oauthtest.Provider) *http.Response {
			return get(func(p *oauthtest.Provider) string {
				return tokeninfo(p) + "?access_token=" + issuedTokens(t, p).AccessToken
			}, "")(t, p)
		}},
		{"authorize: unknown client", oauthtest.EndpointAuthorize, authorize("client_id=nobody&response_type=code&scope=openid"), 400, "invalid_request", authorizeGood},
		{"authorize: no response_type", oauthtest.EndpointAuthorize, authorize("client_id=oauthtest-client&scope=openid&redirect_uri=" + url.QueryEscape(redirectURI)), 302, "invalid_request", authorizeGood},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestMalformedJSONCutsTheEndpointsOwnDocument: the answer is the first
// half of what the endpoint would have sent, with its own status.
func TestMalformedJSONCutsTheEndpointsOwnDocument(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	read := func(rawURL, bearer string) (int, string, []byte) {
		req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := p.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), b
	}
	for _, tc := range []struct {
		endpoint oauthtest.Endpoint
		url      string
		bearer   string
	}{
		{oauthtest.EndpointDiscovery, p.DiscoveryURL(), ""},
		{oauthtest.EndpointJWKS, p.JWKSURL(), ""},
		{oauthtest.EndpointUserinfo, p.UserinfoURL(), tok.AccessToken},
	} {
		_, wantType, whole := read(tc.url, tc.bearer)
		p.FailNext(tc.endpoint, 1, oauthtest.FaultMalformedJSON())
		status, ctype, cut := read(tc.url, tc.bearer)
		if status != 200 || ctype != wantType || len(cut) == 0 || !bytes.HasPrefix(whole, cut) || len(cut) >= len(whole) || json.Valid(cut) {
			t.Errorf("%s: HTTP %d %s %q; want 200 %s and a prefix of %q", tc.endpoint, status, ctype, cut, wantType, whole)
		}
	}
	// The token endpoint's own answer, a token response, is cut.
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultMalformedJSON())
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}}
	req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cfg.ClientID, cfg.ClientSecret)
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(string(b), `{"access_token":"eyJ`) || json.Valid(b) {
		t.Errorf("token response %q, want the start of a token response", b)
	}
}
