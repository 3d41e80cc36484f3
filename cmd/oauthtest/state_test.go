package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestStateSurvivesAKill: with -state, a refresh token issued before the
// command was killed works after it restarted from the file; a file with a
// corrupt line before its last is refused with a clear error.
func TestStateSurvivesAKill(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	pr := startCommand(t, "-addr", addr, "-state", state)
	tok, _ := login(t, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb")
	_ = pr.cmd.Process.Kill()
	_ = pr.cmd.Wait()
	<-pr.done

	again := startCommand(t, "-addr", addr, "-state", state)
	cfg := oauth2.Config{ClientID: oauthtestDefaultClient, ClientSecret: oauthtestDefaultSecret, Endpoint: oauth2.Endpoint{TokenURL: again.issuer + "/oauth/token"}}
	if _, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Errorf("the refresh token after a restart: %v", err)
	}
	again.stop(t)

	whole, _ := os.ReadFile(state)
	head, rest, _ := strings.Cut(string(whole), "\n")
	if err := os.WriteFile(state, []byte(head+"\n{garbage\n"+rest), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-addr", "127.0.0.1:0", "-issuer", again.issuer, "-state", state}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "is corrupt") {
		t.Errorf("a corrupt state file: exit %d, %q", code, stderr.String())
	}
}
