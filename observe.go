package oauthtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// maxRequests bounds the request log: older requests are forgotten.
const maxRequests = 1000

// Request is a request the provider received, as it understood it.
type Request struct {
	Endpoint         Endpoint   // EndpointRefresh for the refresh grant, EndpointToken for other token requests
	Time             time.Time  // by the provider's clock
	Method           string     // the HTTP method
	ClientID         string     // as the request named it, whether or not it authenticated
	AuthMethod       string     // token endpoint: client_secret_basic, client_secret_post or none
	GrantType        string     // token endpoint
	ResponseType     string     // authorize endpoint
	PKCEMethod       string     // authorize: S256 or plain (plain when the method was left out); "" without PKCE
	PKCEVerifier     bool       // token endpoint: a code_verifier was sent
	Scopes           []string   // requested
	Params           url.Values // every query and form parameter
	Status           int        // the HTTP status answered; 0 when the connection was dropped
	Error            string     // the OAuth error code answered, if any
	ErrorDescription string     // its error_description
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
func (p *Provider) Requests() []Request { return p.RequestsTo("") }

// RequestsTo returns the requests to endpoint, oldest first; EndpointToken
// includes refresh requests, as it does for faults.
func (p *Provider) RequestsTo(endpoint Endpoint) []Request {
	p.requests.mu.Lock()
	defer p.requests.mu.Unlock()
	var out []Request
	for _, l := range p.requests.inOrder() {
		r := l.req
		if endpoint == "" || r.Endpoint == endpoint || endpoint == EndpointToken && r.Endpoint == EndpointRefresh {
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

// observe records the request after it has been served, even if serving
// it ended in a dropped connection.
func (p *Provider) observe(w http.ResponseWriter, r *http.Request, ep Endpoint, serve func(http.ResponseWriter)) {
	rec := &recorder{ResponseWriter: w}
	defer func() {
		req := describe(r, ep, rec, p.Now())
		p.requests.add(req) // keeps an encoded copy of the parameters
		if p.cfg.observer != nil {
			req.Params = cloneValues(req.Params)
			p.cfg.observer(req)
		}
	}()
	serve(rec)
}

// describe reads what the request said; it runs after the handler parsed
// it. Params are the request's own: copy them before handing them out.
func describe(r *http.Request, ep Endpoint, rec *recorder, now time.Time) Request {
	params := r.Form
	if params == nil {
		params = r.URL.Query()
	}
	req := Request{
		Endpoint: ep, Time: now, Method: r.Method, Params: params,
		Status: rec.status,
		Scopes: splitScope(params.Get("scope")), ClientID: params.Get("client_id"),
	}
	req.Error, req.ErrorDescription = rec.oauthError()
	switch ep {
	case EndpointAuthorize:
		req.ResponseType = params.Get("response_type")
		if req.PKCEMethod = params.Get("code_challenge_method"); req.PKCEMethod == "" && params.Has("code_challenge") {
			req.PKCEMethod = PKCEPlain
		}
	case EndpointIntrospection, EndpointRevocation:
		if id, _, method, err := clientCredentials(r, params); err == nil {
			req.ClientID, req.AuthMethod = id, method
		}
	case EndpointToken:
		if params.Get("grant_type") == GrantRefreshToken {
			req.Endpoint = EndpointRefresh
		}
		id, _, method, err := clientCredentials(r, params)
		if err == nil {
			req.ClientID, req.AuthMethod = id, method
		}
		req.GrantType, req.PKCEVerifier = params.Get("grant_type"), params.Has("code_verifier")
	case EndpointUserinfo:
		req.ClientID = bearerClient(r)
	}
	return req
}

// recorder notes the status and, for errors, the start of the body.
type recorder struct {
	http.ResponseWriter
	status int
	body   []byte // up to 1 KiB of an error answer
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status >= 400 && len(w.body) < 1024 {
		w.body = append(w.body, b[:min(len(b), 1024-len(w.body))]...)
	}
	return w.ResponseWriter.Write(b)
}

// oauthError is the error code and description of the answer: from a
// redirect's parameters, a JSON body, or the error page.
func (w *recorder) oauthError() (code, description string) {
	if loc := w.Header().Get("Location"); w.status == http.StatusFound && loc != "" {
		u, err := url.Parse(loc)
		if err != nil {
			return "", ""
		}
		q, frag := u.Query(), url.Values{}
		if !q.Has("error") {
			frag, _ = url.ParseQuery(u.EscapedFragment())
		}
		return cmp.Or(q.Get("error"), frag.Get("error")), cmp.Or(q.Get("error_description"), frag.Get("error_description"))
	}
	var body errorBody
	if w.status >= 400 && json.Unmarshal(w.body, &body) == nil {
		return body.Error, body.ErrorDescription
	}
	if m := pageDescription.FindSubmatch(w.body); w.status == http.StatusBadRequest && m != nil {
		return ErrInvalidRequest.ErrorCode, html.UnescapeString(string(m[1])) // the error page
	}
	return "", ""
}

// pageDescription finds the description on the error page.
var pageDescription = regexp.MustCompile(`<p id="error_description">([^<]*)</p>`)

// Reporter is the part of testing.TB the Check helpers use.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// CheckRequests reports an error unless endpoint received exactly n
// requests: CheckRequests(t, EndpointRefresh, 1) asserts the app refreshed
// once. It returns whether the check passed.
func (p *Provider) CheckRequests(t Reporter, endpoint Endpoint, n int) bool {
	t.Helper()
	if got := len(p.RequestsTo(endpoint)); got != n {
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
	reqs := p.RequestsTo(ep)
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
