package oauthtest

import (
	"net/http"
	"strings"
	"time"
)

// call is one request being served, and its answer. Its handler fills rec as it learns
// each fact (client, auth method, grant, error...), once; the request log,
// the observer and the faults read rec and never re-parse the request or
// the answer.
type call struct {
	w    http.ResponseWriter // answers; a fault may wrap it
	sent *statusWriter       // what reached the connection
	r    *http.Request
	rec  Request
	// challenge is the scheme of a resource's error challenges: "" for
	// Bearer, "DPoP" once the request used it or its token is DPoP-bound.
	challenge string
}

// newCall starts the record of a request to ep.
func newCall(w http.ResponseWriter, r *http.Request, ep Endpoint) *call {
	sent := &statusWriter{ResponseWriter: w}
	return &call{w: sent, sent: sent, r: r, rec: Request{Endpoint: ep, Method: r.Method}}
}

// noteError records the OAuth error the request is answered with.
func (x *call) noteError(e *Error) {
	x.rec.Error, x.rec.ErrorDescription = e.ErrorCode, e.ErrorDescription
}

// jsonError answers e as the token endpoint does (RFC 6749 §5.2): an
// invalid_client to a client that authenticated with HTTP Basic carries a
// Basic challenge (§5.2 requires it), with the error in its auth-params.
func (x *call) jsonError(e *Error) {
	x.noteError(e)
	if e.ErrorCode == ErrInvalidClient.ErrorCode && usedBasic(x.r) {
		x.w.Header().Set("WWW-Authenticate", challenge("Basic", e))
	}
	writeJSONError(x.w, e)
}

// usedBasic reports whether r carries HTTP Basic credentials.
func usedBasic(r *http.Request) bool {
	scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "Basic")
}

// bearerError answers e as a protected resource does (RFC 6750 §3).
func (x *call) bearerError(e *Error, extra string) {
	x.noteError(e)
	if x.challenge == tokenTypeDPoP {
		writeDPoPError(x.w, e, extra)
		return
	}
	writeBearerError(x.w, e, extra)
}

// errorPage answers a browser's request that cannot be redirected, with
// what would have matched, if anything, one a line.
func (x *call) errorPage(status int, msg string, registered ...string) {
	x.noteError(ErrInvalidRequest.WithDescription("%s", msg))
	note := ""
	if x.rec.Endpoint == EndpointAuthorize {
		note = "The client or its redirect URI is not valid, so this error is not sent back to the client (RFC 6749 §4.1.2.1)."
	}
	writeErrorPage(x.w, status, msg, note, registered)
}

// flush sends what a fault held back (FaultMalformedJSON).
func (x *call) flush() {
	if f, ok := x.w.(interface{ flush() }); ok {
		f.flush()
	}
}

// record is what the request log keeps of the call: its status is the
// one sent, 0 for a dropped connection.
func (x *call) record(now time.Time) Request {
	rec := x.rec
	rec.Time, rec.Status = now, x.sent.status
	if rec.Params == nil {
		rec.Params = x.r.URL.Query() // the handler read no form
	}
	return rec
}

// statusWriter notes the status answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
