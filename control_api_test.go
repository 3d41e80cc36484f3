package oauthtest_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// ctl calls the control API and decodes its JSON answer.
func ctl(t *testing.T, p *oauthtest.Provider, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, p.Issuer()+oauthtest.ControlPath+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// control calls the control API and fails unless it answers 200.
func control(t *testing.T, p *oauthtest.Provider, method, path, body string) map[string]any {
	t.Helper()
	status, out := ctl(t, p, method, path, body)
	if status != 200 {
		t.Fatalf("%s %s %s: HTTP %d %v", method, path, body, status, out)
	}
	return out
}

func controlProvider(t *testing.T, opts ...oauthtest.Option) *oauthtest.Provider {
	return oauthtest.NewTestProvider(t, append(opts, oauthtest.WithControlAPI(), oauthtest.WithInMemoryTransport())...)
}

// TestControlUsers: the staged user logs in; a queued denial is refused; a
// sign-out makes prompt=none fail.
func TestControlUsers(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	control(t, p, "POST", "/user", `{"subject": "ada", "claims": {"name": "Ada"}}`)
	if sub := loginSubject(t, p); sub != "ada" {
		t.Errorf("after /user: %s", sub)
	}
	control(t, p, "POST", "/users/queue", `{"subject": "bob", "client_id": "oauthtest-client"}`)
	if sub := loginSubject(t, p); sub != "bob" {
		t.Errorf("after /users/queue: %s", sub)
	}
	control(t, p, "POST", "/users/deny", `{}`)
	if code := authorizeError(t, p); code != "access_denied" {
		t.Errorf("after /users/deny: %s", code)
	}
	control(t, p, "POST", "/users", `{"subject": "cy"}`)
	if users := control(t, p, "GET", "/users", ""); len(users["known"].([]any)) != 1 {
		t.Errorf("users %v", users)
	}
	control(t, p, "POST", "/users/signout", "")
	if code := authorizeError(t, p, oauth2.SetAuthURLParam("prompt", "none")); code != "login_required" {
		t.Errorf("after /users/signout: %s", code)
	}
}

// TestControlRefusals: a malformed body, an unknown field, a missing or
// wrong value: 400 with what was wrong, and nothing changes.
func TestControlRefusals(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	for _, tc := range []struct{ method, path, body, want string }{
		{"POST", "/user", `{"subject": `, "not valid JSON"},
		{"POST", "/user", `{"subject": "x", "role": "admin"}`, `takes no field "role"`},
		{"POST", "/user", `{"claims": {}}`, "subject is required"},
		{"POST", "/user", `{"subject": "x", "claims": {"iss": "y"}}`, `claim "iss" is set by the provider`},
		{"POST", "/user", `{"subject": 7}`, "subject must be a string, not a number"},
		{"POST", "/clock", `{}`, "send time or advance"},
		{"POST", "/clock", `{"advance": "soon"}`, "must be a duration"},
		{"POST", "/faults", `{"endpoint": "nowhere", "kind": "drop"}`, `endpoint "nowhere" is not one of`},
		{"POST", "/faults", `{"endpoint": "token", "kind": "explode"}`, `kind "explode"`},
		{"POST", "/faults", `{"endpoint": "token", "kind": "error", "error": "oops"}`, `error "oops"`},
		{"POST", "/mint/id-token", `{"spoil": ["rotten"]}`, `spoil "rotten"`},
		{"POST", "/codes/invalidate", `{"code": "nope"}`, "was not issued"},
		{"POST", "/tokens/revoke", `{"token": "x", "kind": "everything"}`, `kind "everything" is not one of token, family`},
		{"GET", "/requests?endpoint=nowhere", "", `endpoint "nowhere"`},
	} {
		status, out := ctl(t, p, tc.method, tc.path, tc.body)
		if msg, _ := out["error_description"].(string); status != 400 || out["error"] != "invalid_request" || !strings.Contains(msg, tc.want) {
			t.Errorf("%s %s %s: HTTP %d %v, want 400 with %q", tc.method, tc.path, tc.body, status, out, tc.want)
		}
	}
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Errorf("a refused control changed the user: %s", sub)
	}
	if status, _ := ctl(t, p, "GET", "/reset", ""); status != 405 {
		t.Errorf("GET /reset: HTTP %d, want 405", status)
	}
	if status, out := ctl(t, p, "GET", "/nothing", ""); status != 404 || !strings.Contains(out["error_description"].(string), "openapi.json") {
		t.Errorf("an unknown path: HTTP %d %v", status, out)
	}
	plain := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport())
	if status, _ := ctl(t, plain, "POST", "/reset", ""); status != 404 {
		t.Errorf("without WithControlAPI: HTTP %d, want 404", status)
	}
}

