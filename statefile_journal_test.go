package oauthtest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// busyRun uses the provider as a suite would: logins in a browser, one
// of them typed on the login page, refreshes, a device flow, a DPoP-bound
// token, a pushed request, a registered client, queued users, faults,
// clock moves and key rotations. The provider has busyOptions.
func busyRun(t *testing.T, p *oauthtest.Provider) {
	t.Helper()
	b := p.Browser()
	if sub := browserLogin(t, p, b); sub != "test-user" {
		t.Fatalf("login: %s", sub)
	}
	if sub := browserLogin(t, p, p.Browser().LogInAs(oauthtest.User{Subject: "typed", ACR: "phr", AMR: []string{"hwk"}})); sub != "typed" {
		t.Fatalf("typed login: %s", sub)
	}
	cfg := oauthConfig(p, "openid", "offline_access")
	cb, err := b.Visit(cfg.AuthCodeURL("st"))
	noErr(t, err)
	tok, err := cfg.Exchange(clientContext(p), cb.Code)
	noErr(t, err)
	if _, err := refreshOnce(clientContext(p), oauthConfig(p), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	resp, body := postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, url.Values{"client_id": {"tv"}, "scope": {"openid"}}, "", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("device authorization: %d %v", resp.StatusCode, body)
	}
	noErr(t, p.ApproveDevice(body["user_code"].(string))) // the login page is on: the user approves
	if resp, body := postForm(t, p, p.TokenURL(), url.Values{"client_id": {"tv"}, "grant_type": {oauthtest.GrantDeviceCode}, "device_code": {body["device_code"].(string)}}, "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("device token: %d %v", resp.StatusCode, body)
	}
	dc := newDPoPClient(t)
	cb, err = b.Visit(cfg.AuthCodeURL("st"))
	noErr(t, err)
	resp, body = tokenRequest(t, p, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Code}, "redirect_uri": {cfg.RedirectURL}},
		dc.proof(p, http.MethodPost, p.TokenURL(), nil))
	if resp.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("a DPoP-bound code: %d %v", resp.StatusCode, body)
	}
	if resp, body := push(t, p, pushedParams(nil), p.ClientID(), p.ClientSecret()); resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %d %v", resp.StatusCode, body)
	}
	register(t, p, webClient())
	noErr(t, p.QueueUser(oauthtest.User{Subject: "queued"}))
	noErr(t, p.AddUser(oauthtest.User{Subject: "added"}))
	p.FailNext(oauthtest.EndpointUserinfo, 3, oauthtest.FaultStatus(502))
	p.FastForward(time.Hour)
	p.RotateKey()
	p.PublishNextKey()
	if cb, err := p.Browser().Visit(cfg.AuthCodeURL("st")); err != nil || cb.Code == "" {
		t.Fatalf("a code left unredeemed: %+v, %v", cb, err)
	}
}

// busyOptions are the options of the providers busyRun uses.
func busyOptions(extra ...oauthtest.Option) []oauthtest.Option {
	return stateOptions(append([]oauthtest.Option{oauthtest.WithLoginPage(), oauthtest.WithDynamicRegistration("")}, extra...)...)
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func stateOptions(extra ...oauthtest.Option) []oauthtest.Option {
	return append([]oauthtest.Option{oauthtest.WithInMemoryTransport(), oauthtest.WithClient(tvClient),
		oauthtest.WithTime(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)), oauthtest.WithAlgorithm(oauthtest.EdDSA)}, extra...)
}

// TestResetIsAFreshStart: after a busy run, Reset leaves the provider as
// a new one with the same options, and so does a restart from the state
// file it rewrote.
func TestResetIsAFreshStart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, busyOptions(oauthtest.WithStateFile(path))...)
	busyRun(t, p)
	p.Reset()
	fresh := oauthtest.NewTestProvider(t, busyOptions()...)
	if got, want := p.Dump(), fresh.Dump(); got != want {
		t.Errorf("after Reset:\n%s\nwant, as a new provider:\n%s", got, want)
	}
	p.Close()
	again := oauthtest.NewTestProvider(t, busyOptions(oauthtest.WithStateFile(path))...)
	if got, want := again.Dump(), fresh.Dump(); got != want {
		t.Errorf("restarted after Reset:\n%s\nwant, as a new provider:\n%s", got, want)
	}
}

