package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// getJSON GETs url and decodes its JSON body; the status is returned.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(v)
	return resp.StatusCode
}

// TestIssuersOnDemand: with -issuers-on-demand any first path segment is
// an issuer of its own, made at first use: a code flow with x/oauth2 and
// go-oidc works at it with the root issuer's client and user, its two
// discovery documents name it, its keys are no other issuer's, its tokens
// are refused by another, and the root issuer's paths stay the root's.
func TestIssuersOnDemand(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-issuers-on-demand", "-client-id", "web", "-client-secret", "s3cret", "-sub", "ada")
	if !strings.Contains(pr.banner, "issuers on demand:") || !strings.Contains(pr.banner, pr.issuer+"/NAME/.well-known/openid-configuration") {
		t.Errorf("the banner does not say how to reach the issuers on demand:\n%s", pr.banner)
	}
	a, b := pr.issuer+"/tenant-1", pr.issuer+"/team_b.v2"
	tokA, idA := login(t, a, "web", "s3cret", "http://127.0.0.1:8080/cb")
	if idA.Issuer != a || idA.Subject != "ada" {
		t.Errorf("ID token of %s: iss %q sub %q", a, idA.Issuer, idA.Subject)
	}
	var meta struct{ Issuer string }
	if status := getJSON(t, pr.issuer+"/.well-known/oauth-authorization-server/team_b.v2", &meta); status != 200 || meta.Issuer != b {
		t.Errorf("RFC 8414 metadata of team_b.v2: HTTP %d, issuer %q", status, meta.Issuer)
	}
	kidsA, kidsB, kidsRoot := jwksKids(t, a), jwksKids(t, b), jwksKids(t, pr.issuer)
	for _, kid := range kidsA {
		if slices.Contains(kidsB, kid) || slices.Contains(kidsRoot, kid) {
			t.Errorf("tenant-1's key %s is another issuer's too: %v %v", kid, kidsB, kidsRoot)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, b+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tokA.AccessToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("tenant-1's token at team_b.v2: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if _, id := login(t, pr.issuer, "web", "s3cret", "http://127.0.0.1:8080/cb"); id.Issuer != pr.issuer {
		t.Errorf("the root issuer: iss %q", id.Issuer)
	}
	for path, want := range map[string]int{
		"/healthz":            200, // the command's, not an issuer's
		"/bad%20name/x":       404, // not a safe name: nothing is made
		"/favicon.ico":        404, // no path below it: no issuer
		"/_oauthtest/openapi": 404, // the root's control API path, though not served
		"/" + strings.Repeat("n", 65) + "/.well-known/jwks.json": 404,
	} {
		resp, err := http.Get(pr.issuer + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: HTTP %d, want %d", path, resp.StatusCode, want)
		}
	}
	pr.stop(t)
	if log := pr.stderr.String(); !strings.Contains(log, `msg="issuer made on demand" issuer=tenant-1`) || !strings.Contains(log, "issuer=team_b.v2") ||
		strings.Contains(log, "issuer=favicon.ico") || strings.Contains(log, "issuer=_oauthtest") {
		t.Errorf("the log:\n%s", log)
	}
}

// TestIssuersOnDemandConfig: "issuers_on_demand" of a version 2 file serves
// new names beside the configured issuers, with the default client, and
// behind -issuer (a container network's name) their URLs follow it.
func TestIssuersOnDemandConfig(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "issuers.json")
	config := `{"version": 2, "issuers_on_demand": true, "issuers": [{"name": "fixed", "clients": [{"id": "app", "secret": "s"}]}]}`
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	pr := startCommand(t, "-config", path, "-addr", "127.0.0.1:0")
	base := strings.TrimSuffix(pr.issuer, "/fixed")
	login(t, base+"/fixed", "app", "s", "http://127.0.0.1:8080/cb")
	login(t, base+"/oauth", oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb") // no root issuer: "oauth" is a name like another

	addr := freeAddr(t)
	behind := startCommand(t, "-addr", addr, "-issuers-on-demand", "-issuer", "http://idp:9090")
	var doc struct {
		Issuer        string
		TokenEndpoint string `json:"token_endpoint"`
	}
	if status := getJSON(t, "http://"+addr+"/t1/.well-known/openid-configuration", &doc); status != 200 || doc.Issuer != "http://idp:9090/t1" || doc.TokenEndpoint != "http://idp:9090/t1/oauth/token" {
		t.Errorf("behind -issuer: HTTP %d %+v", status, doc)
	}
	if !strings.Contains(behind.banner, "http://idp:9090/NAME for any NAME") {
		t.Errorf("the banner does not give the URL apps reach:\n%s", behind.banner)
	}
}

// onDemandOf makes the issuers of args and their issuers on demand, in
// process, for the tests that count what is made.
func onDemandOf(t *testing.T, args ...string) *onDemand {
	t.Helper()
	s, err := parseFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.config()
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var issuers []*issuer
	for i := range f.Issuers {
		is, err := s.newIssuer(f, i, "http://127.0.0.1:9", logger)
		if err != nil {
			t.Fatal(err)
		}
		issuers = append(issuers, is)
	}
	o, err := s.newOnDemand(f, "http://127.0.0.1:9", issuers, logger)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestIssuersOnDemandAtOnce: many first requests for a new name at once
// make one issuer, and all of them are answered by it.
func TestIssuersOnDemandAtOnce(t *testing.T) {
	t.Parallel()
	o := onDemandOf(t, "-alg", "ES256")
	var made atomic.Int32
	mk := o.make
	o.make = func(name string) (*oauthtest.Provider, error) { made.Add(1); return mk(name) }
	h := o.handler(http.NotFoundHandler())
	const n = 64
	issuers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fresh/.well-known/openid-configuration", nil))
			var doc struct{ Issuer string }
			_ = json.Unmarshal(rec.Body.Bytes(), &doc)
			issuers[i] = doc.Issuer
		})
	}
	wg.Wait()
	if made.Load() != 1 {
		t.Errorf("%d issuers made for one name", made.Load())
	}
	for i, iss := range issuers {
		if iss != "http://127.0.0.1:9/fresh" {
			t.Errorf("request %d: issuer %q", i, iss)
		}
	}
}

// TestIssuersOnDemandLimit: past the limit a new name is refused with a
// 404 that says why; names made before still answer.
func TestIssuersOnDemandLimit(t *testing.T) {
	t.Parallel()
	o := onDemandOf(t, "-alg", "ES256")
	o.limit = 2
	h := o.handler(http.NotFoundHandler())
	get := func(name string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/"+name+"/.well-known/jwks.json", nil))
		return rec
	}
	for _, name := range []string{"a", "b", "a"} {
		if rec := get(name); rec.Code != 200 {
			t.Errorf("%s: HTTP %d", name, rec.Code)
		}
	}
	if rec := get("c"); rec.Code != 404 || !strings.Contains(rec.Body.String(), "2 issuers were made on demand already") {
		t.Errorf("past the limit: HTTP %d %q", rec.Code, rec.Body.String())
	}
	if maxOnDemandIssuers != 100 {
		t.Errorf("the documented limit is 100, not %d", maxOnDemandIssuers)
	}
}
