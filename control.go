package oauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
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
// it. Anyone who reaches the provider can use it: only for tests and
// local development.
func WithControlAPI() Option {
	return optionFunc(func(c *config) error { c.control = true; return nil })
}

// controlRoute is one control API endpoint: its method and path below
// ControlPath, what it does, its request body (field -> description), and
// its handler, which returns the JSON answer.
type controlRoute struct {
	method, path, summary string
	fields                map[string]string
	handle                func(p *Provider, body controlBody, r *http.Request) (any, error)
}

// controlBody is every field a control request may carry.
type controlBody struct {
	Subject          string         `json:"subject"`
	Claims           map[string]any `json:"claims"`
	ClientID         string         `json:"client_id"`
	Code             string         `json:"code"`
	Token            string         `json:"token"`
	Endpoint         string         `json:"endpoint"`
	Kind             string         `json:"kind"`
	Count            int            `json:"count"`
	Status           int            `json:"status"`
	Error            string         `json:"error"`
	ErrorDescription string         `json:"error_description"`
	ContentType      string         `json:"content_type"`
	Delay            string         `json:"delay"`
	Time             string         `json:"time"`
	Advance          string         `json:"advance"`
	Spoil            []string       `json:"spoil"`
	UserCode         string         `json:"user_code"`
}

// controlError is a refusal of the control API: 400 with a message that
// says what was wrong; nothing changed.
type controlError struct{ msg string }

func (e controlError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return controlError{fmt.Sprintf(format, args...)} }

// serveControl answers a request below ControlPath.
func (p *Provider) serveControl(w http.ResponseWriter, r *http.Request, path string) {
	if path == "/openapi.json" && r.Method == http.MethodGet {
		writeControl(w, http.StatusOK, controlOpenAPI(p))
		return
	}
	var allowed []string
	for _, rt := range controlRoutes {
		if rt.path != path {
			continue
		}
		if r.Method != rt.method {
			allowed = append(allowed, rt.method)
			continue
		}
		body, err := readControlBody(w, r, rt)
		var out any
		if err == nil {
			out, err = rt.handle(p, body, r)
		}
		if err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeControl(w, http.StatusOK, out)
		return
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeControl(w, http.StatusMethodNotAllowed, map[string]string{"error": fmt.Sprintf("%s%s takes %s, not %s", ControlPath, path, strings.Join(allowed, " or "), r.Method)})
		return
	}
	writeControl(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no control endpoint %s%s; GET %s/openapi.json lists them", ControlPath, path, ControlPath)})
}

// readControlBody decodes a POST's JSON body: only the fields the route
// takes, once, within 64 KiB.
func readControlBody(w http.ResponseWriter, r *http.Request, rt controlRoute) (controlBody, error) {
	var body controlBody
	if r.Method != http.MethodPost {
		return body, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return body, refuse("the body is not a JSON object: %v", err)
	}
	for k := range raw {
		if _, ok := rt.fields[k]; !ok {
			return body, refuse("%s takes no field %q; it takes: %s", rt.path, k, fieldNames(rt))
		}
	}
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &body); err != nil {
		return body, refuse("a field has the wrong type: %v", err)
	}
	return body, nil
}

func fieldNames(rt controlRoute) string {
	if len(rt.fields) == 0 {
		return "none"
	}
	return strings.Join(slices.Sorted(maps.Keys(rt.fields)), ", ")
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// done is the answer of a control that changes something.
var done = map[string]bool{"ok": true}

// duration reads a Go duration such as "90s" or "1h".
func duration(field, v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, refuse("%s %q is not a duration such as \"90s\" or \"1h\"", field, v)
	}
	return d, nil
}

func (b controlBody) user() (User, error) {
	if b.Subject == "" {
		return User{}, refuse("subject is missing")
	}
	u := User{Subject: b.Subject, Claims: b.Claims}
	if err := u.validate(); err != nil {
		return User{}, refuse("%v", err)
	}
	return u, nil
}
