package resourceserver_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/resourceserver"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const audience = "https://api.example"

// setup starts a provider whose access tokens are for the API, and the API.
func setup(t *testing.T) (*oauthtest.Provider, string) {
	t.Helper()
	p := oauthtest.NewTestProvider(t, oauthtest.WithAccessTokenClaims(func(tc oauthtest.TokenContext, claims map[string]any) {
		claims["aud"] = audience
		claims["roles"] = tc.User.Claims["roles"]
	}))
	api := resourceserver.New(context.Background(), resourceserver.Config{Issuer: p.Issuer(), Audience: audience, Now: p.Now, Client: p.HTTPClient()})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func call(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/me", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestValidToken(t *testing.T) {
	t.Parallel()
	p, api := setup(t)
	if err := p.SetUser(oauthtest.User{Subject: "ada", Claims: map[string]any{"roles": []string{"admin"}}}); err != nil {
		t.Fatal(err)
	}
	status, body := call(t, api, p.MintAccessToken()) // as the token endpoint would issue it, hook included
	var c resourceserver.Claims
	if status != 200 || json.Unmarshal([]byte(body), &c) != nil || c.Subject != "ada" || c.Roles[0] != "admin" {
		t.Fatalf("HTTP %d %s", status, body)
	}
}

func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	p, api := setup(t)
	for name, tok := range map[string]string{
		"no token":       "",
		"wrong audience": p.MintAccessToken(oauthtest.WrongAudience()),
		"expired":        p.MintAccessToken(oauthtest.Expired()),
		"wrong issuer":   p.MintAccessToken(oauthtest.WrongIssuer()),
		"foreign key":    p.MintAccessToken(oauthtest.ForeignKey()),
		"bad signature":  p.MintAccessToken(oauthtest.BadSignature()),
		"alg none":       p.MintAccessToken(oauthtest.AlgNone()),
		"an ID token":    p.MintIDToken(oauthtest.SetClaims(map[string]any{"aud": audience})),
		"not yet valid":  p.MintAccessToken(oauthtest.NotYetValid()),
		"unknown key id": p.MintAccessToken(oauthtest.UnknownKeyID()),
	} {
		if status, body := call(t, api, tok); status != 401 {
			t.Errorf("%s: HTTP %d %s, want 401", name, status, body)
		}
	}
}

// TestExpiryByTheProvidersClock: the API judges expiry by the clock it is
// given, the provider's, so moving it needs no waiting.
func TestExpiryByTheProvidersClock(t *testing.T) {
	t.Parallel()
	p, api := setup(t)
	tok := p.MintAccessToken()
	if status, _ := call(t, api, tok); status != 200 {
		t.Fatalf("a fresh token: HTTP %d", status)
	}
	p.FastForward(time.Hour)
	if status, body := call(t, api, tok); status != 401 || !strings.Contains(body, "expired") {
		t.Errorf("after an hour: HTTP %d %s", status, body)
	}
}

// TestKeyRotation: the API's key set picks up a rotated key by itself.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	p, api := setup(t)
	if status, _ := call(t, api, p.MintAccessToken()); status != 200 {
		t.Fatal("before the rotation")
	}
	p.RotateKey()
	p.RetireOldKeys()
	if status, body := call(t, api, p.MintAccessToken()); status != 200 {
		t.Errorf("a token of the new key: HTTP %d %s", status, body)
	}
}
