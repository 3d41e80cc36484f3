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
		if !strings.Contains(re.ErrorDescription, ", 2ms after it was issued;") {
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

// TestWrongSecretThroughAutoDetect: x/oauth2 without AuthStyle retries a
// failed Basic request in the body; the refusal of that retry says so,
// rather than leave the user to wonder why their Basic client "used
// client_secret_post".
func TestWrongSecretThroughAutoDetect(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "web", Secret: "s3cret",
		RedirectURIs: []string{redirectURI}, AuthMethods: []string{oauthtest.AuthMethodBasic}}))
	cfg := oauthConfig(p)
	cfg.ClientID, cfg.ClientSecret = "web", "wrong"
	cfg.Endpoint.AuthStyle = 0 // auto-detect, as op.Endpoint() leaves it
	_, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	re := wantRetrieveError(t, err, "invalid_client", 401)
	if !strings.Contains(re.ErrorDescription, "check the secret") {
		t.Errorf("%q: want a hint at the retry", re.ErrorDescription)
	}
}
