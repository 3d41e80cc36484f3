package oauthtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Response types the authorize endpoint serves.
const (
	responseCode        = "code"
	responseCodeIDToken = "code id_token" // OIDC Core §3.3, normalised order
)

// authorizeRequest is an authorization request as far as it was validated.
type authorizeRequest struct {
	client        Client
	redirectURI   string
	redirectGiven bool
	responseType  string // responseCode or responseCodeIDToken
	responseMode  string // query, fragment or form_post
	scopes        []string
	resources     []string // resource indicators (RFC 8707 §2.1)
	state, nonce  string
	challenge     string
	method        string
	loginHint     string
	picked        bool // loginHint is the subject picked on the login page
	promptNone    bool
	promptLogin   bool  // prompt=login or select_account: a new login, even with a session
	maxAge        int64 // seconds; -1 without max_age
	denied        bool  // on the login page
	dpopJKT       string
	fapi          bool         // WithFAPI2: fapi.go
	auth          authContext  // acr_values and the claims parameter
	answer        pageAnswer   // what was typed or chosen on the login page
	lookup        clientLookup // finds the client; nil: lookupClient
}

// handleAuthorize serves the authorization endpoint (RFC 6749 §3.1, §4.1.1;
// OIDC Core §3.1.2, §3.3.2). It approves at once. Errors go back to the
// client's redirect URI, except when the client or the redirect URI is not
// valid: then a 400 page, and no redirect at all (RFC 6749 §4.1.2.1). A
// request object or pushed request_uri stands for the parameters (RFC 9101,
// RFC 9126).
func (p *Provider) handleAuthorize(x *call) {
	sent, status, msg := readAuthorizeParams(x)
	if msg != "" {
		x.errorPage(status, msg)
		return
	}
	lookup := p.lookupOnce()                                       // a document not cached is fetched once
	params, commit, perr := p.unpackAuthorizeRequest(sent, lookup) // request_object.go
	if perr != nil {
		x.requestErrorPage(perr)
		return
	}
	noteAuthorizeParams(x, params)
	req := &authorizeRequest{state: params.Get("state"), responseMode: "query", fapi: p.cfg.fapi, lookup: lookup}
	if msg := p.resolveRedirect(params, req); msg != "" {
		x.errorPage(http.StatusBadRequest, msg, req.client.RedirectURIs...)
		return
	}
	deliverError := func(e *Error) { x.noteError(e); p.deliver(x.w, req, p.errorParams(e, req.state)) }
	if err := req.validate(params); err != nil {
		deliverError(err)
		return
	}
	if p.fault(x, deliverError) {
		return
	}
	if p.pickUser(x, req, sent) { // the login page posts back what was sent
		return
	}
	if err := commit(); err != nil {
		x.requestErrorPage(err)
		return
	}
	resp, err := p.approve(x, req)
	if err != nil {
		deliverError(err)
		return
	}
	p.deliver(x.w, req, resp)
}

// readAuthorizeParams returns the request's parameters: the query, and for
// POST the form body too (OIDC Core §3.1.2.1). It records what they ask for.
func readAuthorizeParams(x *call) (url.Values, int, string) {
	w, r := x.w, x.r
	if r.Method == http.MethodPost && !isForm(r) {
		return nil, http.StatusBadRequest, fmt.Sprintf("a POST to the authorization endpoint must be application/x-www-form-urlencoded, not %q", r.Header.Get("Content-Type"))
	}
	if err := parseForm(w, r); err != nil {
		return nil, err.StatusCode(), err.ErrorDescription
	}
	params := r.Form
	x.rec.Params, x.rec.ClientID = params, params.Get("client_id")
	return params, 0, ""
}

// noteAuthorizeParams records the response type and PKCE method that the
// parameters of an authorization request ask for.
func noteAuthorizeParams(x *call, params url.Values) {
	x.rec.ResponseType = params.Get("response_type")
	if x.rec.PKCEMethod = params.Get("code_challenge_method"); x.rec.PKCEMethod == "" && params.Has("code_challenge") {
		x.rec.PKCEMethod = PKCEPlain
	}
}

