package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestMain lets the test binary run as the command itself, for the tests
// that start it as a process.
func TestMain(m *testing.M) {
	if os.Getenv("OAUTHTEST_BE_THE_COMMAND") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// process is the command running in its own process.
type process struct {
	cmd    *exec.Cmd
	issuer string
	banner string // what it printed on stdout before serving
	stderr *bytes.Buffer
	done   chan struct{} // closed when stdout is drained
}

// startCommand starts the command with args and waits for its banner.
func startCommand(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "OAUTHTEST_BE_THE_COMMAND=1")
	pr := &process{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = pr.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	var banner strings.Builder
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if issuer, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "issuer:"); ok && pr.issuer == "" {
			pr.issuer = strings.TrimSpace(issuer)
		}
		if strings.Contains(sc.Text(), "Ctrl-C stops") {
			break
		}
	}
	pr.banner = banner.String()
	go func() { _, _ = io.Copy(io.Discard, stdout); close(pr.done) }()
	if pr.issuer == "" {
		_ = cmd.Wait()
		t.Fatalf("no issuer printed; stderr: %s", pr.stderr)
	}
	t.Cleanup(func() { pr.stop(t) })
	return pr
}

// stop sends SIGTERM and expects a clean exit; stopping twice is harmless.
func (pr *process) stop(t *testing.T) {
	t.Helper()
	if pr.cmd.ProcessState != nil {
		return
	}
	_ = pr.cmd.Process.Signal(syscall.SIGTERM)
	<-pr.done
	if err := pr.cmd.Wait(); err != nil {
		t.Errorf("the command did not exit cleanly on SIGTERM: %v; stderr: %s", err, pr.stderr)
	}
}

// login runs a code flow against the command with golang.org/x/oauth2 and
// returns the tokens and the verified ID token.
func login(t *testing.T, issuer, clientID, secret, redirect string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken) {
	t.Helper()
	return loginWith(t, http.DefaultClient, issuer, clientID, secret, redirect, opts...)
}

// loginWith is login with client for every request: discovery, the
// authorization request, the token request, the JWKS.
func loginWith(t *testing.T, client *http.Client, issuer, clientID, secret, redirect string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, *oidc.IDToken) {
	t.Helper()
	ctx := oidc.ClientContext(context.WithValue(context.Background(), oauth2.HTTPClient, client), client)
	op, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: op.Endpoint(), RedirectURL: redirect, Scopes: []string{"openid", "email"}}
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noFollow.Get(cfg.AuthCodeURL("st", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize answered %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(ctx, loc.Query().Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: clientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	return tok, idt
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// wantOnlyTheseClients asserts that the default client, with its
// well-known secret and any loopback redirect URI, is not registered.
func wantOnlyTheseClients(t *testing.T, issuer string) {
	t.Helper()
	resp, err := http.Get(issuer + "/oauth/authorize?client_id=oauthtest-client&response_type=code&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A1%2Fcb")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("the default client's authorization request: HTTP %d, want 400", resp.StatusCode)
	}
	cfg := oauth2.Config{ClientID: "oauthtest-client", ClientSecret: "oauthtest-secret", Endpoint: oauth2.Endpoint{TokenURL: issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	_, err = cfg.Exchange(context.Background(), "c")
	if re := (*oauth2.RetrieveError)(nil); !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
		t.Errorf("the default client's credentials: %v, want invalid_client", err)
	}
}

const oauthtestDefaultClient, oauthtestDefaultSecret = "oauthtest-client", "oauthtest-secret"
