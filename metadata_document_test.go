package oauthtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// documentServer serves client ID metadata documents on 127.0.0.1: the
// document at each path is made by doc from the document's own URL. It
// counts the requests.
type documentServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newDocumentServer(t *testing.T, serve func(w http.ResponseWriter, self string)) *documentServer {
	t.Helper()
	s := &documentServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		serve(w, s.URL+r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

// jsonDocument answers doc as application/json.
func jsonDocument(w http.ResponseWriter, doc map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// publicDocument is the document of a public client at self.
func publicDocument(self string) map[string]any {
	return map[string]any{"client_id": self, "client_name": "MCP client", "redirect_uris": []string{redirectURI},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}}
}

// TestMetadataDocumentFlow: a public client whose client_id is the URL of
// its metadata document runs the code flow with PKCE through
// golang.org/x/oauth2; the document is fetched once, cached by the
// provider's clock, and fetched again once the cache expired.
func TestMetadataDocumentFlow(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) { jsonDocument(w, publicDocument(self)) })
	p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = docs.URL+"/client.json", ""
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier)), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := userinfo(t, p, tok.AccessToken); resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	if n := docs.hits.Load(); n != 1 {
		t.Errorf("the document was fetched %d times for one flow, want once (cached)", n)
	}
	if d := p.Dump(); !strings.Contains(d, "metadata document client "+`"`+cfg.ClientID+`"`) {
		t.Errorf("Dump does not list the cached document:\n%s", d)
	}
	q, _ := redirected(t, visit(t, p, http.MethodGet, cfg.AuthCodeURL("st"), nil), redirectURI)
	if q.Get("error") != "invalid_request" {
		t.Errorf("a public document client without PKCE: error %q, want invalid_request", q.Get("error"))
	}
	p.FastForward(6 * time.Minute)
	authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier))
	if n := docs.hits.Load(); n != 2 {
		t.Errorf("after the cache expired the document was fetched %d times in all, want 2", n)
	}
}

// TestMetadataDocumentCacheControl: max-age sets how long a document is
// cached; no-store keeps it out of the cache (RFC 9111).
func TestMetadataDocumentCacheControl(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) {
		w.Header().Set("Cache-Control", map[bool]string{true: "no-store", false: "max-age=30"}[strings.HasSuffix(self, "/nostore")])
		jsonDocument(w, publicDocument(self))
	})
	p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil))
	authorize := func(id string) {
		cfg := oauthConfig(p)
		cfg.ClientID = id
		authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	}
	authorize(docs.URL + "/cached")
	authorize(docs.URL + "/cached")
	p.FastForward(31 * time.Second)
	authorize(docs.URL + "/cached")
	authorize(docs.URL + "/nostore")
	authorize(docs.URL + "/nostore")
	if n := docs.hits.Load(); n != 4 {
		t.Errorf("%d fetches, want 2 of the max-age=30 document (before and after 30 s) and 2 of the no-store one", n)
	}
}

// TestMetadataDocumentRefusals: a document that breaks a rule of the draft
// is refused at the authorize endpoint with a page naming the rule, and at
// the token endpoint with invalid_client; nothing refused is cached.
func TestMetadataDocumentRefusals(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) {
		doc := publicDocument(self)
		switch {
		case strings.HasSuffix(self, "/other-id"):
			doc["client_id"] = "https://trusted.example/client.json"
		case strings.HasSuffix(self, "/secret"):
			doc["client_secret"] = "shared"
		case strings.HasSuffix(self, "/basic"):
			doc["token_endpoint_auth_method"] = "client_secret_basic"
		case strings.HasSuffix(self, "/no-redirects"):
			delete(doc, "redirect_uris")
		case strings.HasSuffix(self, "/javascript"):
			doc["redirect_uris"] = []string{"javascript:alert(1)"}
		case strings.HasSuffix(self, "/missing"):
			http.NotFound(w, nil)
			return
		case strings.HasSuffix(self, "/moved"):
			w.Header().Set("Location", strings.TrimSuffix(self, "/moved")+"/client.json")
			w.WriteHeader(http.StatusFound)
			return
		case strings.HasSuffix(self, "/text"):
			w.Header().Set("Content-Type", "text/plain")
			_ = json.NewEncoder(w).Encode(doc)
			return
		case strings.HasSuffix(self, "/huge"):
			doc["client_name"] = strings.Repeat("x", 6<<10)
		}
		jsonDocument(w, doc)
	})
	p := oauthtest.NewTestProvider(t, oauthtest.WithClientIDMetadataDocuments(nil))
	for path, rule := range map[string]string{
		"/other-id": "not its URL", "/secret": "client_secret", "/basic": "shared secret", "/no-redirects": "redirect_uris",
		"/javascript": "javascript:", "/missing": "404", "/moved": "does not follow", "/text": "Content-Type", "/huge": "larger than",
		"/a/../client.json": ". or ..",
	} {
		cfg := oauthConfig(p)
		cfg.ClientID = docs.URL + path
		resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		page, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(page), rule) {
			t.Errorf("%s at authorize: HTTP %d, want 400 naming %q: %.300s", path, resp.StatusCode, rule, page)
		}
		form := url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {redirectURI}, "client_id": {cfg.ClientID}}
		tresp, body := postForm(t, p, p.TokenURL(), form, "", "")
		wantJSONError(t, tresp, body, "invalid_client", http.StatusUnauthorized)
	}
	if n := docs.hits.Load(); n != 18 {
		t.Errorf("%d fetches, want 18: each refused document twice, none cached, and none for the dot-segment URL", n)
	}
}

// TestMetadataDocumentOff: without the option a URL client_id is only an
// unknown client, and nothing is fetched.
func TestMetadataDocumentOff(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) { jsonDocument(w, publicDocument(self)) })
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	cfg.ClientID = docs.URL + "/client.json"
	if resp := visit(t, p, http.MethodGet, cfg.AuthCodeURL("st"), nil); resp.StatusCode != http.StatusBadRequest || docs.hits.Load() != 0 {
		t.Errorf("HTTP %d after %d fetches, want 400 and none", resp.StatusCode, docs.hits.Load())
	}
}

// TestMetadataDocumentNotLoopback: a provider whose issuer is not on a
// loopback host fetches https documents only, never a loopback http one
// (draft-ietf-oauth-client-id-metadata-document §8.6).
func TestMetadataDocumentNotLoopback(t *testing.T) {
	t.Parallel()
	docs := newDocumentServer(t, func(w http.ResponseWriter, self string) { jsonDocument(w, publicDocument(self)) })
	p := oauthtest.NewTestProvider(t, oauthtest.WithoutServer(), oauthtest.WithIssuer("https://idp.example"), oauthtest.WithClientIDMetadataDocuments(nil))
	for id, rule := range map[string]string{docs.URL + "/client.json": "must be an https URL", "https://127.0.0.1:1/client.json": "special-use", "https://10.0.0.1/client.json": "special-use"} {
		q := url.Values{"client_id": {id}, "response_type": {"code"}, "redirect_uri": {redirectURI}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
		rec := httptest.NewRecorder()
		p.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://idp.example/oauth/authorize?"+q.Encode(), nil))
		if rec.Code != http.StatusBadRequest || docs.hits.Load() != 0 || !strings.Contains(rec.Body.String(), rule) {
			t.Errorf("%s: HTTP %d after %d fetches, want 400 naming %q and none: %.300s", id, rec.Code, docs.hits.Load(), rule, rec.Body)
		}
	}
}
