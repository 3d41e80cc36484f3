package oauthtest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestFakeTimeWithJose: a verifier outside Go (jose, in Node) against a
// provider whose clock moved through the control API refuses its tokens by
// the wall clock and accepts them given the provider's time, as
// docs/time.md says. It needs node and compat/node's packages (npm ci in
// compat/node); without them it is skipped, unless OAUTHTEST_REQUIRE_NODE=1
// (compat/run.sh, in CI after installing them) makes that a failure.
func TestFakeTimeWithJose(t *testing.T) {
	t.Parallel()
	skip := t.Skip
	if os.Getenv("OAUTHTEST_REQUIRE_NODE") == "1" {
		skip = t.Fatal
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed")
	}
	if _, err := os.Stat("compat/node/node_modules/jose/package.json"); err != nil {
		skip("compat/node/node_modules/jose is missing: run npm ci in compat/node")
	}
	p := oauthtest.NewTestProvider(t, oauthtest.WithControlAPI())
	cmd := exec.Command(node, "faketime.mjs")
	cmd.Dir = "compat/node"
	cmd.Env = append(os.Environ(), "ISSUER="+p.Issuer())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "all passed") {
		t.Errorf("node faketime.mjs: %v\n%s", err, out)
	}
}
