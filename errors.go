package oauthtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error is an OAuth 2.0 error response: the error code, description and URI
// of RFC 6749 §4.1.2.1 and §5.2 (https://www.rfc-editor.org/rfc/rfc6749#section-5.2),
// and of RFC 6750 §3.1 for bearer tokens. Its field names mirror
// golang.org/x/oauth2's RetrieveError, so assertions on both sides read alike.
//
// The package-level Err values are prototypes: compare with errors.Is, which
// matches on ErrorCode alone, and derive a described copy with WithDescription.
type Error struct {
	// ErrorCode is the RFC error code, such as "invalid_grant".
	ErrorCode string
	// ErrorDescription tells a tester what went wrong and what would have matched.
	ErrorDescription string
	// ErrorURI optionally points at a page about the error.
	ErrorURI string

	status int // HTTP status the provider answers with; 0 means the code's default
}

// Error codes of RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1, OpenID Connect
// Core §3.1.2.6, RFC 8628 §3.5, RFC 8707 §2, RFC 9449 and RFC 7591 §3.2.2.
// Compare with errors.Is.
var (
	ErrInvalidRequest          = newError("invalid_request", http.StatusBadRequest)
	ErrInvalidClient           = newError("invalid_client", http.StatusUnauthorized)
	ErrInvalidGrant            = newError("invalid_grant", http.StatusBadRequest)
	ErrUnauthorizedClient      = newError("unauthorized_client", http.StatusBadRequest)
	ErrUnsupportedGrantType    = newError("unsupported_grant_type", http.StatusBadRequest)
	ErrUnsupportedResponseType = newError("unsupported_response_type", http.StatusBadRequest)
	ErrInvalidScope            = newError("invalid_scope", http.StatusBadRequest)
	ErrAccessDenied            = newError("access_denied", http.StatusBadRequest)
	ErrServerError             = newError("server_error", http.StatusInternalServerError)
	ErrTemporarilyUnavailable  = newError("temporarily_unavailable", http.StatusServiceUnavailable)
	ErrInvalidToken            = newError("invalid_token", http.StatusUnauthorized)
	ErrInsufficientScope       = newError("insufficient_scope", http.StatusForbidden)
	ErrLoginRequired           = newError("login_required", http.StatusBadRequest)
	ErrConsentRequired         = newError("consent_required", http.StatusBadRequest)
	ErrRequestNotSupported     = newError("request_not_supported", http.StatusBadRequest)
	ErrRequestURINotSupported  = newError("request_uri_not_supported", http.StatusBadRequest)
	ErrInvalidTarget           = newError("invalid_target", http.StatusBadRequest)        // RFC 8707 §2, RFC 8693 §2.2.2
	ErrAuthorizationPending    = newError("authorization_pending", http.StatusBadRequest) // RFC 8628 §3.5
	ErrSlowDown                = newError("slow_down", http.StatusBadRequest)             // RFC 8628 §3.5
	ErrExpiredToken            = newError("expired_token", http.StatusBadRequest)         // RFC 8628 §3.5
	ErrInvalidDPoPProof        = newError("invalid_dpop_proof", http.StatusBadRequest)    // RFC 9449 §5, §7.1: 401 at a resource
	ErrUseDPoPNonce            = newError("use_dpop_nonce", http.StatusBadRequest)        // RFC 9449 §8, §9: 401 at a resource
	// ErrUnmetAuthenticationRequirements: the login cannot meet the
	// essential acr the claims parameter asks for (OpenID Connect Core
	// Unmet Authentication Requirements 1.0 §2, OIDC Core §5.5.1.1).
	ErrUnmetAuthenticationRequirements = newError("unmet_authentication_requirements", http.StatusBadRequest)

	// Dynamic client registration errors (RFC 7591 §3.2.2).
	ErrInvalidRedirectURI          = newError("invalid_redirect_uri", http.StatusBadRequest)
	ErrInvalidClientMetadata       = newError("invalid_client_metadata", http.StatusBadRequest)
	ErrInvalidSoftwareStatement    = newError("invalid_software_statement", http.StatusBadRequest)
	ErrUnapprovedSoftwareStatement = newError("unapproved_software_statement", http.StatusBadRequest)
)

