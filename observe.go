package oauthtest

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxRequests bounds the request log: older requests are forgotten.
const maxRequests = 1000

// Request is a request the provider received, as it understood it.
type Request struct {
	Endpoint         Endpoint   `json:"endpoint"`          // the endpoint of the request's path: EndpointToken for every grant, refresh included
	Time             time.Time  `json:"time"`              // by the provider's clock
	Method           string     `json:"method"`            // the HTTP method
	ClientID         string     `json:"client_id"`         // as the request named it, whether or not it authenticated
	AuthMethod       string     `json:"auth_method"`       // token endpoint: client_secret_basic, client_secret_post or none
	GrantType        string     `json:"grant_type"`        // token endpoint
	ResponseType     string     `json:"response_type"`     // authorize endpoint
	PKCEMethod       string     `json:"pkce_method"`       // authorize: S256 or plain (plain when the method was left out); "" without PKCE
	PKCEVerifier     bool       `json:"pkce_verifier"`     // token endpoint: a code_verifier was sent
	Scopes           []string   `json:"scopes"`            // requested
	Params           url.Values `json:"params"`            // every query and form parameter
	Status           int        `json:"status"`            // the HTTP status answered; 0 when the connection was dropped
	Error            string     `json:"error"`             // the OAuth error code answered, if any
	ErrorDescription string     `json:"error_description"` // its error_description
}

// requestLog keeps the last maxRequests requests in a ring. Their
// parameters are kept encoded, a third of the memory of url.Values, and
// parsed when read.
type requestLog struct {
	mu   sync.Mutex // guards reqs and next
	reqs []loggedRequest
	next int // where the next request goes once the ring is full
}

type loggedRequest struct {
	req    Request // without Params and Scopes
	params string  // url.Values.Encode of the parameters
}

func (l *requestLog) add(r Request) {
	logged := loggedRequest{req: r, params: r.Params.Encode()}
	logged.req.Params, logged.req.Scopes = nil, nil
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.reqs) < maxRequests {
		l.reqs = append(l.reqs, logged)
		return
	}
	l.reqs[l.next] = logged
	l.next = (l.next + 1) % maxRequests
}

// inOrder returns the logged requests, oldest first; l.mu must be held.
func (l *requestLog) inOrder() []loggedRequest {
	return append(l.reqs[l.next:len(l.reqs):len(l.reqs)], l.reqs[:l.next]...)
}

// Requests returns the requests the provider received, oldest first: the
// last 1,000 at most. They are copies.
func (p *Provider) Requests() []Request { return p.requestsTo("") }

// RequestsTo returns the requests to endpoint, oldest first, as faults
// count them: EndpointToken takes in every token request, EndpointRefresh
// those with grant_type=refresh_token. An unknown name fails the test at
// once, as Fail says.
func (p *Provider) RequestsTo(endpoint Endpoint) []Request {
	if p.tb != nil {
		p.tb.Helper()
	}
	if !knowsEndpoint(p.tb, "RequestsTo", endpoint) {
		return nil
	}
	return p.requestsTo(endpoint)
}

// requestsTo returns the requests to endpoint, a known name, or all of
// them for "".
func (p *Provider) requestsTo(endpoint Endpoint) []Request {
	p.requests.mu.Lock()
	defer p.requests.mu.Unlock()
	var out []Request
	for _, l := range p.requests.inOrder() {
		r := l.req
		if endpoint == "" || r.is(endpoint) {
			r.Params, _ = url.ParseQuery(l.params) // encoded by url.Values.Encode: cannot fail
			r.Scopes = splitScope(r.Params.Get("scope"))
			out = append(out, r)
		}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = slices.Clone(vs)
	}
	return c
}

// is reports whether r was a request to ep: EndpointRefresh names the
// token requests of the refresh grant.
func (r *Request) is(ep Endpoint) bool {
	if ep == EndpointRefresh {
		return r.Endpoint == EndpointToken && r.GrantType == GrantRefreshToken
	}
	return r.Endpoint == ep
}

// record logs the call once it has been served, even if serving it
// ended in a dropped connection, and shows it to the observer.
func (p *Provider) record(x *call) {
	req := x.record(p.Now())
	p.requests.add(req) // keeps an encoded copy of the parameters
	if p.cfg.observer != nil {
		req.Params = cloneValues(req.Params)
		req.Scopes = splitScope(req.Params.Get("scope"))
		p.cfg.observer(req)
	}
}

