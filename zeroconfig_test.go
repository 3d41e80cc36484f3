package oauthtest_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestZeroConfigurationServesEveryGrant: a provider built without options
// lets its default client use every grant and client authentication method
// discovery advertises for a confidential client, so no curl user meets
// unauthorized_client before configuring anything.
func TestZeroConfigurationServesEveryGrant(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	id, secret := p.ClientID(), p.ClientSecret()
	c := p.Clients()[0]
	for _, g := range []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken, oauthtest.GrantClientCredentials,
		oauthtest.GrantDeviceCode, oauthtest.GrantTokenExchange, oauthtest.GrantJWTBearer} {
		if !slices.Contains(c.GrantTypes, g) {
			t.Errorf("the default client's grant types %v lack %s", c.GrantTypes, g)
		}
	}
	for _, m := range []string{oauthtest.AuthMethodBasic, oauthtest.AuthMethodPost, oauthtest.AuthMethodSecretJWT} {
		if !slices.Contains(c.AuthMethods, m) {
			t.Errorf("the default client's auth methods %v lack %s", c.AuthMethods, m)
		}
	}

	resp, body := postForm(t, p, p.TokenURL(), url.Values{"grant_type": {oauthtest.GrantClientCredentials}}, id, secret)
	if resp.StatusCode != 200 || body["access_token"] == nil {
		t.Errorf("client_credentials: HTTP %d %v", resp.StatusCode, body)
	}
	user := issuedTokens(t, p, "openid", "email")
	resp, body = postForm(t, p, p.TokenURL(), url.Values{"grant_type": {oauthtest.GrantTokenExchange},
		"subject_token": {user.AccessToken}, "subject_token_type": {oauthtest.TokenTypeAccessToken}}, id, secret)
	if resp.StatusCode != 200 || body["issued_token_type"] != oauthtest.TokenTypeAccessToken {
		t.Errorf("token exchange: HTTP %d %v", resp.StatusCode, body)
	}
	resp, body = postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{}, id, secret)
	if resp.StatusCode != 200 || body["device_code"] == nil {
		t.Errorf("device authorization: HTTP %d %v", resp.StatusCode, body)
	}
	// client_secret_jwt: an HS256 assertion signed with the well-known secret.
	resp, body = postForm(t, p, p.TokenURL(), url.Values{"grant_type": {oauthtest.GrantClientCredentials},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {signJWT(t, []byte(secret), assertionClaims(p, id, id))}}, "", "")
	if resp.StatusCode != 200 {
		t.Errorf("client_secret_jwt: HTTP %d %v", resp.StatusCode, body)
	}
}
