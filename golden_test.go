package oauthtest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenProvider is fully deterministic: fixed issuer, clock and seed.
func goldenProvider(t *testing.T) *oauthtest.Provider {
	t.Helper()
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://oauthtest.example"),
		oauthtest.WithTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), oauthtest.WithSeed(42))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// serve runs one request through p's handler.
func serve(p *oauthtest.Provider, method, target string, form url.Values) *httptest.ResponseRecorder {
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(oauthtest.DefaultClientID, oauthtest.DefaultClientSecret)
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, req)
	return w
}

// checkGolden compares got, indented, with testdata/golden/name.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, got, "", "  "); err != nil {
		t.Fatalf("%s is not JSON: %v\n%s", name, err, got)
	}
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s changed (go test -run Golden -update rewrites it):\n%s", name, buf.Bytes())
	}
}

func TestGoldenDiscovery(t *testing.T) {
	t.Parallel()
	p := goldenProvider(t)
	checkGolden(t, "openid-configuration.json", serve(p, "GET", "https://oauthtest.example/.well-known/openid-configuration", nil).Body.Bytes())
	if as := serve(p, "GET", "https://oauthtest.example/.well-known/oauth-authorization-server", nil).Body.String(); !strings.Contains(as, `"issuer": "https://oauthtest.example"`) {
		t.Errorf("RFC 8414 metadata: %s", as)
	}
}

func TestGoldenJWKS(t *testing.T) {
	t.Parallel()
	checkGolden(t, "jwks.json", serve(goldenProvider(t), "GET", "https://oauthtest.example/.well-known/jwks.json", nil).Body.Bytes())
}

func TestGoldenTokenResponse(t *testing.T) {
	t.Parallel()
	p := goldenProvider(t)
	auth := serve(p, "GET", "https://oauthtest.example/oauth/authorize?"+url.Values{
		"client_id": {oauthtest.DefaultClientID}, "redirect_uri": {"http://127.0.0.1:8080/callback"},
		"response_type": {"code"}, "scope": {"openid email"}, "state": {"s"}, "nonce": {"n"},
	}.Encode(), nil)
	loc, err := url.Parse(auth.Header().Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", auth.Code, auth.Header().Get("Location"))
	}
	tok := serve(p, "POST", "https://oauthtest.example/oauth/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:8080/callback"},
	})
	if tok.Code != 200 {
		t.Fatalf("token: %d %s", tok.Code, tok.Body)
	}
	checkGolden(t, "token-response.json", tok.Body.Bytes())
	var body map[string]string
	_ = json.Unmarshal(tok.Body.Bytes(), &body)
	for _, name := range []string{"access_token", "id_token"} {
		parts := strings.Split(body[name], ".")
		for i, part := range []string{"header", "claims"} {
			b, err := base64.RawURLEncoding.DecodeString(parts[i])
			if err != nil {
				t.Fatalf("%s %s: %v", name, part, err)
			}
			checkGolden(t, strings.ReplaceAll(name, "_", "-")+"-"+part+".json", b)
		}
	}
}
