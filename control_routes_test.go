package oauthtest_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// ctlAny calls the control API and decodes any JSON answer.
func ctlAny(t *testing.T, p *oauthtest.Provider, method, path, body string) any {
	t.Helper()
	status, text := raw(t, p, method, path, body, map[string]string{"Content-Type": "application/json"})
	var out any
	if err := json.Unmarshal([]byte(text), &out); status != 200 || err != nil {
		t.Fatalf("%s %s %s: HTTP %d %s", method, path, body, status, text)
	}
	return out
}

// operations are the document's operations, "METHOD /path" below ControlPath.
func operations(t *testing.T, p *oauthtest.Provider) []string {
	doc := control(t, p, "GET", "/openapi.json", "")
	var ops []string
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			if op.(map[string]any)["operationId"] == nil {
				t.Errorf("%s %s has no operationId", method, path)
			}
			ops = append(ops, strings.ToUpper(method)+" "+strings.TrimPrefix(path, oauthtest.ControlPath))
		}
	}
	slices.Sort(ops)
	return ops
}

// TestControlEveryRoute: each operation of the document is exercised
// here, through HTTP, and does what its Go control does.
func TestControlEveryRoute(t *testing.T) {
	t.Parallel()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	p := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI(), oauthtest.WithClient(tvClient),
		oauthtest.WithClient(oauthtest.Client{ID: "bc", Secret: "s", BackchannelLogoutURI: gone.URL + "/bc"}))
	dp := controlProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage()) // devices wait for approval
	checks := map[string]func(t *testing.T){
		"GET /openapi.json": func(t *testing.T) {}, // operations read it
		"POST /reset": func(t *testing.T) {
			control(t, p, "POST", "/user", `{"subject": "x"}`)
			control(t, p, "POST", "/reset", "")
			wantSubject(t, p, "test-user")
		},
		"POST /user": func(t *testing.T) { control(t, p, "POST", "/user", `{"subject": "ada"}`); wantSubject(t, p, "ada") },
		"POST /users": func(t *testing.T) {
			control(t, p, "POST", "/users", `{"subject": "cy"}`)
			if known := control(t, p, "GET", "/users", "")["known"].([]any); len(known) != 1 {
				t.Errorf("known %v", known)
			}
		},
		"POST /users/queue": func(t *testing.T) {
			control(t, p, "POST", "/users/queue", `{"subject": "bob", "client_id": "oauthtest-client"}`)
			wantSubject(t, p, "bob")
		},
		"POST /users/deny": func(t *testing.T) {
			control(t, p, "POST", "/users/deny", "")
			if code := authorizeError(t, p); code != "access_denied" {
				t.Errorf("after /users/deny: %s", code)
			}
		},
		"POST /users/signout": func(t *testing.T) { control(t, p, "POST", "/users/signout", ""); wantUsers(t, p, "signed_out", true) },
		"GET /users":          func(t *testing.T) { wantUsers(t, p, "queued", []any{}) },
		"POST /codes/expire": func(t *testing.T) {
			code := authorizeCode(t, p, oauthConfig(p))
			control(t, p, "POST", "/codes/expire", "")
			_, err := oauthConfig(p).Exchange(clientContext(p), code)
			wantRetrieveError(t, err, "invalid_grant", 400)
		},
		"POST /codes/invalidate": func(t *testing.T) {
			code := authorizeCode(t, p, oauthConfig(p))
			control(t, p, "POST", "/codes/invalidate", `{"code": "`+code+`"}`)
			_, err := oauthConfig(p).Exchange(clientContext(p), code)
			wantRetrieveError(t, err, "invalid_grant", 400)
		},
		"POST /codes/lifetime": func(t *testing.T) {
			code := authorizeCode(t, p, oauthConfig(p))
			control(t, p, "POST", "/codes/lifetime", `{"code": "`+code+`", "lifetime": "0s"}`)
			control(t, p, "POST", "/clock", `{"advance": "1s"}`)
			_, err := oauthConfig(p).Exchange(clientContext(p), code)
			wantRetrieveError(t, err, "invalid_grant", 400)
		},
		"GET /codes": func(t *testing.T) {
			code := authorizeCode(t, p, oauthConfig(p))
			if !strings.Contains(text(t, ctlAny(t, p, "GET", "/codes", "")), code) {
				t.Error("GET /codes misses the code")
			}
		},
		"POST /tokens/revoke":        func(t *testing.T) { revokes(t, p, "/tokens/revoke", `{"token": "%s", "kind": "family"}`) },
		"POST /tokens/revoke-user":   func(t *testing.T) { revokes(t, p, "/tokens/revoke-user", `{"subject": "test-user"}`) },
		"POST /tokens/revoke-client": func(t *testing.T) { revokes(t, p, "/tokens/revoke-client", `{"client_id": "oauthtest-client"}`) },
		"GET /tokens": func(t *testing.T) {
			tok := issuedTokens(t, p)
			if !strings.Contains(text(t, ctlAny(t, p, "GET", "/tokens", "")), tok.RefreshToken) {
				t.Error("GET /tokens misses the refresh token")
			}
		},
		"POST /keys/publish": func(t *testing.T) {
			if kid := control(t, p, "POST", "/keys/publish", "")["kid"]; !slices.Contains(p.KeyIDs(), kid.(string)) {
				t.Errorf("published %v, JWKS %v", kid, p.KeyIDs())
			}
		},
		"POST /keys/rotate": func(t *testing.T) {
			if kid := control(t, p, "POST", "/keys/rotate", "")["kid"]; p.SigningKeyID() != kid {
				t.Errorf("rotated to %v, signing %s", kid, p.SigningKeyID())
			}
		},
		"POST /keys/retire": func(t *testing.T) { control(t, p, "POST", "/keys/retire", ""); wantLen(t, p.KeyIDs(), 1) },
		"GET /keys": func(t *testing.T) {
			if keys := control(t, p, "GET", "/keys", ""); keys["signing"] != p.SigningKeyID() {
				t.Errorf("keys %v", keys)
			}
		},
		"POST /faults": func(t *testing.T) {
			control(t, p, "POST", "/faults", `{"endpoint": "jwks", "kind": "error", "error": "request_uri_not_supported", "count": 1}`)
			if body := get(t, p, "/.well-known/jwks.json"); !strings.Contains(body, "request_uri_not_supported") {
				t.Errorf("the staged fault: %s", body)
			}
		},
		"POST /faults/clear": func(t *testing.T) {
			control(t, p, "POST", "/faults", `{"endpoint": "jwks", "kind": "status", "status": 502}`)
			control(t, p, "POST", "/faults/clear", "")
			if body := get(t, p, "/.well-known/jwks.json"); !strings.Contains(body, "keys") {
				t.Errorf("after /faults/clear: %s", body)
			}
		},
		"POST /down": func(t *testing.T) {
			control(t, p, "POST", "/down", "")
			_, err := p.HTTPClient().Get(p.JWKSURL())
			control(t, p, "POST", "/up", "") // for the checks after
			if err == nil {
				t.Error("served while down")
			}
		},
		"POST /up": func(t *testing.T) {
			control(t, p, "POST", "/down", "")
			control(t, p, "POST", "/up", "")
			get(t, p, "/.well-known/jwks.json") // fails the test if dropped
		},
		"GET /clock": func(t *testing.T) { control(t, p, "GET", "/clock", "") },
		"POST /clock": func(t *testing.T) {
			control(t, p, "POST", "/clock", `{"time": "2031-01-01T00:00:00Z"}`)
			wantClock(t, p, "2031")
		},
		"POST /mint/id-token": func(t *testing.T) {
			if tok := control(t, p, "POST", "/mint/id-token", `{"spoil": ["alg_none"]}`)["token"].(string); !strings.HasSuffix(tok, ".") {
				t.Errorf("an alg none token %s", tok)
			}
		},
		"POST /mint/access-token": func(t *testing.T) {
			access := control(t, p, "POST", "/mint/access-token", `{"subject": "zoe"}`)["token"].(string)
			if _, body := userinfo(t, p, access); body["sub"] != "zoe" {
				t.Errorf("a minted access token: %v", body)
			}
		},
		"GET /devices": func(t *testing.T) {
			code := startDevice(t, p)
			if !strings.Contains(text(t, ctlAny(t, p, "GET", "/devices", "")), code) {
				t.Error("GET /devices misses the device")
			}
		},
		"POST /devices/approve": func(t *testing.T) {
			control(t, dp, "POST", "/devices/approve", `{"user_code": "`+startDevice(t, dp)+`"}`)
			wantDeviceState(t, dp, "approved")
		},
		"POST /devices/deny": func(t *testing.T) {
			control(t, dp, "POST", "/devices/deny", `{"user_code": "`+startDevice(t, dp)+`"}`)
			wantDeviceState(t, dp, "denied")
		},
		"GET /backchannel-logouts": func(t *testing.T) {
			cfg := oauthConfig(p)
			cfg.ClientID, cfg.ClientSecret = "bc", "s"
			if _, err := p.Browser().Visit(cfg.AuthCodeURL("st")); err != nil {
				t.Fatal(err)
			}
			control(t, p, "POST", "/users/signout", "")
			if out := text(t, ctlAny(t, p, "GET", "/backchannel-logouts", "")); !strings.Contains(out, `"client_id":"bc"`) {
				t.Errorf("GET /backchannel-logouts: %s", out)
			}
		},
		"GET /requests": func(t *testing.T) {
			get(t, p, "/.well-known/jwks.json")
			if out := text(t, ctlAny(t, p, "GET", "/requests?endpoint=jwks", "")); !strings.Contains(out, `"endpoint":"jwks"`) || strings.Contains(out, `"endpoint":"token"`) {
				t.Errorf("GET /requests?endpoint=jwks: %s", out)
			}
		},
		"GET /dump": func(t *testing.T) {
			if dump := control(t, p, "GET", "/dump", "")["dump"].(string); !strings.Contains(dump, p.Issuer()) {
				t.Errorf("dump %s", dump)
			}
		},
	}
	for _, op := range operations(t, p) {
		check, ok := checks[op]
		if !ok {
			t.Errorf("%s is not exercised: add it to TestControlEveryRoute", op)
			continue
		}
		t.Run(op, check) // in order, on one provider
		delete(checks, op)
	}
	for op := range checks {
		t.Errorf("%s is checked but not in the document", op)
	}
}

