package myapp_test

import (
	"os"
	"strings"
	"testing"
)

// TestQuickStartIsREADMEs: quickstart_test.go is, byte for byte, the code
// README.md tells newcomers to paste, so go test ./... runs the quick start
// as they will.
func TestQuickStartIsREADMEs(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(readme), "## Quick start\n")
	_, rest, ok := strings.Cut(rest, "```go\n")
	block, _, _ := strings.Cut(rest, "```")
	if !ok || block == "" {
		t.Fatal("README.md has no Go code under Quick start")
	}
	file, err := os.ReadFile("quickstart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if block != string(file) {
		t.Error("the quick start in README.md and quickstart_test.go differ: change both")
	}
}
