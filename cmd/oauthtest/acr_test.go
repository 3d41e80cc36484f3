package main

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/oauth2"
)

// TestConfigACRValues: the config file's acr_values are the issuer's, and
// a user's claims acr and amr set its logins' (OIDC Core §2).
func TestConfigACRValues(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	config := `{"version": 1, "addr": "127.0.0.1:0", "acr_values": ["Level3", "Level4"],
  "clients": [{"id": "web", "secret": "web-secret", "redirect_uris": ["http://127.0.0.1:8080/callback"]}],
  "users": [{"subject": "alice", "claims": {"amr": ["pwd"]}}]}`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path)
	_, idt := login(t, pr.issuer, "web", "web-secret", "http://127.0.0.1:8080/callback", oauth2.SetAuthURLParam("acr_values", "phr Level4"))
	var c struct {
		ACR string   `json:"acr"`
		AMR []string `json:"amr"`
	}
	if err := idt.Claims(&c); err != nil || c.ACR != "Level4" || len(c.AMR) != 1 || c.AMR[0] != "pwd" {
		t.Errorf("claims %+v, %v", c, err)
	}
}
