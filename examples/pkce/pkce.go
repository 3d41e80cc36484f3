// Package pkce logs a user in from a program that cannot keep a secret, a
// command-line tool or a desktop app, the way RFC 8252 describes: a public
// client, PKCE with S256, and a redirect to a loopback port the program
// listens on for the length of the login.
//
// Its tests log in against oauthtest.NewTestProvider; run them from the
// repository's root:
//
//	go test ./examples/pkce
package pkce

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"

	"golang.org/x/oauth2"
)

// Login sends the user to the provider with open (which in a real program
// opens the system browser), waits for the redirect on a loopback port and
// exchanges the code with the PKCE verifier.
func Login(ctx context.Context, cfg oauth2.Config, open func(url string) error) (*oauth2.Token, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0") // any free port: RFC 8252 §7.3
	if err != nil {
		return nil, err
	}
	defer l.Close()
	cfg.RedirectURL = "http://" + l.Addr().String() + "/callback"
	cfg.Endpoint.AuthStyle = oauth2.AuthStyleInParams // a public client sends client_id, no secret

	state, verifier := random(), oauth2.GenerateVerifier()
	codes := make(chan string, 1)
	errs := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("state") != state:
			errs <- errors.New("the callback's state does not match")
		case q.Get("error") != "":
			errs <- fmt.Errorf("login failed: %s: %s", q.Get("error"), q.Get("error_description"))
		default:
			codes <- q.Get("code")
		}
		fmt.Fprintln(w, "You can close this window.")
	})}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	if err := open(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))); err != nil {
		return nil, err
	}
	select {
	case code := <-codes:
		return cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	case err := <-errs:
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
