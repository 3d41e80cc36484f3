package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// trusting is a client whose only root is the CA certificate of caFile.
func trusting(t *testing.T, caFile string) *http.Client {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no PEM certificate", caFile)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// TestTLS: with -tls the issuer is https; a client that trusts only the
// CA certificate written to -tls-ca-out logs in with x/oauth2 and go-oidc,
// at the root issuer and at an issuer on demand,
// and reaches it as localhost and [::1] too; a client without it refuses
// the certificate; -health checks it with -health-ca.
func TestTLS(t *testing.T) {
	t.Parallel()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pr := startCommand(t, "-addr", "127.0.0.1:0", "-tls", "-tls-ca-out", ca, "-issuers-on-demand")
	if !strings.HasPrefix(pr.issuer, "https://127.0.0.1:") || !strings.Contains(pr.banner, "TLS CA certificate:   "+ca) {
		t.Fatalf("issuer %q; banner:\n%s", pr.issuer, pr.banner)
	}
	client := trusting(t, ca)
	if _, idt := loginWith(t, client, pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb"); idt.Issuer != pr.issuer {
		t.Errorf("iss %q", idt.Issuer)
	}
	if _, idt := loginWith(t, client, pr.issuer+"/t1", oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb"); idt.Issuer != pr.issuer+"/t1" {
		t.Errorf("an issuer on demand: iss %q", idt.Issuer)
	}
	port := pr.issuer[strings.LastIndex(pr.issuer, ":")+1:]
	resp, err := client.Get("https://localhost:" + port + "/healthz")
	if err != nil {
		t.Fatalf("as localhost: %v", err)
	}
	resp.Body.Close()
	leaf := resp.TLS.PeerCertificates[0]
	if err := leaf.VerifyHostname("::1"); err != nil {
		t.Errorf("the certificate is not for [::1], which -addr [::1]:PORT listens on: %v", err)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA || len(resp.TLS.VerifiedChains) != 1 || len(resp.TLS.VerifiedChains[0]) != 2 {
		t.Errorf("key %v, chains %d: want ECDSA, signed by the CA written", leaf.PublicKeyAlgorithm, len(resp.TLS.VerifiedChains))
	}

	// Without the CA: refused, by net/http and by go-oidc.
	_, err = http.Get(pr.issuer + "/healthz")
	if cert := (x509.UnknownAuthorityError{}); !errors.As(err, &cert) {
		t.Errorf("a client without the CA: %v, want x509.UnknownAuthorityError", err)
	}
	if _, err := oidc.NewProvider(context.Background(), pr.issuer); err == nil {
		t.Error("go-oidc without the CA trusted the certificate")
	}

	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-health", pr.issuer + "/healthz", "-health-ca", ca}, &stdout, &stderr); code != exitOK {
		t.Errorf("-health -health-ca: exit %d: %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(nil, []string{"-health", pr.issuer + "/healthz", "-health-ca", filepath.Join(t.TempDir(), "none.pem")}, &stdout, &stderr); code != exitUsage {
		t.Errorf("-health-ca of no file: exit %d: %s", code, stderr.String())
	}
}

// TestTLSDefaultCAFile: without -tls-ca-out the CA certificate goes to
// $TMPDIR/oauthtest-PORT-ca.pem, which -health finds without -health-ca.
func TestTLSDefaultCAFile(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir()) // the command's and this test's os.TempDir
	addr := freeAddr(t)
	pr := startCommand(t, "-addr", addr, "-tls", "-issuer", "https://idp.test:"+addr[strings.LastIndex(addr, ":")+1:])
	ca := defaultCAFile(addr[strings.LastIndex(addr, ":")+1:])
	if !strings.Contains(pr.banner, ca) {
		t.Errorf("the banner does not name %s:\n%s", ca, pr.banner)
	}
	var stdout, stderr bytes.Buffer
	if code := run(nil, []string{"-health", "https://" + addr + "/healthz"}, &stdout, &stderr); code != exitOK {
		t.Errorf("-health with the default CA file: exit %d: %s", code, stderr.String())
	}
	// The issuer's host is in the certificate: a client reaching idp.test
	// (here dialled to the command's address) verifies it.
	client := trusting(t, ca)
	client.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (conn net.Conn, err error) {
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	}
	resp, err := client.Get(pr.issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatalf("as idp.test: %v", err)
	}
	resp.Body.Close()
}

// TestTLSCertFiles: -tls-cert and -tls-key serve a certificate given (here
// made by the command's own makeCertificate, as a user's mkcert would), and
// a config file's "tls_cert_file" and "tls_key_file", relative to it, do
// the same.
func TestTLSCertFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cert, caPEM, err := makeCertificate([]string{"localhost", "127.0.0.1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	for name, b := range map[string][]byte{
		"cert.pem":       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
		"key.pem":        pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		"ca.pem":         caPEM,
		"oauthtest.json": []byte(`{"version": 1, "tls_cert_file": "cert.pem", "tls_key_file": "key.pem"}`),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{
		{"-tls-cert", filepath.Join(dir, "cert.pem"), "-tls-key", filepath.Join(dir, "key.pem")},
		{"-config", filepath.Join(dir, "oauthtest.json")},
	} {
		pr := startCommand(t, append(args, "-addr", "127.0.0.1:0")...)
		if !strings.HasPrefix(pr.issuer, "https://") || !strings.Contains(pr.banner, "cert.pem (yours)") {
			t.Errorf("%v: banner:\n%s", args, pr.banner)
		}
		loginWith(t, trusting(t, filepath.Join(dir, "ca.pem")), pr.issuer, oauthtestDefaultClient, oauthtestDefaultSecret, "http://127.0.0.1:8080/cb")
	}
}
