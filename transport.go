package oauthtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
)

// DefaultInMemoryIssuer is the issuer of a provider served in memory
// (WithInMemoryTransport) unless WithIssuer names another. The .test
// top-level domain is reserved for testing (RFC 2606): no real host has it.
const DefaultInMemoryIssuer = "http://oauthtest.test"

// WithInMemoryTransport serves the provider without a socket: HTTPClient
// returns a client whose transport connects to it through in-memory
// connections (net.Pipe), and nothing else reaches it. Requests go through
// the same net/http server as over loopback: the same headers, status
// codes, size limits, dropped connections and Close.
//
// It is what a test inside testing/synctest needs: a provider created in
// the bubble serves requests in it, and its clock follows the bubble's fake
// time, as do x/oauth2's and go-oidc's. The issuer is
// DefaultInMemoryIssuer unless WithIssuer names another; give the app
// under test p.HTTPClient() for every request to it.
func WithInMemoryTransport() Option {
	return optionFunc(func(c *config) error { c.inMemory = true; return nil })
}

// memoryListener accepts the server ends of the in-memory connections that
// the provider's transport dials.
type memoryListener struct {
	host   string // the issuer's host:port, the only address dialled
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newMemoryListener(host string) *memoryListener {
	return &memoryListener{host: host, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for the transport to dial.
func (l *memoryListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting: later dials are refused.
func (l *memoryListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr is the issuer's host and port.
func (l *memoryListener) Addr() net.Addr { return memoryAddr(l.host) }

// memoryAddr is the address of an in-memory provider.
type memoryAddr string

func (memoryAddr) Network() string  { return "memory" }
func (a memoryAddr) String() string { return string(a) }

// dial connects to the provider in memory, as http.Transport.DialContext.
// It refuses any other address, and every address once the provider is
// closed, as a refused connection.
func (l *memoryListener) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if addr != l.host {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: memoryAddr(addr),
			Err: fmt.Errorf("oauthtest: the in-memory transport reaches only its provider at %s", l.host)}
	}
	client, server := net.Pipe()
	var err error
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		err = errors.New("connection refused: the provider is closed")
	case <-ctx.Done():
		err = ctx.Err()
	}
	client.Close()
	server.Close()
	return nil, &net.OpError{Op: "dial", Net: network, Addr: memoryAddr(addr), Err: err}
}

// listenInMemory prepares s to serve in memory at the issuer's host and
// returns the client that reaches it; for TLS, once s has started, call
// trustInMemory.
func (p *Provider) listenInMemory(s *httptest.Server) *http.Client {
	u, _ := url.Parse(p.issuer) // validated by WithIssuer, or the default
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	l := newMemoryListener(host)
	s.Listener = l
	return &http.Client{Transport: &http.Transport{DialContext: l.dial, MaxIdleConnsPerHost: 16}}
}

// trustInMemory makes the in-memory client trust the certificate of s,
// which names example.com (net/http/httptest's).
func trustInMemory(c *http.Client, s *httptest.Server) {
	tls := s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	tls.ServerName = "example.com"
	c.Transport.(*http.Transport).TLSClientConfig = tls
}
