package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
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
	ctx := context.Background()
	op, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: op.Endpoint(), RedirectURL: redirect, Scopes: []string{"openid", "email"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
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

func TestFlowAgainstTheCommand(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-client-id", "web", "-client-secret", "s3cret",
		"-redirect-uri", "http://127.0.0.1:8080/cb", "-sub", "ada", "-claim", "email=ada@example.com", "-claim", `roles=["admin"]`)
	tok, idt := login(t, pr.issuer, "web", "s3cret", "http://127.0.0.1:8080/cb")
	var claims struct {
		Email string   `json:"email"`
		Roles []string `json:"roles"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Subject != "ada" || claims.Email != "ada@example.com" || len(claims.Roles) != 1 {
		t.Errorf("ID token sub %q claims %+v (%v)", idt.Subject, claims, err)
	}
	// A wrong secret is logged with its description.
	cfg := oauth2.Config{ClientID: "web", ClientSecret: "wrong", Endpoint: oauth2.Endpoint{TokenURL: pr.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
	if _, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Error("a wrong secret was accepted")
	}
	pr.stop(t)
	log := pr.stderr.String()
	for _, want := range []string{"level=INFO msg=request method=POST endpoint=token status=200 client=web grant_type=authorization_code auth=client_secret_basic",
		`level=WARN msg=request method=POST endpoint=token status=401 client=web grant_type=refresh_token auth=client_secret_basic error=invalid_client error_description="client_secret does not match`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
}

// TestRestartKeepsKeys: a token issued before a restart verifies after it.
func TestRestartKeepsKeys(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	first := startCommand(t, "-addr", addr)
	tok, _ := login(t, first.issuer, "oauthtest-client", "oauthtest-secret", "http://127.0.0.1:1/cb")
	first.stop(t)

	second := startCommand(t, "-addr", addr)
	op, err := oidc.NewProvider(context.Background(), second.issuer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Verifier(&oidc.Config{ClientID: "oauthtest-client"}).Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
		t.Errorf("a token issued before the restart: %v", err)
	}
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

const configFile = `{
  "version": 1,
  "addr": "127.0.0.1:0",
  "lifetimes": {"access_token": "5m"},
  "clients": [
    {"id": "web", "secret": "web-secret", "redirect_uris": ["http://127.0.0.1:8080/callback"]},
    {"id": "spa", "public": true, "redirect_uris": ["http://localhost:5173/callback"]}
  ],
  "users": [
    {"subject": "alice", "claims": {"email": "alice@example.com"}},
    {"subject": "bob", "claims": {"email": "bob@example.com", "roles": ["admin"]}}
  ]
}`

func TestConfigFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path)
	tok, idt := login(t, pr.issuer, "web", "web-secret", "http://127.0.0.1:8080/callback")
	if idt.Subject != "alice" || tok.ExpiresIn != 300 {
		t.Errorf("default user %q, expires_in %d; want alice and 300", idt.Subject, tok.ExpiresIn)
	}
	wantOnlyTheseClients(t, pr.issuer)
	if _, idt := login(t, pr.issuer, "web", "web-secret", "http://127.0.0.1:8080/callback", oauth2.SetAuthURLParam("login_hint", "bob")); idt.Subject != "bob" {
		t.Errorf("login_hint bob signed in %q", idt.Subject)
	}
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

// TestClientFlagsRegisterOneClient: -client-id and friends describe the one
// client; the default client is not there besides it.
func TestClientFlagsRegisterOneClient(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-client-id", "web", "-client-secret", "s3cret")
	login(t, pr.issuer, "web", "s3cret", "http://127.0.0.1:8080/cb")
	wantOnlyTheseClients(t, pr.issuer)
}

// TestSecondInterruptStopsAtOnce: the first signal waits for requests in
// flight; a second one stops the command without waiting.
func TestSecondInterruptStopsAtOnce(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OAUTHTEST_BE_THE_COMMAND=1")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	var host string
	for sc := bufio.NewScanner(stdout); sc.Scan() && host == ""; {
		if issuer, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "issuer:"); ok {
			host = strings.TrimPrefix(strings.TrimSpace(issuer), "http://")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// A request in flight: its handler reads a body that never comes. The
	// server answers "100 Continue" once the handler starts reading.
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", host)
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("%q, %v; want 100 Continue", line, err)
	}
	logs := bufio.NewScanner(stderr)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for logs.Scan() && !strings.Contains(logs.Text(), "shutting down") {
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() }) // fails the test instead of hanging it
	defer watchdog.Stop()
	for logs.Scan() {
	}
	err = cmd.Wait()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != exitFail {
		t.Errorf("after a second interrupt: %v, want exit code %d", err, exitFail)
	}
}

