package oauthtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// handleUserinfo serves the userinfo endpoint (OIDC Core §5.3): the
// subject and the claims the access token's scopes allow. Token errors are
// answered as RFC 6750 §3 says, before any fault.
func (p *Provider) handleUserinfo(x *call) {
	raw, err := bearerToken(x)
	switch {
	case err != nil:
		x.bearerError(err, "")
		return
	case raw == "":
		x.w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest"`) // no error code: RFC 6750 §3.1
		x.w.WriteHeader(http.StatusUnauthorized)
		return
	}
	claims, g, scopes, err := p.verifyAccessToken(raw)
	x.rec.ClientID = claims.ClientID // as the token says, whether or not it is valid
	if err == nil {
		err = p.checkBoundToken(x, raw, claims.Cnf) // RFC 9449 §7
	}
	switch {
	case err != nil:
		x.bearerError(err, "")
		return
	case !slices.Contains(scopes, "openid"):
		x.bearerError(ErrInsufficientScope.WithDescription("userinfo needs an access token with the openid scope; this one has %q", strings.Join(scopes, " ")), `, scope="openid"`)
		return
	}
	if p.fault(x, x.resourceError) {
		return
	}
	info := map[string]any{}
	g.user.claimsFor(scopes, g.claims.userinfo, false, info)
	info["sub"] = g.user.Subject
	p.applyClaimRules(toUserinfo, TokenContext{ClientID: g.clientID, User: g.user, Scopes: scopes, GrantType: p.tokens.accessGrantType(claims.ID)}, info)
	writeJSON(x.w, http.StatusOK, info)
}

// bearerToken reads the access token from the Authorization header or a
// form body (RFC 6750 §2.1, §2.2); "" when there is none. Sending it both
// ways is an invalid_request.
func bearerToken(x *call) (string, *Error) {
	r := x.r
	var body string
	if r.Method == http.MethodPost && isForm(r) {
		if err := parseForm(x.w, r); err != nil {
			return "", err
		}
		x.rec.Params = r.Form
		body = r.PostForm.Get("access_token")
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return body, nil
	}
	scheme, tok, _ := strings.Cut(auth, " ")
	if strings.EqualFold(scheme, tokenTypeDPoP) {
		x.challenge = tokenTypeDPoP // RFC 9449 §7.1
	}
	switch {
	case !strings.EqualFold(scheme, "Bearer") && x.challenge == "" || strings.TrimSpace(tok) == "":
		return "", ErrInvalidToken.WithDescription("the Authorization header does not carry a Bearer or DPoP token (RFC 6750 §2.1, RFC 9449 §7.1)")
	case body != "":
		return "", ErrInvalidRequest.WithDescription("the access token was sent twice, in the Authorization header and the body; use one (RFC 6750 §2)")
	}
	return strings.TrimSpace(tok), nil
}

// accessClaims are the claims of an access token that verification reads.
type accessClaims struct {
	jwt.RegisteredClaims
	ClientID string        `json:"client_id"`
	Cnf      *confirmation `json:"cnf"` // of a DPoP-bound token (RFC 9449 §6.1)
}

// verifyAccessToken checks that raw is an access token this provider issued
// and has neither revoked nor seen expire, and returns its claims, grant and
// scopes. The claims are never nil: on an error they hold what could be
// read of the token, unverified.
func (p *Provider) verifyAccessToken(raw string) (*accessClaims, grant, []string, *Error) {
	return p.checkAccessToken(raw, true)
}

// checkAccessToken checks that raw is an access token this provider issued
// (signed, recorded, its claims those recorded); live also that it has not
// expired and was not revoked.
func (p *Provider) checkAccessToken(raw string, live bool) (*accessClaims, grant, []string, *Error) {
	claims := &accessClaims{}
	if err := p.parseOwn(raw, claims, typAccessToken, !live); err != nil {
		return claims, grant{}, nil, err
	}
	g, scopes, err := p.tokens.accessGrant(claims, raw, p.Now(), live)
	return claims, g, scopes, err
}

// verificationKey is the jwt.Keyfunc for tokens this provider signed: the
// provider key with the token's kid, or for HS256 the secret of a client
// registered for it.
func (p *Provider) verificationKey(t *jwt.Token) (any, error) {
	if t.Method.Alg() == HS256 {
		id := tokenClient(t.Claims)
		if c, ok := p.clients.get(id); ok && c.SigningAlg == HS256 {
			return []byte(c.Secret), nil
		}
		return nil, fmt.Errorf("HS256 is only used for clients registered with SigningAlg HS256, and client %q is not", id)
	}
	kid, _ := t.Header["kid"].(string)
	key := p.keys.lookup(kid)
	switch {
	case key == nil:
		return nil, fmt.Errorf("kid %q is not a key of this provider (it signs with kid %q)", kid, p.keys.current().kid)
	case key.method.Alg() != t.Method.Alg():
		return nil, fmt.Errorf("kid %q is a %s key, but the token says alg %s", kid, key.method.Alg(), t.Method.Alg())
	}
	return key.public(), nil
}

// resourceError answers an error as a protected resource does: token
// errors with a Bearer challenge (RFC 6750 §3), others as plain JSON.
func (x *call) resourceError(e *Error) {
	switch e.ErrorCode {
	case ErrInvalidToken.ErrorCode, ErrInsufficientScope.ErrorCode, ErrInvalidRequest.ErrorCode:
		x.bearerError(e, "")
	default:
		x.jsonError(e)
	}
}

// tokenClient is the client a token was issued to: an access token's
// client_id, an ID token's first audience.
func tokenClient(c jwt.Claims) string {
	if a, ok := c.(*accessClaims); ok {
		return a.ClientID
	}
	aud, _ := c.GetAudience()
	if len(aud) == 0 {
		return ""
	}
	return aud[0]
}
