package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestControlTokenFromOutside: with -control-token the running command's
// control API refuses requests without the token; -control-host adds a
// name it answers at, and other names are refused.
func TestControlTokenFromOutside(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-control-api", "-control-token", "tok-123", "-control-host", "oauthtest:9090")
	call := func(host, auth string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", pr.issuer+"/_oauthtest/reset", nil)
		if host != "" {
			req.Host = host
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		host, auth string
		want       int
	}{
		{"", "", 403}, {"", "Bearer nope", 403}, {"", "Bearer tok-123", 200},
		{"oauthtest:9090", "Bearer tok-123", 200}, {"evil.example", "Bearer tok-123", 403},
	} {
		if got := call(tc.host, tc.auth); got != tc.want {
			t.Errorf("Host %q, Authorization %q: HTTP %d, want %d", tc.host, tc.auth, got, tc.want)
		}
	}
}

// TestControlTokenSettings: $OAUTHTEST_CONTROL_TOKEN is the default of
// -control-token; a token or host without the control API is a usage
// error, but the variable alone is not.
func TestControlTokenSettings(t *testing.T) {
	t.Setenv("OAUTHTEST_CONTROL_TOKEN", "from-env")
	s, err := parseFlags([]string{"-control-api"}, io.Discard)
	if err != nil || s.controlToken != "from-env" {
		t.Fatalf("-control-api with $OAUTHTEST_CONTROL_TOKEN: %+v %v", s, err)
	}
	if _, err := s.options(); err != nil {
		t.Errorf("options: %v", err)
	}
	s, _ = parseFlags(nil, io.Discard)
	if _, err := s.options(); err != nil {
		t.Errorf("$OAUTHTEST_CONTROL_TOKEN without -control-api: %v", err)
	}
	for _, args := range [][]string{{"-control-token", "x"}, {"-control-host", "oauthtest"}} {
		s, _ := parseFlags(args, io.Discard)
		if _, err := s.options(); err == nil || !strings.Contains(err.Error(), "-control-api") {
			t.Errorf("%v without -control-api: %v", args, err)
		}
	}
}
