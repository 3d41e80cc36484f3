package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// httpsSettings are what the flags and the file say of HTTPS (-tls).
type httpsSettings struct {
	on                bool
	certFile, keyFile string // the certificate given; else one is made at start
	caOut             string // where the CA of the certificate made goes
	caOutGiven        bool   // caOut was asked for, not the default
}

// https reads the HTTPS settings of the flags and the file (its paths are
// relative to it) and checks that they go together.
func (s *settings) https(f *fileConfig) (httpsSettings, error) {
	path := func(flagName, flagValue, fileValue string) string {
		if s.set[flagName] || fileValue == "" {
			return flagValue
		}
		return inDir(f.dir, fileValue)
	}
	h := httpsSettings{on: s.tls || f.TLS, certFile: path("tls-cert", s.tlsCert, f.TLSCertFile),
		keyFile: path("tls-key", s.tlsKey, f.TLSKeyFile), caOut: path("tls-ca-out", s.tlsCAOut, f.TLSCAOut)}
	h.caOutGiven = h.caOut != ""
	switch {
	case (h.certFile == "") != (h.keyFile == ""):
		return h, fmt.Errorf(`-tls-cert and -tls-key (or "tls_cert_file" and "tls_key_file") go together: the certificate and its private key`)
	case h.certFile != "" && h.caOutGiven:
		return h, fmt.Errorf(`-tls-ca-out (or "tls_ca_out") writes the CA of the certificate oauthtest makes; with -tls-cert the certificate and its CA are yours`)
	case h.certFile != "":
		h.on = true
	case h.caOutGiven && !h.on:
		return h, fmt.Errorf(`-tls-ca-out (or "tls_ca_out") needs -tls (or "tls": true)`)
	}
	if iss := s.choose("issuer", s.issuer, f.Issuer); h.on && iss != "" && !strings.HasPrefix(iss, "https://") {
		return h, fmt.Errorf("issuer %q with -tls: the issuer must be an https URL", iss)
	}
	return h, nil
}

// defaultCAFile is where the CA of the certificate made for port goes
// without -tls-ca-out, and where -health looks for it.
func defaultCAFile(port string) string {
	return filepath.Join(os.TempDir(), "oauthtest-"+port+"-ca.pem")
}

// tlsConfig returns the server's TLS configuration: the certificate given,
// or one made now for the names the server is reached at, whose CA it
// writes where h says (and returns the file's name). On an error it
// returns the exit code: 2 for a wrong file or path given, 1 for the
// default path that cannot be written.
func (h *httpsSettings) tlsConfig(l net.Listener, issuer string, controlHosts []string) (*tls.Config, string, int, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if h.certFile != "" {
		cert, err := tls.LoadX509KeyPair(h.certFile, h.keyFile)
		if err != nil {
			return nil, "", exitUsage, fmt.Errorf("-tls-cert %s, -tls-key %s: %v", h.certFile, h.keyFile, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
		return cfg, "", 0, nil
	}
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(l.Addr().String()); err == nil && !net.ParseIP(host).IsUnspecified() {
		hosts = append(hosts, host)
	}
	if u, err := url.Parse(issuer); err == nil && u.Hostname() != "" {
		hosts = append(hosts, u.Hostname())
	}
	for _, ch := range controlHosts {
		if host, _, err := net.SplitHostPort(ch); err == nil {
			ch = host
		}
		hosts = append(hosts, ch)
	}
	cert, caPEM, err := makeCertificate(hosts, time.Now())
	if err != nil {
		return nil, "", exitFail, fmt.Errorf("making a TLS certificate: %v", err)
	}
	cfg.Certificates = []tls.Certificate{cert}
	caFile, code := h.caOut, exitUsage
	if caFile == "" {
		_, port, _ := net.SplitHostPort(l.Addr().String())
		caFile, code = defaultCAFile(port), exitFail
	}
	if err := writeAtomically(caFile, caPEM); err != nil {
		return nil, "", code, fmt.Errorf("writing the TLS CA certificate (-tls-ca-out): %v", err)
	}
	return cfg, caFile, 0, nil
}

// makeCertificate makes a CA and a certificate it signs for hosts (names
// and IP addresses), both ECDSA P-256, valid from an hour ago for 397 days
// (the most browsers accept); the CA's key is forgotten. It returns the
// certificate with its key, and the CA certificate in PEM.
func makeCertificate(hosts []string, now time.Time) (tls.Certificate, []byte, error) {
	serial := func() *big.Int {
		n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		return n
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	notBefore, notAfter := now.Add(-time.Hour), now.Add(397*24*time.Hour)
	ca := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "oauthtest CA " + now.UTC().Format(time.RFC3339), Organization: []string{"oauthtest, for tests and local development only"}},
		NotBefore:    notBefore, NotAfter: notAfter,
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	if ca, err = x509.ParseCertificate(caDER); err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    notBefore, NotAfter: notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(leaf.IPAddresses, ip.Equal) {
				leaf.IPAddresses = append(leaf.IPAddresses, ip)
			}
		} else if !slices.Contains(leaf.DNSNames, h) {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, key.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

// writeAtomically writes b to path through a file renamed onto it, so that
// a client never reads half of it; readable by all, as a certificate is.
func writeAtomically(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".oauthtest-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // once renamed, there is nothing to remove
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// printTLS says how clients trust the server's certificate.
func printTLS(w io.Writer, h httpsSettings, caFile string) {
	if caFile == "" {
		fmt.Fprintf(w, "  %-21s %s (yours)\n", "TLS certificate:", h.certFile)
		return
	}
	fmt.Fprintf(w, "  %-21s %s, made at start: trust it (curl --cacert FILE, SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE)\n", "TLS CA certificate:", caFile)
}

// checkHealth GETs url and reports whether it answered 200. An https URL
// is verified with the CA certificate of caFile; without one, with the CA
// that a command on the URL's port wrote to its default place, if there,
// else with the system's roots.
func checkHealth(target, caFile string, stderr io.Writer) int {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if u, err := url.Parse(target); err == nil && u.Scheme == "https" {
		if caFile == "" {
			port := u.Port()
			if port == "" {
				port = "443"
			}
			if fileExists(defaultCAFile(port)) {
				caFile = defaultCAFile(port)
			}
		}
		if caFile != "" {
			b, err := os.ReadFile(caFile)
			pool := x509.NewCertPool()
			if err == nil && !pool.AppendCertsFromPEM(b) {
				err = fmt.Errorf("no PEM certificate found")
			}
			if err != nil {
				fmt.Fprintf(stderr, "oauthtest: -health-ca %s: %v\n", caFile, err)
				return exitUsage
			}
			transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: transport}
	resp, err := client.Get(target)
	if err != nil {
		fmt.Fprintf(stderr, "oauthtest: health: %v\n", err)
		return exitFail
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "oauthtest: health: %s answered %s\n", target, resp.Status)
		return exitFail
	}
	return exitOK
}
