package oauthtest_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the suite if any goroutine outlives the tests: every
// provider must leave nothing behind once closed.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
