package oauthtest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// postRoutes are the control API's POST operations and the fields each
// takes, as its OpenAPI document says.
func postRoutes(f *testing.F, p *oauthtest.Provider) (paths []string, fields map[string][]string) {
	w := httptest.NewRecorder()
	p.Handler().ServeHTTP(w, rawRequest("GET", oauthtest.ControlPath+"/openapi.json", "", ""))
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct{ Properties map[string]any } `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		f.Fatal(err)
	}
	fields = map[string][]string{}
	for path, ops := range doc.Paths {
		if op, ok := ops["post"]; ok {
			paths = append(paths, path)
			for name := range op.RequestBody.Content["application/json"].Schema.Properties {
				fields[path] = append(fields[path], name)
			}
		}
	}
	slices.Sort(paths)
	return paths, fields
}

// oneObjectKeys returns the keys of body if it is exactly one JSON object
// whose objects, at any depth, have no key twice.
func oneObjectKeys(body string) ([]string, bool) {
	dec := json.NewDecoder(strings.NewReader(body))
	var keys []string
	var walk func(depth int) bool
	walk = func(depth int) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil || seen[k.(string)] {
					return false
				}
				seen[k.(string)] = true
				if depth == 0 {
					keys = append(keys, k.(string))
				}
				if !walk(depth + 1) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for dec.More() {
				if !walk(depth + 1) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return depth > 0 // the top level must be an object
	}
	if !walk(0) {
		return nil, false
	}
	_, err := dec.Token()
	return keys, errors.Is(err, io.EOF)
}

// FuzzControlBody: whatever the body of a control POST, no panic and no
// 500; a refusal is a JSON error naming no Go type; an accepted body is
// empty or exactly one JSON object, without a key twice, of the fields
// the document lists for that path.
func FuzzControlBody(f *testing.F) {
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"), oauthtest.WithControlAPI(),
		oauthtest.WithAlgorithm(oauthtest.ES256))
	if err != nil {
		f.Fatal(err)
	}
	paths, fields := postRoutes(f, p)
	for _, seed := range []string{
		``, `{}`, `{}=`, `{} {}`, `[]`, `null`, `"x"`, `{"subject": "ada", "claims": {"roles": ["admin"]}}`,
		`{"subject": "a", "subject": "b"}`, `{"subjet": "a"}`, `{"subject": 7}`, `{"claims": {"a": 1, "a": 2}}`,
		`{"endpoint": "token", "kind": "status", "status": 502, "count": 1}`, `{"endpoint": "token", "kind": "drop", "count": -1}`,
		`{"endpoint": "jwks", "kind": "error", "error": "request_not_supported"}`, `{"endpoint": "token", "kind": "latency", "delay": "6m"}`,
		`{"time": "0001-01-01T00:00:00Z"}`, `{"advance": "2000000h"}`, `{"advance": "-2562047h"}`, `{"spoil": ["expired", "alg_none"]}`,
		`{"code": "x", "lifetime": "1e3s"}`, `{"token": "x", "kind": "family"}`, `{"count": 1e400}`, `{"a":` + strings.Repeat("[", 80),
	} {
		for i := range paths {
			f.Add(uint8(i), seed)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := paths[int(route)%len(paths)]
		r := rawRequest(http.MethodPost, path, "", body)
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		p.Handler().ServeHTTP(w, r)
		wantStatus(t, w, http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
		if w.Code != http.StatusOK {
			var e struct {
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
			}
			if json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Error == "" || e.ErrorDescription == "" ||
				strings.Contains(e.ErrorDescription, "Go ") || strings.Contains(e.ErrorDescription, "struct") {
				t.Fatalf("%s %q: refused with %s", path, body, w.Body)
			}
			return
		}
		if len(bytes.TrimSpace([]byte(body))) == 0 {
			return
		}
		keys, ok := oneObjectKeys(body)
		if !ok {
			t.Fatalf("%s accepted %q, which is not exactly one JSON object with unique keys", path, body)
		}
		for _, k := range keys {
			if !slices.Contains(fields[path], k) {
				t.Fatalf("%s accepted the field %q, which its document does not list (%v)", path, k, fields[path])
			}
		}
	})
}
