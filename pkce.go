package oauthtest

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
)

// PKCE code challenge methods (RFC 7636 §4.2).
const (
	PKCEPlain = "plain"
	PKCES256  = "S256"
)

// parsePKCE reads code_challenge and code_challenge_method (RFC 7636 §4.3).
// The method defaults to plain, as the RFC says. A
// public client must send a challenge (RFC 9700 §2.1.1).
func (req *authorizeRequest) parsePKCE(params url.Values) *Error {
	challenge, method := params.Get("code_challenge"), params.Get("code_challenge_method")
	switch {
	case challenge == "" && method != "":
		return ErrInvalidRequest.WithDescription("code_challenge_method %q was sent without code_challenge", method)
	case challenge == "" && req.client.Public:
		return ErrInvalidRequest.WithDescription("client %q is public and must use PKCE: send code_challenge and code_challenge_method=S256 (RFC 7636, RFC 9700 §2.1.1)", req.client.ID)
	case challenge == "":
		return nil
	case method == "":
		method = PKCEPlain
	case method != PKCEPlain && method != PKCES256:
		return ErrInvalidRequest.WithDescription("code_challenge_method %q is not supported; supported: S256, plain (RFC 7636 §4.4.1)", method)
	}
	if method == PKCES256 && len(challenge) != 43 || !isPKCEString(challenge) {
		return ErrInvalidRequest.WithDescription("code_challenge %q is malformed: %s needs %s of [A-Za-z0-9-._~] (RFC 7636 §4.2)", abbreviate(challenge), method, challengeLength(method))
	}
	req.challenge, req.method = challenge, method
	return nil
}

func challengeLength(method string) string {
	if method == PKCES256 {
		return "43 characters (base64url of a SHA-256 hash)"
	}
	return "43 to 128 characters"
}

// verifyPKCE checks the code_verifier against the code's challenge (RFC 7636
// §4.6). A verifier without a challenge is refused too, so that PKCE cannot
// be added after the fact (RFC 9700 §2.1.1).
func verifyPKCE(challenge, method, verifier string) *Error {
	switch {
	case challenge == "" && verifier == "":
		return nil
	case challenge == "":
		return ErrInvalidGrant.WithDescription("code_verifier was sent, but the authorization request had no code_challenge (RFC 9700 §2.1.1)")
	case verifier == "":
		return ErrInvalidGrant.WithDescription("code_verifier is missing: the authorization request sent a code_challenge with method %s (RFC 7636 §4.5)", method)
	case !isPKCEString(verifier):
		return ErrInvalidGrant.WithDescription("code_verifier is malformed: it must be 43 to 128 characters of [A-Za-z0-9-._~], got %d (RFC 7636 §4.1)", len(verifier))
	}
	derived := verifier
	if method == PKCES256 {
		sum := sha256.Sum256([]byte(verifier))
		derived = b64(sum[:])
	}
	if subtle.ConstantTimeCompare([]byte(derived), []byte(challenge)) != 1 {
		return ErrInvalidGrant.WithDescription("code_verifier does not match the code_challenge (method %s)", method)
	}
	return nil
}

// isPKCEString reports whether s is 43 to 128 unreserved characters, the
// syntax of both verifier and challenge (RFC 7636 §4.1).
func isPKCEString(s string) bool {
	if len(s) < 43 || len(s) > 128 {
		return false
	}
	for _, c := range []byte(s) {
		ok := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}
