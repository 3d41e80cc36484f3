// Package failures shows the failures an app must handle from its identity
// provider, in a Session that keeps one user's tokens fresh: a code that
// expired before it was exchanged, a refresh token the provider revoked,
// and a provider that is down. Its tests stage each with oauthtest.
//
// Run them from the repository's root:
//
//	go test ./examples/failures
package failures

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
)

// What the app does about a failure.
var (
	ErrLoginAgain   = errors.New("the user must log in again")
	ErrProviderDown = errors.New("the identity provider is unavailable; try again later")
)

// Session holds one user's tokens.
type Session struct {
	cfg         *oauth2.Config
	userinfoURL string
	token       *oauth2.Token
}

// Start exchanges the code of the login callback.
func Start(ctx context.Context, cfg *oauth2.Config, userinfoURL, code string) (*Session, error) {
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		return nil, classify(err)
	}
	return &Session{cfg: cfg, userinfoURL: userinfoURL, token: tok}, nil
}

// Profile returns the user's claims from userinfo. When the provider
// refuses the access token (expired, say), it refreshes once and retries.
func (s *Session) Profile(ctx context.Context) (map[string]any, error) {
	claims, status, err := s.userinfo(ctx)
	if status != http.StatusUnauthorized {
		return claims, err
	}
	tok, err := s.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: s.token.RefreshToken}).Token()
	if err != nil {
		return nil, classify(err)
	}
	s.token = tok
	claims, status, err = s.userinfo(ctx)
	if status == http.StatusUnauthorized {
		return nil, ErrLoginAgain
	}
	return claims, err
}

func (s *Session) userinfo(ctx context.Context) (map[string]any, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.userinfoURL, nil)
	if err != nil {
		return nil, 0, err
	}
	s.token.SetAuthHeader(req)
	resp, err := oauth2.NewClient(ctx, nil).Do(req) // the context's HTTP client, if any
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrProviderDown, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return nil, resp.StatusCode, nil
	case resp.StatusCode >= 500:
		return nil, resp.StatusCode, fmt.Errorf("%w: userinfo answered %s", ErrProviderDown, resp.Status)
	case resp.StatusCode != http.StatusOK:
		return nil, resp.StatusCode, fmt.Errorf("userinfo answered %s", resp.Status)
	}
	var claims map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&claims); err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%w: userinfo answered no JSON: %v", ErrProviderDown, err)
	}
	return claims, resp.StatusCode, nil
}

// classify tells what a token endpoint failure means for the app.
func classify(err error) error {
	var re *oauth2.RetrieveError
	switch {
	case !errors.As(err, &re):
		return fmt.Errorf("%w: %v", ErrProviderDown, err) // no answer at all
	case re.ErrorCode == "invalid_grant":
		return fmt.Errorf("%w: %s", ErrLoginAgain, re.ErrorDescription)
	case re.Response.StatusCode >= 500 || re.ErrorCode == "temporarily_unavailable":
		return fmt.Errorf("%w: %v", ErrProviderDown, err)
	}
	return err
}
