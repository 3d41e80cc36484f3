package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBannerListsEveryEndpoint: the banner derives from the provider's
// endpoint table.
func TestBannerListsEveryEndpoint(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	signals := make(chan os.Signal, 1)
	signals <- os.Interrupt
	if code := run(signals, []string{"-addr", "127.0.0.1:0"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"issuer:", "discovery:", "authorize:", "token:", "userinfo:", "jwks:", "introspection:", "revocation:",
		"device_authorization:", "device_verification:", "tokeninfo:"} {
		if !strings.Contains(stdout.String(), "  "+want) {
			t.Errorf("the banner lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestBannerSaysWhoAndState: the banner names the user who will be
// approved (or the login page's users) and the state file, with what it
// restored.
func TestBannerSaysWhoAndState(t *testing.T) {
	t.Parallel()
	state, addr := filepath.Join(t.TempDir(), "state.json"), freeAddr(t)
	pr := startCommand(t, "-addr", addr, "-state", state, "-sub", "ada", "-claim", "name=Ada Lovelace")
	for _, want := range []string{
		`user approved:        "ada" (Ada Lovelace)`,
		"state file:           " + state + " (not there yet: it is written after the first request)",
		`client "oauthtest-client": secret "oauthtest-secret"; redirect URIs: any loopback URI; every grant`,
	} {
		if !strings.Contains(pr.banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, pr.banner)
		}
	}
	login(t, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb")
	pr.stop(t)
	again := startCommand(t, "-addr", addr, "-state", state)
	if want := regexp.MustCompile(`state file: +` + regexp.QuoteMeta(state) + ` \(restored \d+ codes? and [1-9]\d* tokens?\)`); !want.MatchString(again.banner) {
		t.Errorf("the banner after a restart does not say what it restored:\n%s", again.banner)
	}

	path := filepath.Join(t.TempDir(), "oauthtest.json")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	page := startCommand(t, "-config", path, "-login-page")
	if !regexp.MustCompile(`users \(login page\): +"alice".*, "bob"`).MatchString(page.banner) {
		t.Errorf("the banner does not list the login page's users:\n%s", page.banner)
	}
}
