package oauthtest

import (
	"cmp"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// controlRoutes are the control API's endpoints, one per family of the
// provider's Go controls; the router and the OpenAPI document read them.
// GET /openapi.json, the document itself, is served beside them.
var controlRoutes = []controlRoute{
	{"POST", "/reset", "Return the provider to its configured state (Reset).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.Reset()
		return done, nil
	}},
	{"POST", "/user", "Make a user the one approved from now on (SetUser).", userFields, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		u, err := b.user()
		if err == nil {
			err = p.SetUser(u)
		}
		return done, err
	}},
	{"POST", "/users", "Make a user selectable by login_hint and on the login page (AddUser).", userFields, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		u, err := b.user()
		if err == nil {
			err = p.AddUser(u)
		}
		return done, err
	}},
	{"POST", "/users/queue", "Make a user the next login's, of client_id's or of any client (QueueUser).", withClient(userFields), func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		u, err := b.user()
		if err == nil {
			err = p.queueLogin(b.ClientID, u)
		}
		return done, err
	}},
	{"POST", "/users/deny", "Make the next login, of client_id's or of any client, declined (QueueDenial).", withClient(nil), func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		p.ForClient(b.ClientID).QueueDenial()
		return done, nil
	}},
	{"POST", "/users/signout", "End every session: prompt=none gets login_required (SignOut).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.SignOut()
		return done, nil
	}},
	{"GET", "/users", "The current, known and queued users.", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return p.Users(), nil
	}},
	{"POST", "/codes/expire", "Expire every code issued so far (ExpireCodes).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.ExpireCodes()
		return done, nil
	}},
	{"POST", "/codes/invalidate", "Make one code unredeemable (InvalidateCode).", map[string]string{"code": "the authorization code"}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		if !p.InvalidateCode(b.Code) {
			return nil, refuse("code %q was not issued by this provider", abbreviate(b.Code))
		}
		return done, nil
	}},
	{"GET", "/codes", "The codes the provider remembers (Codes).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return p.Codes(), nil
	}},
	{"POST", "/tokens/revoke", "Revoke one access or refresh token, or with family: true all from its code (RevokeToken, RevokeFamily).",
		map[string]string{"token": "an access or refresh token", "kind": `"token" (default) or "family"`}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
			revoke := map[string]func(string) bool{"": p.RevokeToken, "token": p.RevokeToken, "family": p.RevokeFamily}[b.Kind]
			switch {
			case revoke == nil:
				return nil, refuse(`kind %q: use "token" or "family"`, b.Kind)
			case !revoke(b.Token):
				return nil, refuse("the token was not issued by this provider")
			}
			return done, nil
		}},
	{"POST", "/tokens/revoke-user", "Revoke every token of a user and end their sessions (RevokeUser).", map[string]string{"subject": "the user's sub"}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		return map[string]int{"revoked": p.RevokeUser(b.Subject)}, nil
	}},
	{"POST", "/tokens/revoke-client", "Revoke every token of a client (RevokeClient).", withClient(nil), func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		return map[string]int{"revoked": p.RevokeClient(b.ClientID)}, nil
	}},
	{"GET", "/tokens", "The tokens the provider remembers (Tokens).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return p.Tokens(), nil
	}},
	{"POST", "/keys/publish", "Publish the next key without signing with it (PublishNextKey).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return map[string]string{"kid": p.PublishNextKey()}, nil
	}},
	{"POST", "/keys/rotate", "Sign with the next key; old ones stay published (RotateKey).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return map[string]string{"kid": p.RotateKey()}, nil
	}},
	{"POST", "/keys/retire", "Publish only the signing key (RetireOldKeys).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.RetireOldKeys()
		return done, nil
	}},
	{"GET", "/keys", "The published kids and the signing one.", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return map[string]any{"published": p.KeyIDs(), "signing": p.SigningKeyID()}, nil
	}},
	{"POST", "/faults", "Stage a fault for the next count requests to endpoint (FailNext), or until cleared without count (Fail).", faultFields, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		f, err := b.fault()
		if err != nil {
			return nil, err
		}
		scope := p.ForClient(b.ClientID)
		if b.Count > 0 {
			scope.FailNext(Endpoint(b.Endpoint), b.Count, f)
		} else {
			scope.Fail(Endpoint(b.Endpoint), f)
		}
		return done, nil
	}},
	{"POST", "/faults/clear", "Clear the faults staged, of client_id's or all, and bring the provider up (ClearFaults).", withClient(nil), func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		if b.ClientID != "" {
			p.ForClient(b.ClientID).ClearFaults()
		} else {
			p.ClearFaults()
		}
		return done, nil
	}},
	{"POST", "/down", "Drop every connection until /up (TakeDown); the control API stays up.", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.TakeDown()
		return done, nil
	}},
	{"POST", "/up", "Serve again (BringUp).", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		p.BringUp()
		return done, nil
	}},
	{"GET", "/clock", "The provider's time.", nil, func(p *Provider, _ controlBody, _ *http.Request) (any, error) {
		return map[string]string{"time": p.Now().UTC().Format(time.RFC3339Nano)}, nil
	}},
	{"POST", "/clock", "Stop the clock at time (SetTime), or move it by advance (FastForward).",
		map[string]string{"time": "RFC 3339, such as 2030-01-01T00:00:00Z", "advance": `a duration, such as "61m"`}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
			switch {
			case (b.Time == "") == (b.Advance == ""):
				return nil, refuse("send time or advance, one of them")
			case b.Time != "":
				t, err := time.Parse(time.RFC3339Nano, b.Time)
				if err != nil {
					return nil, refuse("time %q is not RFC 3339, such as 2030-01-01T00:00:00Z", b.Time)
				}
				p.SetTime(t)
			default:
				d, err := duration("advance", b.Advance)
				if err != nil {
					return nil, err
				}
				p.FastForward(d)
			}
			return map[string]string{"time": p.Now().UTC().Format(time.RFC3339Nano)}, nil
		}},
	{"POST", "/mint/id-token", "An ID token as the token endpoint would issue, spoiled as asked (MintIDToken).", mintFields, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		opts, err := b.mintOptions()
		if err != nil {
			return nil, err
		}
		return map[string]string{"token": p.mintIDToken(cmp.Or(b.ClientID, DefaultClientID), opts)}, nil
	}},
	{"POST", "/mint/access-token", "An access token, recorded as issued unless spoiled (MintAccessToken).", mintFields, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		opts, err := b.mintOptions()
		if err != nil {
			return nil, err
		}
		return map[string]string{"token": p.mintAccessToken(cmp.Or(b.ClientID, DefaultClientID), opts)}, nil
	}},
	{"POST", "/devices/approve", "Approve a device authorization, as the next login's user (ApproveDevice).", map[string]string{"user_code": "the code the device shows"}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		return done, p.ApproveDevice(b.UserCode)
	}},
	{"POST", "/devices/deny", "Deny a device authorization (DenyDevice).", map[string]string{"user_code": "the code the device shows"}, func(p *Provider, b controlBody, _ *http.Request) (any, error) {
		return done, p.DenyDevice(b.UserCode)
	}},
	{"GET", "/requests", "The request log, oldest first; ?endpoint= picks one endpoint (Requests, RequestsTo).", nil, func(p *Provider, _ controlBody, r *http.Request) (any, error) {
		ep := r.URL.Query().Get("endpoint")
		if ep != "" && !knownEndpoint(Endpoint(ep)) {
			return nil, refuse("endpoint %q is not one of %s", ep, strings.Join(endpointNames(), ", "))
		}
		return p.RequestsTo(Endpoint(ep)), nil
	}},
}

