package oauthtest_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// raw sends one control request with the given headers and returns the
// status and the body.
func raw(t *testing.T, p *oauthtest.Provider, method, path, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, p.Issuer()+oauthtest.ControlPath+path, strings.NewReader(body))
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// wantRefusal fails unless the answer is status with a JSON error body
// whose description holds want.
func wantRefusal(t *testing.T, what string, status int, body string, wantStatus int, want string) {
	t.Helper()
	var e struct{ Error, ErrorDescription string }
	_ = json.Unmarshal([]byte(body), &struct {
		Error            *string `json:"error"`
		ErrorDescription *string `json:"error_description"`
	}{&e.Error, &e.ErrorDescription})
	if status != wantStatus || e.Error == "" || !strings.Contains(e.ErrorDescription, want) {
		t.Errorf("%s: HTTP %d %s, want %d with %q", what, status, body, wantStatus, want)
	}
}

const attackerUser = `{"subject": "attacker", "claims": {"roles": ["admin"]}}`

// TestControlRefusesWebPages: what a web page can send (a form's
// text/plain or urlencoded body, a fetch with another Origin) changes
// nothing; the provider's own origin and a test's JSON still work.
func TestControlRefusesWebPages(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		status int
		want   string
	}{
		{"a form's text/plain", map[string]string{"Content-Type": "text/plain", "Origin": "https://evil.example"}, attackerUser, 403, "other origins"},
		{"text/plain without Origin", map[string]string{"Content-Type": "text/plain"}, attackerUser, 415, "application/json"},
		{"an urlencoded form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "subject=attacker", 415, "application/json"},
		{"a body without Content-Type", nil, attackerUser, 415, "application/json"},
		{"JSON from another origin", map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example"}, attackerUser, 403, "evil.example"},
		{"JSON from an opaque origin", map[string]string{"Content-Type": "application/json", "Origin": "null"}, attackerUser, 403, "other origins"},
		{"two Content-Types", map[string]string{"Content-Type": "application/json, text/plain"}, attackerUser, 415, "application/json"},
	} {
		status, body := raw(t, p, "POST", "/user", tc.body, tc.header)
		wantRefusal(t, tc.name, status, body, tc.status, tc.want)
	}
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Fatalf("a refused request staged %s", sub)
	}
	for _, header := range []map[string]string{
		{"Content-Type": "application/json; charset=utf-8"},
		{"Content-Type": "application/json", "Origin": p.Issuer()},
	} {
		if status, body := raw(t, p, "POST", "/user", `{"subject": "ada"}`, header); status != 200 {
			t.Errorf("%v: HTTP %d %s", header, status, body)
		}
	}
	if status, body := raw(t, p, "POST", "/reset", "", nil); status != 200 {
		t.Errorf("an empty body without Content-Type: HTTP %d %s", status, body)
	}
}

// TestControlRefusesOtherHosts: through DNS rebinding a page reaches the
// provider by the attacker's name; the control API answers only at the
// provider's own names, and hands over no secret.
func TestControlRefusesOtherHosts(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI(), oauthtest.WithControlHosts("oauthtest:9090", "idp"))
	issuedTokens(t, p)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.Issuer(), "http://"))
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1.evil.example:" + port, "localhost:1", "oauthtest:9091"} {
		for _, path := range []string{"/requests", "/tokens", "/openapi.json"} {
			status, body := raw(t, p, "GET", path, "", map[string]string{"Host": host})
			wantRefusal(t, host+path, status, body, 403, "DNS rebinding")
			if strings.Contains(body, oauthtest.DefaultClientSecret) || strings.Contains(body, "refresh") {
				t.Errorf("Host %s: %s", host, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "[::1]:" + port, "oauthtest:9090", "idp", "idp:8443"} {
		if status, body := raw(t, p, "GET", "/clock", "", map[string]string{"Host": host}); status != 200 {
			t.Errorf("Host %s: HTTP %d %s", host, status, body)
		}
	}
	named := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI(), oauthtest.WithInMemoryTransport(), oauthtest.WithIssuer("https://idp.example"))
	for host, want := range map[string]int{"idp.example": 200, "idp.example:443": 200, "idp.example:80": 403, "localhost:443": 403} {
		if status, _ := raw(t, named, "GET", "/clock", "", map[string]string{"Host": host}); status != want {
			t.Errorf("issuer https://idp.example, Host %s: HTTP %d, want %d", host, status, want)
		}
	}
}

