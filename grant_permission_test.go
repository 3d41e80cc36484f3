package oauthtest_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestGrantRefusalIsWordedOnce: a client whose grant_types leave a grant
// out is refused it in the same words (naming grant_types, not the Go
// field, and RFC 6749 §5.2) wherever that grant is checked: authorization
// code at the authorize endpoint (both response types), at PAR and at the
// token endpoint; device_code at the device authorization endpoint and at
// the token endpoint.
func TestGrantRefusalIsWordedOnce(t *testing.T) {
	t.Parallel()
	const redirect = "https://app.example/cb"
	svc := oauthtest.Client{ID: "svc", Secret: "s", RedirectURIs: []string{redirect}, GrantTypes: []string{oauthtest.GrantClientCredentials}}
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(), oauthtest.WithClient(svc))
	refusal := func(grant string) string {
		return fmt.Sprintf("client %q may not use grant_type %q; its grant_types: client_credentials (RFC 6749 §5.2)", svc.ID, grant)
	}
	code, device := refusal(oauthtest.GrantAuthorizationCode), refusal(oauthtest.GrantDeviceCode)
	authz := url.Values{"client_id": {svc.ID}, "redirect_uri": {redirect}, "scope": {"openid"}, "state": {"st"}, "nonce": {"n"}}
	for _, rt := range []string{"code", "code id_token"} {
		authz.Set("response_type", rt)
		q, f := redirected(t, visit(t, p, http.MethodGet, p.AuthURL()+"?"+authz.Encode(), nil), redirect)
		if rt != "code" {
			q = f
		}
		if q.Get("error") != "unauthorized_client" || q.Get("error_description") != code {
			t.Errorf("authorize, response_type %s: %s: %q, want %q", rt, q.Get("error"), q.Get("error_description"), code)
		}
	}
	authz.Set("response_type", "code")
	for _, c := range []struct {
		where string
		url   string
		form  url.Values
		want  string
	}{
		{"PAR", p.PushedAuthorizationURL(), authz, code},
		{"token, authorization_code", p.TokenURL(), url.Values{"grant_type": {oauthtest.GrantAuthorizationCode}, "code": {"x"}, "redirect_uri": {redirect}}, code},
		{"device authorization", p.URL(oauthtest.EndpointDeviceAuthorization), url.Values{}, device},
		{"token, device_code", p.TokenURL(), url.Values{"grant_type": {oauthtest.GrantDeviceCode}, "device_code": {"x"}}, device},
	} {
		resp, body := postForm(t, p, c.url, c.form, svc.ID, svc.Secret)
		if d, _ := body["error_description"].(string); resp.StatusCode != 400 || body["error"] != "unauthorized_client" || d != c.want {
			t.Errorf("%s: HTTP %d %v, want %q", c.where, resp.StatusCode, body, c.want)
		}
	}
}