// Reporter is the part of testing.TB the Check helpers use: pass your
// *testing.T. Like TB, it is a small interface so that the test values of
// other frameworks satisfy it too; Errorf, not Fatalf, so a failed check
// lets the test go on and report more.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// CheckRequests reports an error unless endpoint received exactly n
// requests: CheckRequests(t, EndpointRefresh, 1) asserts the app refreshed
// once. It returns whether the check passed. An unknown endpoint name is
// no count to check: it fails the test at once, through t's Fatalf if t
// has one (*testing.T does), else as Fail says.
func (p *Provider) CheckRequests(t Reporter, endpoint Endpoint, n int) bool {
	t.Helper()
	if !knowsEndpoint(p.failerFor(t), "CheckRequests", endpoint) {
		return false
	}
	if got := len(p.requestsTo(endpoint)); got != n {
		t.Errorf("oauthtest: %d requests to the %s endpoint, want %d\n%s", got, endpoint, n, p.describeRequests())
		return false
	}
	return true
}

// CheckAuthMethod reports an error unless every token request
// authenticated its client with method (AuthMethodBasic, AuthMethodPost or
// AuthMethodNone), and there was at least one.
func (p *Provider) CheckAuthMethod(t Reporter, method string) bool {
	t.Helper()
	return p.checkEvery(t, EndpointToken, "authenticated with", method, func(r Request) string { return r.AuthMethod })
}

// CheckPKCE reports an error unless every authorization request used PKCE
// with method (PKCES256 or PKCEPlain), and there was at least one.
func (p *Provider) CheckPKCE(t Reporter, method string) bool {
	t.Helper()
	return p.checkEvery(t, EndpointAuthorize, "used PKCE method", method, func(r Request) string { return r.PKCEMethod })
}

// checkEvery reports an error unless there were requests to ep and field
// of each is want.
func (p *Provider) checkEvery(t Reporter, ep Endpoint, what, want string, field func(Request) string) bool {
	t.Helper()
	reqs := p.requestsTo(ep)
	if len(reqs) == 0 {
		t.Errorf("oauthtest: no request to the %s endpoint, want one that %s %q", ep, what, want)
		return false
	}
	for _, r := range reqs {
		if got := field(r); got != want {
			t.Errorf("oauthtest: a request to the %s endpoint %s %q, want %q\n%s", ep, what, got, want, p.describeRequests())
			return false
		}
	}
	return true
}

// failerFor is what fails the test of a check reported to t at once: t if
// it can, else the provider's TB, else nothing (knowsEndpoint panics).
func (p *Provider) failerFor(t Reporter) failer {
	if f, ok := t.(failer); ok {
		return f
	}
	return p.tb // a nil TB is a nil failer
}

// describeRequests lists the requests, one a line, for failure messages.
func (p *Provider) describeRequests() string {
	var b strings.Builder
	b.WriteString("requests received:\n")
	for _, r := range p.Requests() {
		fmt.Fprintf(&b, "  %s %-9s client=%q", r.Method, r.Endpoint, r.ClientID)
		for _, kv := range [][2]string{{"grant", r.GrantType}, {"auth", r.AuthMethod}, {"pkce", r.PKCEMethod}, {"error", r.Error}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
			}
		}
		fmt.Fprintf(&b, " -> %d\n", r.Status)
	}
	return b.String()
}

// requestState is a logged request as a snapshot keeps it.
type requestState struct {
	Request
	Time   stime  `json:"time"`
	Params string `json:"params"`
}

// requestLogState is the request log as a snapshot keeps it.
type requestLogState struct {
	Requests []requestState `json:"requests"`
	Next     int            `json:"next"`
}

func (l *requestLog) reset(*config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reqs, l.next = nil, 0
}

func (l *requestLog) snapshot(dst []record) []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := requestLogState{Next: l.next}
	for _, r := range l.reqs {
		st.Requests = append(st.Requests, requestState{Request: r.req, Time: stime(r.req.Time), Params: r.params})
	}
	return append(dst, newRecord("", st))
}

func (l *requestLog) restore(recs []record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		var st requestLogState
		if err := r.decode(&st); err != nil {
			return err
		}
		l.reqs, l.next = nil, st.Next
		for _, rs := range st.Requests {
			rs.Request.Time = rs.Time.time()
			l.reqs = append(l.reqs, loggedRequest{req: rs.Request, params: rs.Params})
		}
	}
	return nil
}