// TestBadInput: each mistake is one line naming it, and exit code 2 (1 for
// an address in use); never a stack trace.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus (oauthtest -h lists the flags)"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-access-token-lifetime", "soon"}, 2, `invalid value "soon" for flag -access-token-lifetime`},
		{[]string{"-access-token-lifetime", "1ms"}, 2, "access token lifetime 1ms is shorter than one second"},
		{[]string{"-claim", "novalue"}, 2, `-claim "novalue": write name=value`},
		{[]string{"-claim", "iss=x"}, 2, `claim "iss" is set by the provider`},
		{[]string{"-public", "-client-secret", "s"}, 2, "a public client has no secret"},
		{[]string{"-redirect-uri", "not a uri"}, 2, `redirect URI "not a uri" holds characters a URI cannot`},
		{[]string{"-redirect-uri", "javascript:alert(1)"}, 2, `uses the javascript: scheme`},
		{[]string{"-issuer", "ftp://x"}, 2, `issuer "ftp://x" must be an http or https URL`},
		{[]string{"-log-format", "xml"}, 2, `-log-format "xml": use text or json`},
		{[]string{"-alg", "PS256"}, 2, `algorithm "PS256" is not supported`},
		{[]string{"-key", filepath.Join(dir, "missing.pem")}, 2, "missing.pem: no such file"},
		{[]string{"-key", write("bad.pem", "not pem")}, 2, "no PEM block found"},
		{[]string{"-config", filepath.Join(dir, "missing.json")}, 2, "missing.json: no such file"},
		{[]string{"-config", write("syntax.json", "{\n  \"version\": 1,\n  \"clients\": [\n}")}, 2, "syntax.json: line 4: invalid character"},
		{[]string{"-config", write("unknown.json", `{"version": 1, "client": []}`)}, 2, `unknown.json: client: unknown field "client"; did you mean "clients"?`},
		{[]string{"-config", write("typo.json", `{"version": 1, "clients": [{"id": "a", "secret": "s"}, {"id": "b", "secret": "s", "redirect_uri": "http://127.0.0.1/cb"}]}`)}, 2,
			`typo.json: clients[1].redirect_uri: unknown field "redirect_uri"; did you mean "redirect_uris"?`},
		{[]string{"-config", write("far.json", `{"version": 1, "users": [{"subject": "a", "roles": ["admin"]}]}`)}, 2,
			`far.json: users[0].roles: unknown field "roles"; known here: claims, subject`},
		{[]string{"-config", write("v2-typo.json", `{"version": 2, "issuers": [{"name": "a", "control-api": true}]}`)}, 2,
			`issuers[0].control-api: unknown field "control-api"; did you mean "control_api"?`},
		{[]string{"-config", write("kind.json", `{"version": 1, "clients": [{"id": "a", "public": "yes"}]}`)}, 2, `clients[0].public: want true or false, not the string "yes"`},
		{[]string{"-config", write("uris.json", `{"version": 1, "clients": [{"id": "a", "public": true, "redirect_uris": "http://127.0.0.1/cb"}]}`)}, 2, `clients[0].redirect_uris: want a list [...], not the string "http://127.0.0.1/cb"`},
		{[]string{"-config", write("array.json", `[]`)}, 2, `the file must hold one JSON object`},
		{[]string{"-config", write("badlife.json", `{"version": 1, "clients": [{"id": "a", "public": true, "lifetimes": {"code": "10 minutes"}}]}`)}, 2, `clients[0].lifetimes.code: lifetime "10 minutes" is not a duration`},
		{[]string{"-config", write("version.json", `{"version": 3}`)}, 2, `"version" is 3; this oauthtest reads versions 1 and 2`},
		{[]string{"-config", write("v2-empty.json", `{"version": 2}`)}, 2, `version 2 needs "issuers"`},
		{[]string{"-config", write("v2-top.json", `{"version": 2, "clients": [{"id": "c", "secret": "s"}], "issuers": [{"name": "a"}]}`)}, 2, `puts clients, users, keys and the like in each of "issuers"`},
		{[]string{"-config", write("v2-name.json", `{"version": 2, "issuers": [{"name": "a/b"}]}`)}, 2, `issuer name "a/b" must be`},
		{[]string{"-config", write("v2-twice.json", `{"version": 2, "issuers": [{"name": "a"}, {"name": "a"}]}`)}, 2, `issuer name "a" is used twice`},
		{[]string{"-config", write("v1-issuers.json", `{"version": 1, "issuers": [{"name": "a"}]}`)}, 2, `"issuers" needs "version": 2`},
		{[]string{"-config", write("v2-client.json", `{"version": 2, "issuers": [{"name": "a", "clients": [{"id": "c"}]}]}`)}, 2, `issuer "a": clients[0]: client "c" is confidential and needs a "secret" or "public_key_files" (or "public": true)`},
		{[]string{"-config", write("lifetime.json", `{"version": 1, "lifetimes": {"code": 600}}`)}, 2, `lifetimes.code: a lifetime must be a string such as "10m" or "1h", not the number 600`},
		{[]string{"-config", write("client.json", `{"version": 1, "clients": [{"id": "c"}]}`)}, 2, `client.json: clients[0]: client "c" is confidential and needs a "secret" or "public_key_files"`},
		{[]string{"-config", write("resources.json", `{"version": 1, "clients": [{"id": "c", "secret": "s", "resources": ["api"]}]}`)}, 2, `client "c": resource "api" is not an absolute URI`},
		{[]string{"-config", write("reuse.json", `{"version": 1, "lifetimes": {"refresh_reuse": "-1s"}}`)}, 2, "refresh reuse interval -1s is negative"},
		{[]string{"-config", write("ok.json", `{"version": 1}`), "-client-id", "x"}, 2, "-client-id and -config both describe clients and users"},
		{[]string{"-addr", busy.Addr().String()}, 1, "listen on " + busy.Addr().String()},
		{[]string{"-addr", "30098"}, 2, `-addr "30098": want host:port, such as 127.0.0.1:30098`},
		{[]string{"-addr", "127.0.0.1:port"}, 2, `-addr "127.0.0.1:port": the port must be a number from 0 to 65535`},
		{[]string{"-config", write("addr.json", `{"version": 1, "addr": "9090"}`)}, 2, `addr.json: addr "9090": want host:port, such as 127.0.0.1:9090`},
		{[]string{"-grant", "password"}, 2, `grant type "password" is not supported`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(nil, tc.args, &stdout, &stderr)
		msg := stderr.String()
		if code != tc.code || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "oauthtest: ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, msg, tc.code, tc.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-version"}, &stdout, &stderr); code != 0 || !strings.HasPrefix(stdout.String(), "oauthtest ") {
		t.Errorf("-version: exit %d, %q", code, stdout.String())
	}
	stdout.Reset()
	if code := run(nil, []string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-redirect-uri URI") {
		t.Errorf("-h: exit %d, %q", code, stdout.String())
	}
}

