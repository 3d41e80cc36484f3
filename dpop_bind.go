package oauthtest

// The hooks of DPoP into the endpoints: the token endpoint binds tokens to
// the proven key, codes and refresh tokens stay bound to theirs, userinfo
// and introspection read the binding.

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// tokenDPoP checks the DPoP proof of a token request, required by
// WithDPoPRequired or the client's DPoPBoundAccessTokens, and returns the
// thumbprint of its key, "" without a proof (RFC 9449 §5).
func (p *Provider) tokenDPoP(x *call, c Client) (string, *Error) {
	d := dpopRequest{method: x.r.Method, uri: p.requestURI(x.r), fapi: p.cfg.fapi}
	if p.cfg.fapi && x.r.Header.Get(dpopHeader) == "" {
		return "", d.proofError("a DPoP proof is required: FAPI 2.0 issues only sender-constrained access tokens, and this provider constrains them with DPoP (mutual TLS is not supported) (FAPI 2.0 Security Profile §5.3.2.1 items 4, 5)")
	}
	return p.checkDPoP(x, d, p.cfg.dpopRequired || c.DPoPBoundAccessTokens)
}

// tokenType is the token_type of an access token bound to jkt.
func tokenType(jkt string) string {
	if jkt != "" {
		return tokenTypeDPoP // RFC 9449 §5
	}
	return "Bearer"
}

// parseDPoPJKT reads dpop_jkt, the thumbprint of the key the code is to be
// bound to (RFC 9449 §10): a base64url SHA-256 hash.
func (req *authorizeRequest) parseDPoPJKT(params url.Values) *Error {
	jkt := params.Get("dpop_jkt")
	if !params.Has("dpop_jkt") {
		return nil
	}
	if b, err := base64.RawURLEncoding.DecodeString(jkt); err != nil || len(b) != 32 {
		return ErrInvalidRequest.WithDescription("dpop_jkt %q is not a JWK SHA-256 thumbprint, 43 characters of base64url (RFC 9449 §10, RFC 7638)", jkt)
	}
	req.dpopJKT = jkt
	return nil
}

// checkCodeDPoP checks that a code bound with dpop_jkt is redeemed with a
// proof by that key (RFC 9449 §10.1).
func checkCodeDPoP(ac *authCode, jkt string) *Error {
	switch {
	case ac.dpopJKT == "" || ac.dpopJKT == jkt:
		return nil
	case jkt == "":
		return ErrInvalidDPoPProof.WithDescription("the code is bound to DPoP key %s (dpop_jkt): redeem it with a DPoP proof by that key (RFC 9449 §10.1)", ac.dpopJKT)
	}
	return ErrInvalidDPoPProof.WithDescription("the code is bound to DPoP key %s (dpop_jkt), but the proof was made with key %s (RFC 9449 §10.1)", ac.dpopJKT, jkt)
}

// checkRefreshDPoP checks that a public client refreshes tokens bound to a
// DPoP key with a proof by that key: its refresh tokens are bound to it
// (RFC 9449 §5). A confidential client's are bound to its credentials.
func checkRefreshDPoP(c Client, g grant, jkt string) *Error {
	switch {
	case !c.Public || g.jkt == "" || g.jkt == jkt:
		return nil
	case jkt == "":
		return ErrInvalidDPoPProof.WithDescription("the refresh token of public client %q is bound to DPoP key %s: send a DPoP proof by that key (RFC 9449 §5)", c.ID, g.jkt)
	}
	return ErrInvalidDPoPProof.WithDescription("the refresh token of public client %q is bound to DPoP key %s, but the proof was made with key %s (RFC 9449 §5)", c.ID, g.jkt, jkt)
}

// checkBoundToken checks how a valid access token was presented at a
// resource (RFC 9449 §7): a DPoP-bound token with the DPoP scheme and a
// proof by its key for this request and token, any other as Bearer.
func (p *Provider) checkBoundToken(x *call, raw string, cnf *confirmation) *Error {
	usedDPoP := x.challenge == tokenTypeDPoP
	switch {
	case cnf == nil && usedDPoP:
		return ErrInvalidToken.WithDescription("the access token is not DPoP-bound: send it with the Bearer scheme (RFC 9449 §7.1)")
	case cnf == nil:
		return nil
	case !usedDPoP:
		x.challenge = tokenTypeDPoP
		return ErrInvalidToken.WithDescription("the access token is DPoP-bound: send it with the DPoP scheme and a DPoP proof, not as a Bearer token (RFC 9449 §7.2)")
	}
	d := dpopRequest{method: x.r.Method, uri: p.requestURI(x.r), accessToken: raw, resource: true, fapi: p.cfg.fapi}
	jkt, err := p.checkDPoP(x, d, true)
	switch {
	case err != nil:
		return err
	case jkt != cnf.JKT:
		return d.proofError("the access token is bound to DPoP key %s, but the proof was made with key %s (RFC 9449 §4.3 check 12)", cnf.JKT, jkt)
	}
	return nil
}

// writeDPoPError answers e as a resource does to a DPoP request: a DPoP
// challenge with the error and the algorithms it accepts (RFC 9449 §7.1),
// and the same error as JSON.
func writeDPoPError(w http.ResponseWriter, e *Error, extra string) {
	w.Header().Set("WWW-Authenticate", challenge(tokenTypeDPoP, e)+`, algs="`+strings.Join(dpopAlgs, " ")+`"`+extra)
	writeJSON(w, e.StatusCode(), errorBody{e.ErrorCode, e.ErrorDescription, e.ErrorURI})
}

// boundTo adds a DPoP binding to an active access token's introspection
// (RFC 9449 §6.2).
func (i introspection) boundTo(cnf *confirmation) introspection {
	if cnf != nil {
		i.Cnf, i.TokenType = cnf, tokenTypeDPoP
	}
	return i
}
