package oauthtest

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

type faultKind int

const (
	faultError faultKind = iota
	faultStatus
	faultMalformedJSON
	faultContentType
	faultLatency
	faultDrop
)

// faultKindNames name the kinds of fault, as the control API's "kind" does.
var faultKindNames = [...]string{
	faultError: "error", faultStatus: "status", faultMalformedJSON: "malformed_json",
	faultContentType: "content_type", faultLatency: "latency", faultDrop: "drop",
}

// MaxFaultDelay bounds the real time a fault waits (FaultLatency, After),
// so that a staged fault cannot hold a connection for ever.
const MaxFaultDelay = 5 * time.Minute

// A Fault is what an endpoint does instead of, or besides, its work. Build
// one with FaultError, FaultStatus, FaultMalformedJSON, FaultContentType,
// FaultLatency or FaultDrop; stage it with Provider.FailNext or Provider.Fail.
type Fault struct {
	kind        faultKind
	err         *Error
	status      int
	contentType string
	delay       time.Duration
}

// FaultError answers with a protocol error, as the endpoint answers its own
// errors: at the authorize endpoint a redirect to the client carrying the
// error and state, elsewhere JSON with the error's status (503 for
// ErrTemporarilyUnavailable, 500 for ErrServerError, 400 for most). An
// error without a description gets one that says it was staged. It panics
// if e is nil.
func FaultError(e *Error) Fault {
	if e == nil {
		panic("oauthtest: FaultError(nil): pass an error such as oauthtest.ErrTemporarilyUnavailable")
	}
	if e.ErrorDescription == "" {
		e = e.WithDescription("%s staged by the test (oauthtest fault)", e.ErrorCode)
	}
	return Fault{kind: faultError, err: e}
}

// FaultStatus answers with an HTTP status and an HTML body, as a proxy or
// load balancer in front of a provider does (502, 503, 504...). It panics
// unless status is from 200 to 599: a 1xx status cannot end an answer.
func FaultStatus(status int) Fault {
	if err := checkFaultStatus(status); err != nil {
		panic("oauthtest: FaultStatus: " + err.Error())
	}
	return Fault{kind: faultStatus, status: status}
}

// checkFaultStatus accepts the statuses that can end an answer.
func checkFaultStatus(status int) error {
	if status < 200 || status > 599 {
		return fmt.Errorf("status %d is not an HTTP status from 200 to 599", status)
	}
	return nil
}

// checkFaultDelay accepts delays from 0 to MaxFaultDelay.
func checkFaultDelay(d time.Duration) error {
	if d < 0 || d > MaxFaultDelay {
		return fmt.Errorf("delay %v is not from 0 to %v (MaxFaultDelay)", d, MaxFaultDelay)
	}
	return nil
}

// FaultMalformedJSON lets the endpoint answer as usual, with its own
// status and headers, but cuts its body in half: a discovery document, JWKS,
// token response or userinfo document that no JSON decoder accepts. The
// endpoint has done its work: a code sent to the token endpoint is
// redeemed. At the authorization endpoint, whose redirects have no body,
// it cuts only a form_post or login page.
func FaultMalformedJSON() Fault { return Fault{kind: faultMalformedJSON} }

// FaultContentType lets the endpoint answer as usual but labels the answer
// with contentType, such as "text/html".
func FaultContentType(contentType string) Fault {
	return Fault{kind: faultContentType, contentType: contentType}
}

// FaultLatency delays the answer by d of real time, then answers as usual.
// The wait ends early if the client gives up. It panics unless d is from 0
// to MaxFaultDelay.
func FaultLatency(d time.Duration) Fault {
	if err := checkFaultDelay(d); err != nil {
		panic("oauthtest: FaultLatency: " + err.Error())
	}
	return Fault{kind: faultLatency, delay: d}
}

// FaultDrop closes the connection without an answer: the client sees a
// transport error.
func FaultDrop() Fault { return Fault{kind: faultDrop} }