func TestLoginPageFlag(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "oauthtest.json")
	if err := os.WriteFile(path, []byte(configFile), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-login-page")
	resp, err := http.Get(pr.issuer + "/oauth/authorize?client_id=web&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcallback&response_type=code&scope=openid")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(page, []byte(`value="alice"`)) || !bytes.Contains(page, []byte(`value="bob"`)) {
		t.Errorf("HTTP %d, page:\n%s", resp.StatusCode, page)
	}
}

func TestDefaultAddr(t *testing.T) {
	t.Parallel()
	s, err := parseFlags(nil, io.Discard)
	if err != nil || s.addr != "127.0.0.1:9090" {
		t.Errorf("default addr %q (%v)", s.addr, err)
	}
}

// TestDocsConfigExamples: every JSON block of docs/cli.md is a config file
// the command loads; with the version 1 example, the documented client
// logs in as the first user.
func TestDocsConfigExamples(t *testing.T) {
	t.Parallel()
	page, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(page), "```json\n")[1:]
	if len(blocks) < 2 {
		t.Fatalf("docs/cli.md has %d JSON blocks, want the version 1 and version 2 examples", len(blocks))
	}
	for i, rest := range blocks {
		example, _, _ := strings.Cut(rest, "```")
		path := filepath.Join(t.TempDir(), "example.json")
		if err := os.WriteFile(path, []byte(example), 0o600); err != nil {
			t.Fatal(err)
		}
		pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")
		if strings.Contains(example, `"webapp-secret"`) {
			if _, idt := login(t, pr.issuer, "webapp", "webapp-secret", "http://127.0.0.1:8080/callback"); idt.Subject != "alice" {
				t.Errorf("block %d: signed in %q", i, idt.Subject)
			}
		}
		pr.stop(t)
	}
}

