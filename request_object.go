package oauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// PS256 is RSASSA-PSS with SHA-256, which request objects may be signed
// with besides RS256, ES256, EdDSA and HS256 (Client.RequestObjectSigningAlg).
const PS256 = "PS256"

// algNone is the alg of an unsigned JWT (RFC 7519 §6).
const algNone = "none"

// requestObjectAlgs are the algorithms request objects may be signed with:
// the client's PublicKeys verify all but HS256, its Secret HS256.
var requestObjectAlgs = []string{RS256, PS256, ES256, EdDSA, HS256}

// requestObjectType is the typ of a request object (RFC 9101 §10.8).
const requestObjectType = "oauth-authz-req+jwt"

// jwtClaims are the claims of a request object that are about the JWT, not
// parameters of the authorization request.
var jwtClaims = []string{"iss", "aud", "exp", "nbf", "iat", "jti", "sub"}

// requestObject is a verified request object (RFC 9101 §4): the
// authorization parameters it carries, and its jti, recorded once used.
type requestObject struct {
	params   url.Values
	clientID string
	jti      string
	exp      time.Time
}

// unpackAuthorizeRequest returns the parameters an authorization request
// stands for (RFC 9101 §6.3, RFC 9126 §4): those of its request object or
// of its pushed request_uri, else those sent, when the client may send
// them plainly. commit records the request object's jti or consumes the
// request_uri: the handler calls it once it answers the client. An error
// here cannot be trusted with a redirect: it gets an error page.
func (p *Provider) unpackAuthorizeRequest(sent url.Values, lookup clientLookup) (params url.Values, commit func() *Error, err *Error) {
	c, ok, _ := lookup(sent.Get("client_id")) // a metadata document's client too: it is held to the same rules
	nothing := func() *Error { return nil }
	for _, k := range []string{"request", "request_uri"} {
		if len(sent[k]) > 1 {
			return nil, nil, ErrInvalidRequest.WithDescription("%s was sent %d times; each parameter may appear only once (RFC 6749 §3.1)", k, len(sent[k]))
		}
	}
	switch {
	case !ok || len(sent["client_id"]) > 1:
		return sent, nothing, nil // resolveRedirect says what is wrong
	case sent.Has("request") && sent.Has("request_uri"):
		return nil, nil, ErrInvalidRequest.WithDescription("request and request_uri were both sent; send one (RFC 9101 §5)")
	case sent.Has("request_uri"):
		return p.pushedRequestParams(c, sent.Get("request_uri"))
	case p.requiresPAR(c):
		return nil, nil, ErrInvalidRequest.WithDescription("client %q must push its authorization requests to %s and send the request_uri it gets (require_pushed_authorization_requests, RFC 9126 §5, §6%s)", c.ID, p.PushedAuthorizationURL(), p.fapiRule("§5.3.2.2 item 3"))
	case sent.Has("request"):
		obj, err := p.readRequestObject(c, sent.Get("request"))
		if err != nil {
			return nil, nil, err
		}
		return obj.params, func() *Error { return p.useRequestObject(obj) }, nil
	case p.requiresSignedRequestObject(c):
		return nil, nil, ErrInvalidRequest.WithDescription("client %q must send its authorization parameters in a signed request object (require_signed_request_object, RFC 9101 §10.5)", c.ID)
	}
	return sent, nothing, nil
}

// requiresSignedRequestObject reports whether c must send its parameters
// in a signed request object (Client.RequireSignedRequestObject,
// WithRequireSignedRequestObject).
func (p *Provider) requiresSignedRequestObject(c Client) bool {
	return p.cfg.par.requireSigned || c.RequireSignedRequestObject
}