// After delays f by d of real time first: FaultStatus(504).After(time.Second).
// It panics unless d, and the delay it adds up to, are from 0 to
// MaxFaultDelay.
func (f Fault) After(d time.Duration) Fault {
	if err := cmp.Or(checkFaultDelay(d), checkFaultDelay(f.delay+d)); err != nil {
		panic("oauthtest: After: " + err.Error())
	}
	f.delay += d
	return f
}

// faultRule is a staged fault and how many more requests it hits.
type faultRule struct {
	endpoint Endpoint
	clientID string // "" for any client
	fault    Fault
	left     int // requests still to hit; -1 until cleared
}

// faultStore holds the staged faults.
type faultStore struct {
	mu    sync.Mutex // guards rules and down
	rules []*faultRule
	down  bool
}

func (s *faultStore) add(r *faultRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, r)
}

// take returns the first fault staged for the request, counting the hit.
func (s *faultStore) take(req *Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if !req.is(r.endpoint) || r.clientID != "" && r.clientID != req.ClientID {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.rules = slices.Delete(s.rules, i, i+1)
			}
		}
		return r.fault, true
	}
	return Fault{}, false
}

func (s *faultStore) clear(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = slices.DeleteFunc(s.rules, func(r *faultRule) bool { return clientID == "" || r.clientID == clientID })
}

func (s *faultStore) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *faultStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// FailNext makes the next n requests to endpoint fail with f; later ones
// are served as usual. Faults staged earlier are used up first. It panics
// if n is less than 1 (Fail stages a fault until cleared) or if f is the
// zero Fault. An endpoint that is not one of the Endpoint constants fails
// the test at once, as Fail says.
//
// golang.org/x/oauth2 with an unset Endpoint.AuthStyle (auto-detect)
// sends a failed token request again in the other auth style, using up a
// fault staged for one request: set AuthStyle, or stage two.
func (p *Provider) FailNext(endpoint Endpoint, n int, f Fault) {
	if p.tb != nil {
		p.tb.Helper()
	}
	if knowsEndpoint(p.tb, "FailNext", endpoint) {
		p.faults.add(stagedFault("FailNext", endpoint, "", n, f))
	}
}

// Fail makes every request to endpoint fail with f until ClearFaults. It
// panics if f is the zero Fault. An endpoint that is not one of the
// Endpoint constants (EndpointRefresh included) fails the test at once,
// with the names it could be: through the Fatalf of the test given to
// NewTestProvider, or, for a provider made by NewProvider, with a panic.
// So do the other methods that take an Endpoint.
func (p *Provider) Fail(endpoint Endpoint, f Fault) {
	if p.tb != nil {
		p.tb.Helper()
	}
	if knowsEndpoint(p.tb, "Fail", endpoint) {
		p.faults.add(untilCleared(stagedFault("Fail", endpoint, "", 1, f)))
	}
}

// stagedFault is the rule for a fault staged by the Go method caller for
// n requests to endpoint, a known name: the Go methods check it with
// knowsEndpoint, the control API against its enum first. It panics on what
// only a programmer can get wrong; the control API checks first.
func stagedFault(caller string, endpoint Endpoint, clientID string, n int, f Fault) *faultRule {
	switch {
	case n < 1:
		panic(fmt.Sprintf("oauthtest: %s: n is %d; it must be at least 1 (Fail stages a fault until cleared)", caller, n))
	case f.kind == faultError && f.err == nil:
		panic(fmt.Sprintf("oauthtest: %s: the zero Fault: build one with FaultError, FaultStatus, FaultDrop...", caller))
	}
	return &faultRule{endpoint: endpoint, clientID: clientID, fault: f, left: n}
}

// untilCleared makes r hit every request until cleared.
func untilCleared(r *faultRule) *faultRule {
	r.left = -1
	return r
}

// ClearFaults removes every staged fault and brings the provider back up.
func (p *Provider) ClearFaults() {
	p.faults.clear("")
	p.faults.setDown(false)
}

// TakeDown makes the provider drop every connection without an answer, as
// if it had crashed, until BringUp. Codes and tokens issued are kept.
func (p *Provider) TakeDown() { p.faults.setDown(true) }

