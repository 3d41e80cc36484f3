package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// TestRestartKeepsKeys: a token issued before a restart verifies after it.
func TestRestartKeepsKeys(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	first := startCommand(t, "-addr", addr)
	tok, _ := login(t, first.issuer, "oauthtest-client", "oauthtest-secret", "http://127.0.0.1:1/cb")
	first.stop(t)

	second := startCommand(t, "-addr", addr)
	op, err := oidc.NewProvider(context.Background(), second.issuer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Verifier(&oidc.Config{ClientID: "oauthtest-client"}).Verify(context.Background(), tok.Extra("id_token").(string)); err != nil {
		t.Errorf("a token issued before the restart: %v", err)
	}
}

// TestSecondInterruptStopsAtOnce: the first signal waits for requests in
// flight; a second one stops the command without waiting.
func TestSecondInterruptStopsAtOnce(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "OAUTHTEST_BE_THE_COMMAND=1")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	var host string
	for sc := bufio.NewScanner(stdout); sc.Scan() && host == ""; {
		if issuer, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "issuer:"); ok {
			host = strings.TrimPrefix(strings.TrimSpace(issuer), "http://")
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	// A request in flight: its handler reads a body that never comes. The
	// server answers "100 Continue" once the handler starts reading.
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", host)
	if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.Contains(line, "100 Continue") {
		t.Fatalf("%q, %v; want 100 Continue", line, err)
	}
	logs := bufio.NewScanner(stderr)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	for logs.Scan() && !strings.Contains(logs.Text(), "shutting down") {
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() }) // fails the test instead of hanging it
	defer watchdog.Stop()
	for logs.Scan() {
	}
	err = cmd.Wait()
	if exit := (*exec.ExitError)(nil); !errors.As(err, &exit) || exit.ExitCode() != exitFail {
		t.Errorf("after a second interrupt: %v, want exit code %d", err, exitFail)
	}
}

// TestHealth: /healthz answers while the command runs, and -health checks
// it without a shell, for container health checks.
func TestHealth(t *testing.T) {
	t.Parallel()
	pr := startCommand(t, "-addr", "127.0.0.1:0")
	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-health", pr.issuer + "/healthz"}, &stdout, &stderr); code != exitOK {
		t.Errorf("-health of a running command: exit %d: %s", code, stderr.String())
	}
	if code := run(nil, []string{"-health", pr.issuer + "/nowhere"}, &stdout, &stderr); code != exitFail {
		t.Errorf("-health of a 404: exit %d", code)
	}
}