// readRequestObject verifies raw as a request object of client c (RFC 9101
// §6.2): signed with an algorithm c may use and a key of c's, iss and
// client_id c, aud the issuer (or the PAR endpoint), exp in the future,
// nbf not, its jti never used. It returns its parameters, with client_id
// c's, and without the claims about the JWT.
func (p *Provider) readRequestObject(c Client, raw string) (*requestObject, *Error) {
	if strings.Count(raw, ".") == 4 {
		return nil, ErrInvalidRequestObject.WithDescription("the request object is encrypted (JWE); this provider verifies signed request objects only (RFC 9101 §6.1)")
	}
	if err := p.checkRequestObjectHeader(c, raw); err != nil {
		return nil, err
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(raw, claims, requestObjectKeys(c),
		p.jwtTimeOptions(jwt.WithValidMethods(c.requestObjectAlgs()), jwt.WithExpirationRequired())...)
	if err != nil {
		return nil, p.requestObjectError(c, claims, err)
	}
	if err := p.fapiRequestObjectTimes(claims); err != nil { // fapi.go
		return nil, err
	}
	return p.checkRequestObjectClaims(c, claims)
}

// checkRequestObjectHeader refuses a request object that is no JWT, has
// the typ of another kind of JWT, or an algorithm client c may not use.
func (p *Provider) checkRequestObjectHeader(c Client, raw string) *Error {
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	if err != nil {
		return ErrInvalidRequestObject.WithDescription("the request object is not a JWT: %v (RFC 9101 §4)", err)
	}
	alg, _ := tok.Header["alg"].(string)
	typ, _ := tok.Header["typ"].(string)
	if err := p.fapiRequestObjectAlg(alg); err != nil { // fapi.go
		return err
	}
	switch {
	case tok.Header["crit"] != nil:
		return ErrInvalidRequestObject.WithDescription("the request object's header has crit %v: this provider understands no JWS extension, and a recipient must refuse what it does not understand (RFC 7515 §4.1.11)", tok.Header["crit"])
	case typ != "" && !strings.EqualFold(typ, requestObjectType) && !strings.EqualFold(typ, "JWT"):
		return ErrInvalidRequestObject.WithDescription("the request object's typ is %q, not %q: it is another kind of JWT (RFC 9101 §10.8)", typ, requestObjectType)
	case alg == algNone && p.requiresSignedRequestObject(c):
		return ErrInvalidRequestObject.WithDescription("the request object is unsigned (alg none), and client %q must sign its request objects (require_signed_request_object, RFC 9101 §10.5)", c.ID)
	case alg == algNone && c.RequestObjectSigningAlg != algNone:
		return ErrInvalidRequestObject.WithDescription("the request object is unsigned (alg none); client %q may send signed ones only, with %s (Client.RequestObjectSigningAlg \"none\" would allow it) (RFC 9101 §6.2)", c.ID, strings.Join(c.requestObjectAlgs(), ", "))
	case !slices.Contains(c.requestObjectAlgs(), alg):
		return ErrInvalidRequestObject.WithDescription("the request object is signed with alg %q; client %q may use %s (Client.RequestObjectSigningAlg) (RFC 9101 §6.2)", alg, c.ID, strings.Join(c.requestObjectAlgs(), ", "))
	}
	return nil
}

// requestObjectAlgs are the algorithms c may sign its request objects
// with: the one it registered, else any the provider verifies.
func (c *Client) requestObjectAlgs() []string {
	if c.RequestObjectSigningAlg != "" {
		return []string{c.RequestObjectSigningAlg}
	}
	return requestObjectAlgs
}

// requestObjectKeys finds the keys of client c that verify a request
// object: its PublicKeys for RS256, PS256, ES256 and EdDSA, its Secret for
// HS256, and none at all for an unsigned object, which reaches here only
// when c registered alg none.
func requestObjectKeys(c Client) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		alg := t.Method.Alg()
		switch alg {
		case algNone:
			return jwt.UnsafeAllowNoneSignatureType, nil
		case HS256:
			if c.Secret == "" {
				return nil, fmt.Errorf("client %q has no Secret to verify HS256 with", c.ID)
			}
			return []byte(c.Secret), nil
		case PS256:
			alg = RS256 // the same RSA keys
		}
		var keys []jwt.VerificationKey
		for _, k := range c.PublicKeys {
			if a, _ := assertionAlg(k); a == alg {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			return nil, fmt.Errorf("client %q registers no public key for %s (Client.PublicKeys)", c.ID, t.Method.Alg())
		}
		return jwt.VerificationKeySet{Keys: keys}, nil
	}
}

// requestObjectError says which check of golang-jwt a request object of
// client c failed, by the provider's clock.
func (p *Provider) requestObjectError(c Client, claims jwt.MapClaims, err error) *Error {
	now := p.Now().UTC().Format(time.RFC3339)
	exp, _ := claims.GetExpirationTime()
	nbf, _ := claims.GetNotBefore()
	var why string
	switch {
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		why = fmt.Sprintf("its signature does not verify with a key of client %q (Client.PublicKeys, or Client.Secret for HS256)", c.ID)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		why = "it has no exp: this provider requires one, so that a captured request object cannot be replayed for ever"
	case errors.Is(err, jwt.ErrTokenExpired) && exp != nil:
		why = fmt.Sprintf("it expired at %s (exp); it is now %s by the provider's clock", exp.UTC().Format(time.RFC3339), now)
	case errors.Is(err, jwt.ErrTokenNotValidYet) && nbf != nil:
		why = fmt.Sprintf("it is not valid before %s (nbf); it is now %s by the provider's clock", nbf.UTC().Format(time.RFC3339), now)
	default:
		why = err.Error()
	}
	return ErrInvalidRequestObject.WithDescription("the request object is not valid: %s (RFC 9101 §6.2)", why)
}