// TestStateFileKeepsEveryDurableStore: a provider killed after a busy run
// (no Close) restarts with its users, clock, keys, codes, tokens and
// devices.
func TestStateFileKeepsEveryDurableStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, busyOptions(oauthtest.WithStateFile(path))...)
	busyRun(t, p)
	visit(t, p, http.MethodGet, p.DiscoveryURL(), nil) // a request after the Go calls, which writes them
	again := oauthtest.NewTestProvider(t, busyOptions(oauthtest.WithStateFile(path))...)
	for what, v := range map[string][2]any{
		"users":   {p.Users(), again.Users()},
		"clock":   {p.Now(), again.Now()},
		"keys":    {p.KeyIDs(), again.KeyIDs()},
		"signing": {p.SigningKeyID(), again.SigningKeyID()},
		"codes":   {p.Codes(), again.Codes()},
		"tokens":  {inUTC(p.Tokens()), inUTC(again.Tokens())},
		"devices": {p.Devices(), again.Devices()},
		"clients": {p.Clients(), again.Clients()},
	} {
		if !reflect.DeepEqual(v[0], v[1]) {
			t.Errorf("%s after the restart:\n %v\nwant\n %v", what, v[1], v[0])
		}
	}
}

// inUTC has the tokens' times in UTC, as the state file gives them back:
// the times of access tokens are those of their exp claim, in time.Local.
func inUTC(tokens []oauthtest.TokenInfo) []oauthtest.TokenInfo {
	for i := range tokens {
		tokens[i].IssuedAt, tokens[i].ExpiresAt = tokens[i].IssuedAt.UTC(), tokens[i].ExpiresAt.UTC()
	}
	return tokens
}

// TestStateFileTornLastLine: a line cut short at the end of the file, as a
// crash mid-write leaves it, is ignored; the records before it are kept.
func TestStateFileTornLastLine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	tok := issuedTokens(t, p, "openid", "offline_access")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	noErr(t, err)
	_, err = f.WriteString(`{"s":"tokens","k":"r:abc","v":{"fam`)
	noErr(t, errors.Join(err, f.Close()))
	again := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	if _, err := refreshOnce(clientContext(again), oauthConfig(again), tok.RefreshToken); err != nil {
		t.Errorf("a refresh token before the torn line: %v", err)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), `"r:abc"`) {
		t.Error("the torn line is still in the file")
	}
}

// TestStateFileReadsWriteNothing: requests that change nothing leave the
// file as it is.
func TestStateFileReadsWriteNothing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	tok := issuedTokens(t, p)
	before, _ := os.ReadFile(path)
	userinfo(t, p, tok.AccessToken)
	for _, u := range []string{p.DiscoveryURL(), p.JWKSURL()} {
		visit(t, p, http.MethodGet, u, nil)
	}
	postForm(t, p, p.IntrospectionURL(), url.Values{"token": {tok.AccessToken}}, p.ClientID(), p.ClientSecret())
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("reads wrote %d bytes:\n%s", len(after)-len(before), after[len(before):])
	}
}

// errorTB is a test that records the errors NewTestProvider reports.
type errorTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (e *errorTB) Errorf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.errors = append(e.errors, fmt.Sprintf(format, args...))
}

// TestStateFileWriteFailure: a state file that cannot be written fails
// the test through NewTestProvider's t, and the request whose change
// could not be kept is answered with server_error, not as if it had been.
func TestStateFileWriteFailure(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	tb := &errorTB{TB: t}
	p := oauthtest.NewTestProvider(tb, stateOptions(oauthtest.WithStateFile(path))...)
	issuedTokens(t, p)
	noErr(t, os.Remove(path))
	noErr(t, os.MkdirAll(filepath.Join(path, "in-the-way"), 0o700)) // no file can be renamed over it
	p.Reset()                                                       // the next write rewrites the file
	resp, body := postForm(t, p, p.TokenURL(), url.Values{"grant_type": {"client_credentials"}}, p.ClientID(), p.ClientSecret())
	wantJSONError(t, resp, body, "server_error", http.StatusInternalServerError)
	if d, _ := body["error_description"].(string); !strings.Contains(d, "could not be written") {
		t.Errorf("error_description %q", d)
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if len(tb.errors) != 1 || !strings.Contains(tb.errors[0], "state file "+path+" could not be written") {
		t.Errorf("errors reported to the test: %q", tb.errors)
	}
}

// TestStateFileStaleTemporaryFiles: temporary files a crash left behind
// are removed at start.
func TestStateFileStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.jsonl")
	stale := path + ".12345.tmp"
	noErr(t, os.WriteFile(stale, []byte("half a snapshot"), 0o600))
	oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
}

