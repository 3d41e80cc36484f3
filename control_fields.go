package oauthtest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/c95d6557/oauthtest/internal/words"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fieldType is the JSON type of a control API field, and how it is read.
type fieldType int

const (
	fieldString     fieldType = iota // a JSON string
	fieldInteger                     // a JSON whole number from min to max
	fieldObject                      // a JSON object, any members
	fieldStringList                  // a JSON array of strings
	fieldDuration                    // a string such as "90s", from min to max nanoseconds
	fieldTime                        // an RFC 3339 string, 1970 to 9999
	fieldClaimRules                  // a JSON array of ClaimRule objects
)

// controlField declares one field of the control API, once: the decoder,
// the validation and its messages, the OpenAPI document and the markdown
// field table all read it. Whether a route requires it, the route says.
type controlField struct {
	key      string // how routes name it, when two fields share a name; "" for name
	name     string // its JSON name
	typ      fieldType
	enum     func() []string // the allowed values (of each item, for a list); nil: any
	min, max int64           // bounds of integers, and of durations in nanoseconds; both 0: none
	desc     string
}

// controlFields are every field of the control API's bodies and queries.
var controlFields = []controlField{
	{name: "subject", typ: fieldString, desc: "A user's sub. For /mint/*: the token's user, the current user if none."},
	{name: "claims", typ: fieldObject, desc: "A user's other claims (name, email, roles...); for /mint/*, claims to set, null removing one."},
	{name: "acr", typ: fieldString, desc: "The authentication context class of the user's logins (the acr claim, OIDC Core §2), such as phr; without it, the one the request asks for, if the provider supports it."},
	{name: "amr", typ: fieldStringList, desc: `The authentication methods of the user's logins (the amr claim, RFC 8176), such as ["pwd", "otp"].`},
	{name: "client_id", typ: fieldString, desc: "A client's ID. For staging (/users/queue, /users/deny, /faults, /faults/clear): only this client's requests, any client's if none; for /mint/*: the token's client, the default one if none."},
	{key: "session.claims", name: "claims", typ: fieldObject, desc: "The user's claims; without them, those of the known user with the subject, if any."},
	{name: "code", typ: fieldString, desc: "An authorization code the provider issued."},
	{name: "token", typ: fieldString, desc: "An access or refresh token the provider issued."},
	{key: "revoke.kind", name: "kind", typ: fieldString, enum: func() []string { return []string{"token", "family"} }, desc: `What to revoke: "token" (the default), the token; "family", every token issued from its code.`},
	{name: "endpoint", typ: fieldString, enum: endpointNames, desc: "An endpoint; refresh is the token endpoint's refresh_token grant."},
	{name: "kind", typ: fieldString, enum: func() []string { return faultKindNames[:] }, desc: "The fault: error (an OAuth error), status (an HTTP status with an HTML body), malformed_json (the answer cut in half), content_type (the answer relabelled), latency (the answer delayed) or drop (the connection closed)."},
	{name: "count", typ: fieldInteger, min: 1, max: maxControlCount, desc: "How many requests the fault hits; without it, every request until /faults/clear."},
	{name: "status", typ: fieldInteger, min: 200, max: 599, desc: "The HTTP status, with kind status (required there)."},
	{name: "error", typ: fieldString, enum: errorCodes, desc: "The OAuth error code, with kind error (required there)."},
	{name: "error_description", typ: fieldString, desc: "The error's description, with kind error; one saying it was staged if none."},
	{name: "content_type", typ: fieldString, desc: "The Content-Type to answer with, with kind content_type (required there)."},
	{name: "delay", typ: fieldDuration, min: 0, max: int64(MaxFaultDelay), desc: `Real time to wait before the fault, such as "2s": the latency itself with kind latency (required there). At most 5m.`},
	{name: "time", typ: fieldTime, desc: "The time to stop the clock at, RFC 3339 such as 2030-01-01T00:00:00Z, from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z."},
	{name: "advance", typ: fieldDuration, desc: `How far to move the clock, a duration such as "61m" or "-1h"; the clock must stay from 1970 to 9999.`},
	{name: "spoil", typ: fieldStringList, enum: spoilNames, desc: "How to spoil the token, any of the allowed values."},
	{name: "user_code", typ: fieldString, desc: "The user code a device shows."},
	{name: "claim_rules", typ: fieldClaimRules, desc: `Claim rules, in order: each {"when": {"client_id", "scope", "grant_type"}, "access_token": {...}, "id_token": {...}, "userinfo": {...}}, every key optional, "when" matching when each condition given holds; a value "${sub}" or "${claim}" is the token's subject or the user's claim. [] clears them.`},
	{name: "lifetime", typ: fieldDuration, min: 0, max: int64(maxControlLifetime), desc: `How long from its issue the code stays redeemable, such as "30s"; "0s" expires it.`},
}