// TestControlToken: with a token, a request without it or with another
// is refused; the document says the bearer scheme is required.
func TestControlToken(t *testing.T) {
	t.Parallel()
	p := controlProvider(t, oauthtest.WithControlToken("s3cret-token"))
	for _, auth := range []string{"", "Bearer wrong", "Bearer s3cret-toke", "Basic czNjcmV0LXRva2Vu", "s3cret-token", "Bearer  s3cret-token"} {
		status, body := raw(t, p, "POST", "/user", attackerUser, map[string]string{"Content-Type": "application/json", "Authorization": auth})
		wantRefusal(t, "Authorization "+auth, status, body, 403, "Bearer")
	}
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Fatalf("a request without the token staged %s", sub)
	}
	for _, auth := range []string{"Bearer s3cret-token", "bearer s3cret-token"} {
		if status, body := raw(t, p, "GET", "/openapi.json", "", map[string]string{"Authorization": auth}); status != 200 || !strings.Contains(body, `"security": [
    {
      "controlToken": []
    }
  ]`) {
			t.Errorf("%s: HTTP %d, security %s", auth, status, body[:min(len(body), 300)])
		}
	}
	for _, opts := range [][]oauthtest.Option{
		{oauthtest.WithControlToken("")}, {oauthtest.WithControlAPI(), oauthtest.WithControlToken("a b")},
		{oauthtest.WithControlToken("tok")}, {oauthtest.WithControlHosts("x")}, {oauthtest.WithControlAPI(), oauthtest.WithControlHosts("http://x/")},
	} {
		if _, err := oauthtest.NewProvider(append(opts, oauthtest.WithInMemoryTransport())...); err == nil || !strings.HasPrefix(err.Error(), "oauthtest: ") {
			t.Errorf("a wrong control option: %v", err)
		}
	}
}

// TestControlBodyIsOneKnownObject: a body is exactly one JSON object of
// the route's fields, each once, and no refusal names a Go type.
func TestControlBodyIsOneKnownObject(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	for _, tc := range []struct{ path, body, want string }{
		{"/user", `{}=`, "more follows"},
		{"/user", `{"subject": "a"} {"subject": "b"}`, "more follows"},
		{"/user", `{"subject": "a", "subject": "attacker"}`, `"subject" appears twice`},
		{"/user", `{"subject": "a", "claims": {"roles": [], "roles": ["admin"]}}`, `"roles" appears twice`},
		{"/user", `{"subjet": "a"}`, `did you mean "subject"?`},
		{"/user", `{"sub": "a"}`, `did you mean "subject"? It takes: subject`},
		{"/faults", `{"endpoint": "token", "kind": "drop", "cuont": 1}`, `did you mean "count"?`},
		{"/faults", `{"endpoint": "tokne", "kind": "drop"}`, `did you mean "token"?`},
		{"/user", `["subject"]`, "must be a JSON object, not an array"},
		{"/user", `null`, "must be a JSON object, not null"},
		{"/clock", `{"advance": 5}`, "advance must be a duration such as \"90s\", \"1h\" or \"-5m\", not a number"},
		{"/faults", `{"endpoint": "token", "kind": "status", "status": "502"}`, "status must be a whole number from 200 to 599, not a string"},
		{"/faults", `{"endpoint": "token", "kind": "drop", "count": 1.5}`, "count must be a whole number"},
		{"/mint/id-token", `{"spoil": "expired"}`, "spoil must be an array of strings"},
		{"/mint/id-token", `{"spoil": [1]}`, "spoil must be a string, not a number"},
		{"/user", strings.Repeat("[", 100) + strings.Repeat("]", 100), "nests deeper"},
		{"/reset", `{"subject": "a"}`, "takes no field \"subject\"; it takes none"},
	} {
		status, body := raw(t, p, "POST", tc.path, tc.body, map[string]string{"Content-Type": "application/json"})
		wantRefusal(t, tc.path+" "+tc.body, status, body, 400, tc.want)
		for _, goName := range []string{"Go ", "struct", "controlBody", "oauthtest."} {
			if strings.Contains(body, goName) {
				t.Errorf("%s: the refusal names Go: %s", tc.body, body)
			}
		}
	}
	status, body := raw(t, p, "POST", "/user", `{"subject": "`+strings.Repeat("a", 70000)+`"}`, map[string]string{"Content-Type": "application/json"})
	wantRefusal(t, "a large body", status, body, 413, "64")
	status, body = raw(t, p, "GET", "/requests?endpoint=token&endpoint=jwks", "", nil)
	wantRefusal(t, "a query parameter twice", status, body, 400, "once")
	status, body = raw(t, p, "GET", "/requests?endpiont=token", "", nil)
	wantRefusal(t, "an unknown query parameter", status, body, 400, `did you mean "endpoint"?`)
	if sub := loginSubject(t, p); sub != "test-user" {
		t.Errorf("a refused body staged %s", sub)
	}
}