// TestKeyFileAndJSONLog: tokens are signed with the key file's key, and the
// log is one JSON object a line.
func TestKeyFileAndJSONLog(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-key", path, "-log-format", "json")
	tok, _ := login(t, pr.issuer, "oauthtest-client", "oauthtest-secret", "http://127.0.0.1:1/cb")
	if _, err := jwt.Parse(tok.AccessToken, func(*jwt.Token) (any, error) { return key.Public(), nil }, jwt.WithValidMethods([]string{"ES256"})); err != nil {
		t.Errorf("the access token is not signed with the key file's key: %v", err)
	}
	pr.stop(t)
	lines := strings.Split(strings.TrimSpace(pr.stderr.String()), "\n")
	for _, line := range lines {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil || entry["msg"] == nil {
			t.Errorf("not a JSON log line: %q", line)
		}
	}
	if len(lines) < 4 {
		t.Errorf("%d log lines, want one per request", len(lines))
	}
}

// TestConfigGrants: clients of the config file use the other grants and
// private_key_jwt, a trusted issuer's assertions are honoured, and the
// banner lists every endpoint.
func TestConfigGrants(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	partnerKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, k := range map[string]*ecdsa.PrivateKey{"client.pem": clientKey, "partner.pem": partnerKey} {
		der, _ := x509.MarshalPKIXPublicKey(k.Public())
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := `{"version": 1,
	  "clients": [
	    {"id": "svc", "secret": "svc-secret", "grant_types": ["client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"], "scopes": ["reports"]},
	    {"id": "signed", "public_key_files": ["client.pem"], "grant_types": ["client_credentials"], "scopes": ["reports"]},
	    {"id": "tv", "public": true, "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"]},
	    {"id": "gw", "secret": "gw-secret", "grant_types": ["urn:ietf:params:oauth:grant-type:token-exchange"], "exchange_from": ["svc"], "scopes": ["reports"]}
	  ],
	  "trusted_issuers": [{"issuer": "https://partner.example", "public_key_file": "partner.pem"}]}`
	path := filepath.Join(dir, "oauthtest.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")
	token := pr.issuer + "/oauth/token"
	post := func(form url.Values, user, pass string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, token, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		if resp.StatusCode != 200 {
			t.Errorf("%v: HTTP %d %v", form, resp.StatusCode, body)
		}
		return body
	}
	svcToken, _ := post(url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret")["access_token"].(string)
	if body := post(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {svcToken},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}, "gw", "gw-secret"); body["scope"] != "reports" {
		t.Errorf("exchange_from: %v", body)
	}
	sign := func(k *ecdsa.PrivateKey, iss, sub string) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": iss, "sub": sub, "aud": token,
			"exp": time.Now().Add(time.Minute).Unix(), "jti": rand.Text()}).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	post(url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion": {sign(clientKey, "signed", "signed")}}, "", "")
	if body := post(url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {sign(partnerKey, "https://partner.example", "ada")}}, "svc", "svc-secret"); body["access_token"] == nil {
		t.Errorf("JWT bearer: %v", body)
	}
	resp, err := http.PostForm(pr.issuer+"/oauth/device_authorization", url.Values{"client_id": {"tv"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("device authorization: HTTP %d", resp.StatusCode)
	}
}

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

// TestAllowedOriginFlag: -allowed-origin adds a CORS origin.
func TestAllowedOriginFlag(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-allowed-origin", "https://spa.example")
	req, _ := http.NewRequest(http.MethodGet, pr.issuer+"/.well-known/openid-configuration", nil)
	req.Header.Set("Origin", "https://spa.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://spa.example" {
		t.Errorf("headers %v", resp.Header)
	}
}

// TestControlAPIFromOutside drives the control API of the running command
// over HTTP, as a test in another language would, and sees its effects at
// the OAuth endpoints.
func TestControlAPIFromOutside(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-control-api")
	call := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(pr.issuer+"/_oauthtest"+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, _ := call("/user", `{"subject": "ada", "claims": {"email": "ada@example.com"}}`); status != 200 {
		t.Fatalf("/user: HTTP %d", status)
	}
	if _, idt := login(t, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb"); idt.Subject != "ada" {
		t.Errorf("the staged user: %s", idt.Subject)
	}
	if status, out := call("/faults", `{"endpoint": "jwks", "count": 1, "kind": "status", "status": 503}`); status != 200 {
		t.Fatalf("/faults: HTTP %d %v", status, out)
	}
	resp, err := http.Get(pr.issuer + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("the staged fault: HTTP %d", resp.StatusCode)
	}
	if status, out := call("/user", `{"subject": ""}`); status != 400 || out["error"] == nil {
		t.Errorf("a bad request: HTTP %d %v", status, out)
	}
	if status, _ := call("/reset", ""); status != 200 {
		t.Fatalf("/reset: HTTP %d", status)
	}
	if _, idt := login(t, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb"); idt.Subject != "test-user" {
		t.Errorf("after /reset: %s", idt.Subject)
	}
	resp, err = http.Get(pr.issuer + "/_oauthtest/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi.json %v", doc)
	}
}

const oauthtestDefaultClient, oauthtestDefaultSecret = "oauthtest-client", "oauthtest-secret"

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

// TestIssuerFromEnvironment: OAUTHTEST_ISSUER sets the issuer, as a
// container is configured.
func TestIssuerFromEnvironment(t *testing.T) {
	t.Setenv("OAUTHTEST_ISSUER", "http://issuer.example:9999")
	s, err := parseFlags(nil, io.Discard)
	if err != nil || s.issuer != "http://issuer.example:9999" {
		t.Errorf("issuer %q (%v)", s.issuer, err)
	}
}

// TestHealth: /healthz answers while the command runs, and -health checks
// it without a shell, for container health checks.
func TestHealth(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0")
	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-health", pr.issuer + "/healthz"}, &stdout, &stderr); code != exitOK {
		t.Errorf("-health of a running command: exit %d: %s", code, stderr.String())
	}
	if code := run(nil, []string{"-health", pr.issuer + "/nowhere"}, &stdout, &stderr); code != exitFail {
		t.Errorf("-health of a 404: exit %d", code)
	}
}

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

// TestGrantFlag: without client flags the default client may use every
// grant, client credentials included; -grant says which grants the one
// client of the flags may use, and a refusal names grant_types, not a Go
// field.
func TestGrantFlag(t *testing.T) {
	t.Parallel()
	clientCredentials := func(issuer, id, secret string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, issuer+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	zero := startCommand(t, "-addr", "127.0.0.1:0")
	if status, body := clientCredentials(zero.issuer, "oauthtest-client", "oauthtest-secret"); status != 200 {
		t.Errorf("the default client's client_credentials: HTTP %d %v", status, body)
	}
	svc := startCommand(t, "-addr", "127.0.0.1:0", "-client-id", "svc", "-client-secret", "s", "-grant", "client_credentials")
	if status, body := clientCredentials(svc.issuer, "svc", "s"); status != 200 {
		t.Errorf("-grant client_credentials: HTTP %d %v", status, body)
	}
	web := startCommand(t, "-addr", "127.0.0.1:0", "-client-id", "web", "-client-secret", "s")
	status, body := clientCredentials(web.issuer, "web", "s")
	if d, _ := body["error_description"].(string); status != 400 || body["error"] != "unauthorized_client" ||
		!strings.Contains(d, "grant_types: authorization_code, refresh_token") || strings.Contains(d, "Client.") {
		t.Errorf("a client without -grant client_credentials: HTTP %d %v", status, body)
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
	flagged := startCommand(t, "-config", path, "-fapi2")
	base := strings.TrimSuffix(startCommand(t, "-config", multi).issuer, "/fapi") // the first issuer
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