// Bounds of the control API's values that the Go API leaves to Go's types.
const (
	maxControlCount    = 1_000_000
	maxControlLifetime = 10 * 365 * 24 * time.Hour
	maxJSONDepth       = 64
)

// fieldUse is a field as a route takes it, by its key.
type fieldUse struct {
	key      string
	required bool
}

func req(key string) fieldUse { return fieldUse{key, true} }
func opt(key string) fieldUse { return fieldUse{key, false} }

// field is the declared field; routes use only declared keys, which
// every test that lists the routes checks.
func (u fieldUse) field() controlField {
	for _, f := range controlFields {
		if cmp.Or(f.key, f.name) == u.key {
			return f
		}
	}
	panic("oauthtest: the control API declares no field " + u.key)
}

// useNamed is the use of the field with this JSON name, if any.
func useNamed(uses []fieldUse, name string) (controlField, bool) {
	for _, u := range uses {
		if f := u.field(); f.name == name {
			return f, true
		}
	}
	return controlField{}, false
}

// controlInput are the decoded values of a request's fields, by name:
// string, int, map[string]any, []string, time.Duration or time.Time.
type controlInput map[string]any

func (in controlInput) str(name string) string { s, _ := in[name].(string); return s }
func (in controlInput) claims(name string) map[string]any {
	m, _ := in[name].(map[string]any)
	return m
}
func (in controlInput) list(name string) []string { l, _ := in[name].([]string); return l }
func (in controlInput) has(name string) bool      { _, ok := in[name]; return ok }
func (in controlInput) integer(name string) int   { n, _ := in[name].(int); return n }
func (in controlInput) duration(name string) time.Duration {
	d, _ := in[name].(time.Duration)
	return d
}

// decodeBody decodes a POST body: nothing, or exactly one JSON object
// without duplicate keys, of the route's fields only.
func decodeBody(body []byte, rt controlRoute, in controlInput) (controlInput, error) {
	if len(bytes.TrimSpace(body)) > 0 {
		if err := checkOneJSONValue(body); err != nil {
			return nil, err
		}
		var members map[string]json.RawMessage
		if json.Unmarshal(body, &members) != nil || members == nil {
			return nil, refuse("the body must be a JSON object, not %s", jsonKind(body))
		}
		for _, name := range slices.Sorted(maps.Keys(members)) {
			f, ok := useNamed(rt.body, name)
			if !ok {
				return nil, refuse("%s %s%s takes no field %q%s", rt.method, ControlPath, rt.path, name, suggest(name, rt.body))
			}
			v, err := decodeValue(f, members[name])
			if err != nil {
				return nil, err
			}
			in[name] = v
		}
	}
	return in, checkRequired(rt.body, in)
}

// decodeQuery decodes the query parameters of the route's query fields,
// each at most once.
func decodeQuery(raw string, rt controlRoute) (controlInput, error) {
	in := controlInput{}
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, refuse("the query is malformed: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(q)) {
		f, ok := useNamed(rt.query, name)
		if !ok {
			return nil, refuse("%s %s%s takes no query parameter %q%s", rt.method, ControlPath, rt.path, name, suggest(name, rt.query))
		}
		if len(q[name]) > 1 {
			return nil, refuse("the query parameter %s is given %d times; give it once", name, len(q[name]))
		}
		quoted, _ := json.Marshal(q[name][0])
		v, err := decodeValue(f, quoted)
		if err != nil {
			return nil, err
		}
		in[name] = v
	}
	return in, checkRequired(rt.query, in)
}

func checkRequired(uses []fieldUse, in controlInput) error {
	for _, u := range uses {
		if f := u.field(); u.required && !in.has(f.name) {
			return refuse("%s is required", f.name)
		}
	}
	return nil
}

// checkOneJSONValue refuses a body that is not exactly one JSON value, has
// an object with a key twice, or nests deeper than maxJSONDepth.
func checkOneJSONValue(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers are checked where read, not as float64
	if err := walkJSON(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return refuse("the body must be exactly one JSON value, and more follows it (at byte %d)", dec.InputOffset())
	}
	return nil
}

// walkJSON reads one JSON value from dec, checking its objects' keys.
func walkJSON(dec *json.Decoder, depth int) error {
	if depth > maxJSONDepth {
		return refuse("the body nests deeper than %d levels", maxJSONDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return refuse("the body is not valid JSON: %s", jsonSyntax(err))
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return refuse("the body is not valid JSON: %s", jsonSyntax(err))
			}
			if k, _ := key.(string); seen[k] {
				return refuse("the key %q appears twice in one object; give it once", k)
			}
			seen[key.(string)] = true
			if err := walkJSON(dec, depth+1); err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if err := walkJSON(dec, depth+1); err != nil {
				return err
			}
		}
	default:
		return nil
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return refuse("the body is not valid JSON: %s", jsonSyntax(err))
	}
	return nil
}

