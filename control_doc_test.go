package oauthtest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// TestControlFieldsDoc: docs/control-api-fields.md is what the field and
// route declarations say; -update rewrites it.
func TestControlFieldsDoc(t *testing.T) {
	t.Parallel()
	path := filepath.Join("docs", "control-api-fields.md")
	got := controlFieldsMarkdown()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestControlFieldsDoc -update writes it)", err)
	}
	if string(want) != got {
		t.Errorf("%s is out of date: go test -run TestControlFieldsDoc -update rewrites it", path)
	}
}

// TestControlFieldsDeclared: every field a route takes is declared, once
// per key, and no route takes two fields of one name.
func TestControlFieldsDeclared(t *testing.T) {
	t.Parallel()
	keys := map[string]bool{}
	for _, f := range controlFields {
		key := f.name
		if f.key != "" {
			key = f.key
		}
		if keys[key] || f.desc == "" {
			t.Errorf("field %s is declared twice or without a description", key)
		}
		keys[key] = true
	}
	for _, rt := range controlRoutes {
		names := map[string]bool{}
		for _, u := range append(append([]fieldUse(nil), rt.query...), rt.body...) {
			if !keys[u.key] {
				t.Errorf("%s %s takes the undeclared field %s", rt.method, rt.path, u.key)
				continue
			}
			if name := u.field().name; names[name] {
				t.Errorf("%s %s takes two fields named %s", rt.method, rt.path, name)
			}
			names[u.field().name] = true
		}
	}
}
