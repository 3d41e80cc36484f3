package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// TestAttackDocumentClientBypassesPAR: a client whose client_id is a
// metadata document URL is held to the provider's rules for authorization
// requests as a registered client is: with WithRequirePushedAuthorizationRequests,
// WithRequireSignedRequestObject or WithFAPI2 its plain request is
// refused, and a request or request_uri it sends is read, never ignored
// (a garbage request object got a code).
func TestAttackDocumentClientBypassesPAR(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) { jsonDocument(w, publicDocument(self)) })
	verifier := oauth2.GenerateVerifier()
	for name, opt := range map[string]oauthtest.Option{"par": oauthtest.WithRequirePushedAuthorizationRequests(),
		"signed": oauthtest.WithRequireSignedRequestObject(), "fapi": oauthtest.WithFAPI2()} {
		p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil), opt)
		cfg := oauthConfig(p)
		cfg.ClientID, cfg.ClientSecret = docs.URL+"/client.json", ""
		for what, extra := range map[string][]oauth2.AuthCodeOption{"plain": nil,
			"bogus request_uri": {oauth2.SetAuthURLParam("request_uri", "urn:ietf:params:oauth:request_uri:bogus")},
			"garbage request":   {oauth2.SetAuthURLParam("request", "garbage")}} {
			resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", append(extra, oauth2.S256ChallengeOption(verifier))...), nil)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("%s: %s request of a metadata document client: HTTP %d to %q, want a 400 page", name, what, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	}
}

// TestAttackDocumentClientPushes: a metadata document client that pushes
// its request redeems the request_uri, bound to it.
func TestAttackDocumentClientPushes(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) { jsonDocument(w, publicDocument(self)) })
	p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil), oauthtest.WithRequirePushedAuthorizationRequests())
	id := docs.URL + "/client.json"
	form := pushedParams(func(v url.Values) {
		v.Set("client_id", id)
		v.Set("code_challenge", oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))
		v.Set("code_challenge_method", "S256")
	})
	resp, body := push(t, p, form, "", "")
	uri, _ := body["request_uri"].(string)
	if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") {
		t.Fatalf("push: HTTP %d %v", resp.StatusCode, body)
	}
	if q, _ := redirected(t, visit(t, p, http.MethodGet, parAuthURL(p, id, uri), nil), redirectURI); q.Get("code") == "" {
		t.Errorf("redeeming the pushed request: %v, want a code", q)
	}
	wantRefusalPage(t, p, parAuthURL(p, "oauthtest-client", uri), "pushed by client")
}
