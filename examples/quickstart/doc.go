// Package myapp is the quick start of README.md: quickstart_test.go is the
// code README.md tells newcomers to paste into a _test.go file, kept
// identical to it by readme_test.go. Run it from the repository's root:
//
//	go test ./examples/quickstart
package myapp
