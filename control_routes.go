package oauthtest

import (
	"cmp"
	"time"
)

// controlRoute is one control API endpoint: its method and path below
// ControlPath, its operationId and what it does, the fields of its query
// and body, the type of its answer, and its handler. The router, the
// OpenAPI document and the markdown field table read it.
type controlRoute struct {
	method, path, id, summary string
	query, body               []fieldUse
	answer                    any // a value of the answer's type
	handle                    func(p *Provider, in controlInput) (any, error)
	allowed                   []string // only in a 405 refusal: the methods of the path
}

// Answers of the control API, for the OpenAPI document.
type (
	controlDone struct {
		OK bool `json:"ok"`
	} // the change was made
	kidAnswer struct {
		Kid string `json:"kid"`
	} // the key's kid
	tokenAnswer struct {
		Token string `json:"token"`
	} // the minted token
	revokedAnswer struct {
		Revoked int `json:"revoked"`
	} // how many tokens were revoked
	clockAnswer struct {
		Time time.Time `json:"time"`
	} // the provider's time
	dumpAnswer struct {
		Dump string `json:"dump"`
	} // Dump's text
	keysAnswer struct {
		Published []string `json:"published"` // the kids the JWKS publishes, oldest first
		Signing   string   `json:"signing"`   // the kid signing now
	}
)

var done = controlDone{OK: true}

