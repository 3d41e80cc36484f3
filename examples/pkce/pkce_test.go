package pkce_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/c95d6557/oauthtest/examples/pkce"
	"go.uber.org/goleak"
	"golang.org/x/oauth2"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// cli is a public client: no secret, no registered redirect URI, so any
// loopback port is accepted (RFC 8252 §7.3).
var cli = oauthtest.Client{ID: "cli", Public: true}

// browser plays the system browser: it follows the provider's redirect to
// the program's loopback port.
func browser(url string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

func config(p *oauthtest.Provider) oauth2.Config {
	return oauth2.Config{ClientID: "cli", Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()}, Scopes: []string{"openid"}}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(cli))
	tok, err := pkce.Login(context.Background(), config(p), browser)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" {
		t.Errorf("token %+v", tok)
	}
	p.CheckPKCE(t, oauthtest.PKCES256)
	p.CheckAuthMethod(t, oauthtest.AuthMethodNone)
}

func TestUserDeclines(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(cli))
	p.QueueDenial()
	_, err := pkce.Login(context.Background(), config(p), browser)
	if err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("Login: %v, want access_denied", err)
	}
}
