package oauthtest

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultPushedRequestLifetime is how long a request_uri of the pushed
// authorization request endpoint can be used (RFC 9126 §2.2).
const DefaultPushedRequestLifetime = 60 * time.Second

// maxPushedRequestLifetime bounds WithPushedRequestLifetime: a request_uri
// is meant to be used at once (RFC 9126 §2.2), and no later than the code
// it leads to would expire by default.
const maxPushedRequestLifetime = DefaultCodeLifetime

// requestURIPrefix starts every request_uri the provider issues
// (RFC 9126 §2.2).
const requestURIPrefix = "urn:ietf:params:oauth:request_uri:"

// clientAuthParams authenticate the client at the PAR endpoint: they are
// not parameters of the authorization request (RFC 9126 §2.1).
var clientAuthParams = []string{"client_secret", "client_assertion", "client_assertion_type"}

// parConfig is what the options of PAR and request objects set.
type parConfig struct {
	require       bool          // WithRequirePushedAuthorizationRequests
	lifetime      time.Duration // WithPushedRequestLifetime; 0 for DefaultPushedRequestLifetime
	requireSigned bool          // WithRequireSignedRequestObject
}

// WithRequirePushedAuthorizationRequests makes every client push its
// authorization requests (require_pushed_authorization_requests, RFC 9126
// §5): the authorization endpoint then refuses any request without a
// request_uri. Client.RequirePushedAuthorizationRequests does it for one
// client.
func WithRequirePushedAuthorizationRequests() Option {
	return optionFunc(func(c *config) error { c.par.require = true; return nil })
}

// WithPushedRequestLifetime sets how long a request_uri can be used
// (expires_in, RFC 9126 §2.2): DefaultPushedRequestLifetime otherwise,
// at least a second and at most DefaultCodeLifetime.
func WithPushedRequestLifetime(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < time.Second || d > maxPushedRequestLifetime {
			return fmt.Errorf("pushed request lifetime %v is not between 1s and %v (RFC 9126 §2.2 wants it short)", d, maxPushedRequestLifetime)
		}
		c.par.lifetime = d
		return nil
	})
}

// WithRequireSignedRequestObject makes every client send its authorization
// parameters in a signed request object, by value or pushed
// (require_signed_request_object, RFC 9101 §10.5).
// Client.RequireSignedRequestObject does it for one client.
func WithRequireSignedRequestObject() Option {
	return optionFunc(func(c *config) error { c.par.requireSigned = true; return nil })
}

// PushedAuthorizationURL returns the pushed authorization request
// endpoint's URL (RFC 9126 §2).
func (p *Provider) PushedAuthorizationURL() string { return p.url(EndpointPushedAuthorization) }

// requiresPAR reports whether c must push its authorization requests.
func (p *Provider) requiresPAR(c Client) bool {
	return p.cfg.par.require || c.RequirePushedAuthorizationRequests || p.cfg.fapi
}

// pushedRequest is an authorization request a client pushed, validated.
type pushedRequest struct {
	clientID  string
	params    url.Values
	expiresAt time.Time
	used      bool
}

// parStore holds the pushed requests by request_uri. Used ones stay until
// they expire, so that a replay is told apart from a typo.
type parStore struct {
	mu      sync.Mutex // guards reqs, sweeper and changed
	reqs    map[string]*pushedRequest
	sweeper sweeper
	changed changeLog
}

func (s *parStore) add(uri string, r *pushedRequest, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reqs == nil {
		s.reqs = make(map[string]*pushedRequest)
	}
	if s.sweeper.due(len(s.reqs), now) {
		before := len(s.reqs)
		for k, r := range s.reqs {
			if !now.Before(r.expiresAt) {
				delete(s.reqs, k)
				s.changed.note(k)
			}
		}
		if s.sweeper.swept(before, len(s.reqs), now) {
			s.reqs = rebuilt(s.reqs)
		}
	}
	s.reqs[uri] = r
	s.changed.note(uri)
}

