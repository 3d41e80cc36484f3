package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

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

// clientFieldsNotInFile are the fields of oauthtest.Client that a config
// file's client deliberately does not set, each with the reason. None
// today: PublicKeys is set, from the PEM files of public_key_files.
var clientFieldsNotInFile = map[string]string{}

// TestConfigClientCoversClient: a client of the config file sets every
// field of oauthtest.Client (and of its Lifetimes), but those listed with
// a reason in clientFieldsNotInFile; a field added to Client fails here
// until the file has it or the list says why not. Each JSON field of the
// file's client is given a value through its tag, as a file would, and
// each field of the Client made from it must then be set.
func TestConfigClientCoversClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	if err := os.WriteFile(filepath.Join(dir, "x"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	var fill func(t reflect.Type) any
	fill = func(ft reflect.Type) any {
		switch {
		case ft == durationType:
			return "1m"
		case ft.Kind() == reflect.Struct:
			m := map[string]any{}
			for name, f := range jsonFields(ft) {
				m[name] = fill(f)
			}
			return m
		case ft.Kind() == reflect.Slice:
			return []any{fill(ft.Elem())}
		case ft.Kind() == reflect.Bool:
			return true
		case ft.Kind() == reflect.String:
			return "x" // also the name of the public key file
		}
		t.Fatalf("no value for a config field of type %v", ft)
		return nil
	}
	b, _ := json.Marshal(fill(reflect.TypeFor[fileClient]()))
	var cl fileClient
	if err := json.Unmarshal(b, &cl); err != nil {
		t.Fatal(err)
	}
	c, err := cl.client(dir)
	if err != nil {
		t.Fatal(err)
	}
	var check func(path string, v reflect.Value)
	check = func(path string, v reflect.Value) {
		for i := range v.NumField() {
			name := path + v.Type().Field(i).Name
			if _, deliberate := clientFieldsNotInFile[name]; deliberate {
				continue
			}
			switch f := v.Field(i); {
			case f.Kind() == reflect.Struct:
				check(name+".", f)
			case f.IsZero():
				t.Errorf("oauthtest.Client's %s is not set by any field of the config file's client: add one to fileClient (and to client), or say why not in clientFieldsNotInFile", name)
			}
		}
	}
	check("", reflect.ValueOf(c))
	for name := range clientFieldsNotInFile {
		if _, ok := reflect.TypeFor[oauthtest.Client]().FieldByName(strings.Split(name, ".")[0]); !ok {
			t.Errorf("clientFieldsNotInFile names %s, which oauthtest.Client does not have", name)
		}
	}
}

// TestConfigKeyFile: the key_file of a config file is read relative to
// the file, as its other paths are, wherever the command runs.
func TestConfigKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	if err := os.WriteFile(filepath.Join(dir, "signing.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "oauthtest.json")
	if err := os.WriteFile(path, []byte(`{"version": 1, "key_file": "signing.pem"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")
	tok, _ := login(t, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:1/cb")
	if _, err := jwt.Parse(tok.AccessToken, func(*jwt.Token) (any, error) { return key.Public(), nil }, jwt.WithValidMethods([]string{"ES256"})); err != nil {
		t.Errorf("the access token is not signed with key_file's key: %v", err)
	}
}
