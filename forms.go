package oauthtest

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
)

// Request size limits; no legitimate OAuth request comes near them.
const (
	maxBodyBytes   = 64 << 10 // a request body
	maxParamBytes  = 8 << 10  // one parameter's value (a state, a token...)
	maxHeaderBytes = 64 << 10 // the request line and headers, refused by net/http itself
)

// isForm reports whether r's body is application/x-www-form-urlencoded.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// parseForm parses r's query and body, refusing a body over maxBodyBytes
// with 413.
func parseForm(w http.ResponseWriter, r *http.Request) *Error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	err := r.ParseForm()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return ErrInvalidRequest.WithDescription("the request body exceeds %d bytes", maxBodyBytes).withStatus(http.StatusRequestEntityTooLarge)
	case err != nil:
		return ErrInvalidRequest.WithDescription("the request is not a valid form: %v", err)
	}
	for k, vs := range r.Form {
		for _, v := range vs {
			if len(v) > maxParamBytes {
				return ErrInvalidRequest.WithDescription("parameter %q is %d bytes long; at most %d are accepted", abbreviate(k), len(v), maxParamBytes)
			}
		}
	}
	return nil
}

// readPostForm reads the form of a POST endpoint (token and the like):
// the body's parameters only, each at most once. They are the request's
// parameters in its record.
func readPostForm(x *call) (url.Values, *Error) {
	w, r := x.w, x.r
	if !isForm(r) {
		return nil, ErrInvalidRequest.WithDescription("Content-Type must be application/x-www-form-urlencoded, not %q (RFC 6749 §4.1.3)", r.Header.Get("Content-Type"))
	}
	if err := parseForm(w, r); err != nil {
		return nil, err
	}
	x.rec.Params = r.Form
	if err := checkDuplicates(r.PostForm); err != nil {
		return nil, err
	}
	return r.PostForm, nil
}

// repeatable are the parameters that may be sent more than once: a token
// may be for several resources or audiences (RFC 8707 §2, RFC 8693 §2.1).
var repeatable = []string{"resource", "audience"}

// checkDuplicates refuses a parameter sent more than once (RFC 6749 §3.1).
func checkDuplicates(params url.Values) *Error {
	var dup []string
	for k, v := range params {
		if len(v) > 1 && !slices.Contains(repeatable, k) {
			dup = append(dup, k)
		}
	}
	if len(dup) == 0 {
		return nil
	}
	slices.Sort(dup)
	return ErrInvalidRequest.WithDescription("%s was sent %d times; each parameter may appear only once (RFC 6749 §3.1)", dup[0], len(params[dup[0]]))
}
