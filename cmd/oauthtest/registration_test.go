package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// registerWith posts client metadata to the command's registration
// endpoint, with a Bearer token when token is set.
func registerWith(t *testing.T, issuer, token string, md map[string]any) (*http.Response, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(md)
	req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/register", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp, body
}

// TestRegistrationFlag: with -registration a client registers over HTTP
// and logs in with golang.org/x/oauth2 and go-oidc; -initial-access-token
// then guards registration.
func TestRegistrationFlag(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-registration", "-initial-access-token", "t0ken")
	md := map[string]any{"redirect_uris": []string{"http://127.0.0.1:8080/cb"}, "scope": "openid email"}
	if resp, _ := registerWith(t, pr.issuer, "", md); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the initial access token: HTTP %d, want 401", resp.StatusCode)
	}
	resp, info := registerWith(t, pr.issuer, "t0ken", md)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("HTTP %d %v", resp.StatusCode, info)
	}
	login(t, pr.issuer, info["client_id"].(string), info["client_secret"].(string), "http://127.0.0.1:8080/cb")
}

// TestRegistrationConfig: a config file turns registration and metadata
// documents on, which discovery then advertises; without it, they are off.
func TestRegistrationConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	cfg := `{"version": 1, "registration": true, "initial_access_token": "from-file", "client_id_metadata_documents": true}`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]bool{"-config " + path: true, "": false} {
		pr := startCommand(t, append(strings.Fields(args), "-addr", "127.0.0.1:0")...)
		resp, err := http.Get(pr.issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		_, hasEndpoint := doc["registration_endpoint"]
		if hasEndpoint != want || (doc["client_id_metadata_document_supported"] == true) != want {
			t.Errorf("%q: registration_endpoint %v, client_id_metadata_document_supported %v; want both %t", args, doc["registration_endpoint"], doc["client_id_metadata_document_supported"], want)
		}
		if want {
			if resp, _ := registerWith(t, pr.issuer, "from-file", map[string]any{"redirect_uris": []string{"http://127.0.0.1:8080/cb"}}); resp.StatusCode != http.StatusCreated {
				t.Errorf("with the file's token: HTTP %d", resp.StatusCode)
			}
		}
	}
}

// TestInitialTokenNeedsRegistration: an initial access token without
// registration is a usage error.
func TestInitialTokenNeedsRegistration(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(nil, []string{"-initial-access-token", "x"}, &stdout, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "needs -registration") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
