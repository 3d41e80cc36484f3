package oauthtest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
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
			{"golang.org/x/oauth2", xoauth2, "DPoP with the provider's nonce, proofs added by the HTTP client's transport: Exchange and TokenSource refresh keep token_type DPoP and the key's cnf.jkt; Client sends userinfo the DPoP scheme", func(t *testing.T) {
				p := oauthtest.NewTestProvider(t, oauthtest.WithDPoPNonces(), oauthtest.WithDPoPRequired())
				ctx, tr := dpopContext(t, p)
				cfg := oauthConfig(p)
				tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg, oauth2.SetAuthURLParam("dpop_jkt", tr.key.Thumbprint())))
				if err != nil {
					t.Fatal(err)
				}
				tr.bound(t, tok)
				if tr.nonceDemands() == 0 {
					t.Error("the provider never demanded its nonce")
				}
				resp, err := cfg.Client(ctx, tok).Get(p.UserinfoURL())
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"sub"`) {
					t.Errorf("userinfo: HTTP %d %s", resp.StatusCode, b)
				}
				tok.Expiry = time.Now().Add(-time.Minute)
				fresh, err := cfg.TokenSource(ctx, tok).Token()
				if err != nil || fresh.AccessToken == tok.AccessToken {
					t.Fatalf("refresh: %v", err)
				}
				tr.bound(t, fresh)
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

// dpopClientTransport is what a DPoP client puts below golang.org/x/oauth2,
// which knows nothing of DPoP (RFC 9449): a fresh proof by key with each
// request, with ath when the token goes with the DPoP scheme and with the
// provider's latest nonce, and one retry when the provider demands a new
// nonce.
type dpopClientTransport struct {
	base    http.RoundTripper
	p       *oauthtest.Provider
	key     *oauthtest.DPoPKey
	mu      sync.Mutex
	nonce   string // the provider's latest DPoP-Nonce
	demands int    // how many times the provider demanded a nonce
}

// dpopContext is a context for golang.org/x/oauth2 whose HTTP client adds
// DPoP proofs by a new key, and that client's transport.
func dpopContext(t *testing.T, p *oauthtest.Provider) (context.Context, *dpopClientTransport) {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := oauthtest.NewDPoPKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	hc := *p.HTTPClient()
	tr := &dpopClientTransport{base: hc.Transport, p: p, key: key}
	if tr.base == nil {
		tr.base = http.DefaultTransport
	}
	hc.Transport = tr
	return context.WithValue(context.Background(), oauth2.HTTPClient, &hc), tr
}

func (t *dpopClientTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, sent, err := t.send(r)
	if err != nil || resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnauthorized ||
		resp.Header.Get("DPoP-Nonce") == "" || resp.Header.Get("DPoP-Nonce") == sent || r.Body != nil && r.GetBody == nil {
		return resp, err
	}
	t.mu.Lock()
	t.demands++
	t.mu.Unlock()
	resp.Body.Close()
	retry := r.Clone(r.Context())
	if r.GetBody != nil {
		if retry.Body, err = r.GetBody(); err != nil {
			return nil, err
		}
	}
	resp, _, err = t.send(retry)
	return resp, err
}

// send sends r with a proof, and returns the nonce the proof carried.
func (t *dpopClientTransport) send(r *http.Request) (*http.Response, string, error) {
	t.mu.Lock()
	nonce := t.nonce
	t.mu.Unlock()
	var opts []oauthtest.MintOption
	if nonce != "" {
		opts = append(opts, oauthtest.SetClaims(map[string]any{"nonce": nonce}))
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "DPoP "); ok {
		opts = append(opts, oauthtest.ForAccessToken(tok))
	}
	r = r.Clone(r.Context())
	r.Header.Set("DPoP", t.p.DPoPProof(t.key, r.Method, r.URL.String(), opts...))
	resp, err := t.base.RoundTrip(r)
	if err == nil && resp.Header.Get("DPoP-Nonce") != "" {
		t.mu.Lock()
		t.nonce = resp.Header.Get("DPoP-Nonce")
		t.mu.Unlock()
	}
	return resp, nonce, err
}

func (t *dpopClientTransport) nonceDemands() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.demands
}

// bound checks that tok is a DPoP token bound to the transport's key.
func (t *dpopClientTransport) bound(tb testing.TB, tok *oauth2.Token) {
	tb.Helper()
	var claims struct {
		jwt.RegisteredClaims
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if _, _, err := jwt.NewParser().ParseUnverified(tok.AccessToken, &claims); err != nil {
		tb.Fatal(err)
	}
	if tok.TokenType != "DPoP" || tok.Type() != "DPoP" || claims.Cnf.JKT != t.key.Thumbprint() {
		tb.Errorf("token_type %q (Type %q), cnf.jkt %q; want DPoP bound to %s", tok.TokenType, tok.Type(), claims.Cnf.JKT, t.key.Thumbprint())
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
	front, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	summary := fmt.Sprintf("All %d checks pass", strings.Count(string(results), "| pass |\n"))
	if strings.Contains(string(results), "| FAIL |") || !strings.Contains(strings.Join(strings.Fields(string(front)), " "), summary) {
		t.Errorf("README.md's compatibility summary should say %q", summary)
	}
}
