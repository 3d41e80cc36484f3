package oauthtest_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// compatResults collects the rows of the compatibility matrix that the Go
// clients fill; with OAUTHTEST_COMPAT_RESULTS set, TestCompatibilityGo
// appends them to that file as RESULT lines, for compat/run.sh.
var compatResults struct {
	sync.Mutex
	lines []string
}

// moduleVersion is the version go.mod requires of a module (test binaries
// carry no module versions in their build info).
func moduleVersion(path string) string {
	b, _ := os.ReadFile("go.mod")
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require ")); len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return "(unknown)"
}

// compatCase is one row: a client library, what it exercised, and the run.
type compatCase struct {
	client, module, exercised string
	run                       func(t *testing.T)
}

func (c compatCase) test(t *testing.T) {
	t.Parallel()
	c.run(t)
	row, _ := json.Marshal(map[string]any{"client": c.client, "version": moduleVersion(c.module), "exercised": c.exercised, "ok": !t.Failed(), "error": ""})
	compatResults.Lock()
	compatResults.lines = append(compatResults.lines, "RESULT "+string(row))
	compatResults.Unlock()
}

// TestCompatibilityGo runs what the compatibility matrix says of the Go
// clients: golang.org/x/oauth2 and go-oidc against the provider.
func TestCompatibilityGo(t *testing.T) {
	const xoauth2, gooidc = "golang.org/x/oauth2", "github.com/coreos/go-oidc/v3"
	t.Run("cases", func(t *testing.T) {
		for _, c := range []compatCase{
			{"golang.org/x/oauth2", xoauth2, "code flow with every AuthStyle (header, params, auto-detect)", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t)
				for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams, oauth2.AuthStyleAutoDetect} {
					cfg := oauthConfig(p)
					cfg.Endpoint.AuthStyle = style
					if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
						t.Errorf("AuthStyle %d: %v", style, err)
					}
				}
			}},
			{"golang.org/x/oauth2", xoauth2, "PKCE (S256); TokenSource refresh of an expired token", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t)
				cfg := oauthConfig(p)
				v := oauth2.GenerateVerifier()
				tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(v)), oauth2.VerifierOption(v))
				if err != nil {
					t.Fatal(err)
				}
				tok.Expiry = time.Now().Add(-time.Minute)
				fresh, err := cfg.TokenSource(clientContext(p), tok).Token()
				if err != nil || fresh.AccessToken == tok.AccessToken {
					t.Errorf("refresh: %v", err)
				}
			}},
			{"golang.org/x/oauth2", xoauth2, "clientcredentials", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t, oauthtest.WithClient(serviceClient))
				cfg := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret", TokenURL: p.TokenURL()}
				if _, err := cfg.Token(clientContext(p)); err != nil {
					t.Error(err)
				}
			}},
			{"golang.org/x/oauth2", xoauth2, "device flow (DeviceAuth, DeviceAccessToken)", func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(), oauthtest.WithClient(tvClient))
					cfg := deviceConfig(t, p)
					da, err := cfg.DeviceAuth(clientContext(p))
					if err != nil {
						t.Fatal(err)
					}
					if _, err := cfg.DeviceAccessToken(clientContext(p), da); err != nil {
						t.Error(err)
					}
				})
			}},
			{"github.com/coreos/go-oidc/v3", gooidc, "discovery; ID token with nonce; userinfo", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t)
				ctx := clientContext(p)
				op, err := oidc.NewProvider(ctx, p.Issuer())
				if err != nil {
					t.Fatal(err)
				}
				cfg := oauthConfig(p)
				cfg.Endpoint = op.Endpoint()
				tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg, oidc.Nonce("n-1")))
				if err != nil {
					t.Fatal(err)
				}
				idt, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID, Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
				if err != nil || idt.Nonce != "n-1" {
					t.Fatalf("%v, nonce %q", err, idt.Nonce)
				}
				info, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
				if err != nil || info.Subject != idt.Subject {
					t.Errorf("userinfo %v (%v)", info, err)
				}
			}},
			{"github.com/coreos/go-oidc/v3", gooidc, "remote key set across a key rotation", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t)
				ctx := clientContext(p)
				op, err := oidc.NewProvider(ctx, p.Issuer())
				if err != nil {
					t.Fatal(err)
				}
				v := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})
				p.PublishNextKey()
				if _, err := v.Verify(ctx, p.MintIDToken()); err != nil {
					t.Fatal(err)
				}
				p.RotateKey()
				if _, err := v.Verify(ctx, p.MintIDToken()); err != nil {
					t.Errorf("after the rotation: %v", err)
				}
			}},
		} {
			t.Run(strings.ReplaceAll(c.client+" "+c.exercised, " ", "_"), c.test)
		}
	})
	if path := os.Getenv("OAUTHTEST_COMPAT_RESULTS"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range compatResults.lines {
			fmt.Fprintln(f, l)
		}
	}
}

// TestDocsCompatibilityTable: docs/compatibility.md shows
// compat/results.md, which CI writes from the matrix, verbatim; README.md
// summarizes it.
func TestDocsCompatibilityTable(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("docs/compatibility.md")
	if err != nil {
		t.Fatal(err)
	}
	results, err := os.ReadFile("compat/results.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok1 := strings.Cut(string(readme), "<!-- compat/results.md -->\n")
	table, _, ok2 := strings.Cut(rest, "<!-- end of compat/results.md -->")
	if !ok1 || !ok2 || table != string(results) {
		t.Error("docs/compatibility.md's table and compat/results.md differ: copy the file into docs/compatibility.md")
	}
}