var userFields = map[string]string{"subject": "the user's sub (required)", "claims": "the user's other claims, an object"}

var faultFields = map[string]string{
	"endpoint": "the endpoint: " + strings.Join(endpointNames(), ", "), "client_id": "only this client's requests",
	"count": "how many requests; 0 or none: until cleared", "kind": "error, status, malformed_json, content_type, latency or drop",
	"status": "for status: the HTTP status", "error": "for error: the OAuth error code", "error_description": "for error: its description",
	"content_type": "for content_type: the Content-Type", "delay": `a delay first, or the latency: a duration such as "2s"`,
}

var mintFields = map[string]string{
	"client_id": "the client; the default one if none", "subject": "the user; the current one if none", "claims": "claims to set (null removes one)",
	"spoil": "any of " + strings.Join(spoilNames(), ", "),
}

func withClient(fields map[string]string) map[string]string {
	out := map[string]string{"client_id": "only this client's; any client's if none"}
	for k, v := range fields {
		out[k] = v
	}
	return out
}

// fault builds the fault a /faults request describes.
func (b controlBody) fault() (Fault, error) {
	if !knownEndpoint(Endpoint(b.Endpoint)) {
		return Fault{}, refuse("endpoint %q is not one of %s", b.Endpoint, strings.Join(endpointNames(), ", "))
	}
	delay, err := duration("delay", b.Delay)
	if err != nil {
		return Fault{}, err
	}
	var f Fault
	switch b.Kind {
	case "error":
		e := errorByCode(b.Error)
		if e == nil {
			return Fault{}, refuse("error %q is not an OAuth error code of this provider", b.Error)
		}
		if b.ErrorDescription != "" {
			e = e.WithDescription("%s", b.ErrorDescription)
		}
		f = FaultError(e)
	case "status":
		if b.Status < 100 || b.Status > 599 {
			return Fault{}, refuse("status %d is not an HTTP status", b.Status)
		}
		f = FaultStatus(b.Status)
	case "malformed_json":
		f = FaultMalformedJSON()
	case "content_type":
		f = FaultContentType(b.ContentType)
	case "latency":
		return FaultLatency(delay), nil
	case "drop":
		f = FaultDrop()
	default:
		return Fault{}, refuse("kind %q is not one of error, status, malformed_json, content_type, latency, drop", b.Kind)
	}
	return f.After(delay), nil
}

