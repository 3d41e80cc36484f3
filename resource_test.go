package oauthtest_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Resource indicators of the tests (RFC 8707).
const (
	calendarAPI = "https://cal.example.com/"
	contactsAPI = "https://contacts.example.com/api?v=2" // a query is allowed (RFC 8707 §2)
	otherAPI    = "https://other.example.com/"
)

// withResources adds repeated resource parameters to an authorization URL:
// oauth2.SetAuthURLParam sets one value only.
func withResources(t *testing.T, authURL string, resources ...string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q["resource"] = resources
	u.RawQuery = q.Encode()
	return u.String()
}

// authorizeResources authorizes cfg's client for resources and returns the code.
func authorizeResources(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config, resources ...string) string {
	t.Helper()
	q, _ := redirected(t, visit(t, p, http.MethodGet, withResources(t, cfg.AuthCodeURL("st"), resources...), nil), cfg.RedirectURL)
	if q.Get("error") != "" {
		t.Fatalf("authorize failed: %s: %s", q.Get("error"), q.Get("error_description"))
	}
	return q.Get("code")
}

// audience returns the aud claim of an access token as a list.
func audience(t *testing.T, p *oauthtest.Provider, access string) []string {
	t.Helper()
	switch aud := accessClaims(t, p, access)["aud"].(type) {
	case string:
		return []string{aud}
	case []any:
		var l []string
		for _, a := range aud {
			l = append(l, a.(string))
		}
		return l
	}
	return nil
}

// TestResourcesCodeFlow: the resources of the authorization request are
// recorded with the code; the token request gets all of them or asks for
// a subset, as aud; introspection reports the token's own aud.
func TestResourcesCodeFlow(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg, ctx := oauthConfig(p, "openid", "offline_access"), clientContext(p)

	code := authorizeResources(t, p, cfg, calendarAPI, contactsAPI, calendarAPI)
	if got := p.Codes()[0].Resources; !slices.Equal(got, []string{calendarAPI, contactsAPI}) {
		t.Errorf("code's resources %q, want both, once each", got)
	}
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if got := audience(t, p, tok.AccessToken); !slices.Equal(got, []string{calendarAPI, contactsAPI}) {
		t.Errorf("aud without resource at the token request: %q, want every resource authorized", got)
	}

	code = authorizeResources(t, p, cfg, calendarAPI, contactsAPI)
	tok, err = cfg.Exchange(ctx, code, oauth2.SetAuthURLParam("resource", contactsAPI))
	if err != nil {
		t.Fatal(err)
	}
	if got := accessClaims(t, p, tok.AccessToken)["aud"]; got != contactsAPI {
		t.Errorf("aud %v, want the one resource asked for, as a string", got)
	}
	if got := introspect(t, p, tok.AccessToken)["aud"]; got != contactsAPI {
		t.Errorf("introspection aud %v, want the token's own, %s", got, contactsAPI)
	}
}

// TestResourcesCodeFlowRefused: a token request may not ask for a resource
// the authorization request did not, nor for a malformed one; the code
// survives the refusal. Without resources the aud is the client, as ever.
func TestResourcesCodeFlowRefused(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg, ctx := oauthConfig(p), clientContext(p)

	code := authorizeResources(t, p, cfg, calendarAPI)
	for _, r := range []string{otherAPI, "cal.example.com", "https://cal.example.com/#frag"} {
		_, err := cfg.Exchange(ctx, code, oauth2.SetAuthURLParam("resource", r))
		if re := wantRetrieveError(t, err, "invalid_target", 400); !strings.Contains(re.ErrorDescription, "RFC 8707") {
			t.Errorf("%s: description %q names no rule", r, re.ErrorDescription)
		}
	}
	if _, err := cfg.Exchange(ctx, code); err != nil {
		t.Fatalf("the code should survive refused token requests: %v", err)
	}

	code = authorizeCode(t, p, cfg)
	_, err := cfg.Exchange(ctx, code, oauth2.SetAuthURLParam("resource", calendarAPI))
	if re := wantRetrieveError(t, err, "invalid_target", 400); !strings.Contains(re.ErrorDescription, "send resource with the authorization request") {
		t.Errorf("description %q does not say where to ask", re.ErrorDescription)
	}
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if got := accessClaims(t, p, tok.AccessToken)["aud"]; got != p.ClientID() {
		t.Errorf("aud without resources %v, want the client", got)
	}
}