// checkRequestObjectClaims checks the claims of a request object of client
// c whose signature and times were verified, and returns it.
func (p *Provider) checkRequestObjectClaims(c Client, claims jwt.MapClaims) (*requestObject, *Error) {
	iss, _ := claims["iss"].(string)
	clientID, _ := claims["client_id"].(string)
	aud, _ := claims.GetAudience()
	jti, _ := claims["jti"].(string)
	auds := []string{p.issuer, p.PushedAuthorizationURL()}
	switch {
	case iss != c.ID:
		return nil, ErrInvalidRequestObject.WithDescription("the request object's iss is %q, not the client_id %q (RFC 9101 §4, OIDC Core §6.1)", iss, c.ID)
	case !slices.ContainsFunc(aud, func(s string) bool { return slices.Contains(auds, s) }):
		return nil, ErrInvalidRequestObject.WithDescription("the request object's aud %q is not the issuer %q (RFC 9101 §4)", strings.Join(aud, " "), p.issuer)
	case clientID != c.ID:
		return nil, ErrInvalidRequestObject.WithDescription("the request object's client_id is %q, not the client_id parameter %q (RFC 9101 §6.3)", clientID, c.ID)
	case claims["request"] != nil || claims["request_uri"] != nil:
		return nil, ErrInvalidRequestObject.WithDescription("the request object holds a request or request_uri, which it must not (RFC 9101 §4)")
	case jti != "" && p.assertions.used(requestObjectIssuer(c.ID), jti):
		return nil, ErrInvalidRequestObject.WithDescription("the request object's jti %q was used before: a request object is used once (RFC 7519 §4.1.7)", jti)
	}
	exp, _ := claims.GetExpirationTime()
	return &requestObject{params: claimParams(claims, c.ID), clientID: c.ID, jti: jti, exp: exp.Time}, nil
}

// useRequestObject records the jti of obj, refusing it if another request
// used it meanwhile.
func (p *Provider) useRequestObject(obj *requestObject) *Error {
	if obj.jti != "" && !p.assertions.first(requestObjectIssuer(obj.clientID), obj.jti, obj.exp, p.Now()) {
		return ErrInvalidRequestObject.WithDescription("the request object's jti %q was used before: a request object is used once (RFC 7519 §4.1.7)", obj.jti)
	}
	return nil
}

// requestObjectIssuer keeps the jtis of a client's request objects apart
// from those of its client assertions in the assertion store.
func requestObjectIssuer(clientID string) string { return "\x00request object\x00" + clientID }

// used reports whether the assertion of iss with this jti was seen.
func (s *assertionStore) used(iss, jti string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.seen[iss+"\x00"+jti]
	return ok
}

// claimParams turns the claims of a request object into authorization
// parameters (RFC 9101 §4): strings as they are, numbers and booleans
// written out, objects (such as claims) as JSON.
func claimParams(claims jwt.MapClaims, clientID string) url.Values {
	params := url.Values{}
	for k, v := range claims {
		if slices.Contains(jwtClaims, k) {
			continue
		}
		switch v := v.(type) {
		case string:
			params.Set(k, v)
		case float64:
			params.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			params.Set(k, strconv.FormatBool(v))
		default:
			b, _ := json.Marshal(v) // decoded from JSON: encodes again
			params.Set(k, string(b))
		}
	}
	params.Set("client_id", clientID)
	return params
}

// requestErrorPage answers an authorization request whose request object
// or request_uri was refused: its redirect URI is not known, or not to be
// trusted, so the error is a page (RFC 9101 §6.3, RFC 6749 §4.1.2.1).
func (x *call) requestErrorPage(e *Error) {
	x.noteError(e)
	note := "The request object or request_uri was refused, so the redirect URI in it cannot be trusted: this error is not sent back to the client (RFC 6749 §4.1.2.1)."
	writeErrorPage(x.w, e.StatusCode(), e.ErrorCode+": "+e.ErrorDescription, note, nil)
}

// validateRequestObjects checks the client's request object settings: an
// algorithm the provider verifies, and a key or secret to verify it with.
func (c *Client) validateRequestObjects() error {
	alg := c.RequestObjectSigningAlg
	switch {
	case alg == "" || alg == algNone && !c.RequireSignedRequestObject:
		return nil
	case alg == algNone:
		return fmt.Errorf("client %q: RequestObjectSigningAlg \"none\" contradicts RequireSignedRequestObject", c.ID)
	case !slices.Contains(requestObjectAlgs, alg):
		return fmt.Errorf("client %q: RequestObjectSigningAlg %q is not supported; supported: %s, or none", c.ID, alg, strings.Join(requestObjectAlgs, ", "))
	}
	if _, err := requestObjectKeys(*c)(&jwt.Token{Method: jwt.GetSigningMethod(alg)}); err != nil {
		return fmt.Errorf("client %q: RequestObjectSigningAlg %s: %v", c.ID, alg, err)
	}
	return nil
}