// controlRoutes are the control API's endpoints, one per Go control of the
// provider; GET /openapi.json, the document itself, is served beside them.
var controlRoutes = []controlRoute{
	{method: "POST", path: "/reset", id: "reset", summary: "Return the provider to its configured state (Reset).", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.Reset(); return done, nil }},
	{method: "POST", path: "/user", id: "setUser", summary: "Make a user the one approved from now on (SetUser).",
		body: []fieldUse{req("subject"), opt("claims")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return done, p.SetUser(in.user())
		}},
	{method: "POST", path: "/users", id: "addUser", summary: "Make a user selectable by login_hint and on the login page (AddUser).",
		body: []fieldUse{req("subject"), opt("claims")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return done, p.AddUser(in.user())
		}},
	{method: "POST", path: "/users/queue", id: "queueUser", summary: "Make a user the next login's, of client_id's or of any client (QueueUser).",
		body: []fieldUse{req("subject"), opt("claims"), opt("client_id")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return done, p.ForClient(in.str("client_id")).QueueUser(in.user())
		}},
	{method: "POST", path: "/users/deny", id: "queueDenial", summary: "Make the next login, of client_id's or of any client, declined (QueueDenial).",
		body: []fieldUse{opt("client_id")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			p.ForClient(in.str("client_id")).QueueDenial()
			return done, nil
		}},
	{method: "POST", path: "/users/signout", id: "signOut", summary: "End every session: prompt=none gets login_required (SignOut).", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.SignOut(); return done, nil }},
	{method: "GET", path: "/users", id: "getUsers", summary: "The current, known and queued users (Users).", answer: Users{},
		handle: func(p *Provider, _ controlInput) (any, error) { return p.Users(), nil }},
	{method: "POST", path: "/codes/expire", id: "expireCodes", summary: "Expire every code issued so far (ExpireCodes).", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.ExpireCodes(); return done, nil }},
	{method: "POST", path: "/codes/invalidate", id: "invalidateCode", summary: "Make one code unredeemable (InvalidateCode).",
		body: []fieldUse{req("code")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return known(p.InvalidateCode(in.str("code")), "code", in.str("code"))
		}},
	{method: "POST", path: "/codes/lifetime", id: "setCodeLifetime", summary: "Give one code a lifetime from its issue, shorter or longer (SetCodeLifetime).",
		body: []fieldUse{req("code"), req("lifetime")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return known(p.SetCodeLifetime(in.str("code"), in.duration("lifetime")), "code", in.str("code"))
		}},
	{method: "GET", path: "/codes", id: "listCodes", summary: "The codes the provider remembers, oldest first (Codes).", answer: []CodeInfo{},
		handle: func(p *Provider, _ controlInput) (any, error) { return p.Codes(), nil }},
	{method: "POST", path: "/tokens/revoke", id: "revokeToken", summary: `Revoke one access or refresh token, or with kind "family" every token from its code (RevokeToken, RevokeFamily).`,
		body: []fieldUse{req("token"), opt("revoke.kind")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			revoke := p.RevokeToken
			if in.str("kind") == "family" {
				revoke = p.RevokeFamily
			}
			return known(revoke(in.str("token")), "token", in.str("token"))
		}},
	{method: "POST", path: "/tokens/revoke-user", id: "revokeUser", summary: "Revoke every token of a user and end their sessions (RevokeUser).",
		body: []fieldUse{req("subject")}, answer: revokedAnswer{}, handle: func(p *Provider, in controlInput) (any, error) {
			return revokedAnswer{p.RevokeUser(in.str("subject"))}, nil
		}},
	{method: "POST", path: "/tokens/revoke-client", id: "revokeClient", summary: "Revoke every token of a client (RevokeClient).",
		body: []fieldUse{req("client_id")}, answer: revokedAnswer{}, handle: func(p *Provider, in controlInput) (any, error) {
			return revokedAnswer{p.RevokeClient(in.str("client_id"))}, nil
		}},
	{method: "GET", path: "/tokens", id: "listTokens", summary: "The tokens the provider remembers, oldest first (Tokens).", answer: []TokenInfo{},
		handle: func(p *Provider, _ controlInput) (any, error) { return p.Tokens(), nil }},
	{method: "POST", path: "/keys/publish", id: "publishNextKey", summary: "Publish the next key without signing with it (PublishNextKey).", answer: kidAnswer{},
		handle: func(p *Provider, _ controlInput) (any, error) { return kidAnswer{p.PublishNextKey()}, nil }},
	{method: "POST", path: "/keys/rotate", id: "rotateKey", summary: "Sign with the next key; old ones stay published (RotateKey).", answer: kidAnswer{},
		handle: func(p *Provider, _ controlInput) (any, error) { return kidAnswer{p.RotateKey()}, nil }},
	{method: "POST", path: "/keys/retire", id: "retireOldKeys", summary: "Publish only the signing key (RetireOldKeys).", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.RetireOldKeys(); return done, nil }},
	{method: "GET", path: "/keys", id: "getKeys", summary: "The published kids and the signing one (KeyIDs, SigningKeyID).", answer: keysAnswer{},
		handle: func(p *Provider, _ controlInput) (any, error) { return keysAnswer{p.KeyIDs(), p.SigningKeyID()}, nil }},
	{method: "POST", path: "/faults", id: "stageFault", summary: "Stage a fault for the next count requests to endpoint (FailNext), or until cleared without count (Fail); of client_id's requests only with it (ForClient).",
		body:   []fieldUse{req("endpoint"), req("kind"), opt("count"), opt("client_id"), opt("status"), opt("error"), opt("error_description"), opt("content_type"), opt("delay")},
		answer: done, handle: stageFault},
	{method: "POST", path: "/faults/clear", id: "clearFaults", summary: "Clear the faults staged, of client_id's or all, and bring the provider up (ClearFaults).",
		body: []fieldUse{opt("client_id")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			if in.has("client_id") {
				p.ForClient(in.str("client_id")).ClearFaults()
			} else {
				p.ClearFaults()
			}
			return done, nil
		}},
	{method: "POST", path: "/down", id: "takeDown", summary: "Drop every connection until /up (TakeDown); the control API stays up.", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.TakeDown(); return done, nil }},
	{method: "POST", path: "/up", id: "bringUp", summary: "Serve again (BringUp).", answer: done,
		handle: func(p *Provider, _ controlInput) (any, error) { p.BringUp(); return done, nil }},
	{method: "GET", path: "/clock", id: "getClock", summary: "The provider's time (Now).", answer: clockAnswer{},
		handle: func(p *Provider, _ controlInput) (any, error) { return clockAnswer{p.Now().UTC()}, nil }},
	{method: "POST", path: "/clock", id: "setClock", summary: "Stop the clock at time (SetTime), or move it by advance (FastForward): one of them.",
		body: []fieldUse{opt("time"), opt("advance")}, answer: clockAnswer{}, handle: setClock},
	{method: "POST", path: "/mint/id-token", id: "mintIDToken", summary: "An ID token as the token endpoint would issue, spoiled as asked (MintIDToken).",
		body: []fieldUse{opt("client_id"), opt("subject"), opt("claims"), opt("spoil")}, answer: tokenAnswer{}, handle: func(p *Provider, in controlInput) (any, error) {
			return tokenAnswer{p.mintIDToken(cmp.Or(in.str("client_id"), DefaultClientID), in.mintOptions())}, nil
		}},
	{method: "POST", path: "/mint/access-token", id: "mintAccessToken", summary: "An access token, recorded as issued unless spoiled (MintAccessToken).",
		body: []fieldUse{opt("client_id"), opt("subject"), opt("claims"), opt("spoil")}, answer: tokenAnswer{}, handle: func(p *Provider, in controlInput) (any, error) {
			return tokenAnswer{p.mintAccessToken(cmp.Or(in.str("client_id"), DefaultClientID), in.mintOptions())}, nil
		}},
	{method: "GET", path: "/devices", id: "listDevices", summary: "The device authorizations the provider remembers, oldest first (Devices).", answer: []DeviceInfo{},
		handle: func(p *Provider, _ controlInput) (any, error) { return p.Devices(), nil }},
	{method: "POST", path: "/devices/approve", id: "approveDevice", summary: "Approve a device authorization, as the next login's user (ApproveDevice).",
		body: []fieldUse{req("user_code")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return done, p.ApproveDevice(in.str("user_code"))
		}},
	{method: "POST", path: "/devices/deny", id: "denyDevice", summary: "Deny a device authorization (DenyDevice).",
		body: []fieldUse{req("user_code")}, answer: done, handle: func(p *Provider, in controlInput) (any, error) {
			return done, p.DenyDevice(in.str("user_code"))
		}},
	{method: "GET", path: "/backchannel-logouts", id: "listBackchannelLogouts", summary: "The logout tokens delivered to clients, oldest first (BackchannelLogouts).", answer: []LogoutDelivery{},
		handle: func(p *Provider, _ controlInput) (any, error) { return p.BackchannelLogouts(), nil }},
	{method: "GET", path: "/requests", id: "listRequests", summary: "The request log, oldest first, of one endpoint with ?endpoint= (Requests, RequestsTo).",
		query: []fieldUse{opt("endpoint")}, answer: []Request{}, handle: func(p *Provider, in controlInput) (any, error) {
			return p.RequestsTo(Endpoint(in.str("endpoint"))), nil
		}},
	{method: "GET", path: "/dump", id: "dump", summary: "The provider's state as text, for a failure message (Dump).", answer: dumpAnswer{},
		handle: func(p *Provider, _ controlInput) (any, error) { return dumpAnswer{p.Dump()}, nil }},
}

