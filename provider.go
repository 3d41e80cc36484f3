package oauthtest

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Provider is an OAuth 2.0 authorization server and OpenID Connect provider.
// All its methods are safe for concurrent use.
type Provider struct {
	cfg    *config
	issuer string
	server *httptest.Server // nil with WithoutServer or WithInMemoryTransport
	memory *memoryTransport // WithInMemoryTransport

	clock       clock
	ids         idSource
	clients     clientStore
	users       userStore
	codes       codeStore
	tokens      tokenStore
	faults      faultStore
	keys        keyring
	requests    requestLog
	devices     deviceStore
	sessions    sessionStore
	backchannel backchannelLog
	assertions  assertionStore
	dpop        dpopStore
	documents   documentStore  // client ID metadata documents (metadata_document.go)
	pars        parStore       // pushed authorization requests: par.go
	forms       formKeyStore   // the key of the forms' anti-forgery tokens (forms_guard.go)
	rules       claimRuleStore // claim rules set at run time: claim_rules.go
	journal     *journal       // WithStateFile

	handler        http.Handler
	client         *http.Client         // reaches the provider; nil with WithoutServer
	discovery      lazy[[]byte]         // the discovery document
	allowedOrigins lazy[corsOrigins]    // who may call with CORS
	controlHosts   lazy[controlHostSet] // the control API's hosts, once the issuer and listener are known
	closeOnce      sync.Once
	tb             TB // NewTestProvider's test, which an unknown Endpoint fails; nil from NewProvider
}

// NewProvider builds a provider and, unless WithoutServer is given, starts
// its server. Close it when done. In tests, NewTestProvider does both.
func NewProvider(opts ...Option) (*Provider, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, issuer: cfg.issuer}
	p.ids.seed = cfg.seed
	p.resetStores(cfg)
	if err := p.checkRuleClients(cfg.claimRules); err != nil {
		return nil, fmt.Errorf("oauthtest: %w", err)
	}
	switch {
	case cfg.inMemory:
		p.serveInMemory()
	case !cfg.serve:
		p.handler = p.routes()
	default:
		if err := p.start(); err != nil {
			return nil, err
		}
	}
	if cfg.stateFile != "" {
		j := p.newJournal(cfg.stateFile)
		if err := j.start(); err != nil {
			p.Close() // writes nothing: the file is left as it is
			return nil, fmt.Errorf("oauthtest: %w", err)
		}
		p.journal = j
	}
	return p, nil
}

// start listens on a loopback port or WithAddr's address, learns the
// issuer from the listener's address unless one was given, and serves.
func (p *Provider) start() error {
	s := httptest.NewUnstartedServer(nil)
	if p.cfg.addr != "" {
		l, err := net.Listen("tcp", p.cfg.addr)
		if err != nil {
			s.Close()
			return fmt.Errorf("oauthtest: listen on %s: %w", p.cfg.addr, err)
		}
		s.Listener.Close()
		s.Listener = l
	}
	if p.issuer == "" {
		scheme := "http://"
		if p.cfg.tls {
			scheme = "https://"
		}
		p.issuer = scheme + s.Listener.Addr().String()
	}
	p.handler = p.routes()
	s.Config.Handler = p.handler
	s.Config.MaxHeaderBytes = maxHeaderBytes
	p.server = s // before it serves: handlers read it (the control API's hosts)
	if p.cfg.tls {
		s.StartTLS()
	} else {
		s.Start()
	}
	p.client = s.Client() // StartTLS makes it trust the certificate
	return nil
}

// serveInMemory serves through HTTPClient's transport alone.
func (p *Provider) serveInMemory() {
	if p.issuer == "" {
		p.issuer = DefaultInMemoryIssuer
	}
	p.handler = p.routes()
	p.memory = newMemoryTransport(p.issuer, p.handler)
	p.client = &http.Client{Transport: p.memory}
}

// routes serves each endpoint below the issuer's path. A lookup of fixed
// paths costs nothing to build, where registering patterns with an
// http.ServeMux would cost each provider start some 15 µs.
func (p *Provider) routes() http.Handler {
	u, _ := url.Parse(p.issuer) // validated by WithIssuer or made from the listener
	prefix := u.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, ok := strings.CutPrefix(r.URL.Path, prefix)
		if control, isControl := strings.CutPrefix(path, ControlPath); ok && isControl && p.cfg.control {
			h := p.hold(w)
			p.serveControl(h.writer(w), r, control) // stays up when the provider is down, and is not logged
			h.commit(nil)
			h.send()
			return
		}
		if prefix != "" && r.URL.Path == OAuthMetadataPath+prefix {
			path, ok = OAuthMetadataPath, true // RFC 8414 §3: inserted after the host
		}
		rt, known := routeTable[path]
		if !ok || !known || !p.serves(rt.endpoint) {
			http.NotFound(w, r)
			return
		}
		h := p.hold(w)
		x := newCall(h.writer(w), r, rt.endpoint)
		defer func() { p.finish(x, h, recover()) }()
		if p.faults.isDown() {
			panic(http.ErrAbortHandler) // net/http closes the connection without answering
		}
		if p.cors(rt, x.w, r) {
			return // a preflight
		}
		if !slices.Contains(rt.methods, r.Method) {
			rt.refuseMethod(x)
			return
		}
		rt.serve(p, x)
		x.flush()
	})
}

