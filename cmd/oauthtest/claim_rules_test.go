package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestConfigClaimRules: a config file's claim_rules reach the provider:
// the rule for the client adds its claims to the access token, the rule
// for a scope to the ID token, with a template taking the user's claim.
func TestConfigClaimRules(t *testing.T) {
	t.Parallel()
	config := `{"version": 1,
	  "clients": [{"id": "web", "secret": "web-secret", "redirect_uris": ["http://127.0.0.1:9/cb"]},
	              {"id": "other", "secret": "other-secret", "redirect_uris": ["http://127.0.0.1:9/cb"]}],
	  "users": [{"subject": "alice", "claims": {"email": "alice@example.com", "groups": ["admins"]}}],
	  "claim_rules": [
	    {"when": {"client_id": "web"}, "access_token": {"roles": ["orders.read"], "groups": "${groups}"}},
	    {"when": {"scope": "email", "grant_type": "authorization_code"}, "id_token": {"tenant": "acme"}}
	  ]}`
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")
	tok, idt := login(t, pr.issuer, "web", "web-secret", "http://127.0.0.1:9/cb")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, claims); err != nil ||
		fmt.Sprint(claims["roles"], claims["groups"]) != "[orders.read] [admins]" {
		t.Errorf("web's access token: %v (%v)", claims, err)
	}
	var id struct{ Tenant string }
	if err := idt.Claims(&id); err != nil || id.Tenant != "acme" {
		t.Errorf("web's ID token: tenant %q (%v)", id.Tenant, err)
	}
	tok, _ = login(t, pr.issuer, "other", "other-secret", "http://127.0.0.1:9/cb")
	claims = jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, claims); err != nil || claims["roles"] != nil {
		t.Errorf("other's access token: %v (%v)", claims, err)
	}
}

// TestConfigClaimRulesRefused: mistakes in claim_rules are told at their
// place in the file, in one line, and the command does not start.
func TestConfigClaimRulesRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for i, tc := range []struct{ config, want string }{
		{`{"version": 1, "claim_rules": {}}`, `claim_rules: want a list [...], not an object`},
		{`{"version": 1, "claim_rules": [{"acces_token": {}}]}`, `claim_rules[0].acces_token: unknown field "acces_token"; did you mean "access_token"?`},
		{`{"version": 1, "claim_rules": [{"when": {"scope": ["a"]}, "id_token": {"a": 1}}]}`, `claim_rules[0].when.scope: want a string, not`},
		{`{"version": 1, "claim_rules": [{"access_token": {"sub": "x"}}]}`, `claim_rules[0].access_token: claim "sub" is set by the provider`},
		{`{"version": 1, "claim_rules": [{"when": {"client_id": "web"}, "access_token": {"a": 1}}]}`, `claim_rules[0].when.client_id: client "web" is not registered`},
		{`{"version": 1, "claim_rules": [{"when": {"grant_type": "password"}, "access_token": {"a": 1}}]}`, `claim_rules[0].when.grant_type: "password" is not a grant type`},
		{`{"version": 2, "issuers": [{"name": "a", "claim_rules": [{"when": {"scopes": "x"}}]}]}`, `issuers[0].claim_rules[0].when.scopes: unknown field "scopes"; did you mean "scope"?`},
		{`{"version": 2, "issuers": [{"name": "a", "claim_rules": [{"userinfo": {"sub": "x"}}]}]}`, `claim_rules[0].userinfo: claim "sub" is set by the provider`},
	} {
		path := filepath.Join(dir, fmt.Sprintf("rules%d.json", i))
		if err := os.WriteFile(path, []byte(tc.config), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := run(nil, []string{"-addr", "127.0.0.1:0", "-config", path}, &stdout, &stderr)
		if msg := stderr.String(); code != 2 || !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line with %q", tc.config, code, msg, tc.want)
		}
	}
}
