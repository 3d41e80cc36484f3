package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBadInput: each mistake is one line naming it, and exit code 2 (1 for
// an address in use); never a stack trace.
func TestBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-bogus"}, 2, "flag provided but not defined: -bogus (oauthtest -h lists the flags)"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
		{[]string{"-access-token-lifetime", "soon"}, 2, `invalid value "soon" for flag -access-token-lifetime`},
		{[]string{"-access-token-lifetime", "1ms"}, 2, "access token lifetime 1ms is shorter than one second"},
		{[]string{"-claim", "novalue"}, 2, `-claim "novalue": write name=value`},
		{[]string{"-claim", "iss=x"}, 2, `claim "iss" is set by the provider`},
		{[]string{"-public", "-client-secret", "s"}, 2, "a public client has no secret"},
		{[]string{"-redirect-uri", "not a uri"}, 2, `redirect URI "not a uri" holds characters a URI cannot`},
		{[]string{"-redirect-uri", "javascript:alert(1)"}, 2, `uses the javascript: scheme`},
		{[]string{"-issuer", "ftp://x"}, 2, `issuer "ftp://x" must be an http or https URL`},
		{[]string{"-log-format", "xml"}, 2, `-log-format "xml": use text or json`},
		{[]string{"-alg", "PS256"}, 2, `algorithm "PS256" is not supported`},
		{[]string{"-key", filepath.Join(dir, "missing.pem")}, 2, "missing.pem: no such file"},
		{[]string{"-key", write("bad.pem", "not pem")}, 2, "no PEM block found"},
		{[]string{"-config", filepath.Join(dir, "missing.json")}, 2, "missing.json: no such file"},
		{[]string{"-config", write("syntax.json", "{\n  \"version\": 1,\n  \"clients\": [\n}")}, 2, "syntax.json: line 4: invalid character"},
		{[]string{"-config", write("unknown.json", `{"version": 1, "client": []}`)}, 2, `unknown.json: client: unknown field "client"; did you mean "clients"?`},
		{[]string{"-config", write("typo.json", `{"version": 1, "clients": [{"id": "a", "secret": "s"}, {"id": "b", "secret": "s", "redirect_uri": "http://127.0.0.1/cb"}]}`)}, 2,
			`typo.json: clients[1].redirect_uri: unknown field "redirect_uri"; did you mean "redirect_uris"?`},
		{[]string{"-config", write("far.json", `{"version": 1, "users": [{"subject": "a", "roles": ["admin"]}]}`)}, 2,
			`far.json: users[0].roles: unknown field "roles"; known here: claims, subject`},
		{[]string{"-config", write("v2-typo.json", `{"version": 2, "issuers": [{"name": "a", "control-api": true}]}`)}, 2,
			`issuers[0].control-api: unknown field "control-api"; did you mean "control_api"?`},
		{[]string{"-config", write("kind.json", `{"version": 1, "clients": [{"id": "a", "public": "yes"}]}`)}, 2, `clients[0].public: want true or false, not the string "yes"`},
		{[]string{"-config", write("uris.json", `{"version": 1, "clients": [{"id": "a", "public": true, "redirect_uris": "http://127.0.0.1/cb"}]}`)}, 2, `clients[0].redirect_uris: want a list [...], not the string "http://127.0.0.1/cb"`},
		{[]string{"-config", write("array.json", `[]`)}, 2, `the file must hold one JSON object`},
		{[]string{"-config", write("badlife.json", `{"version": 1, "clients": [{"id": "a", "public": true, "lifetimes": {"code": "10 minutes"}}]}`)}, 2, `clients[0].lifetimes.code: lifetime "10 minutes" is not a duration`},
		{[]string{"-config", write("version.json", `{"version": 3}`)}, 2, `"version" is 3; this oauthtest reads versions 1 and 2`},
		{[]string{"-config", write("v2-empty.json", `{"version": 2}`)}, 2, `version 2 needs "issuers"`},
		{[]string{"-config", write("v2-top.json", `{"version": 2, "clients": [{"id": "c", "secret": "s"}], "issuers": [{"name": "a"}]}`)}, 2, `puts clients, users, keys and the like in each of "issuers"`},
		{[]string{"-config", write("v2-name.json", `{"version": 2, "issuers": [{"name": "a/b"}]}`)}, 2, `issuer name "a/b" must be`},
		{[]string{"-config", write("v2-twice.json", `{"version": 2, "issuers": [{"name": "a"}, {"name": "a"}]}`)}, 2, `issuer name "a" is used twice`},
		{[]string{"-config", write("v1-issuers.json", `{"version": 1, "issuers": [{"name": "a"}]}`)}, 2, `"issuers" needs "version": 2`},
		{[]string{"-config", write("v2-client.json", `{"version": 2, "issuers": [{"name": "a", "clients": [{"id": "c"}]}]}`)}, 2, `v2-client.json: issuers[0].clients[0]: client "c" is confidential and needs a "secret" or "public_key_files" (or "public": true)`},
		{[]string{"-config", write("v2-resource.json", `{"version": 2, "issuers": [{"name": "a"}, {"name": "b", "clients": [{"id": "c", "secret": "s", "resources": ["api"]}]}]}`)}, 2,
			`v2-resource.json: issuers[1] ("b"): client "c": resource "api" is not an absolute URI`},
		{[]string{"-config", write("v2-key.json", `{"version": 2, "issuers": [{"name": "a", "clients": [{"id": "c", "public_key_files": ["nowhere.pem"]}]}]}`)}, 2,
			`v2-key.json: issuers[0].clients[0].public_key_files: client "c": open ` + filepath.Join(dir, "nowhere.pem")},
		{[]string{"-config", write("v2-log.json", `{"version": 2, "issuers": [{"name": "a"}]}`), "-log-format", "yaml"}, 2, `-log-format "yaml": use text or json`},
		{[]string{"-config", write("v2-state.json", `{"version": 2, "issuers": [{"name": "a"}]}`), "-state", "s.json"}, 2, `-state keeps one issuer's state`},
		{[]string{"-config", write("lifetime.json", `{"version": 1, "lifetimes": {"code": 600}}`)}, 2, `lifetimes.code: a lifetime must be a string such as "10m" or "1h", not the number 600`},
		{[]string{"-config", write("client.json", `{"version": 1, "clients": [{"id": "c"}]}`)}, 2, `client.json: clients[0]: client "c" is confidential and needs a "secret" or "public_key_files"`},
		{[]string{"-config", write("resources.json", `{"version": 1, "clients": [{"id": "c", "secret": "s", "resources": ["api"]}]}`)}, 2, `client "c": resource "api" is not an absolute URI`},
		{[]string{"-config", write("reuse.json", `{"version": 1, "lifetimes": {"refresh_reuse": "-1s"}}`)}, 2, "refresh reuse interval -1s is negative"},
		{[]string{"-config", write("ok.json", `{"version": 1}`), "-client-id", "x"}, 2, "-client-id and -config both describe clients and users"},
		{[]string{"-addr", busy.Addr().String()}, 1, "listen on " + busy.Addr().String()},
		{[]string{"-addr", busy.Addr().String(), "-control-token", "x"}, 2, "give -control-api"}, // a wrong flag is told before listening
		{[]string{"-addr", busy.Addr().String(), "-config", write("v2-busy.json", `{"version": 2, "issuers": [{"name": "a", "clients": [{"id": ""}]}]}`)}, 2, `issuers[0].clients[0]: "id" is missing`},
		{[]string{"-access-token-lifetime", "1hour"}, 2, `invalid value "1hour" for flag -access-token-lifetime: want a duration such as 10m, 1h or 720h`},
		{[]string{"-addr", "30098"}, 2, `-addr "30098": want host:port, such as 127.0.0.1:30098`},
		{[]string{"-addr", "127.0.0.1:port"}, 2, `-addr "127.0.0.1:port": the port must be a number from 0 to 65535`},
		{[]string{"-config", write("addr.json", `{"version": 1, "addr": "9090"}`)}, 2, `addr.json: addr "9090": want host:port, such as 127.0.0.1:9090`},
		{[]string{"-grant", "password"}, 2, `grant type "password" is not supported`},
		{[]string{"-tls-cert", "cert.pem"}, 2, `-tls-cert and -tls-key (or "tls_cert_file" and "tls_key_file") go together`},
		{[]string{"-tls-ca-out", "ca.pem"}, 2, `-tls-ca-out (or "tls_ca_out") needs -tls`},
		{[]string{"-tls", "-issuer", "http://idp:9090"}, 2, `issuer "http://idp:9090" with -tls: the issuer must be an https URL`},
		{[]string{"-tls-cert", "c.pem", "-tls-key", "k.pem", "-tls-ca-out", "ca.pem"}, 2, `with -tls-cert the certificate and its CA are yours`},
		{[]string{"-addr", "127.0.0.1:0", "-tls-cert", filepath.Join(dir, "missing.pem"), "-tls-key", filepath.Join(dir, "missing.pem")}, 2, "missing.pem: no such file"},
		{[]string{"-addr", "127.0.0.1:0", "-tls", "-tls-ca-out", filepath.Join(dir, "no-dir", "ca.pem")}, 2, "writing the TLS CA certificate (-tls-ca-out)"},
		{[]string{"-config", write("tls.json", `{"version": 1, "tls_ca_out": "ca.pem"}`)}, 2, `-tls-ca-out (or "tls_ca_out") needs -tls (or "tls": true)`},
		{[]string{"-config", write("v2-tls.json", `{"version": 2, "issuers": [{"name": "a", "tls": true}]}`)}, 2, `issuers[0].tls: unknown field "tls"`},
	} {
		args := tc.args
		if !slices.Contains(args, "-addr") && !strings.Contains(tc.want, "addr") {
			args = append([]string{"-addr", "127.0.0.1:0"}, args...) // never the default port another test may hold
		}
		var stdout, stderr bytes.Buffer
		code := run(nil, args, &stdout, &stderr)
		msg := stderr.String()
		if code != tc.code || !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "oauthtest: ") || strings.Count(msg, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", tc.args, code, msg, tc.code, tc.want)
		}
	}
}
