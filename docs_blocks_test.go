package oauthtest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// docPages are the pages whose code blocks TestDocsCodeBlocks and
// TestDocsShellCalls keep true.
func docPages(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("docs/*.md")
	if err != nil || len(pages) == 0 {
		t.Fatalf("no docs/*.md: %v", err)
	}
	return append(pages, "README.md")
}

// codeBlock is a fenced block of a Markdown page.
type codeBlock struct {
	page, lang, from string // from: the marker <!-- from NAME --> just above it
	line             int
	text             string
}

var fromMarker = regexp.MustCompile(`^<!-- from (\S+) -->$`)

func codeBlocks(t *testing.T, page string) []codeBlock {
	t.Helper()
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []codeBlock
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		lang, ok := strings.CutPrefix(lines[i], "```")
		if !ok || lang == "" {
			continue
		}
		blk := codeBlock{page: page, lang: lang, line: i + 1}
		if i > 0 {
			if m := fromMarker.FindStringSubmatch(lines[i-1]); m != nil {
				blk.from = m[1]
			}
		}
		var body []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			body = append(body, lines[i])
		}
		blk.text = strings.Join(body, "\n")
		blocks = append(blocks, blk)
	}
	return blocks
}

// TestDocsCodeBlocks: every Go and JavaScript block of the docs (the
// quick start aside, which examples/quickstart holds) names, in a marker
// above it, the runnable function or file it is copied from, and is in
// it: line by line, whitespace aside, with "// ..." comments standing for
// elided code.
func TestDocsCodeBlocks(t *testing.T) {
	t.Parallel()
	funcs := goFunctions(t)
	checked := 0
	for _, page := range docPages(t) {
		for _, blk := range codeBlocks(t, page) {
			if blk.lang != "go" && blk.lang != "js" {
				continue
			}
			if page == "README.md" && strings.Contains(blk.text, "func TestLogin(t *testing.T)") {
				continue // the quick start: examples/quickstart/readme_test.go
			}
			where := blk.page + ":" + strconv.Itoa(blk.line)
			var source string
			switch {
			case blk.from == "":
				t.Errorf("%s: a %s block without a <!-- from FUNCTION --> or <!-- from FILE --> marker: copy it from code that runs", where, blk.lang)
				continue
			case strings.Contains(blk.from, "/"):
				b, err := os.ReadFile(blk.from)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				source = string(b)
			default:
				var ok bool
				if source, ok = funcs[blk.from]; !ok {
					t.Errorf("%s: no function %s in the module's Go files", where, blk.from)
					continue
				}
			}
			if missing := notContained(blk.text, source); missing != "" {
				t.Errorf("%s: the block is not in %s; from:\n%s", where, blk.from, missing)
			}
			checked++
		}
	}
	if checked < 8 {
		t.Errorf("only %d blocks checked", checked)
	}
}

// notContained returns the first segment of block (code between "// ..."
// elisions) that source lacks, in order; "" if there is none.
func notContained(block, source string) string {
	src := normalizedLines(source)
	var segments [][]string
	var seg []string
	inElision := false
	for _, l := range normalizedLines(block) {
		switch {
		case strings.HasPrefix(l, "// ..."):
			inElision = true
			segments, seg = append(segments, seg), nil
		case inElision && strings.HasPrefix(l, "//"):
		default:
			inElision = false
			seg = append(seg, l)
		}
	}
	segments = append(segments, seg)
	from := 0
	for _, seg := range segments {
		if len(seg) == 0 {
			continue
		}
		at := indexLines(src[from:], seg)
		if at < 0 {
			return strings.Join(seg, "\n")
		}
		from += at + len(seg)
	}
	return ""
}

func normalizedLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func indexLines(hay, needle []string) int {
	for i := 0; i+len(needle) <= len(hay); i++ {
		match := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

// goFunctions maps the names of the module's top-level functions to
// their source.
func goFunctions(t *testing.T) map[string]string {
	t.Helper()
	funcs := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != ".") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil {
				funcs[fn.Name.Name] = string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return funcs
}

// TestDocsShellCalls runs the curl calls of the docs (control API,
// discovery, token endpoint) with curl against a provider with the
// control API, its address in place of 127.0.0.1:9090, in the order the
// pages give them: each must succeed.
func TestDocsShellCalls(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	switch {
	case err != nil && os.Getenv("CI") != "":
		t.Fatal("curl is not installed: .ci/run installs it, so that the documented calls run")
	case err != nil:
		t.Skip("curl is not installed")
	}
	p := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI())
	ran := 0
	for _, page := range docPages(t) {
		for _, blk := range codeBlocks(t, page) {
			if blk.lang != "sh" {
				continue
			}
			for _, line := range strings.Split(blk.text, "\n") {
				if !strings.HasPrefix(line, "curl ") {
					continue
				}
				cmdline := strings.ReplaceAll(line, "http://127.0.0.1:9090", p.Issuer())
				cmdline = curl + " -sS --fail-with-body " + strings.TrimPrefix(cmdline, "curl ")
				out, err := exec.Command("sh", "-c", cmdline).CombinedOutput()
				if err != nil {
					t.Errorf("%s:%d: %s: %v\n%s", page, blk.line, line, err, out)
				}
				ran++
			}
		}
	}
	if ran < 10 {
		t.Errorf("only %d curl calls in the docs", ran)
	}
}