// finish ends a call: with a state file, it waits for the call's
// changes to be durable, then logs the request, also when the connection
// was dropped (a panic, passed on), then sends the answer held back.
func (p *Provider) finish(x *call, h *held, panicked any) {
	if panicked == nil {
		h.commit(x)
	}
	p.record(x)
	if panicked != nil {
		panic(panicked)
	}
	h.send()
}

// Close shuts the server down, waiting for requests in flight. It is safe
// to call more than once.
func (p *Provider) Close() {
	p.closeOnce.Do(func() {
		if p.server != nil {
			p.server.Close()
		}
		if p.memory != nil {
			p.memory.close()
		}
		if p.journal != nil {
			p.journal.close()
		}
	})
}

// Handler serves the provider's endpoints, below the issuer's path, for
// mounting in another server (see WithoutServer and WithIssuer). For an
// issuer with a path, such as https://host/idp, it also serves the RFC 8414
// metadata where §3 puts it, /.well-known/oauth-authorization-server/idp:
// route that path to it too.
func (p *Provider) Handler() http.Handler { return p.handler }

// HTTPClient returns a client that reaches the provider; with WithTLS it
// trusts the provider's certificate. Pass it to golang.org/x/oauth2 and
// go-oidc with context.WithValue(ctx, oauth2.HTTPClient, p.HTTPClient()).
//
// With WithInMemoryTransport it is the only client that reaches the
// provider; its Transport is the http.RoundTripper to give an app that
// builds its own client.
func (p *Provider) HTTPClient() *http.Client {
	if p.client == nil {
		return http.DefaultClient
	}
	return p.client
}

// TLSConfig returns a configuration whose root CAs trust the provider's
// certificate, or nil without WithTLS.
func (p *Provider) TLSConfig() *tls.Config {
	if p.server == nil || p.server.TLS == nil {
		return nil
	}
	return p.server.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
}

// Issuer returns the issuer URL, as in the iss claim and the discovery document.
func (p *Provider) Issuer() string { return p.issuer }

// AuthURL returns the authorization endpoint's URL (RFC 6749 §3.1).
func (p *Provider) AuthURL() string { return p.url(EndpointAuthorize) }

// TokenURL returns the token endpoint's URL (RFC 6749 §3.2).
func (p *Provider) TokenURL() string { return p.url(EndpointToken) }

// UserinfoURL returns the userinfo endpoint's URL (OIDC Core §5.3).
func (p *Provider) UserinfoURL() string { return p.url(EndpointUserinfo) }

// JWKSURL returns the URL of the JSON Web Key Set that verifies the tokens.
func (p *Provider) JWKSURL() string { return p.url(EndpointJWKS) }

// IntrospectionURL returns the token introspection endpoint's URL (RFC 7662).
func (p *Provider) IntrospectionURL() string { return p.url(EndpointIntrospection) }

// RevocationURL returns the token revocation endpoint's URL (RFC 7009).
func (p *Provider) RevocationURL() string { return p.url(EndpointRevocation) }

// DiscoveryURL returns the URL of the OpenID Connect discovery document.
func (p *Provider) DiscoveryURL() string { return p.url(EndpointDiscovery) }

// ClientID returns the default client's ID, DefaultClientID, or "" with
// WithoutDefaultClient.
func (p *Provider) ClientID() string {
	if _, ok := p.clients.get(DefaultClientID); !ok {
		return ""
	}
	return DefaultClientID
}

// ClientSecret returns the default client's secret, or "" with
// WithoutDefaultClient.
func (p *Provider) ClientSecret() string {
	c, _ := p.clients.get(DefaultClientID)
	return c.Secret
}

// lazy is a value computed once, on first use, from the provider: a field
// of Provider rather than a sync.OnceValue, so that a start allocates no
// closures for values most providers never compute.
type lazy[T any] struct {
	once sync.Once
	v    T
}

// get returns the value, computing it with f the first time.
func (l *lazy[T]) get(p *Provider, f func(*Provider) T) T {
	l.once.Do(func() { l.v = f(p) })
	return l.v
}