// TestResourcesAuthorizeRefused: a malformed resource at the authorization
// endpoint comes back to the client as invalid_target (RFC 8707 §2).
func TestResourcesAuthorizeRefused(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	for _, r := range []string{"relative/path", "https://api.example/#section", ""} {
		q, _ := redirected(t, visit(t, p, http.MethodGet, withResources(t, cfg.AuthCodeURL("st"), calendarAPI, r), nil), cfg.RedirectURL)
		if q.Get("error") != "invalid_target" || !strings.Contains(q.Get("error_description"), "RFC 8707 §2") || q.Get("state") != "st" {
			t.Errorf("resource %q: %v", r, q)
		}
	}
	if len(p.Codes()) != 0 {
		t.Errorf("codes issued for refused requests: %+v", p.Codes())
	}
}

// TestResourcesRefresh: a refresh may ask for one or some of the resources
// granted, which the refresh token keeps whole, and for no other.
func TestResourcesRefresh(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg, ctx := oauthConfig(p, "openid", "offline_access"), clientContext(p)
	tok, err := cfg.Exchange(ctx, authorizeResources(t, p, cfg, calendarAPI, contactsAPI), oauth2.SetAuthURLParam("resource", calendarAPI))
	if err != nil {
		t.Fatal(err)
	}
	rt := tok.RefreshToken
	refresh := func(resources ...string) (map[string]any, error) {
		form := withClient(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "resource": resources}, cfg)
		req, _ := http.NewRequest(http.MethodPost, p.TokenURL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := p.HTTPClient().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := decodeTokenResponse(resp)
		if err == nil {
			rt = body["refresh_token"].(string)
		}
		return body, err
	}
	for _, tc := range []struct {
		ask, want []string
	}{
		{[]string{contactsAPI}, []string{contactsAPI}},                           // the other one of the grant
		{nil, []string{calendarAPI, contactsAPI}},                                // all of the grant again
		{[]string{contactsAPI, calendarAPI}, []string{contactsAPI, calendarAPI}}, // several
	} {
		body, err := refresh(tc.ask...)
		if err != nil {
			t.Fatalf("refresh for %q: %v", tc.ask, err)
		}
		if got := audience(t, p, body["access_token"].(string)); !slices.Equal(got, tc.want) {
			t.Errorf("refresh for %q: aud %q, want %q", tc.ask, got, tc.want)
		}
	}
	for _, r := range []string{otherAPI, "not a uri"} {
		_, err := refresh(r)
		wantRetrieveError(t, err, "invalid_target", 400)
	}
	if _, err := refresh(); err != nil {
		t.Errorf("the refresh token should survive refused refreshes: %v", err)
	}
}

// TestClientResources: a client that lists its resources may ask for those
// alone, at the authorization and token endpoints; its audience parameter
// is not restricted. Discovery lists them when every client lists some.
func TestClientResources(t *testing.T) {
	t.Parallel()
	web := oauthtest.Client{ID: "web", Secret: "web-secret", Resources: []string{calendarAPI}}
	svc := serviceClient
	svc.Resources = []string{calendarAPI, contactsAPI}
	p := oauthtest.NewTestProvider(t, oauthtest.WithoutDefaultClient(), oauthtest.WithClient(web), oauthtest.WithClient(svc))
	cfg := &oauth2.Config{ClientID: "web", ClientSecret: "web-secret", RedirectURL: redirectURI, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}}

	q, _ := redirected(t, visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("resource", contactsAPI)), nil), redirectURI)
	if q.Get("error") != "invalid_target" || !strings.Contains(q.Get("error_description"), "Client.Resources") {
		t.Errorf("a resource not allowed: %v", q)
	}
	if tok, err := cfg.Exchange(clientContext(p), authorizeResources(t, p, cfg, calendarAPI)); err != nil || accessClaims(t, p, tok.AccessToken)["aud"] != calendarAPI {
		t.Errorf("an allowed resource: %v", err)
	}

	cc := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret", TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader,
		EndpointParams: url.Values{"resource": {otherAPI}}}
	_, err := cc.Token(clientContext(p))
	wantRetrieveError(t, err, "invalid_target", 400)
	cc.EndpointParams = url.Values{"resource": {contactsAPI}, "audience": {"reporting"}}
	tok, err := cc.Token(clientContext(p))
	if err != nil {
		t.Fatal(err)
	}
	if got := audience(t, p, tok.AccessToken); !slices.Equal(got, []string{"reporting", contactsAPI}) {
		t.Errorf("aud %q", got)
	}

	_, body := do(t, p, mustRequest(t, http.MethodGet, p.DiscoveryURL()))
	if got, _ := body["protected_resources"].([]any); len(got) != 2 || got[0] != calendarAPI || got[1] != contactsAPI {
		t.Errorf("protected_resources %v, want the clients' resources", body["protected_resources"])
	}
	plain := oauthtest.NewTestProvider(t)
	_, body = do(t, plain, mustRequest(t, http.MethodGet, plain.DiscoveryURL()))
	if body["protected_resources"] != nil {
		t.Errorf("protected_resources %v where the default client may ask for any", body["protected_resources"])
	}
}

