package oauthtest_test

import (
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// TestAttackHugeMaxAge: a max_age too large for a time.Duration is no
// limit at all; it overflowed, and a session of a few milliseconds was
// "longer than max_age" (login_required for prompt=none).
func TestAttackHugeMaxAge(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	b := p.Browser()
	browserLogin(t, p, b)
	for _, maxAge := range []string{"9223372036854775807", "9223372037", "18446744073"} {
		cb, err := b.Visit(oauthConfig(p).AuthCodeURL("st", oauth2.SetAuthURLParam("prompt", "none"), oauth2.SetAuthURLParam("max_age", maxAge)))
		if err != nil {
			t.Fatal(err)
		}
		if cb.Error != "" || cb.Code == "" {
			t.Errorf("prompt=none max_age=%s a moment after login: %s: %s, want a code", maxAge, cb.Error, cb.ErrorDescription)
		}
	}
}