// TestControlBoundsValues: counts, statuses, delays, times and advances
// out of range are refused over HTTP, and nothing changes.
func TestControlBoundsValues(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := controlProvider(t, oauthtest.WithTime(start))
	for _, tc := range []struct{ path, body, want string }{
		{"/faults", `{"endpoint": "userinfo", "kind": "status", "status": 502, "count": -1}`, "count must be a whole number from 1 to 1000000, not -1"},
		{"/faults", `{"endpoint": "userinfo", "kind": "status", "status": 502, "count": 0}`, "from 1"},
		{"/faults", `{"endpoint": "userinfo", "kind": "status", "status": 502, "count": 99999999999999999999}`, "from 1"},
		{"/faults", `{"endpoint": "userinfo", "kind": "status", "status": 99}`, "from 200 to 599"},
		{"/faults", `{"endpoint": "userinfo", "kind": "status", "status": 1000}`, "from 200 to 599"},
		{"/faults", `{"endpoint": "userinfo", "kind": "status"}`, "kind status requires status"},
		{"/faults", `{"endpoint": "userinfo", "kind": "drop", "status": 502}`, "status applies to kind status"},
		{"/faults", `{"endpoint": "userinfo", "kind": "latency", "delay": "6m"}`, "from 0s to 5m0s"},
		{"/faults", `{"endpoint": "userinfo", "kind": "latency", "delay": "-1s"}`, "from 0s to 5m0s"},
		{"/faults", `{"endpoint": "userinfo", "kind": "latency"}`, "kind latency requires delay"},
		{"/clock", `{"time": "0001-01-01T00:00:00Z"}`, "not from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z"},
		{"/clock", `{"time": "1969-12-31T23:59:59Z"}`, "not from 1970"},
		{"/clock", `{"advance": "-61y"}`, "must be a duration"},
		{"/clock", `{"advance": "-2562047h"}`, "not from 1970"},
		{"/clock", `{"time": "2030-01-01T00:00:00Z", "advance": "1h"}`, "one of them"},
		{"/codes/lifetime", `{"code": "x", "lifetime": "-1s"}`, "from 0s"},
	} {
		status, body := raw(t, p, "POST", tc.path, tc.body, map[string]string{"Content-Type": "application/json"})
		wantRefusal(t, tc.path+" "+tc.body, status, body, 400, tc.want)
	}
	if !p.Now().Equal(start) {
		t.Errorf("a refused time moved the clock to %v", p.Now())
	}
	tok := issuedTokens(t, p)
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("a refused fault was staged: HTTP %d", resp.StatusCode)
	}

	wall := controlProvider(t) // following the wall clock, whose offset could overflow
	first := control(t, wall, "POST", "/clock", `{"advance": "2000000h"}`)["time"].(string)
	status, body := raw(t, wall, "POST", "/clock", `{"advance": "2000000h"}`, map[string]string{"Content-Type": "application/json"})
	wantRefusal(t, "a second advance of 2,000,000 h", status, body, 400, "overflows")
	if now := control(t, wall, "GET", "/clock", "")["time"].(string); now < first || now[:4] < "2200" {
		t.Errorf("after two advances the clock says %s, after %s", now, first)
	}
	stopped := controlProvider(t, oauthtest.WithTime(start)) // a stopped clock moves its set time
	control(t, stopped, "POST", "/clock", `{"advance": "2000000h"}`)
	if got := control(t, stopped, "POST", "/clock", `{"advance": "2000000h"}`)["time"]; got != start.Add(2000000*time.Hour).Add(2000000*time.Hour).Format(time.RFC3339) {
		t.Errorf("two advances of a stopped clock: %v", got)
	}
}

// TestBoundsInTheGoAPI: the Go methods that take the same values panic
// with an oauthtest: message on what only a programmer gets wrong.
func TestBoundsInTheGoAPI(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	for name, f := range map[string]func(){
		"FailNext 0":          func() { p.FailNext(oauthtest.EndpointToken, 0, oauthtest.FaultDrop()) },
		"FailNext -1":         func() { p.ForClient("a").FailNext(oauthtest.EndpointToken, -1, oauthtest.FaultDrop()) },
		"the zero Fault":      func() { p.Fail(oauthtest.EndpointToken, oauthtest.Fault{}) },
		"FaultError(nil)":     func() { oauthtest.FaultError(nil) },
		"FaultStatus(0)":      func() { oauthtest.FaultStatus(0) },
		"FaultStatus(101)":    func() { oauthtest.FaultStatus(101) },
		"FaultLatency(-1)":    func() { oauthtest.FaultLatency(-1) },
		"After over the max":  func() { oauthtest.FaultLatency(oauthtest.MaxFaultDelay).After(time.Second) },
		"SetTime(zero)":       func() { p.SetTime(time.Time{}) },
		"SetTime(10000)":      func() { p.SetTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)) },
		"FastForward to 1969": func() { p.FastForward(-61 * 365 * 24 * time.Hour) },
	} {
		func() {
			defer func() {
				if msg, _ := recover().(string); !strings.HasPrefix(msg, "oauthtest: ") {
					t.Errorf("%s: panic %q, want an oauthtest: message", name, msg)
				}
			}()
			f()
		}()
	}
	if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://x.example"), oauthtest.WithTime(time.Time{})); err == nil {
		t.Error("WithTime(time.Time{}) was accepted")
	}
}
