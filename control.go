package oauthtest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ControlPath is where WithControlAPI serves the control API, below the
// issuer URL. No OAuth endpoint lives below it, and discovery never lists
// it.
const ControlPath = "/_oauthtest"

// WithControlAPI serves a control API below ControlPath: JSON over HTTP for
// what Go tests do with the provider's methods (set or queue users, expire
// codes, revoke tokens, rotate keys, stage faults, move the clock, mint
// tokens, read the request log, reset), for end-to-end tests in any
// language against cmd/oauthtest. GET ControlPath/openapi.json describes
// it. Only for tests and local development.
//
// So that a web page the developer visits cannot drive it, it refuses
// (403) a request whose Host is not the provider's (its issuer's host, its
// listening address, the loopback names of either's port, or a name of
// WithControlHosts: DNS rebinding) and one carrying an Origin other than
// the provider's own; it refuses (415) a body that is not
// application/json, which an HTML form cannot send. A provider that
// listens on every interface, as in a container, should also require a
// token (WithControlToken).
func WithControlAPI() Option {
	return optionFunc(func(c *config) error { c.control = true; return nil })
}

// WithControlToken makes the control API of WithControlAPI refuse (403)
// every request without the header "Authorization: Bearer " + token. The
// token is compared in constant time. It must be printable ASCII without
// spaces.
func WithControlToken(token string) Option {
	return optionFunc(func(c *config) error {
		if token == "" || strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
			return errors.New("the control token must be printable ASCII without spaces, and not empty")
		}
		c.controlToken = token
		return nil
	})
}

// WithControlHosts adds the names the control API answers at, besides the
// provider's own: a Host header such as "oauthtest:9090", or a name
// without a port ("oauthtest"), which allows every port. Use it when
// clients reach the provider by a name other than its issuer's, such as
// a container's name.
func WithControlHosts(hosts ...string) Option {
	return optionFunc(func(c *config) error {
		for _, h := range hosts {
			if h == "" || strings.ContainsAny(h, "/?#@ ") {
				return fmt.Errorf("control host %q must be a host name or host:port, without a scheme or path", h)
			}
			c.controlHosts = append(c.controlHosts, strings.ToLower(h))
		}
		return nil
	})
}

// controlError is a refusal of the control API: nothing changed. Its
// status is 400 unless said otherwise.
type controlError struct {
	status int
	msg    string
}

func (e controlError) Error() string { return e.msg }

// refuse is a 400 refusal.
func refuse(format string, args ...any) error {
	return controlError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// refuseWith is a refusal with another status.
func refuseWith(status int, format string, args ...any) error {
	return controlError{status, fmt.Sprintf(format, args...)}
}

// controlErrorCodes are the "error" of each refusal's status.
var controlErrorCodes = map[int]string{
	http.StatusBadRequest: "invalid_request", http.StatusForbidden: "forbidden", http.StatusNotFound: "not_found",
	http.StatusMethodNotAllowed: "method_not_allowed", http.StatusRequestEntityTooLarge: "request_too_large",
	http.StatusUnsupportedMediaType: "unsupported_media_type",
}

// controlErrorBody is the JSON of every refusal.
type controlErrorBody struct {
	Error            string `json:"error"`             // invalid_request, forbidden, not_found, method_not_allowed, request_too_large or unsupported_media_type
	ErrorDescription string `json:"error_description"` // what was wrong, and how to put it right
}

// writeControlError answers err, a controlError or another refusal (400).
func writeControlError(w http.ResponseWriter, err error) {
	ce, ok := err.(controlError)
	var oauthErr *Error
	switch {
	case ok:
	case errors.As(err, &oauthErr) && oauthErr.ErrorDescription != "":
		ce = controlError{http.StatusBadRequest, oauthErr.ErrorDescription}
	default:
		ce = controlError{http.StatusBadRequest, strings.TrimPrefix(err.Error(), "oauthtest: ")}
	}
	writeControl(w, ce.status, controlErrorBody{controlErrorCodes[ce.status], ce.msg})
}

// serveControl answers a request below ControlPath.
func (p *Provider) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	if err := p.guardControl(r); err != nil {
		writeControlError(w, err)
		return
	}
	if path == "/openapi.json" && r.Method == http.MethodGet {
		writeControl(w, http.StatusOK, controlOpenAPI(p))
		return
	}
	rt, err := findControlRoute(r.Method, path)
	if err == nil {
		var in controlInput
		if in, err = readControlInput(w, r, rt); err == nil {
			var out any
			if out, err = rt.handle(p, in); err == nil {
				writeControl(w, http.StatusOK, out)
				return
			}
		}
	}
	if len(rt.allowed) > 0 {
		w.Header().Set("Allow", strings.Join(rt.allowed, ", "))
	}
	writeControlError(w, err)
}

