package oauthtest_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryExampleSaysHowToRunIt: each Go example's package doc gives the
// command that runs it, and the browser example's README names its ports'
// variables.
func TestEveryExampleSaysHowToRunIt(t *testing.T) {
	t.Parallel()
	dirs, err := os.ReadDir("examples")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("examples", d.Name())
		if d.Name() == "spa" {
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil || !strings.Contains(string(readme), "npm start") || !strings.Contains(string(readme), "SPA_PORT") {
				t.Errorf("%s/README.md should say how to run it (npm start) and choose its ports (SPA_PORT): %v", dir, err)
			}
			continue
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		var docs strings.Builder
		for _, name := range files {
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if f.Doc != nil {
				docs.WriteString(f.Doc.Text())
			}
		}
		if want := "go test ./" + filepath.ToSlash(dir); !strings.Contains(docs.String(), want) {
			t.Errorf("%s: no package doc says %q", dir, want)
		}
	}
}
