package main

import (
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/c95d6557/oauthtest"
)

// Issuers on demand (-issuers-on-demand, "issuers_on_demand": true): any
// first path segment that is a safe name and no configured issuer's is an
// issuer of its own, made at its first request, as navikt's
// mock-oauth2-server serves any path as an issuer.
const (
	maxOnDemandIssuers = 100
	onDemandNameRule   = "letters, digits, '-', '_' and '.' (at most 64, the first a letter or digit)"
)

// onDemandName is the name of an issuer made on demand: a path segment
// that needs no escaping and is neither "." nor "..", nor ".well-known".
var onDemandName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// onDemand makes and serves the issuers on demand.
type onDemand struct {
	base     string          // their URLs are base/NAME
	reserved map[string]bool // first path segments taken: the configured issuers', the root issuer's paths
	make     func(name string) (*oauthtest.Provider, error)
	logger   *slog.Logger
	limit    int // maxOnDemandIssuers

	mu      sync.Mutex
	issuers map[string]*onDemandIssuer
}

// onDemandIssuer is made once; requests that come while it is being made
// wait for it.
type onDemandIssuer struct {
	ready chan struct{} // closed once p or err is set
	p     *oauthtest.Provider
	err   error
}

// onDemandSeed is the key seed of the issuer named name: the same on every
// run (so its ES256 and EdDSA keys are), and with the top bit set, never
// one of the seeds 0, 1, 2... of the configured issuers.
func onDemandSeed(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return h.Sum64() | 1<<63
}

// handler serves the requests to issuers on demand, making them at their
// first request, and passes the others to next.
func (o *onDemand) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := o.nameOf(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		p, err := o.get(name)
		if err != nil {
			o.logger.Warn("issuer on demand refused", "issuer", name, "error", err)
			http.Error(w, "oauthtest: "+err.Error(), http.StatusNotFound)
			return
		}
		p.Handler().ServeHTTP(w, r)
	})
}

// nameOf returns the issuer on demand a request path is for: /NAME/...,
// or /.well-known/oauth-authorization-server/NAME (RFC 8414 §3). A path
// that is not clean is left to the server's mux, which redirects it.
func (o *onDemand) nameOf(p string) (string, bool) {
	if q := strings.TrimSuffix(p, "/"); q != "" && path.Clean(q) != q {
		return "", false
	}
	name, ok := strings.CutPrefix(p, oauthtest.OAuthMetadataPath+"/")
	if !ok {
		var below bool
		name, _, below = strings.Cut(strings.TrimPrefix(p, "/"), "/")
		if !below {
			return "", false // /favicon.ico is no issuer
		}
	}
	return name, onDemandName.MatchString(name) && !o.reserved[name]
}

// get returns the issuer named name, making it if it is the first request
// for it. Concurrent first requests make it once: the first makes it, the
// others wait for it.
func (o *onDemand) get(name string) (*oauthtest.Provider, error) {
	o.mu.Lock()
	is, ok := o.issuers[name]
	if !ok {
		if len(o.issuers) >= o.limit {
			o.mu.Unlock()
			return nil, fmt.Errorf("issuer %q: %d issuers were made on demand already, the most one oauthtest makes: reuse their names, name the issuers in a version 2 config file, or restart it", name, o.limit)
		}
		is = &onDemandIssuer{ready: make(chan struct{})}
		o.issuers[name] = is
	}
	o.mu.Unlock()
	if !ok {
		is.p, is.err = o.make(name)
		close(is.ready)
		if is.err == nil {
			o.logger.Info("issuer made on demand", "issuer", name, "url", is.p.Issuer())
		}
	}
	<-is.ready
	return is.p, is.err
}

// newOnDemand prepares the issuers on demand of the file: each is made as
// the root issuer (a version 1 file's settings and the flags; a version 2
// file's flags alone), but with keys of its own, and without the root's
// key file and state file. It makes one now, thrown away, so that a
// mistake is told at start.
func (s *settings) newOnDemand(f *fileConfig, base string, issuers []*issuer, logger *slog.Logger) (*onDemand, error) {
	var template fileIssuer
	o := &onDemand{base: strings.TrimSuffix(base, "/"), reserved: map[string]bool{"healthz": true}, logger: logger,
		limit: maxOnDemandIssuers, issuers: map[string]*onDemandIssuer{}}
	for i, is := range issuers {
		if is.name != "" {
			o.reserved[is.name] = true
			continue
		}
		template = f.Issuers[i]
		for _, e := range is.p.Endpoints() { // the root issuer's paths: /oauth/..., /.well-known/...
			o.reserved[firstSegment(strings.TrimPrefix(e.URL, is.p.Issuer()))] = true
		}
		o.reserved[firstSegment(oauthtest.ControlPath)] = true
	}
	template.KeyFile, template.StateFile = "", ""
	own := *s
	own.keyFile, own.stateFile = "", "" // the root's alone: issuers share no keys, and each state file is one issuer's
	o.make = func(name string) (*oauthtest.Provider, error) {
		is := template
		is.Name = name
		opts, err := own.issuerOptions(f, &is, "", issuerURL(o.base, name), onDemandSeed(name))
		if err != nil {
			return nil, err
		}
		il := logger.With("issuer", name)
		return oauthtest.NewProvider(append(opts, oauthtest.WithRequestObserver(logRequest(il)), oauthtest.WithErrorHandler(logError(il)))...)
	}
	probe := template
	probe.Name = "on-demand"
	opts, err := own.issuerOptions(f, &probe, "", issuerURL(o.base, probe.Name), 0) // seed 0: a shipped key, no key to generate
	if err == nil {
		_, err = oauthtest.NewProvider(opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("issuers on demand: %s", strings.TrimPrefix(err.Error(), "oauthtest: "))
	}
	return o, nil
}

// firstSegment is "oauth" of "/oauth/token".
func firstSegment(p string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	return seg
}

// printOnDemand says how to reach the issuers on demand.
func (o *onDemand) printBanner(w io.Writer, fromRoot bool) {
	fmt.Fprintln(w, "issuers on demand:")
	fmt.Fprintf(w, "  %-21s %s/NAME for any NAME of %s; at most %d, each made at its first request\n", "issuer:", o.base, onDemandNameRule, maxOnDemandIssuers)
	fmt.Fprintf(w, "  %-21s %s/NAME%s and %s%s/NAME\n", "discovery:", o.base, oauthtest.DiscoveryPath, o.base, oauthtest.OAuthMetadataPath)
	who := "the default client and user, and the flags'"
	if fromRoot {
		who = "the root issuer's above"
	}
	fmt.Fprintf(w, "  %-21s %s; keys of its own\n", "clients and users:", who)
}
