package oauthtest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestStateFile: a provider restarted from its state file honours the
// refresh and access tokens, codes and sessions of the one before.
func TestStateFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	opts := []oauthtest.Option{oauthtest.WithInMemoryTransport(), oauthtest.WithStateFile(path)}
	first, err := oauthtest.NewProvider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	tok := issuedTokens(t, first)
	code := authorizeCode(t, first, oauthConfig(first))
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no state file after requests: %v", err)
	}
	// No Close: the process is killed; what the last request wrote is kept.
	second, err := oauthtest.NewProvider(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	if resp, body := userinfo(t, second, tok.AccessToken); resp.StatusCode != 200 || body["sub"] != "test-user" {
		t.Errorf("an access token after the restart: HTTP %d %v", resp.StatusCode, body)
	}
	if _, err := refreshOnce(clientContext(second), oauthConfig(second), tok.RefreshToken); err != nil {
		t.Errorf("a refresh token after the restart: %v", err)
	}
	if _, err := oauthConfig(second).Exchange(clientContext(second), code); err != nil {
		t.Errorf("a code after the restart: %v", err)
	}
}

// TestStateFileRefusals: a corrupt, truncated, newer or foreign state file
// is refused with a clear error and left as it is.
func TestStateFileRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	p, err := oauthtest.NewProvider(oauthtest.WithInMemoryTransport(), oauthtest.WithStateFile(good))
	if err != nil {
		t.Fatal(err)
	}
	issuedTokens(t, p)
	p.Close()
	whole, _ := os.ReadFile(good)
	lines := strings.SplitAfter(string(whole), "\n")
	for name, tc := range map[string]struct{ content, want string }{
		"a corrupt line before the last": {lines[0] + lines[1] + "garbage\n" + strings.Join(lines[2:], ""), "is corrupt"},
		"not JSON":                       {"garbage", "is corrupt"},
		"newer":                          {`{"version": 99, "issuer": "http://oauthtest.test"}`, "newer than this oauthtest reads"},
		"older":                          {`{"version": 1, "issuer": "http://oauthtest.test", "codes": []}`, "no longer reads"},
		"not a state file":               {`{}`, "has no version"},
		"another issuer":                 {`{"version": 2, "issuer": "https://elsewhere.example"}`, "was written by issuer https://elsewhere.example"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := oauthtest.NewProvider(oauthtest.WithInMemoryTransport(), oauthtest.WithStateFile(path)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		if after, _ := os.ReadFile(path); string(after) != tc.content {
			t.Errorf("%s: the refused file was changed", name)
		}
	}
	if _, err := oauthtest.NewProvider(oauthtest.WithInMemoryTransport(), oauthtest.WithStateFile(filepath.Join(dir, "new.json"))); err != nil {
		t.Errorf("a first start without a file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.json")); err == nil {
		t.Error("a provider that served nothing wrote a state file")
	}
}