// TestClientResourcesValidated: a client's resources must be absolute URIs
// without a fragment.
func TestClientResourcesValidated(t *testing.T) {
	t.Parallel()
	for _, r := range []string{"api", "https://api.example/#x"} {
		_, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("http://127.0.0.1:1"),
			oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", Resources: []string{r}}))
		if err == nil || !strings.Contains(err.Error(), "RFC 8707") {
			t.Errorf("resource %q: %v", r, err)
		}
	}
}

// TestResourcesDeviceFlow: a device asks for its resources at the token
// request; a malformed one is refused before the device code is used up,
// and a refresh may ask for a subset.
func TestResourcesDeviceFlow(t *testing.T) {
	deviceTest(t, func(t *testing.T, p *oauthtest.Provider, cfg *oauth2.Config) {
		ctx := clientContext(p)
		cfg.Scopes = []string{"openid", "offline_access"}
		da, err := cfg.DeviceAuth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cfg.DeviceAccessToken(ctx, da, oauth2.SetAuthURLParam("resource", "urn-less"))
		wantRetrieveError(t, err, "invalid_target", 400)
		form := url.Values{"grant_type": {oauthtest.GrantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {"tv"}, "resource": {calendarAPI, contactsAPI}}
		resp, body := postForm(t, p, p.TokenURL(), form, "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("device token request with two resources: HTTP %d %v", resp.StatusCode, body)
		}
		if got := audience(t, p, body["access_token"].(string)); !slices.Equal(got, []string{calendarAPI, contactsAPI}) {
			t.Errorf("aud %q", got)
		}
		form = url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}, "client_id": {"tv"}, "resource": {contactsAPI}}
		resp, body = postForm(t, p, p.TokenURL(), form, "", "")
		if resp.StatusCode != 200 || accessClaims(t, p, body["access_token"].(string))["aud"] != contactsAPI {
			t.Errorf("refresh for one resource: HTTP %d %v", resp.StatusCode, body)
		}
	})
}

// TestResourcesJWTBearer: the JWT bearer grant takes resource as the aud;
// a malformed one is refused before the assertion's jti is used up.
func TestResourcesJWTBearer(t *testing.T) {
	t.Parallel()
	partner, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := oauthtest.NewTestProvider(t, oauthtest.WithTrustedIssuer("https://partner.example", partner.Public()),
		oauthtest.WithClient(oauthtest.Client{ID: "svc", Secret: "svc-secret", GrantTypes: []string{oauthtest.GrantJWTBearer}}))
	assertion := signJWT(t, partner, assertionClaims(p, "https://partner.example", "ada"))
	form := url.Values{"grant_type": {oauthtest.GrantJWTBearer}, "assertion": {assertion}, "resource": {"https://api.example/#x"}}
	resp, body := postForm(t, p, p.TokenURL(), form, "svc", "svc-secret")
	wantJSONError(t, resp, body, "invalid_target", 400)
	form.Set("resource", calendarAPI)
	resp, body = postForm(t, p, p.TokenURL(), form, "svc", "svc-secret")
	if resp.StatusCode != 200 {
		t.Fatalf("HTTP %d %v", resp.StatusCode, body)
	}
	if got := accessClaims(t, p, body["access_token"].(string))["aud"]; got != calendarAPI {
		t.Errorf("aud %v", got)
	}
}
