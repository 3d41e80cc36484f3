package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestSeveralIssuers: a version 2 config serves two issuers below their
// paths, each with its own clients, users, keys and control API; discovery
// at both well-known locations; a token of one refused by the other; log
// lines say which issuer.
func TestSeveralIssuers(t *testing.T) {
	t.Parallel()
	config := `{"version": 2, "issuers": [
	  {"name": "tenant-a", "control_api": true, "state_file": "tenant-a.state", "clients": [{"id": "app-a", "secret": "sa"}], "users": [{"subject": "alice"}]},
	  {"name": "tenant-b", "clients": [{"id": "app-b", "secret": "sb"}], "users": [{"subject": "bob"}]}]}`
	path := filepath.Join(t.TempDir(), "issuers.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-config", path, "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OAUTHTEST_BE_THE_COMMAND=1")
	stdout, _ := cmd.StdoutPipe()
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var issuers []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && len(issuers) < 2 {
		if iss, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "issuer:"); ok {
			issuers = append(issuers, strings.TrimSpace(iss))
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	a, b := issuers[0], issuers[1]
	if !strings.HasSuffix(a, "/tenant-a") || !strings.HasSuffix(b, "/tenant-b") {
		t.Fatalf("issuers %v", issuers)
	}
	tokA, idA := login(t, a, "app-a", "sa", "http://127.0.0.1:8080/cb")
	_, idB := login(t, b, "app-b", "sb", "http://127.0.0.1:8080/cb")
	if idA.Subject != "alice" || idB.Subject != "bob" {
		t.Errorf("subjects %q, %q", idA.Subject, idB.Subject)
	}
	host := strings.TrimSuffix(a, "/tenant-a")
	resp, err := http.Get(host + "/.well-known/oauth-authorization-server/tenant-b")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Issuer string }
	_ = json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	if meta.Issuer != b {
		t.Errorf("RFC 8414 metadata of tenant-b: %q", meta.Issuer)
	}
	req, _ := http.NewRequest(http.MethodGet, b+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tokA.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("tenant-a's token at tenant-b: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Post(a+"/_oauthtest/user", "application/json", strings.NewReader(`{"subject": "ann"}`)); err != nil || resp.StatusCode != 200 {
		t.Fatalf("tenant-a's control API: %v %v", resp, err)
	}
	if kid := rotatedKid(t, a); slices.Contains(jwksKids(t, b), kid) {
		t.Errorf("tenant-a rotated to %s, a key tenant-b publishes", kid)
	}
	if resp, err := http.Post(b+"/_oauthtest/user", "application/json", strings.NewReader(`{"subject": "x"}`)); err != nil || resp.StatusCode != 404 {
		t.Errorf("tenant-b has no control API: %v %v", resp, err)
	}
	if _, id := login(t, b, "app-b", "sb", "http://127.0.0.1:8080/cb"); id.Subject != "bob" {
		t.Errorf("tenant-a's control changed tenant-b: %s", id.Subject)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit: %v", err)
	}
	if log := stderr.String(); !strings.Contains(log, "issuer=tenant-a") || !strings.Contains(log, "issuer=tenant-b") {
		t.Errorf("the log does not name the issuers:\n%s", log)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(path), "tenant-a.state")); err != nil {
		t.Errorf("tenant-a's state file: %v", err)
	}
}

// rotatedKid rotates the key of the issuer through its control API.
func rotatedKid(t *testing.T, issuer string) string {
	t.Helper()
	resp, err := http.Post(issuer+"/_oauthtest/keys/rotate", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Kid string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Kid == "" {
		t.Fatalf("rotating %s: HTTP %d %v", issuer, resp.StatusCode, err)
	}
	return out.Kid
}

// jwksKids are the kids the issuer's JWKS publishes.
func jwksKids(t *testing.T, issuer string) []string {
	t.Helper()
	resp, err := http.Get(issuer + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct{ Keys []struct{ Kid string } }
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.Kid)
	}
	return kids
}

// TestFAPI2 turns the FAPI 2.0 Security Profile on with -fapi2, and with
// "fapi2" for one issuer of a version 2 file: discovery says so there, and
// only there.
func TestFAPI2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "oauthtest.json")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	multi := filepath.Join(dir, "multi.json")
	if err := os.WriteFile(multi, []byte(`{"version": 2, "issuers": [{"name": "fapi", "fapi2": true}, {"name": "plain"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	flagged := startCommand(t, "-addr", "127.0.0.1:0", "-config", path, "-fapi2")
	base := strings.TrimSuffix(startCommand(t, "-addr", "127.0.0.1:0", "-config", multi).issuer, "/fapi") // the first issuer
	for issuer, want := range map[string]bool{flagged.issuer: true, base + "/fapi": true, base + "/plain": false} {
		resp, err := http.Get(issuer + "/.well-known/openid-configuration")
		if err != nil {
			t.Fatal(err)
		}
		var d map[string]any
		err = json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if err != nil || d["require_pushed_authorization_requests"] != want {
			t.Errorf("%s: require_pushed_authorization_requests %v (%v), want %v", issuer, d["require_pushed_authorization_requests"], err, want)
		}
	}
}
