package oauthtest

import (
	"sync"
	"time"
)

// authCode is an issued authorization code and what it was bound to.
type authCode struct {
	code          string
	clientID      string
	redirectURI   string
	redirectGiven bool // the authorization request carried redirect_uri
	scopes        []string
	nonce         string
	challenge     string // PKCE code_challenge, empty without PKCE
	method        string // PKCE code_challenge_method
	user          User
	authTime      time.Time
	expiresAt     time.Time
	family        string // the token family it produced once redeemed; "" before
}

// codeStore holds issued codes. Redeemed codes stay until they expire, so
// that a replay is recognised and the tokens it produced are revoked.
type codeStore struct {
	mu      sync.Mutex // guards codes and sweepAt
	codes   map[string]*authCode
	sweepAt int // sweep expired codes once the map grows to this size
}

func (s *codeStore) add(c *authCode, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.codes == nil {
		s.codes = make(map[string]*authCode)
	}
	if len(s.codes) >= s.sweepAt {
		s.sweep(now)
	}
	s.codes[c.code] = c
}

// sweep drops expired codes; s.mu must be held. The next sweep waits until
// the map doubles, so sweeping costs O(1) per code.
func (s *codeStore) sweep(now time.Time) {
	for k, c := range s.codes {
		if !now.Before(c.expiresAt) {
			delete(s.codes, k)
		}
	}
	s.sweepAt = max(2*len(s.codes), 64)
}

// redeem consumes code for a new token family if check accepts it. A code
// that check rejects stays redeemable: bad input loses nothing. A code
// already redeemed is a replay: redeem returns its family, to be revoked,
// with replay set.
func (s *codeStore) redeem(code, family string, now time.Time, check func(*authCode) *Error) (c authCode, replay bool, err *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.codes[code]
	switch {
	case !ok:
		return authCode{}, false, ErrInvalidGrant.WithDescription("code %q was not issued by this provider, or has expired and been forgotten", abbreviate(code))
	case rec.family != "":
		return *rec, true, ErrInvalidGrant.WithDescription("code was already redeemed; the tokens issued for it are now revoked (RFC 6749 §4.1.2)")
	case !now.Before(rec.expiresAt):
		return authCode{}, false, ErrInvalidGrant.WithDescription("code expired at %s; it is now %s (codes live %s)",
			rec.expiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), rec.expiresAt.Sub(rec.authTime))
	}
	if err := check(rec); err != nil {
		return authCode{}, false, err
	}
	rec.family = family
	return *rec, false, nil
}

// abbreviate shortens a long credential for an error message.
func abbreviate(s string) string {
	if len(s) <= 12 {
		return s
	}
	return s[:8] + "…"
}
