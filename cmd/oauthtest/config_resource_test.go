package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// TestConfigResourcesAndReuse: a client's resources and the refresh reuse
// interval of the config file reach the provider: an allowed resource
// becomes the aud, another is refused, and a refresh token reused at once
// gets the same successor.
func TestConfigResourcesAndReuse(t *testing.T) {
	t.Parallel()
	const api = "https://api.example.com/"
	dir := t.TempDir()
	config := `{"version": 1, "lifetimes": {"refresh_reuse": "1m"},
	  "clients": [{"id": "web", "secret": "web-secret", "redirect_uris": ["http://127.0.0.1:9/cb"], "resources": ["` + api + `"]}]}`
	path := filepath.Join(dir, "oauthtest.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")

	tok, _ := login(t, pr.issuer, "web", "web-secret", "http://127.0.0.1:9/cb", oauth2.SetAuthURLParam("resource", api))
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, claims); err != nil || claims["aud"] != api {
		t.Errorf("aud %v (%v), want %s", claims["aud"], err, api)
	}

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(pr.issuer + "/oauth/authorize?" + url.Values{"client_id": {"web"}, "response_type": {"code"}, "scope": {"openid"},
		"resource": {"https://other.example.com/"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc, _ := url.Parse(resp.Header.Get("Location")); loc == nil || loc.Query().Get("error") != "invalid_target" {
		t.Errorf("a resource not listed: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	ctx := context.Background()
	op, err := oidc.NewProvider(ctx, pr.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: "web", ClientSecret: "web-secret", Endpoint: op.Endpoint()}
	var successors []string
	for range 2 {
		next, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh within the reuse interval: %v", err)
		}
		successors = append(successors, next.RefreshToken)
	}
	if successors[0] != successors[1] {
		t.Errorf("successors %q, want one", successors)
	}
}
