package main

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"time"

	"github.com/c95d6557/oauthtest"
)

// Config file format versions: 1 describes one issuer, 2 several.
const (
	configVersion      = 1
	configVersionMulti = 2
)

// fileConfig is the JSON config file (-config). Version 1 describes one
// issuer at the top level; version 2 lists issuers, each below its own
// path. See docs/cli.md for complete examples.
type fileConfig struct {
	Version int    `json:"version"`
	Addr    string `json:"addr"`
	Issuer  string `json:"issuer"` // version 2: the base URL the issuers' paths follow
	fileIssuerSettings
	Issuers []fileIssuer `json:"issuers"` // version 2

	dir string // the file's directory, against which its paths are read
}

// fileIssuer is one issuer of a version 2 file.
type fileIssuer struct {
	Name string `json:"name"` // its path below the base URL
	fileIssuerSettings
}

// fileIssuerSettings describe one issuer: its keys, clients and users.
type fileIssuerSettings struct {
	KeyFile   string `json:"key_file"`
	Algorithm string `json:"algorithm"`
	LoginPage bool   `json:"login_page"`
	// ControlAPI serves the control API, as -control-api does.
	ControlAPI bool `json:"control_api"`
	// ControlToken and ControlHosts guard it, as -control-token and
	// -control-host do.
	ControlToken string       `json:"control_token"`
	ControlHosts []string     `json:"control_hosts"`
	Lifetimes    fileLifetime `json:"lifetimes"`
	Clients      []fileClient `json:"clients"`
	Users        []fileUser   `json:"users"` // the first is approved by default
	// AllowedOrigins may call the provider from browser apps (CORS), besides
	// the origins of the redirect URIs.
	AllowedOrigins []string `json:"allowed_origins"`
	// ACRValues are the authentication context classes the issuer supports
	// (acr_values_supported), as oauthtest.WithACRValues sets them; a user's
	// claims "acr" and "amr" set the acr and amr of its logins.
	ACRValues []string `json:"acr_values"`
	// TrustedIssuers sign the assertions of the JWT bearer grant.
	TrustedIssuers []fileTrusted `json:"trusted_issuers"`
	// StateFile keeps codes, tokens and sessions across restarts, as -state
	// does; relative to the config file. Each issuer has its own.
	StateFile string `json:"state_file"`
	// Registration serves dynamic client registration (RFC 7591, 7592), as
	// -registration does; InitialAccessToken is then required to register,
	// as -initial-access-token says.
	Registration       bool   `json:"registration"`
	InitialAccessToken string `json:"initial_access_token"`
	// ClientIDMetadataDocuments accepts client_id URLs of client ID
	// metadata documents, as -client-id-metadata-documents does.
	ClientIDMetadataDocuments bool `json:"client_id_metadata_documents"`
	// FAPI2 makes the issuer follow the FAPI 2.0 Security Profile, as
	// -fapi2 does (oauthtest.WithFAPI2): its clients need
	// public_key_files.
	FAPI2 bool `json:"fapi2"`
}

// fileTrusted is an issuer of JWT bearer assertions and its public key.
type fileTrusted struct {
	Issuer        string `json:"issuer"`
	PublicKeyFile string `json:"public_key_file"`
}

type fileLifetime struct {
	Code         duration `json:"code"`
	AccessToken  duration `json:"access_token"`
	IDToken      duration `json:"id_token"`
	RefreshToken duration `json:"refresh_token"`
	// RefreshReuse is the refresh token reuse interval, "0s" by default.
	RefreshReuse duration `json:"refresh_reuse"`
}

type fileClient struct {
	ID           string       `json:"id"`
	Secret       string       `json:"secret"`
	Public       bool         `json:"public"`
	RedirectURIs []string     `json:"redirect_uris"`
	Scopes       []string     `json:"scopes"`
	AuthMethods  []string     `json:"auth_methods"`
	SigningAlg   string       `json:"signing_alg"`
	Lifetimes    fileLifetime `json:"lifetimes"`
	GrantTypes   []string     `json:"grant_types"`
	// ExchangeFrom lists the clients whose tokens this one may exchange
	// (token exchange) though it is not their audience.
	ExchangeFrom []string `json:"exchange_from"`
	// Resources are the resource indicators (RFC 8707) the client may ask
	// tokens for; any absolute URI when empty.
	Resources []string `json:"resources"`
	// PostLogoutRedirectURIs and BackchannelLogoutURI serve logout.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	BackchannelLogoutURI   string   `json:"backchannel_logout_uri"`
	// PublicKeyFiles are PEM public keys that verify the client's
	// private_key_jwt assertions.
	PublicKeyFiles []string `json:"public_key_files"`
}

type fileUser struct {
	Subject string         `json:"subject"`
	Claims  map[string]any `json:"claims"`
}

// duration is a time.Duration written as "10m", "1h30m"...
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a lifetime must be a string such as \"10m\" or \"1h\", not %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("lifetime %q: %v", s, err)
	}
	*d = duration(v)
	return nil
}

func (l fileLifetime) lifetimes() oauthtest.Lifetimes {
	return oauthtest.Lifetimes{Code: time.Duration(l.Code), AccessToken: time.Duration(l.AccessToken),
		IDToken: time.Duration(l.IDToken), RefreshToken: time.Duration(l.RefreshToken), RefreshReuse: time.Duration(l.RefreshReuse)}
}