// known answers done, or a refusal if the provider did not know value.
func known(ok bool, what, value string) (any, error) {
	if !ok {
		return nil, refuse("the %s %q was not issued by this provider", what, abbreviate(value))
	}
	return done, nil
}

// user is the user of a /user, /users or /users/queue request.
func (in controlInput) user() User {
	return User{Subject: in.str("subject"), Claims: in.claims("claims")}
}

// mintOptions are the options of a /mint request.
func (in controlInput) mintOptions() []MintOption {
	var opts []MintOption
	if in.has("subject") {
		opts = append(opts, AsUser(User{Subject: in.str("subject")}))
	}
	if in.has("claims") {
		opts = append(opts, SetClaims(in.claims("claims")))
	}
	for _, s := range in.list("spoil") {
		opts = append(opts, spoilers[s]())
	}
	return opts
}

// setClock sets or moves the clock, within the years 1970 to 9999.
func setClock(p *Provider, in controlInput) (any, error) {
	if in.has("time") == in.has("advance") {
		return nil, refuse("send time or advance, one of them")
	}
	if t, ok := in["time"].(time.Time); ok {
		_ = p.clock.set(t) // decodeValue checked it
		return clockAnswer{t.UTC()}, nil
	}
	t, err := p.clock.advance(in.duration("advance"))
	if err != nil {
		return nil, refuse("advance %v: %v", in.duration("advance"), err)
	}
	return clockAnswer{t.UTC()}, nil
}

// faultMakers build each kind of fault from a /faults request, by
// faultKind, and name the fields the kind requires.
var faultMakers = [...]struct {
	requires string
	make     func(in controlInput) Fault
}{
	faultError: {"error", func(in controlInput) Fault {
		e := errorByCode(in.str("error"))
		if in.has("error_description") {
			e = e.WithDescription("%s", in.str("error_description"))
		}
		return FaultError(e)
	}},
	faultStatus:        {"status", func(in controlInput) Fault { return FaultStatus(in.integer("status")) }},
	faultMalformedJSON: {"", func(controlInput) Fault { return FaultMalformedJSON() }},
	faultContentType:   {"content_type", func(in controlInput) Fault { return FaultContentType(in.str("content_type")) }},
	faultLatency:       {"delay", func(in controlInput) Fault { return FaultLatency(0) }},
	faultDrop:          {"", func(controlInput) Fault { return FaultDrop() }},
}

// kindFields are the fields that only some kinds of fault take.
var kindFields = map[string]faultKind{"status": faultStatus, "error": faultError, "error_description": faultError, "content_type": faultContentType}

// stageFault stages the fault a /faults request describes.
func stageFault(p *Provider, in controlInput) (any, error) {
	var kind faultKind
	for k, name := range faultKindNames {
		if name == in.str("kind") {
			kind = faultKind(k)
		}
	}
	for field, k := range kindFields {
		if in.has(field) && k != kind {
			return nil, refuse("%s applies to kind %s, not %s", field, faultKindNames[k], in.str("kind"))
		}
	}
	if r := faultMakers[kind].requires; r != "" && !in.has(r) {
		return nil, refuse("kind %s requires %s: %s", in.str("kind"), r, useOf(r).desc)
	}
	f := faultMakers[kind].make(in).After(in.duration("delay")) // decodeValue bounded the delay
	rule := stagedFault("the control API", Endpoint(in.str("endpoint")), in.str("client_id"), max(in.integer("count"), 1), f)
	if !in.has("count") {
		rule = untilCleared(rule)
	}
	p.faults.add(rule)
	return done, nil
}

// useOf is the declared field with this key.
func useOf(key string) controlField { return opt(key).field() }