// lookup returns the parameters clientID pushed as uri if they can still
// be used (RFC 9126 §4); take uses them up.
func (s *parStore) lookup(uri, clientID string, now time.Time, take bool) (url.Values, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reqs[uri]
	switch {
	case r == nil:
		return nil, ErrInvalidRequestURI.WithDescription("request_uri %q was not issued by this provider's pushed authorization request endpoint, or expired and was forgotten (RFC 9126 §4)", uri)
	case r.clientID != clientID:
		return nil, ErrInvalidRequestURI.WithDescription("request_uri was pushed by client %q, not %q (RFC 9126 §4)", r.clientID, clientID)
	case !now.Before(r.expiresAt):
		return nil, ErrInvalidRequestURI.WithDescription("request_uri expired at %s; it is now %s by the provider's clock (RFC 9126 §2.2, §4)", r.expiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case r.used:
		return nil, ErrInvalidRequestURI.WithDescription("request_uri was used already; push the request again for a new one (RFC 9126 §4: one use)")
	}
	if take && !r.used {
		r.used = true
		s.changed.note(uri)
	}
	return r.params, nil
}

// pushedState is a pushed request as the state file keeps it.
type pushedState struct {
	ClientID string     `json:"client_id"`
	Params   url.Values `json:"params"`
	Expires  stime      `json:"expires"`
	Used     bool       `json:"used,omitempty"`
}

func (s *parStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs, s.sweeper = nil, sweeper{}
	clear(s.changed.keys)
}

func (s *parStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *parStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for uri := range s.reqs {
		dst = append(dst, s.current(uri))
	}
	return dst
}

func (s *parStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of uri now; s.mu must be held.
func (s *parStore) current(uri string) record {
	r := s.reqs[uri]
	if r == nil {
		return deleted(uri)
	}
	return newRecord(uri, pushedState{ClientID: r.clientID, Params: r.params, Expires: stime(r.expiresAt), Used: r.used})
}

func (s *parStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reqs == nil {
		s.reqs = make(map[string]*pushedRequest)
	}
	for _, r := range recs {
		if r.Value == nil {
			delete(s.reqs, r.Key)
			continue
		}
		var st pushedState
		if err := r.decode(&st); err != nil {
			return err
		}
		s.reqs[r.Key] = &pushedRequest{clientID: st.ClientID, params: st.Params, expiresAt: st.Expires.time(), used: st.Used}
	}
	return nil
}

// pushedRequestParams are the parameters client c pushed as uri, for the
// authorization endpoint; commit uses uri up.
func (p *Provider) pushedRequestParams(c Client, uri string) (url.Values, func() *Error, *Error) {
	if !strings.HasPrefix(uri, requestURIPrefix) {
		return nil, nil, ErrRequestURINotSupported.WithDescription("request_uri %q was not issued by this provider: it fetches no request_uri (request_uri_parameter_supported is false), it only takes those of its pushed authorization request endpoint %s (RFC 9126 §4)", uri, p.PushedAuthorizationURL())
	}
	params, err := p.pars.lookup(uri, c.ID, p.Now(), false)
	if err != nil {
		return nil, nil, err
	}
	commit := func() *Error {
		_, err := p.pars.lookup(uri, c.ID, p.Now(), true)
		return err
	}
	return maps.Clone(params), commit, nil
}

// parResponse is the answer of the PAR endpoint (RFC 9126 §2.2).
type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// handlePAR serves the pushed authorization request endpoint (RFC 9126
// §2): the client authenticates as at the token endpoint, its parameters
// are checked as the authorization endpoint would, and it gets a
// request_uri for one authorization request. Errors are JSON (§2.3).
func (p *Provider) handlePAR(x *call) {
	c, params, err := p.readPushedRequest(x)
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	now := p.Now()
	lifetime := cmp.Or(p.cfg.par.lifetime, DefaultPushedRequestLifetime)
	uri := requestURIPrefix + p.ids.secret()
	p.pars.add(uri, &pushedRequest{clientID: c.ID, params: params, expiresAt: now.Add(lifetime)}, now)
	writeJSON(x.w, http.StatusCreated, parResponse{uri, int64(lifetime / time.Second)})
}

// readPushedRequest authenticates the client of a pushed request and
// checks its parameters as the authorization endpoint would.
func (p *Provider) readPushedRequest(x *call) (Client, url.Values, *Error) {
	form, err := readPostForm(x)
	if err != nil {
		return Client{}, nil, err
	}
	c, err := p.authenticateClient(x, form)
	if err != nil {
		return Client{}, nil, err
	}
	params, err := p.pushedParams(c, form)
	if err != nil {
		return Client{}, nil, err
	}
	noteAuthorizeParams(x, params)
	if err := p.checkFAPIRedirect(params); err != nil { // fapi.go
		return Client{}, nil, err
	}
	req := &authorizeRequest{fapi: p.cfg.fapi}
	if msg := p.resolveRedirect(params, req); msg != "" {
		return Client{}, nil, ErrInvalidRequest.WithDescription("%s (RFC 9126 §2.1)", msg)
	}
	if err := req.validate(params); err != nil {
		return Client{}, nil, err
	}
	return c, params, nil
}

// pushedParams are the authorization parameters of a pushed request: its
// request object's (RFC 9126 §3), else the form's without those that
// authenticate the client. Either way client_id is the authenticated client.
func (p *Provider) pushedParams(c Client, form url.Values) (url.Values, *Error) {
	switch {
	case form.Has("request_uri"):
		return nil, ErrInvalidRequest.WithDescription("request_uri must not be sent to the pushed authorization request endpoint: send the parameters, or a request object (RFC 9126 §2.1)")
	case form.Has("request"):
		obj, err := p.readRequestObject(c, form.Get("request"))
		if err == nil {
			err = p.useRequestObject(obj)
		}
		if err != nil {
			return nil, err
		}
		return obj.params, nil
	case p.requiresSignedRequestObject(c):
		return nil, ErrInvalidRequest.WithDescription("client %q must push its authorization parameters in a signed request object, the request parameter (require_signed_request_object, RFC 9101 §10.5, RFC 9126 §3)", c.ID)
	}
	params := url.Values{}
	for k, v := range form {
		if !slices.Contains(clientAuthParams, k) {
			params[k] = v
		}
	}
	params.Set("client_id", c.ID)
	return params, nil
}

// requestMetadata adds what discovery says of PAR and request objects
// (RFC 9126 §5, RFC 9101 §9.2). request_uri_parameter_supported is false:
// the provider fetches no request_uri; the request_uri of its PAR endpoint
// is advertised by pushed_authorization_request_endpoint.
func (p *Provider) requestMetadata(m map[string]any) {
	m["request_parameter_supported"] = true
	m["request_uri_parameter_supported"] = false
	m["require_pushed_authorization_requests"] = p.cfg.par.require || p.cfg.fapi
	algs := requestObjectAlgs
	if !p.cfg.par.requireSigned && p.clients.sendsUnsigned() {
		algs = append(slices.Clone(algs), algNone)
	}
	m["request_object_signing_alg_values_supported"] = algs
	if p.cfg.par.requireSigned {
		m["require_signed_request_object"] = true
	}
}

// sendsUnsigned reports whether some client may send unsigned request
// objects.
func (s *clientStore) sendsUnsigned() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.clients {
		if c.RequestObjectSigningAlg == algNone {
			return true
		}
	}
	return false
}