// readConfig reads and checks a config file.
func readConfig(path string) (*fileConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if err := checkConfigJSON(b); err != nil {
		return nil, fmt.Errorf("%s: %v", path, describeJSONError(b, err))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c fileConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %v", path, describeJSONError(b, err))
	}
	if err := c.checkVersion(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	c.dir = filepath.Dir(path)
	return &c, nil
}

// checkVersion checks that the file is of a version this build reads, with
// the fields of that version.
func (c *fileConfig) checkVersion() error {
	switch c.Version {
	case configVersion:
		if len(c.Issuers) > 0 {
			return fmt.Errorf(`"issuers" needs "version": %d`, configVersionMulti)
		}
		return nil
	case configVersionMulti:
		return c.checkIssuers()
	}
	return fmt.Errorf(`"version" is %d; this oauthtest reads versions %d and %d`, c.Version, configVersion, configVersionMulti)
}

// checkIssuers checks a version 2 file: issuers with distinct names that
// make one path segment, and no issuer settings at the top level.
func (c *fileConfig) checkIssuers() error {
	if !reflect.ValueOf(c.fileIssuerSettings).IsZero() {
		return fmt.Errorf(`version %d puts clients, users, keys and the like in each of "issuers", not at the top level`, configVersionMulti)
	}
	if len(c.Issuers) == 0 {
		return fmt.Errorf(`version %d needs "issuers"`, configVersionMulti)
	}
	seen := map[string]bool{}
	for _, is := range c.Issuers {
		switch {
		case !issuerName.MatchString(is.Name):
			return fmt.Errorf("issuer name %q must be letters, digits, '-' or '_': it is a path segment", is.Name)
		case seen[is.Name]:
			return fmt.Errorf("issuer name %q is used twice", is.Name)
		}
		seen[is.Name] = true
	}
	return nil
}

var issuerName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// describeJSONError adds the line of a syntax error.
func describeJSONError(b []byte, err error) error {
	if se, ok := err.(*json.SyntaxError); ok {
		line := bytes.Count(b[:se.Offset], []byte("\n")) + 1
		return fmt.Errorf("line %d: %v", line, err)
	}
	return err
}

// options turns an issuer's settings into provider options. Settings that
// list clients register those alone; settings that list none keep the
// default client. Key files are read relative to dir, the config file's.
func (c *fileIssuerSettings) options(dir string) ([]oauthtest.Option, error) {
	opts := []oauthtest.Option{oauthtest.WithLifetimes(c.Lifetimes.lifetimes())}
	if len(c.Clients) > 0 {
		opts = append(opts, oauthtest.WithoutDefaultClient())
	}
	for i, cl := range c.Clients {
		// The library checks clients too, in its Go field names; these
		// mistakes of a config file are told in the file's own.
		switch {
		case cl.ID == "":
			return nil, fmt.Errorf(`clients[%d]: "id" is missing`, i)
		case !cl.Public && cl.Secret == "" && len(cl.PublicKeyFiles) == 0:
			return nil, fmt.Errorf(`clients[%d]: client %q is confidential and needs a "secret" or "public_key_files" (or "public": true)`, i, cl.ID)
		case cl.Public && cl.Secret != "":
			return nil, fmt.Errorf(`clients[%d]: client %q is public and must not have a "secret"`, i, cl.ID)
		}
		keys, err := publicKeys(dir, cl.PublicKeyFiles...)
		if err != nil {
			return nil, fmt.Errorf("clients[%d]: client %q: %v", i, cl.ID, err)
		}
		opts = append(opts, oauthtest.WithClient(oauthtest.Client{
			ID: cl.ID, Secret: cl.Secret, Public: cl.Public, RedirectURIs: cl.RedirectURIs, Scopes: cl.Scopes,
			AuthMethods: cl.AuthMethods, SigningAlg: cl.SigningAlg, Lifetimes: cl.Lifetimes.lifetimes(),
			GrantTypes: cl.GrantTypes, ExchangeFrom: cl.ExchangeFrom, Resources: cl.Resources, PublicKeys: keys,
			PostLogoutRedirectURIs: cl.PostLogoutRedirectURIs, BackchannelLogoutURI: cl.BackchannelLogoutURI,
		}))
	}
	for i, u := range c.Users {
		user := oauthtest.User{Subject: u.Subject, Claims: u.Claims}
		if i == 0 {
			opts = append(opts, oauthtest.WithUser(user))
		} else {
			opts = append(opts, oauthtest.WithUsers(user))
		}
	}
	for _, ti := range c.TrustedIssuers {
		keys, err := publicKeys(dir, ti.PublicKeyFile)
		if err != nil {
			return nil, fmt.Errorf("trusted issuer %q: %v", ti.Issuer, err)
		}
		opts = append(opts, oauthtest.WithTrustedIssuer(ti.Issuer, keys[0]))
	}
	if c.LoginPage {
		opts = append(opts, oauthtest.WithLoginPage())
	}
	if c.FAPI2 {
		opts = append(opts, oauthtest.WithFAPI2())
	}
	if len(c.AllowedOrigins) > 0 {
		opts = append(opts, oauthtest.WithAllowedOrigins(c.AllowedOrigins...))
	}
	if c.ACRValues != nil {
		opts = append(opts, oauthtest.WithACRValues(c.ACRValues...))
	}
	if c.StateFile != "" {
		opts = append(opts, oauthtest.WithStateFile(statePathIn(dir, c.StateFile)))
	}
	return opts, nil
}

// statePath is where a state file named in the config file is: relative
// to the file's directory.
func (c *fileConfig) statePath(name string) string { return statePathIn(c.dir, name) }

func statePathIn(dir, name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(dir, name)
}

// publicKeys reads PEM public keys (PKIX, "PUBLIC KEY"), relative to dir.
func publicKeys(dir string, paths ...string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(b)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM block found", p)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: the %s block is not a PKIX public key: %v", p, block.Type, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}
