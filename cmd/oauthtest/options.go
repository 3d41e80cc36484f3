package main

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/c95d6557/oauthtest"
)

// clientUserFlags describe one client and one user; a config file describes
// them instead.
var clientUserFlags = []string{"client-id", "client-secret", "redirect-uri", "public", "grant", "sub", "claim"}

// options turns the settings into provider options: the config file first,
// then the flags, which override its addr, issuer, key, algorithm,
// lifetimes and login page.
func (s *settings) options() ([]oauthtest.Option, error) {
	file := &fileConfig{}
	var opts []oauthtest.Option
	if s.configFile != "" {
		f, err := s.config()
		if err != nil {
			return nil, err
		}
		if opts, err = f.options(f.dir); err != nil {
			return nil, fmt.Errorf("%s: %v", s.configFile, err)
		}
		file = f
	}
	more, err := s.clientAndUser()
	if err != nil {
		return nil, err
	}
	opts = append(opts, more...)
	opts = append(opts, oauthtest.WithLifetimes(s.lifetimes))
	if s.loginPage {
		opts = append(opts, oauthtest.WithLoginPage())
	}
	if s.fapi2 {
		opts = append(opts, oauthtest.WithFAPI2())
	}
	s.controlAPI = s.controlAPI || file.ControlAPI
	control, err := s.controlOptions(s.controlAPI, &file.fileIssuerSettings)
	if err != nil {
		return nil, err
	}
	opts = append(opts, control...)
	if len(s.origins) > 0 {
		opts = append(opts, oauthtest.WithAllowedOrigins(s.origins...))
	}
	reg, err := s.registrationOptions(&file.fileIssuerSettings)
	if err != nil {
		return nil, err
	}
	opts = append(opts, reg...)
	if s.stateFile != "" { // after the file's, which it overrides
		opts = append(opts, oauthtest.WithStateFile(s.stateFile))
	}
	if s.logFormat != "text" && s.logFormat != "json" {
		return nil, fmt.Errorf("-log-format %q: use text or json", s.logFormat)
	}
	return s.keyOptions(opts, s.choose("key", s.keyFile, file.KeyFile), s.choose("alg", s.alg, file.Algorithm))
}

// registrationOptions turns on dynamic registration and client ID metadata
// documents, by flag or by the issuer's settings; the flag's initial
// access token wins over the file's.
func (s *settings) registrationOptions(is *fileIssuerSettings) ([]oauthtest.Option, error) {
	var opts []oauthtest.Option
	token := s.choose("initial-access-token", s.initialToken, is.InitialAccessToken)
	switch {
	case s.registration || is.Registration:
		opts = append(opts, oauthtest.WithDynamicRegistration(token))
	case token != "":
		return nil, fmt.Errorf(`-initial-access-token (or "initial_access_token") needs -registration (or "registration": true)`)
	}
	if s.metadataDocuments || is.ClientIDMetadataDocuments {
		opts = append(opts, oauthtest.WithClientIDMetadataDocuments(nil))
	}
	return opts, nil
}

// controlOptions serve the control API if enabled, guarded by the token
// and host names of the flags, $OAUTHTEST_CONTROL_TOKEN and the issuer's
// settings in the file (the -control-token flag overrides the file's).
func (s *settings) controlOptions(enabled bool, is *fileIssuerSettings) ([]oauthtest.Option, error) {
	token := s.choose("control-token", s.controlToken, is.ControlToken)
	hosts := append(slices.Clone(s.controlHosts), is.ControlHosts...)
	if !enabled {
		if s.set["control-token"] || is.ControlToken != "" || len(hosts) > 0 {
			return nil, fmt.Errorf("-control-token and -control-host guard the control API: give -control-api (or \"control_api\": true) too")
		}
		return nil, nil // $OAUTHTEST_CONTROL_TOKEN alone is for when it is served
	}
	opts := []oauthtest.Option{oauthtest.WithControlAPI()}
	if token != "" {
		opts = append(opts, oauthtest.WithControlToken(token))
	}
	if len(hosts) > 0 {
		opts = append(opts, oauthtest.WithControlHosts(hosts...))
	}
	return opts, nil
}

// config reads the config file once, and refuses client and user flags
// beside it.
func (s *settings) config() (*fileConfig, error) {
	if s.file != nil {
		return s.file, nil
	}
	f, err := readConfig(s.configFile)
	if err != nil {
		return nil, err
	}
	for _, name := range clientUserFlags {
		if s.set[name] {
			return nil, fmt.Errorf("-%s and -config both describe clients and users: put them in %s", name, s.configFile)
		}
	}
	s.file = f
	return f, nil
}

// choose returns the flag's value if it was given or the file has none.
func (s *settings) choose(name, flagValue, fileValue string) string {
	if s.set[name] || fileValue == "" {
		return flagValue
	}
	return fileValue
}

// clientAndUser turns the client and user flags into options.
func (s *settings) clientAndUser() ([]oauthtest.Option, error) {
	var opts []oauthtest.Option
	if s.set["client-id"] || s.set["client-secret"] || s.set["redirect-uri"] || s.set["public"] || s.set["grant"] {
		secret := s.clientSecret
		if s.public {
			if s.set["client-secret"] {
				return nil, fmt.Errorf("-public and -client-secret: a public client has no secret")
			}
			secret = ""
		}
		opts = append(opts, oauthtest.WithoutDefaultClient(), // the flags describe the one client
			oauthtest.WithClient(oauthtest.Client{ID: s.clientID, Secret: secret, Public: s.public, RedirectURIs: s.redirectURIs, GrantTypes: s.grants}))
	}
	if !s.set["sub"] && !s.set["claim"] {
		return opts, nil
	}
	user := oauthtest.DefaultUser()
	if s.set["sub"] {
		user = oauthtest.User{Subject: s.sub, Claims: map[string]any{}}
	}
	for _, c := range s.claims {
		name, value, err := parseClaim(c)
		if err != nil {
			return nil, err
		}
		user.Claims[name] = value
	}
	return append(opts, oauthtest.WithUser(user)), nil
}

// parseClaim reads name=value; a value that is JSON (true, 42, ["a"],
// {"k":1}, "quoted") is decoded, anything else is a string.
func parseClaim(c string) (string, any, error) {
	name, raw, ok := strings.Cut(c, "=")
	if !ok || name == "" {
		return "", nil, fmt.Errorf("-claim %q: write name=value", c)
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil || v == nil {
		return name, raw, nil
	}
	return name, v, nil
}

// keyOptions adds the signing key of a PEM file, or the algorithm of the
// built-in keys.
func (s *settings) keyOptions(opts []oauthtest.Option, keyFile, alg string) ([]oauthtest.Option, error) {
	switch {
	case keyFile != "" && alg != "":
		return nil, fmt.Errorf("-key and -alg: the key file decides the algorithm")
	case alg != "":
		return append(opts, oauthtest.WithAlgorithm(alg)), nil
	case keyFile == "":
		return opts, nil
	}
	key, err := readKey(keyFile)
	if err != nil {
		return nil, fmt.Errorf("-key %s: %v", keyFile, err)
	}
	return append(opts, oauthtest.WithSigningKey(key)), nil
}

// readKey reads a PEM private key: PKCS #8, PKCS #1 (RSA) or SEC 1 (EC).
func readKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("no PEM block found")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("the %s block is not a PKCS #8, PKCS #1 or SEC 1 private key", block.Type)
}
