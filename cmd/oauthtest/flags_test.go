package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"github.com/c95d6557/oauthtest/internal/words"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

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

// TestClientFlagsRegisterOneClient: -client-id and friends describe the one
// client; the default client is not there besides it.
func TestClientFlagsRegisterOneClient(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-client-id", "web", "-client-secret", "s3cret")
	login(t, pr.issuer, "web", "s3cret", "http://127.0.0.1:8080/cb")
	wantOnlyTheseClients(t, pr.issuer)
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

// TestIssuerFromEnvironment: OAUTHTEST_ISSUER sets the issuer, as a
// container is configured.
func TestIssuerFromEnvironment(t *testing.T) {
	t.Setenv("OAUTHTEST_ISSUER", "http://issuer.example:9999")
	s, err := parseFlags(nil, io.Discard)
	if err != nil || s.issuer != "http://issuer.example:9999" {
		t.Errorf("issuer %q (%v)", s.issuer, err)
	}
}

func TestDefaultAddr(t *testing.T) {
	t.Parallel()
	s, err := parseFlags(nil, io.Discard)
	if err != nil || s.addr != "127.0.0.1:9090" {
		t.Errorf("default addr %q (%v)", s.addr, err)
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

// TestFlagHelpDefaults: the lifetimes' defaults in -h are the library's.
func TestFlagHelpDefaults(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	if code := run(nil, []string{"-h"}, &stdout, io.Discard); code != exitOK {
		t.Fatalf("-h: exit %d", code)
	}
	for flag, d := range map[string]time.Duration{"code-lifetime": oauthtest.DefaultCodeLifetime, "access-token-lifetime": oauthtest.DefaultAccessTokenLifetime,
		"id-token-lifetime": oauthtest.DefaultIDTokenLifetime, "refresh-token-lifetime": oauthtest.DefaultRefreshTokenLifetime} {
		want := regexp.MustCompile(`-` + flag + ` lifetime\n\s+.*\(default ` + regexp.QuoteMeta(words.Duration(d)) + `\)`)
		if !want.MatchString(stdout.String()) {
			t.Errorf("-h does not give -%s's default %s:\n%s", flag, words.Duration(d), stdout.String())
		}
	}
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", time.Hour: "1h", 720 * time.Hour: "720h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s", time.Second: "1s"} {
		if got := words.Duration(d); got != want {
			t.Errorf("words.Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
