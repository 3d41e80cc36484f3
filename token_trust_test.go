package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// The clients of the token trust tests: hs signs its tokens with its own
// secret (HS256) and may exchange tokens; app may exchange its own.
var (
	hsClient = oauthtest.Client{ID: "hs", Secret: "hs-secret", SigningAlg: oauthtest.HS256,
		GrantTypes: []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantTokenExchange}}
	appClient = oauthtest.Client{ID: "app", Secret: "app-secret",
		GrantTypes: []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken, oauthtest.GrantTokenExchange}}
)

func trustProvider(t *testing.T, opts ...oauthtest.Option) *oauthtest.Provider {
	t.Helper()
	return oauthtest.NewTestProvider(t, append([]oauthtest.Option{oauthtest.WithClient(hsClient), oauthtest.WithClient(appClient),
		oauthtest.WithClient(gatewayClient), oauthtest.WithUsers(bob)}, opts...)...)
}

// clientLogin runs a code flow for client c with scopes.
func clientLogin(t *testing.T, p *oauthtest.Provider, c oauthtest.Client, scopes ...string) *oauth2.Token {
	t.Helper()
	cfg := oauthConfig(p, scopes...)
	cfg.ClientID, cfg.ClientSecret = c.ID, c.Secret
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// exchangeAs posts a token exchange as client c.
func exchangeAs(t *testing.T, p *oauthtest.Provider, c oauthtest.Client, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", oauthtest.GrantTokenExchange)
	resp, body := postForm(t, p, p.TokenURL(), form, c.ID, c.Secret)
	return resp.StatusCode, body
}

// selfSigned is a token client hs signs with its own secret, claiming bob.
func selfSigned(p *oauthtest.Provider, typ string, claims jwt.MapClaims) string {
	now := p.Now()
	all := jwt.MapClaims{"iss": p.Issuer(), "sub": "bob", "aud": "hs", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix()}
	if typ == "at+jwt" {
		all["client_id"], all["jti"], all["scope"] = "hs", uuid.NewString(), "openid email"
	}
	for k, v := range claims {
		all[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, all)
	tok.Header["typ"] = typ
	s, err := tok.SignedString([]byte(hsClient.Secret))
	if err != nil {
		panic(err)
	}
	return s
}

func tokeninfoOf(t *testing.T, p *oauthtest.Provider, param, tok string) (*http.Response, map[string]any) {
	t.Helper()
	return postForm(t, p, p.Issuer()+oauthtest.TokeninfoPath, url.Values{param: {tok}}, "", "")
}

// TestAttackSelfSignedIDToken (issue #18): a client whose ID tokens are
// HS256 signs one for bob itself; neither token exchange nor tokeninfo
// may take it for a token of the provider's.
func TestAttackSelfSignedIDToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	forged := selfSigned(p, "JWT", nil)
	status, body := exchangeAs(t, p, hsClient, url.Values{"subject_token": {forged}, "subject_token_type": {oauthtest.TokenTypeIDToken}})
	if status != 400 || body["error"] != "invalid_request" || !strings.Contains(body["error_description"].(string), "not issued by this provider") {
		at, _ := body["access_token"].(string)
		_, info := userinfo(t, p, at)
		t.Errorf("exchanging a self-signed ID token: HTTP %d %v; userinfo says %v", status, body, info)
	}
	resp, body := tokeninfoOf(t, p, "id_token", forged)
	if resp.StatusCode != 400 || body["error"] != "invalid_token" {
		t.Errorf("tokeninfo vouches for a self-signed ID token: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestAttackSelfSignedAccessToken: an HS256 client signs an access token
// for bob reusing the jti of a token it was really issued; no endpoint
// takes it for bob, and revoking it leaves the real token alone.
func TestAttackSelfSignedAccessToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	real := clientLogin(t, p, hsClient, "openid", "email")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(real.AccessToken, claims); err != nil {
		t.Fatal(err)
	}
	forged := selfSigned(p, "at+jwt", jwt.MapClaims{"jti": claims["jti"]})
	if resp, body := userinfo(t, p, forged); resp.StatusCode != 401 {
		t.Errorf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	if resp, body := tokeninfoOf(t, p, "access_token", forged); resp.StatusCode != 400 {
		t.Errorf("tokeninfo: HTTP %d %v", resp.StatusCode, body)
	}
	if got := introspect(t, p, forged); got["active"] != false {
		t.Errorf("introspection: %v", got)
	}
	if resp, _ := revoke(t, p, forged, hsClient.ID, hsClient.Secret); resp.StatusCode != 200 {
		t.Errorf("revoking an unknown token: HTTP %d, want 200 (RFC 7009 §2.2)", resp.StatusCode)
	}
	if resp, body := userinfo(t, p, real.AccessToken); resp.StatusCode != 200 {
		t.Errorf("the real token after a forged one with its jti was revoked: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestAttackExchangeForeignToken: a client exchanges a token issued to
// another client, which did not name it as an audience.
func TestAttackExchangeForeignToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := issuedTokens(t, p, "openid")
	for typ, tok := range map[string]string{oauthtest.TokenTypeAccessToken: login.AccessToken, oauthtest.TokenTypeIDToken: login.Extra("id_token").(string)} {
		status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {tok}, "subject_token_type": {typ}})
		if d, _ := body["error_description"].(string); status != 400 || body["error"] != "invalid_request" || !strings.Contains(d, "RFC 8693") {
			t.Errorf("%s of another client: HTTP %d %v", typ, status, body)
		}
	}
}

// TestAttackExchangeWidensScope: an ID token of an openid login does not
// become a token with every scope.
func TestAttackExchangeWidensScope(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid")
	status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {login.Extra("id_token").(string)},
		"subject_token_type": {oauthtest.TokenTypeIDToken}, "scope": {"openid email phone address profile"}})
	if status != 400 || body["error"] != "invalid_scope" {
		t.Errorf("HTTP %d %v, want invalid_scope", status, body)
	}
}

// TestAttackExchangeAfterRevokeUser: a revoked user's tokens are not
// exchanged, ID tokens included.
func TestAttackExchangeAfterRevokeUser(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid")
	p.RevokeUser("test-user")
	for typ, tok := range map[string]string{oauthtest.TokenTypeAccessToken: login.AccessToken, oauthtest.TokenTypeIDToken: login.Extra("id_token").(string)} {
		status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {tok}, "subject_token_type": {typ}})
		if d, _ := body["error_description"].(string); status != 400 || !strings.Contains(d, "revoked") {
			t.Errorf("%s after RevokeUser: HTTP %d %v", typ, status, body)
		}
	}
}

// TestAttackIntrospectionAudience: introspection reports the audience the
// token was bound to, not the client.
func TestAttackIntrospectionAudience(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid", "email")
	status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {login.AccessToken},
		"subject_token_type": {oauthtest.TokenTypeAccessToken}, "resource": {"https://orders.example/"}})
	if status != 200 {
		t.Fatalf("HTTP %d %v", status, body)
	}
	if got := introspect(t, p, body["access_token"].(string)); got["aud"] != "https://orders.example/" || got["client_id"] != "app" {
		t.Errorf("introspection: %v", got)
	}
}
