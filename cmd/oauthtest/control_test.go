package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

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