// guardControl refuses a request from elsewhere than a test: by a Host
// that is not the provider's (DNS rebinding), from a web page of another
// origin, or without the token of WithControlToken.
func (p *Provider) guardControl(r *http.Request) error {
	hosts := p.controlHosts.get(p, (*Provider).controlHostsOf)
	if !hosts.allows(r.Host) {
		return refuseWith(http.StatusForbidden, "the control API answers only at this provider's own host (%s), not at Host %q: "+
			"a web page may reach it through DNS rebinding; WithControlHosts or -control-host adds a name", strings.Join(hosts.names, ", "), r.Host)
	}
	for _, origin := range r.Header.Values("Origin") {
		if !hosts.ownOrigin(origin) {
			return refuseWith(http.StatusForbidden, "the control API refuses requests from web pages of other origins, such as %q: only tests drive it", origin)
		}
	}
	if p.cfg.controlToken == "" {
		return nil
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(token), []byte(p.cfg.controlToken)) != 1 {
		return refuseWith(http.StatusForbidden, "the control API needs the header Authorization: Bearer and the token given to -control-token, $OAUTHTEST_CONTROL_TOKEN or WithControlToken")
	}
	return nil
}

// controlHostSet is where the control API answers: host:port names, and
// names that allow any port.
type controlHostSet struct {
	names    []string // for messages
	exact    map[string]bool
	anyPort  map[string]bool
	issuerOr string // the issuer's origin
}

// controlHostsOf derives the host set from the issuer, the listening
// address and WithControlHosts.
func (p *Provider) controlHostsOf() controlHostSet {
	s := controlHostSet{exact: map[string]bool{}, anyPort: map[string]bool{}}
	u, _ := url.Parse(p.issuer) // validated by WithIssuer or made from the listener
	s.issuerOr = strings.ToLower(u.Scheme + "://" + u.Host)
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		s.add(u.Hostname(), "") // the Host header leaves the default port out
	}
	s.add(u.Hostname(), port)
	if p.server != nil {
		host, port, _ := net.SplitHostPort(p.server.Listener.Addr().String())
		s.add(host, port)
	}
	for _, h := range p.cfg.controlHosts {
		if host, port, err := net.SplitHostPort(h); err == nil {
			s.add(host, port)
		} else {
			s.anyPort[strings.Trim(h, "[]")] = true
			s.names = append(s.names, h)
		}
	}
	return s
}

// add allows host:port, and for a loopback or unspecified host the
// loopback names with that port.
func (s *controlHostSet) add(host, port string) {
	host = strings.ToLower(host)
	hosts := []string{host}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		hosts = append(hosts, "localhost", "127.0.0.1", "::1")
	}
	for _, h := range hosts {
		name := h
		if port != "" {
			name = net.JoinHostPort(h, port)
		}
		if !s.exact[name] {
			s.exact[name] = true
			s.names = append(s.names, name)
		}
	}
}

// allows reports whether a Host header names the provider.
func (s controlHostSet) allows(host string) bool {
	host = strings.ToLower(host)
	if s.exact[host] {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return s.anyPort[strings.Trim(host, "[]")]
}

// ownOrigin reports whether origin is the provider's: the issuer's, or
// http(s) at a host the control API answers at.
func (s controlHostSet) ownOrigin(origin string) bool {
	origin = strings.ToLower(origin)
	if origin == s.issuerOr {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Path == "" && u.User == nil && u.Host != "" && s.allows(u.Host)
}

// readControlInput checks the request's Content-Type and decodes its
// query and body into the route's fields.
func readControlInput(w http.ResponseWriter, r *http.Request, rt controlRoute) (controlInput, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, refuseWith(http.StatusRequestEntityTooLarge, "the body is over %d KiB", maxBodyBytes>>10)
		}
		return nil, refuse("the body could not be read: %v", err)
	}
	if err := checkContentType(r.Header.Values("Content-Type"), len(body) > 0); err != nil {
		return nil, err
	}
	in, err := decodeQuery(r.URL.RawQuery, rt)
	if err != nil {
		return nil, err
	}
	if rt.method != http.MethodPost {
		if len(body) > 0 {
			return nil, refuse("%s %s%s takes no body", rt.method, ControlPath, rt.path)
		}
		return in, nil
	}
	return decodeBody(body, rt, in)
}

// checkContentType accepts application/json, with parameters, and no
// Content-Type for an empty body. An HTML form sends no JSON.
func checkContentType(values []string, hasBody bool) error {
	if len(values) == 0 && !hasBody {
		return nil
	}
	if len(values) == 1 {
		if mt, _, err := mime.ParseMediaType(values[0]); err == nil && mt == "application/json" {
			return nil
		}
	}
	return refuseWith(http.StatusUnsupportedMediaType, "the control API takes a body of Content-Type application/json, not %q", strings.Join(values, ", "))
}

// writeControl answers v as JSON, its nil lists as [] and nil maps as {}.
func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(emptyNotNull(v))
}

// findControlRoute is the route of method and path, or a 404 or 405
// refusal; a 405's route lists the allowed methods.
func findControlRoute(method, path string) (controlRoute, error) {
	var allowed []string
	for _, rt := range controlRoutes {
		if rt.path != path {
			continue
		}
		if rt.method == method {
			return rt, nil
		}
		allowed = append(allowed, rt.method)
	}
	if len(allowed) == 0 {
		return controlRoute{}, refuseWith(http.StatusNotFound, "no control endpoint %s%s; GET %[1]s/openapi.json lists them", ControlPath, path)
	}
	slices.Sort(allowed)
	return controlRoute{allowed: allowed}, refuseWith(http.StatusMethodNotAllowed, "%s%s takes %s, not %s", ControlPath, path, strings.Join(allowed, " or "), method)
}