// Error codes of request objects and pushed authorization requests
// (RFC 9101 §7, RFC 9126 §2.3). Compare with errors.Is.
var (
	ErrInvalidRequestURI    = newError("invalid_request_uri", http.StatusBadRequest)
	ErrInvalidRequestObject = newError("invalid_request_object", http.StatusBadRequest)
)

// errorPrototypes are every Err value, in the order they are declared
// (newError appends each): the error codes a staged fault (FaultError, the
// control API's /faults) may answer.
var errorPrototypes []*Error

// errorByCode is the prototype Error with this code, or nil.
func errorByCode(code string) *Error {
	for _, e := range errorPrototypes {
		if e.ErrorCode == code {
			return e
		}
	}
	return nil
}

// errorCodes lists the prototypes' codes, in their order.
func errorCodes() []string {
	codes := make([]string, len(errorPrototypes))
	for i, e := range errorPrototypes {
		codes[i] = e.ErrorCode
	}
	return codes
}

func newError(code string, status int) *Error {
	e := &Error{ErrorCode: code, status: status}
	errorPrototypes = append(errorPrototypes, e)
	return e
}

// Error returns "oauthtest: CODE: DESCRIPTION".
func (e *Error) Error() string {
	if e.ErrorDescription == "" {
		return "oauthtest: " + e.ErrorCode
	}
	return "oauthtest: " + e.ErrorCode + ": " + e.ErrorDescription
}

// Is reports whether target is an *Error with the same ErrorCode, so that
// errors.Is(err, oauthtest.ErrInvalidGrant) holds for any described copy.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.ErrorCode == e.ErrorCode
}

// WithDescription returns a copy of e whose ErrorDescription is formatted
// from format and args; e itself is unchanged.
func (e *Error) WithDescription(format string, args ...any) *Error {
	c := *e
	c.ErrorDescription = fmt.Sprintf(format, args...)
	return &c
}

// StatusCode is the HTTP status the provider answers this error with
// (400 for most codes, 401 for invalid_client and invalid_token).
func (e *Error) StatusCode() int {
	if e.status == 0 {
		return http.StatusBadRequest
	}
	return e.status
}

// withStatus returns a copy of e answered with status.
func (e *Error) withStatus(status int) *Error {
	c := *e
	c.status = status
	return &c
}

// errorBody is the JSON form of RFC 6749 §5.2.
type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorURI         string `json:"error_uri,omitempty"`
}

// writeJSONError answers e as the token endpoint does (RFC 6749 §5.2).
func writeJSONError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.StatusCode(), errorBody{e.ErrorCode, e.ErrorDescription, e.ErrorURI})
}

// writeJSON answers v as JSON that no cache may store (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeBearerError answers e as a protected resource does (RFC 6750 §3):
// a WWW-Authenticate challenge with the error, and the same error as JSON.
func writeBearerError(w http.ResponseWriter, e *Error, extra string) {
	w.Header().Set("WWW-Authenticate", challenge("Bearer", e)+extra)
	writeJSON(w, e.StatusCode(), errorBody{e.ErrorCode, e.ErrorDescription, e.ErrorURI})
}

// challenge is a WWW-Authenticate challenge of scheme carrying e's error
// and description as auth-params (RFC 6750 §3, RFC 9110 §11.6.1), so that
// clients that read the challenge rather than the body learn them too.
func challenge(scheme string, e *Error) string {
	c := scheme + ` realm="oauthtest", error="` + e.ErrorCode + `"`
	if e.ErrorDescription != "" {
		c += `, error_description="` + quotable(e.ErrorDescription) + `"`
	}
	return c
}

// quotable keeps only the characters RFC 6750 §3 allows in a quoted
// error_description: printable ASCII without '"' and '\'.
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case r == '\\':
			return '/'
		case r < 0x20 || r > 0x7e:
			return '?'
		}
		return r
	}, s)
}