// TestStateFileBeyondYear9999: tokens that expire past what RFC 3339
// writes, issued at the last second the clock reaches, do not stop the
// file from being written: they survive a restart.
func TestStateFileBeyondYear9999(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	far := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC) // the clock's last second: every token expires in year 10000
	p.SetTime(far)
	tok := issuedTokens(t, p, "openid", "offline_access")
	again := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	if !again.Now().Equal(far) {
		t.Errorf("clock after the restart: %s, want %s", again.Now(), far)
	}
	if _, err := refreshOnce(clientContext(again), oauthConfig(again), tok.RefreshToken); err != nil {
		t.Errorf("a refresh token expiring in year 10000 after the restart: %v", err)
	}
}

// TestStateFileKeepsMainFeatures: after a restart from the state file, a
// DPoP proof used before is still refused as a replay, a pushed request
// can still be used once, an ID token is still known, and a token signed
// by a rotated RS256 key, generated at random, still verifies, with the
// same JWKS.
func TestStateFileKeepsMainFeatures(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	opts := func(extra ...oauthtest.Option) []oauthtest.Option {
		return append([]oauthtest.Option{oauthtest.WithInMemoryTransport(), ccClient, oauthtest.WithStateFile(path)}, extra...)
	}
	p := oauthtest.NewTestProvider(t, opts()...)
	p.RotateKey() // RS256: a key from crypto/rand, which no seed gives back
	dc := newDPoPClient(t)
	proof := dc.proof(p, http.MethodPost, p.TokenURL(), nil)
	if resp, body := tokenRequest(t, p, clientCredentialsForm, proof); resp.StatusCode != http.StatusOK || body["token_type"] != "DPoP" {
		t.Fatalf("a DPoP token: %d %v", resp.StatusCode, body)
	}
	uri := ""
	if resp, body := push(t, p, pushedParams(nil), p.ClientID(), p.ClientSecret()); resp.StatusCode == http.StatusCreated {
		uri, _ = body["request_uri"].(string)
	} else {
		t.Fatalf("push: %d %v", resp.StatusCode, body)
	}
	tok := issuedTokens(t, p, "openid")
	kids := p.KeyIDs()
	p.Close()

	again := oauthtest.NewTestProvider(t, opts()...)
	resp, body := tokenRequest(t, again, clientCredentialsForm, proof)
	if d, _ := body["error_description"].(string); resp.StatusCode != http.StatusBadRequest || !strings.Contains(d, "jti") {
		t.Errorf("a DPoP proof replayed after the restart: %d %v", resp.StatusCode, body)
	}
	if resp, body := userinfo(t, again, tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Errorf("userinfo with a token of the rotated key after the restart: %d %v", resp.StatusCode, body)
	}
	if got := again.KeyIDs(); !reflect.DeepEqual(got, kids) {
		t.Errorf("JWKS after the restart: %v, want %v", got, kids)
	}
	if !again.RevokeFamily(tok.Extra("id_token").(string)) {
		t.Error("the ID token is unknown after the restart")
	}
	cb, err := again.Browser().Visit(again.AuthURL() + "?" + url.Values{"client_id": {again.ClientID()}, "request_uri": {uri}}.Encode())
	if err != nil || cb.Code == "" {
		t.Errorf("the pushed request after the restart: %+v, %v", cb, err)
	}
}

// TestStateFileZerosAhead: the file carries zeros past its records,
// written ahead so that appends do not change its size; a load stops at
// them, also where a write that was never synced filled them in part.
func TestStateFileZerosAhead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.jsonl")
	p := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	tok := issuedTokens(t, p, "openid", "offline_access")
	b, err := os.ReadFile(path)
	noErr(t, err)
	end := strings.IndexByte(string(b), 0)
	if end < 0 || strings.Trim(string(b[end:]), "\x00") != "" {
		t.Fatalf("no zeros ahead of the records: %d bytes, first NUL at %d", len(b), end)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	noErr(t, err)
	_, err = f.WriteAt([]byte("{\"s\":\"tokens\",\"k\":\"r:abc\"\x00\x00\x00,\"v\":{}}\n{\"s\":\"tokens\",\"k\":\"r:def\"}\n"), int64(end))
	noErr(t, errors.Join(err, f.Close()))
	again := oauthtest.NewTestProvider(t, stateOptions(oauthtest.WithStateFile(path))...)
	if _, err := refreshOnce(clientContext(again), oauthConfig(again), tok.RefreshToken); err != nil {
		t.Errorf("a refresh token before the write cut short: %v", err)
	}
}
