package oauthtest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// ssrfHosts are hosts an attacker's client_id or jwks_uri may aim at to
// reach what the provider's network can but the attacker's cannot: cloud
// metadata services, the loopback interface in IPv4-mapped IPv6, a VPN
// mesh or carrier-grade NAT (100.64.0.0/10, also Alibaba Cloud's metadata
// service), and the other special-use blocks of RFC 6890.
var ssrfHosts = []string{
	"169.254.169.254", "[::ffff:a9fe:a9fe]", "[::ffff:127.0.0.1]", "localhost", "[fd00:ec2::254]", "0.0.0.0",
	"100.100.100.200", "100.64.0.1", "192.0.0.192", "198.18.0.1", "240.0.0.1", "0.0.0.1",
	"[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
}

// TestAttackMetadataDocumentSSRF: a client ID metadata document URL on a
// special-use address is never fetched (the default client refuses to
// dial it), whatever form the address takes.
func TestAttackMetadataDocumentSSRF(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"), oauthtest.WithClientIDMetadataDocuments(nil))
	for _, h := range ssrfHosts {
		id := "https://" + h + "/client.json"
		q := url.Values{"client_id": {id}, "response_type": {"code"}, "redirect_uri": {redirectURI}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		rec := httptest.NewRecorder()
		p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://idp.example/oauth/authorize?"+q.Encode(), nil))
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "special-use") {
			t.Errorf("%s: HTTP %d, want 400 naming a special-use address: %.400s", id, rec.Code, rec.Body)
		}
	}
}

// TestAttackJWKSURISSRF: nor is a registered client's jwks_uri.
func TestAttackJWKSURISSRF(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"), oauthtest.WithDynamicRegistration(""))
	for _, h := range ssrfHosts {
		md, _ := json.Marshal(map[string]any{"token_endpoint_auth_method": "private_key_jwt", "grant_types": []string{"client_credentials"}, "jwks_uri": "https://" + h + "/jwks.json"})
		req := httptest.NewRequest(http.MethodPost, "https://idp.example"+oauthtest.RegistrationPath, bytes.NewReader(md))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		p.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "special-use") {
			t.Errorf("jwks_uri on %s: HTTP %d, want 400 naming a special-use address: %.400s", h, rec.Code, rec.Body)
		}
	}
}