// spoilers are the mint options a /mint request may name.
var spoilers = map[string]func() MintOption{
	"expired": Expired, "not_yet_valid": NotYetValid, "wrong_issuer": WrongIssuer, "wrong_audience": WrongAudience,
	"unknown_key_id": UnknownKeyID, "foreign_key": ForeignKey, "alg_none": AlgNone, "bad_signature": BadSignature,
}

func spoilNames() []string { return slices.Sorted(maps.Keys(spoilers)) }

func (b controlBody) mintOptions() ([]MintOption, error) {
	var opts []MintOption
	if b.Subject != "" {
		opts = append(opts, AsUser(User{Subject: b.Subject}))
	}
	if b.Claims != nil {
		opts = append(opts, SetClaims(b.Claims))
	}
	for _, s := range b.Spoil {
		o, ok := spoilers[s]
		if !ok {
			return nil, refuse("spoil %q is not one of %s", s, strings.Join(spoilNames(), ", "))
		}
		opts = append(opts, o())
	}
	return opts, nil
}

// errorByCode is the prototype Error with this code, or nil.
func errorByCode(code string) *Error {
	for _, e := range []*Error{ErrInvalidRequest, ErrInvalidClient, ErrInvalidGrant, ErrUnauthorizedClient, ErrUnsupportedGrantType,
		ErrUnsupportedResponseType, ErrInvalidScope, ErrAccessDenied, ErrServerError, ErrTemporarilyUnavailable, ErrInvalidToken,
		ErrInsufficientScope, ErrLoginRequired, ErrConsentRequired, ErrInvalidTarget, ErrAuthorizationPending, ErrSlowDown, ErrExpiredToken} {
		if e.ErrorCode == code {
			return e
		}
	}
	return nil
}

// knownEndpoint reports whether ep names an endpoint, or refreshes.
func knownEndpoint(ep Endpoint) bool {
	for _, e := range endpointTable {
		if e.endpoint == ep {
			return true
		}
	}
	return ep == EndpointRefresh
}

// endpointNames lists what faults and the request log can name.
func endpointNames() []string {
	names := []string{string(EndpointRefresh)}
	for _, e := range endpointTable {
		names = append(names, string(e.endpoint))
	}
	slices.Sort(names)
	return names
}