func wantSubject(t *testing.T, p *oauthtest.Provider, want string) {
	t.Helper()
	if sub := loginSubject(t, p); sub != want {
		t.Errorf("logged in %s, want %s", sub, want)
	}
}

func wantUsers(t *testing.T, p *oauthtest.Provider, field string, want any) {
	t.Helper()
	if got := control(t, p, "GET", "/users", "")[field]; text(t, got) != text(t, want) {
		t.Errorf("users.%s = %v, want %v", field, got, want)
	}
}

func wantLen(t *testing.T, list []string, n int) {
	t.Helper()
	if len(list) != n {
		t.Errorf("%v, want %d", list, n)
	}
}

func wantClock(t *testing.T, p *oauthtest.Provider, prefix string) {
	t.Helper()
	if now := control(t, p, "GET", "/clock", "")["time"].(string); !strings.HasPrefix(now, prefix) {
		t.Errorf("clock %s", now)
	}
}

func wantDeviceState(t *testing.T, p *oauthtest.Provider, state string) {
	t.Helper()
	if ds := p.Devices(); ds[len(ds)-1].State != state {
		t.Errorf("device %+v, want %s", ds[len(ds)-1], state)
	}
}

// revokes checks that a revoke route ends an access token's use.
func revokes(t *testing.T, p *oauthtest.Provider, path, body string) {
	t.Helper()
	tok := issuedTokens(t, p)
	control(t, p, "POST", path, strings.Replace(body, "%s", tok.AccessToken, 1))
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 {
		t.Errorf("after %s: HTTP %d", path, resp.StatusCode)
	}
}