// BringUp serves again after TakeDown.
func (p *Provider) BringUp() { p.faults.setDown(false) }

// fault serves the fault staged for the call, by the endpoint and
// client its handler recorded, if there is one, and reports whether the
// answer has been given. If not, the handler answers through x.w, which the
// fault may have wrapped. answer writes a protocol error the way the
// endpoint does. Handlers call it once the request has passed their checks.
func (p *Provider) fault(x *call, answer func(*Error)) bool {
	f, ok := p.faults.take(&x.rec)
	if !ok {
		return false
	}
	if f.delay > 0 && !wait(x.r.Context(), f.delay) {
		return true // the client is gone
	}
	switch f.kind {
	case faultDrop:
		panic(http.ErrAbortHandler) // net/http closes the connection without answering
	case faultError:
		answer(f.err)
	case faultStatus:
		w := x.w
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%[1]d %[2]s</h1><p>oauthtest: staged fault</p></body></html>\n", f.status, http.StatusText(f.status))
	case faultMalformedJSON:
		x.w = &truncatingWriter{ResponseWriter: x.w}
		return false
	case faultContentType:
		x.w = &contentTypeWriter{ResponseWriter: x.w, contentType: f.contentType}
		return false
	default: // faultLatency
		return false
	}
	return true
}

// wait waits for d unless ctx ends first, and reports whether it waited.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// truncatingWriter holds an answer back and sends the first half of its
// body on flush.
type truncatingWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

func (w *truncatingWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *truncatingWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	w.body = append(w.body, b...)
	return len(b), nil
}

func (w *truncatingWriter) flush() {
	w.ResponseWriter.WriteHeader(cmp.Or(w.status, http.StatusOK))
	_, _ = w.ResponseWriter.Write(w.body[:len(w.body)/2])
}

// contentTypeWriter replaces the Content-Type of an answer.
type contentTypeWriter struct {
	http.ResponseWriter
	contentType string
}

func (w *contentTypeWriter) WriteHeader(status int) {
	w.Header().Set("Content-Type", w.contentType)
	w.ResponseWriter.WriteHeader(status)
}

func (w *contentTypeWriter) Write(b []byte) (int, error) {
	if w.Header().Get("Content-Type") != w.contentType {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// faultsState is the staged faults as a snapshot keeps them.
type faultsState struct {
	Rules []faultRuleState `json:"rules"`
	Down  bool             `json:"down"`
}

// faultRuleState is a staged fault as a snapshot keeps it.
type faultRuleState struct {
	Endpoint    Endpoint      `json:"endpoint"`
	ClientID    string        `json:"client_id"`
	Left        int           `json:"left"`
	Kind        faultKind     `json:"kind"`
	Error       *Error        `json:"error,omitempty"`
	ErrorStatus int           `json:"error_status,omitempty"`
	Status      int           `json:"status,omitempty"`
	ContentType string        `json:"content_type,omitempty"`
	Delay       time.Duration `json:"delay,omitempty"`
}

func (s *faultStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.down = nil, false
}

func (s *faultStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := faultsState{Down: s.down}
	for _, r := range s.rules {
		f := r.fault
		rs := faultRuleState{Endpoint: r.endpoint, ClientID: r.clientID, Left: r.left, Kind: f.kind, Error: f.err,
			Status: f.status, ContentType: f.contentType, Delay: f.delay}
		if f.err != nil {
			rs.ErrorStatus = f.err.status
		}
		st.Rules = append(st.Rules, rs)
	}
	return append(dst, newRecord("", st))
}

func (s *faultStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		var st faultsState
		if err := r.decode(&st); err != nil {
			return err
		}
		s.rules, s.down = nil, st.Down
		for _, rs := range st.Rules {
			if rs.Error != nil {
				rs.Error.status = rs.ErrorStatus
			}
			f := Fault{kind: rs.Kind, err: rs.Error, status: rs.Status, contentType: rs.ContentType, delay: rs.Delay}
			s.rules = append(s.rules, &faultRule{endpoint: rs.Endpoint, clientID: rs.ClientID, fault: f, left: rs.Left})
		}
	}
	return nil
}
