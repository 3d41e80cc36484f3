package oauthtest_test

import (
	"os"
	"strings"
	"testing"
)

// TestPackageDocIsTheQuickStart: the code at the top of the package doc is
// the quick start's (examples/quickstart, which runs), line for line,
// until its closing comment.
func TestPackageDocIsTheQuickStart(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	quick, err := os.ReadFile("examples/quickstart/quickstart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var code []string
	for _, line := range strings.Split(string(doc), "\n") {
		if l, ok := strings.CutPrefix(line, "//\t"); ok {
			code = append(code, l)
		} else if line == "//" && len(code) > 0 && !strings.HasPrefix(code[len(code)-1], "}") {
			code = append(code, "")
		} else if len(code) > 0 {
			break
		}
	}
	if len(code) < 10 {
		t.Fatalf("the package doc has no code block at its top: %q", code)
	}
	// Up to the elision, the block is the quick start's text.
	var upTo []string
	for _, l := range code {
		if strings.Contains(l, "// ...") {
			break
		}
		upTo = append(upTo, l)
	}
	if want := strings.Join(upTo, "\n"); !strings.Contains(string(quick), want) {
		t.Errorf("the package doc's code is not examples/quickstart's:\n%s", want)
	}
}
