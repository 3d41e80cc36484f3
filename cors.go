package oauthtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// corsMaxAge is how long, in seconds, a browser may cache a preflight.
const corsMaxAge = "600"

// WithAllowedOrigins lets browser apps on these origins (scheme://host:port)
// call the provider with fetch, besides the origins of the registered
// redirect URIs and, while a client accepts any loopback redirect URI, any
// loopback origin. See README.md, Browser apps.
func WithAllowedOrigins(origins ...string) Option {
	return optionFunc(func(c *config) error {
		for _, o := range origins {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("origin %q must be scheme://host[:port], without a path (RFC 6454)", o)
			}
			c.origins = append(c.origins, strings.ToLower(o))
		}
		return nil
	})
}

// allowsOrigin reports whether a browser app on origin may call the
// provider's fetch endpoints.
func (p *Provider) allowsOrigin(origin string) bool {
	allowed := p.allowedOrigins.get(p, (*Provider).corsOrigins)
	o := strings.ToLower(origin)
	if slices.Contains(allowed.list, o) {
		return true
	}
	return allowed.loopback && isLoopbackURI(o+"/")
}

// corsOrigins are the allowed origins, derived once from the clients.
type corsOrigins struct {
	list     []string
	loopback bool // a client accepts any loopback redirect URI
}

func (p *Provider) corsOrigins() corsOrigins {
	o := corsOrigins{list: slices.Clone(p.cfg.origins)}
	for _, c := range p.Clients() {
		if len(c.RedirectURIs) == 0 {
			o.loopback = true
		}
		for _, r := range c.RedirectURIs {
			if u, err := url.Parse(r); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
				o.list = append(o.list, strings.ToLower(u.Scheme+"://"+u.Host))
			}
		}
	}
	return o
}

// cors adds the CORS headers of an allowed origin to the answer of an
// endpoint browsers call with fetch, and answers its preflight. It reports
// whether the request has been answered (a preflight).
func (p *Provider) cors(e *endpointSpec, w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if !e.cors || origin == "" || !p.allowsOrigin(origin) {
		return false // no CORS headers, and nothing else changes
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, DPoP-Nonce") // RFC 9449 §8
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(e.methods, ", "))
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, DPoP")
	h.Set("Access-Control-Max-Age", corsMaxAge)
	w.WriteHeader(http.StatusNoContent)
	return true
}