// resolveRedirect finds the client and the redirect URI to answer at. It
// returns what is wrong when there is none to trust: that is answered with
// an error page, never a redirect.
func (p *Provider) resolveRedirect(params url.Values, req *authorizeRequest) string {
	for _, k := range []string{"client_id", "redirect_uri"} {
		if n := len(params[k]); n > 1 {
			return fmt.Sprintf("%s was sent %d times; each parameter may appear only once (RFC 6749 §3.1)", k, n)
		}
	}
	id := params.Get("client_id")
	lookup := req.lookup
	if lookup == nil {
		lookup = p.lookupClient
	}
	c, ok, refused := lookup(id)
	switch {
	case id == "":
		return "client_id is missing; registered clients: " + quoteList(p.clients.ids())
	case refused != "":
		return refused
	case !ok:
		return fmt.Sprintf("client_id %q is not registered; registered clients: %s", id, quoteList(p.clients.ids()))
	}
	req.client = c
	uri := params.Get("redirect_uri")
	switch {
	case uri == "" && len(c.RedirectURIs) == 1:
		req.redirectURI = c.RedirectURIs[0] // RFC 6749 §3.1.2.3
	case uri == "":
		return fmt.Sprintf("redirect_uri is missing; client %q must name one of: %s", id, c.registeredRedirects())
	case !c.allowsRedirect(uri):
		return fmt.Sprintf("redirect_uri %q is not registered for client %q; registered: %s", uri, id, c.registeredRedirects())
	default:
		req.redirectURI, req.redirectGiven = uri, true
	}
	return ""
}

// validate checks everything but the client and redirect URI, in the order
// that lets each error be delivered the way the client asked.
func (req *authorizeRequest) validate(params url.Values) *Error {
	for _, check := range []func(url.Values) *Error{
		req.parseResponseType, req.checkFAPIResponseType, req.checkGrant, checkDuplicates,
		req.parseScope, req.parseResources, req.parseNonce, req.parsePKCE, req.checkFAPIPKCE, req.parsePrompt, req.parseDPoPJKT,
		req.parseAuthContext,
	} {
		if err := check(params); err != nil {
			return err
		}
	}
	return nil
}

// parseResponseType reads response_type and response_mode. The mode is
// settled first so that even their own errors reach the client as asked.
func (req *authorizeRequest) parseResponseType(params url.Values) *Error {
	rt := normalizeResponseType(params.Get("response_type"))
	if rt == responseCodeIDToken {
		req.responseMode = "fragment" // the default of OIDC Multiple Response Types §5
	}
	switch mode := params.Get("response_mode"); mode {
	case "":
	case "query", "fragment", "form_post":
		if mode == "query" && rt == responseCodeIDToken {
			return ErrInvalidRequest.WithDescription(`response_mode "query" cannot carry an id_token; use fragment or form_post (OAuth 2.0 Multiple Response Types §5)`)
		}
		req.responseMode = mode
	default:
		return ErrInvalidRequest.WithDescription("response_mode %q is not supported; supported: query, fragment, form_post", mode)
	}
	switch {
	case rt == "":
		return ErrInvalidRequest.WithDescription(`response_type is missing; supported: "code", "code id_token"`)
	case rt != responseCode && rt != responseCodeIDToken:
		return ErrUnsupportedResponseType.WithDescription(`response_type %q is not supported; supported: "code", "code id_token"`, params.Get("response_type"))
	}
	req.responseType = rt
	return nil
}

// checkGrant refuses a client not allowed the authorization code grant,
// which redeems the code of either response type (RFC 6749 §4.1.2.1).
func (req *authorizeRequest) checkGrant(url.Values) *Error {
	return req.client.mayUseGrant(GrantAuthorizationCode)
}

