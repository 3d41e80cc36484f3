package oauthtest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultInMemoryIssuer is the issuer of a provider served in memory
// (WithInMemoryTransport) unless WithIssuer names another. The .test
// top-level domain is reserved for testing (RFC 2606): no real host has it.
const DefaultInMemoryIssuer = "http://oauthtest.test"

// WithInMemoryTransport serves the provider without a socket: HTTPClient
// returns a client whose transport hands each request to the provider in
// the caller's goroutine, and nothing else reaches it. The provider
// answers as over loopback: the same status codes, headers and bodies,
// net/http's 431 for a request line and headers over 68 KiB, redirects
// left to the client, FaultDrop as a transport error, and Close waiting
// for requests in flight and refusing later ones.
//
// It is what a test inside testing/synctest needs: a provider created in
// the bubble serves requests in it with no goroutine of its own, and its
// clock follows the bubble's fake time, as do x/oauth2's and go-oidc's. It
// is also the fastest way to reach the provider. The issuer is
// DefaultInMemoryIssuer unless WithIssuer names another (an https one
// too: nothing is encrypted in memory). Give the app under test
// p.HTTPClient(), or its Transport, for every request to the provider.
func WithInMemoryTransport() Option {
	return optionFunc(func(c *config) error { c.inMemory = true; return nil })
}

// memoryTransport is the http.RoundTripper of a provider served in memory.
type memoryTransport struct {
	handler  http.Handler
	host     string // the issuer's host, with its port
	mu       sync.Mutex
	closed   bool           // guarded by mu
	inFlight sync.WaitGroup // Add is guarded by mu, with closed
}

func newMemoryTransport(issuer string, h http.Handler) *memoryTransport {
	u, _ := url.Parse(issuer) // validated by WithIssuer, or the default
	return &memoryTransport{handler: h, host: hostPort(u)}
}

// hostPort is u's host with its port, the scheme's default if none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// RoundTrip serves req with the provider's handler, as net/http's server
// would have read it off a connection, and returns the answer.
func (t *memoryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	if err := t.enter(req); err != nil {
		return nil, err
	}
	defer t.inFlight.Done()
	if wireHeaderSize(req) > maxHeaderBytes+4096 { // net/http's limit, with its 4 KiB of slack
		return headerTooLarge(req), nil
	}
	w := httptest.NewRecorder()
	if err := serveRecovering(t.handler, w, serverRequest(req)); err != nil {
		return nil, &url.Error{Op: req.Method, URL: req.URL.String(), Err: err}
	}
	return response(req, w), nil
}

// enter admits a request unless the provider is closed or req is for
// another host.
func (t *memoryTransport) enter(req *http.Request) error {
	if hostPort(req.URL) != t.host {
		return &net.OpError{Op: "dial", Net: "memory", Err: fmt.Errorf("oauthtest: the in-memory transport reaches only its provider at %s, not %s", t.host, req.URL.Host)}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return &net.OpError{Op: "dial", Net: "memory", Err: fmt.Errorf("connection refused: the provider at %s is closed", t.host)}
	}
	t.inFlight.Add(1)
	return nil
}

// close refuses new requests and waits for those in flight.
func (t *memoryTransport) close() {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	t.inFlight.Wait()
}

// serverRequest is req as a server receives it.
func serverRequest(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:1"
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	if r.Host == "" {
		r.Host = req.URL.Host
	}
	if r.Body == nil {
		r.Body = http.NoBody
	}
	return r
}

// serveRecovering serves r, turning a panic (FaultDrop's, or any other) into
// the error a client sees when net/http's server drops the connection.
func serveRecovering(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v == http.ErrAbortHandler {
			err = io.ErrUnexpectedEOF
		} else if v != nil {
			err = fmt.Errorf("%w: the handler panicked: %v", io.ErrUnexpectedEOF, v)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// response is what the client receives of a recorded answer: with the
// Content-Length and Date net/http's server adds, and no body for HEAD.
func response(req *http.Request, w *httptest.ResponseRecorder) *http.Response {
	resp := w.Result()
	body := w.Body.Bytes()
	resp.ContentLength = int64(len(body))
	resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
	resp.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if req.Method == http.MethodHead {
		body = nil
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.Request = req
	return resp
}

// wireHeaderSize is the size of req's request line and headers on the
// wire, as net/http's server counts them against MaxHeaderBytes.
func wireHeaderSize(req *http.Request) int {
	var n countingWriter
	fmt.Fprintf(&n, "%s %s HTTP/1.1\r\nHost: %s\r\n", req.Method, req.URL.RequestURI(), req.URL.Host)
	_ = req.Header.Write(&n)
	return int(n) + 2
}

type countingWriter int

func (c *countingWriter) Write(b []byte) (int, error) {
	*c += countingWriter(len(b))
	return len(b), nil
}

// headerTooLarge is net/http's answer to a request whose headers exceed
// its limit, which it writes raw: no Date, no Content-Length, and the
// connection closed after the body.
func headerTooLarge(req *http.Request) *http.Response {
	const body = "431 Request Header Fields Too Large"
	return &http.Response{
		Status: "431 Request Header Fields Too Large", StatusCode: http.StatusRequestHeaderFieldsTooLarge,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"text/plain; charset=utf-8"}, "Connection": {"close"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: -1, Close: true, Request: req,
	}
}
