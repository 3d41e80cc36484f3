package oauthtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
)

// TestMessagesForPeople: error messages say what happened in the user's
// terms: durations rounded, one "oauthtest:" prefix, and a user picked on
// the login page is not called a login_hint.
func TestMessagesForPeople(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage())

	t.Run("a code's lifetime, rounded", func(t *testing.T) {
		cfg := oauthConfig(p)
		cb, err := p.Browser().PickUser("test-user").Visit(cfg.AuthCodeURL("st"))
		if err != nil {
			t.Fatal(err)
		}
		code := cb.Code
		if !p.SetCodeLifetime(code, 2042607*time.Nanosecond) {
			t.Fatal("the provider does not know its code")
		}
		p.FastForward(time.Second)
		_, err = cfg.Exchange(clientContext(p), code)
		re := wantRetrieveError(t, err, "invalid_grant", 400)
		if !strings.Contains(re.ErrorDescription, "(codes live 2ms)") {
			t.Errorf("%q, want the lifetime as 2ms", re.ErrorDescription)
		}
	})

	t.Run("one prefix", func(t *testing.T) {
		err := p.ApproveDevice("NOPE-NOPE")
		if err == nil || strings.Count(err.Error(), "oauthtest:") != 1 {
			t.Errorf("ApproveDevice of an unknown code: %v, want one oauthtest: prefix", err)
		}
	})

	t.Run("an unknown user picked on the login page", func(t *testing.T) {
		cfg := oauthConfig(p)
		cb, err := p.Browser().PickUser("nobody").Visit(cfg.AuthCodeURL("st"))
		if err != nil {
			t.Fatal(err)
		}
		d := cb.ErrorDescription
		if cb.Error != "access_denied" || strings.Contains(d, "login_hint") || !strings.Contains(d, `the user picked, "nobody", is not one of the provider's users`) {
			t.Errorf("%s: %q", cb.Error, d)
		}
	})
}