// jsonSyntax words a decoder's error without Go's names.
func jsonSyntax(err error) string {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names the type of a JSON value, for messages.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// decodeValue decodes and checks one field's JSON value.
func decodeValue(f controlField, raw json.RawMessage) (any, error) {
	want := map[fieldType]string{fieldString: "a string", fieldInteger: "a number", fieldObject: "an object",
		fieldStringList: "an array", fieldDuration: "a string", fieldTime: "a string", fieldClaimRules: "an array"}[f.typ]
	if got := jsonKind(raw); got != want {
		return nil, refuse("%s must be %s, not %s", f.name, f.describe(), got)
	}
	switch f.typ {
	case fieldInteger:
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || n < f.min || n > f.max {
			return nil, refuse("%s must be %s, not %s", f.name, f.describe(), raw)
		}
		return int(n), nil
	case fieldObject:
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil { // checked JSON: only a number can fail
			return nil, refuse("%s holds a number beyond what a 64-bit float holds", f.name)
		}
		return m, nil
	case fieldClaimRules:
		rules, err := parseClaimRules(raw)
		if err != nil {
			return nil, refuse("%v", err)
		}
		return rules, nil
	case fieldStringList:
		var items []json.RawMessage
		_ = json.Unmarshal(raw, &items)
		list := make([]string, len(items))
		for i, item := range items {
			s, err := decodeString(f, f.name, item)
			if err != nil {
				return nil, err
			}
			list[i] = s
		}
		return list, nil
	}
	s, err := decodeString(f, f.name, raw)
	if err != nil {
		return nil, err
	}
	return parseString(f, s)
}

// decodeString decodes a JSON string, which must be one of f's allowed
// values if it has any.
func decodeString(f controlField, what string, raw json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", refuse("%s must be a string, not %s", what, jsonKind(raw))
	}
	if f.enum != nil && !slices.Contains(f.enum(), s) {
		return "", refuse("%s %q is not one of %s%s", what, s, strings.Join(f.enum(), ", "), suggestFrom(s, f.enum()))
	}
	return s, nil
}

// parseString reads a duration or time field's string.
func parseString(f controlField, s string) (any, error) {
	switch f.typ {
	case fieldDuration:
		d, err := time.ParseDuration(s)
		if err != nil || (f.min != 0 || f.max != 0) && (int64(d) < f.min || int64(d) > f.max) {
			return nil, refuse("%s %q must be %s", f.name, s, f.describe())
		}
		return d, nil
	case fieldTime:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, refuse("%s %q must be %s", f.name, s, f.describe())
		}
		if err := checkTime(t); err != nil {
			return nil, refuse("%s: %v", f.name, err)
		}
		return t, nil
	}
	return s, nil
}

// describe says what values f takes, for messages and the field table.
func (f controlField) describe() string {
	switch f.typ {
	case fieldInteger:
		return fmt.Sprintf("a whole number from %d to %d", f.min, f.max)
	case fieldObject:
		return "a JSON object"
	case fieldStringList:
		return "an array of strings"
	case fieldClaimRules:
		return "an array of claim rule objects"
	case fieldDuration:
		if f.min != 0 || f.max != 0 {
			return fmt.Sprintf(`a duration such as "90s" or "1h", from %v to %v`, time.Duration(f.min), time.Duration(f.max))
		}
		return `a duration such as "90s", "1h" or "-5m"`
	case fieldTime:
		return "an RFC 3339 time such as 2030-01-01T00:00:00Z"
	}
	return "a string"
}

// suggest names the nearest of the route's fields to an unknown one, and
// lists them.
func suggest(name string, uses []fieldUse) string {
	if len(uses) == 0 {
		return "; it takes none"
	}
	names := make([]string, len(uses))
	for i, u := range uses {
		names[i] = u.field().name
	}
	if alias := fieldAliases[strings.ToLower(name)]; slices.Contains(names, alias) {
		return fmt.Sprintf("; did you mean %q? It takes: %s", alias, strings.Join(names, ", "))
	}
	if near := suggestFrom(name, names); near != "" {
		return near + " It takes: " + strings.Join(names, ", ")
	}
	return "; it takes: " + strings.Join(names, ", ")
}

// fieldAliases are the names users bring from JWTs and other APIs for the
// control API's fields.
var fieldAliases = map[string]string{"sub": "subject", "user": "subject", "client": "client_id", "clientid": "client_id"}

// suggestFrom is "; did you mean X?" for the nearest of names, if near.
func suggestFrom(s string, names []string) string {
	best, dist := "", len(s)/2+2
	for _, n := range names {
		if d := words.Distance(strings.ToLower(s), n); d < dist {
			best, dist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}