// startDevice starts a device authorization and returns its user code.
func startDevice(t *testing.T, p *oauthtest.Provider) string {
	t.Helper()
	_, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, map[string][]string{"client_id": {"tv"}}, "", "")
	return body["user_code"].(string)
}

// get fetches an OAuth endpoint's answer as text.
func get(t *testing.T, p *oauthtest.Provider, path string) string {
	t.Helper()
	resp, err := p.HTTPClient().Get(p.Issuer() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return b.String()
}

// text is v as compact JSON.
func text(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestControlListsAreEmptyNotNull: every list answers [] when empty.
func TestControlListsAreEmptyNotNull(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	for _, path := range []string{"/requests", "/codes", "/tokens", "/devices", "/backchannel-logouts", "/requests?endpoint=token"} {
		if _, body := raw(t, p, "GET", path, "", nil); strings.TrimSpace(body) != "[]" {
			t.Errorf("GET %s: %s, want []", path, body)
		}
	}
	_, body := raw(t, p, "GET", "/users", "", nil)
	for _, want := range []string{`"known": []`, `"queued": []`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /users: %s, want %s", body, want)
		}
	}
}

// TestControlTakesEveryErrorCode: /faults takes every error code the
// library declares (errors.go's Err values), as FaultError does.
func TestControlTakesEveryErrorCode(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		if vs, ok := n.(*ast.ValueSpec); ok && strings.HasPrefix(vs.Names[0].Name, "Err") {
			if call, ok := vs.Values[0].(*ast.CallExpr); ok {
				codes = append(codes, strings.Trim(call.Args[0].(*ast.BasicLit).Value, `"`))
			}
		}
		return true
	})
	if len(codes) < 20 {
		t.Fatalf("errors.go declares %d codes: %v", len(codes), codes)
	}
	p := controlProvider(t)
	for _, code := range codes {
		control(t, p, "POST", "/faults", `{"endpoint": "jwks", "kind": "error", "count": 1, "error": "`+code+`"}`)
		if body := get(t, p, "/.well-known/jwks.json"); !strings.Contains(body, `"error":"`+code+`"`) {
			t.Errorf("the staged %s: %s", code, body)
		}
	}
}