// normalizeResponseType sorts the space-separated values, which may come in
// any order (RFC 6749 §3.1.1).
func normalizeResponseType(rt string) string {
	parts := strings.Fields(rt)
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

// parseScope reads the space-delimited scope (RFC 6749 §3.3); every value
// must be one the client may request.
func (req *authorizeRequest) parseScope(params url.Values) *Error {
	scopes := splitScope(params.Get("scope"))
	if len(scopes) == 0 {
		return ErrInvalidScope.WithDescription("scope is missing; client %q may request: %s", req.client.ID, strings.Join(req.client.Scopes, " "))
	}
	if err := req.client.checkScopes(scopes); err != nil {
		return err
	}
	if req.responseType == responseCodeIDToken && !slices.Contains(scopes, "openid") {
		return ErrInvalidRequest.WithDescription(`response_type "code id_token" is OpenID Connect: scope must include openid`)
	}
	req.scopes = scopes
	return nil
}

// parseResources reads the resource parameters, which may be repeated:
// the resources the code grants access tokens for (RFC 8707 §2.1).
func (req *authorizeRequest) parseResources(params url.Values) *Error {
	var err *Error
	req.resources, err = requestedResources(req.client, params)
	return err
}

// splitScope splits a scope string on spaces, dropping empty and repeated values.
func splitScope(s string) []string {
	var scopes []string
	for _, v := range strings.Split(s, " ") {
		if v != "" && !slices.Contains(scopes, v) {
			scopes = append(scopes, v)
		}
	}
	return scopes
}

// parseNonce reads nonce, required when an ID token comes back from the
// authorization endpoint (OIDC Core §3.3.2.11).
func (req *authorizeRequest) parseNonce(params url.Values) *Error {
	req.nonce = params.Get("nonce")
	if req.nonce == "" && req.responseType == responseCodeIDToken {
		return ErrInvalidRequest.WithDescription(`nonce is required with response_type "code id_token" (OIDC Core §3.3.2.11)`)
	}
	return nil
}

// parsePrompt reads prompt (OIDC Core §3.1.2.1) and login_hint. The
// provider approves at once, so only prompt=none changes anything: it fails
// when no user is signed in.
func (req *authorizeRequest) parsePrompt(params url.Values) *Error {
	req.loginHint = params.Get("login_hint")
	var err *Error
	if req.maxAge, err = parseMaxAge(params); err != nil {
		return err
	}
	prompts := strings.Fields(params.Get("prompt"))
	for _, v := range prompts {
		switch {
		case v == "none" && len(prompts) > 1:
			return ErrInvalidRequest.WithDescription("prompt=none cannot be combined with other values (OIDC Core §3.1.2.1)")
		case v == "none":
			req.promptNone = true
		case v == "login" || v == "select_account":
			req.promptLogin = true
		case v != "consent":
			return ErrInvalidRequest.WithDescription("prompt %q is not supported; supported: none, login, consent, select_account", v)
		}
	}
	return nil
}

// approve issues the code (and, for "code id_token", the ID token) for the
// configured user and returns the response parameters.
func (p *Provider) approve(x *call, req *authorizeRequest) (url.Values, *Error) {
	if req.denied {
		return nil, ErrAccessDenied.WithDescription("the user declined on the login page")
	}
	now := p.Now()
	user, authTime, sid, err := p.authenticate(x, req, now)
	if err != nil {
		return nil, err
	}
	p.sessions.join(sid, req.client.ID)
	code := &authCode{
		code: p.ids.secret(), clientID: req.client.ID,
		redirectURI: req.redirectURI, redirectGiven: req.redirectGiven,
		scopes: req.scopes, resources: req.resources, nonce: req.nonce, challenge: req.challenge, method: req.method,
		user: user, authTime: authTime, issuedAt: now, sid: sid, expiresAt: now.Add(req.client.Lifetimes.or(p.cfg.lifetimes).Code),
		dpopJKT: req.dpopJKT, claims: req.auth.claims,
	}
	p.codes.add(code, now)
	params := url.Values{"code": {code.code}, "iss": {p.issuer}}
	if req.state != "" {
		params.Set("state", req.state)
	}
	if req.responseType == responseCodeIDToken {
		g := grant{family: p.ids.uuid(), clientID: code.clientID, user: code.user, scopes: code.scopes, authTime: authTime, sid: sid, claims: code.claims}
		tc := TokenContext{ClientID: g.clientID, User: g.user, Scopes: g.scopes}
		s, life := p.signerFor(req.client), req.client.Lifetimes.or(p.cfg.lifetimes).IDToken
		idToken, err := p.signIDToken(req.client, s, tc, g, code.nonce, now, life, jwt.MapClaims{"c_hash": s.halfHash(code.code)})
		if err != nil {
			return nil, ErrServerError.WithDescription("signing the ID token failed: %v", err)
		}
		p.tokens.record(g, issued{idToken: idToken, scopes: g.scopes, idExpires: now.Truncate(time.Second).Add(life)}, now)
		params.Set("id_token", idToken)
	}
	return params, nil
}

// errorParams are the parameters of an error response (RFC 6749 §4.1.2.1),
// with iss (RFC 9207).
func (p *Provider) errorParams(e *Error, state string) url.Values {
	params := url.Values{"error": {e.ErrorCode}, "iss": {p.issuer}}
	if e.ErrorDescription != "" {
		params.Set("error_description", e.ErrorDescription)
	}
	if e.ErrorURI != "" {
		params.Set("error_uri", e.ErrorURI)
	}
	if state != "" {
		params.Set("state", state)
	}
	return params
}