// TestControlCodesTokensClock: expired and invalidated codes, revoked
// tokens and a moved clock, seen through the OAuth endpoints.
func TestControlCodesTokensClock(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	control(t, p, "POST", "/codes/expire", "")
	_, err := cfg.Exchange(clientContext(p), code)
	wantRetrieveError(t, err, "invalid_grant", 400)
	code = authorizeCode(t, p, cfg)
	control(t, p, "POST", "/codes/invalidate", `{"code": "`+code+`"}`)
	_, err = cfg.Exchange(clientContext(p), code)
	wantRetrieveError(t, err, "invalid_grant", 400)

	for _, revoke := range []string{`/tokens/revoke|{"token": "%s"}`, `/tokens/revoke|{"token": "%s", "kind": "family"}`,
		`/tokens/revoke-user|{"subject": "test-user"}`, `/tokens/revoke-client|{"client_id": "oauthtest-client"}`} {
		tok := issuedTokens(t, p)
		path, body, _ := strings.Cut(revoke, "|")
		control(t, p, "POST", path, strings.Replace(body, "%s", tok.AccessToken, 1))
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 {
			t.Errorf("after %s: HTTP %d", path, resp.StatusCode)
		}
	}

	at := control(t, p, "POST", "/clock", `{"time": "2030-01-01T00:00:00Z"}`)["time"]
	tok := issuedTokens(t, p)
	later := control(t, p, "POST", "/clock", `{"advance": "61m"}`)["time"]
	if at != "2030-01-01T00:00:00Z" || later != "2030-01-01T01:01:00Z" || control(t, p, "GET", "/clock", "")["time"] != later {
		t.Errorf("clock %v, then %v", at, later)
	}
	if resp, body := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 || !strings.Contains(body["error_description"].(string), "expired") {
		t.Errorf("after an hour: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestControlKeysFaultsMint: a rotation signs with the new key; a staged
// fault is served once; minted tokens are spoiled as asked.
func TestControlKeysFaultsMint(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	next := control(t, p, "POST", "/keys/publish", "")["kid"]
	if kid := control(t, p, "POST", "/keys/rotate", "")["kid"]; kid != next || p.SigningKeyID() != kid {
		t.Errorf("rotated to %v, published %v", kid, next)
	}
	control(t, p, "POST", "/keys/retire", "")
	if keys := control(t, p, "GET", "/keys", ""); len(keys["published"].([]any)) != 1 || keys["signing"] != next {
		t.Errorf("keys %v", keys)
	}

	control(t, p, "POST", "/faults", `{"endpoint": "token", "count": 1, "kind": "error", "error": "temporarily_unavailable", "error_description": "maintenance"}`)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	_, err := cfg.Exchange(clientContext(p), code)
	if re := wantRetrieveError(t, err, "temporarily_unavailable", 503); re.ErrorDescription != "maintenance" {
		t.Errorf("description %q", re.ErrorDescription)
	}
	if _, err := cfg.Exchange(clientContext(p), code); err != nil {
		t.Errorf("the fault was served twice: %v", err)
	}
	control(t, p, "POST", "/faults", `{"endpoint": "userinfo", "kind": "status", "status": 502}`)
	tok := issuedTokens(t, p)
	for range 2 {
		if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 502 {
			t.Errorf("a fault until cleared: HTTP %d", resp.StatusCode)
		}
	}
	control(t, p, "POST", "/faults/clear", "")
	control(t, p, "POST", "/down", "")
	if _, err := cfg.Exchange(clientContext(p), authorizeCodeOrEmpty(p, cfg)); err == nil || errors.As(err, new(*oauth2.RetrieveError)) {
		t.Errorf("while down: %v, want a transport error", err)
	}
	control(t, p, "POST", "/up", "")

	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	expired := control(t, p, "POST", "/mint/id-token", `{"spoil": ["expired"], "claims": {"nonce": "n"}}`)["token"].(string)
	var te *oidc.TokenExpiredError
	if _, err := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now}).Verify(ctx, expired); !errors.As(err, &te) {
		t.Errorf("an expired minted ID token: %v", err)
	}
	access := control(t, p, "POST", "/mint/access-token", `{"subject": "zoe"}`)["token"].(string)
	if _, body := userinfo(t, p, access); body["sub"] != "zoe" {
		t.Errorf("a minted access token: %v", body)
	}
}

// authorizeCodeOrEmpty is a code, or "" when the provider cannot be reached.
func authorizeCodeOrEmpty(p *oauthtest.Provider, cfg *oauth2.Config) string {
	cb, err := p.Browser().Visit(cfg.AuthCodeURL("st"))
	if err != nil {
		return ""
	}
	return cb.Code
}

// TestControlRequestsDevicesReset: the request log by endpoint, device
// approval, and a reset to the configured state.
func TestControlRequestsDevicesReset(t *testing.T) {
	t.Parallel()
	p := controlProvider(t, oauthtest.WithClient(tvClient), oauthtest.WithLoginPage(),
		oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	_, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, map[string][]string{"client_id": {"tv"}}, "", "")
	control(t, p, "POST", "/devices/approve", `{"user_code": "`+body["user_code"].(string)+`"}`)
	if ds := p.Devices(); ds[0].State != "approved" {
		t.Errorf("devices %+v", ds)
	}
	status, out := ctl(t, p, "GET", "/requests?endpoint=device_authorization", "")
	if status != 200 || out != nil { // an array, which ctl does not decode into a map
		t.Errorf("requests: HTTP %d %v", status, out)
	}
	tok := p.MintAccessToken()
	control(t, p, "POST", "/clock", `{"advance": "5m"}`)
	control(t, p, "POST", "/user", `{"subject": "ada"}`)
	control(t, p, "POST", "/reset", "")
	if resp, _ := userinfo(t, p, tok); resp.StatusCode != 401 {
		t.Errorf("a token from before the reset: HTTP %d", resp.StatusCode)
	}
	if !p.Now().Equal(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)) || p.Users().Current.Subject != "test-user" || len(p.Devices()) != 0 || len(p.Requests()) != 1 {
		t.Errorf("after reset: clock %v, user %q, %d devices, %d requests", p.Now(), p.Users().Current.Subject, len(p.Devices()), len(p.Requests()))
	}
}

// TestGoldenControlOpenAPI: the control API's OpenAPI document is pinned;
// scripts/openapi validates the golden file with an OpenAPI validator.
func TestGoldenControlOpenAPI(t *testing.T) {
	t.Parallel()
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://oauthtest.example"), oauthtest.WithControlAPI())
	if err != nil {
		t.Fatal(err)
	}
	w := serve(p, "GET", "https://oauthtest.example"+oauthtest.ControlPath+"/openapi.json", nil)
	if w.Code != 200 {
		t.Fatalf("HTTP %d %s", w.Code, w.Body)
	}
	checkGolden(t, "control-openapi.json", w.Body.Bytes())
}
