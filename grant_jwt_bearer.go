package oauthtest

import (
	"net/url"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// jwtBearer serves the JWT bearer grant (RFC 7523 §2.1): an assertion that
// a trusted issuer (WithTrustedIssuer) signed, whose sub is the user, is
// exchanged for an access token for that user. Its aud must be the token
// endpoint or the issuer, and a jti, if it has one, is used once. The
// scope is the request's, else the assertion's scope claim, else all the
// client may request; resource sets the aud (RFC 8707 §2.2). The client
// authenticates as at any grant. A bad assertion is invalid_grant (§3.1).
func (p *Provider) jwtBearer(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	resources, rerr := requestedResources(c, form) // before the assertion's jti is used up
	if rerr != nil {
		return nil, rerr
	}
	raw := form.Get("assertion")
	var unverified jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &unverified); err != nil {
		return nil, ErrInvalidGrant.WithDescription("assertion is not a JWT: %v", err)
	}
	if _, ok := p.cfg.trusted[unverified.Issuer]; !ok {
		return nil, ErrInvalidGrant.WithDescription("the assertion's iss %q is not a trusted issuer; trusted: %s (WithTrustedIssuer)", unverified.Issuer, quoteList(p.trustedIssuers()))
	}
	claims, err := p.verifyAssertion(raw, assertion{
		what: "assertion", keys: p.trustedKeys(unverified.Issuer), issuer: unverified.Issuer, aud: []string{p.TokenURL(), p.issuer},
	})
	if err != nil {
		return nil, ErrInvalidGrant.WithDescription("%v", err)
	}
	requested := form.Get("scope")
	if requested == "" { // as Google's assertions carry it
		requested, _ = claims["scope"].(string)
	}
	scopes, serr := userScopesOf(c, splitScope(requested))
	if serr != nil {
		return nil, serr
	}
	sub, _ := claims.GetSubject()
	g := grant{family: p.ids.uuid(), clientID: c.ID, user: p.users.bySubject(sub), scopes: scopes, audience: resources, jkt: jkt}
	return p.issue(g, scopes, "", gt)
}

// userScopesOf checks scopes requested for a user without an authorization
// request: each must be allowed for the client; none requested means all
// the client may request.
func userScopesOf(c Client, requested []string) ([]string, *Error) {
	if err := c.checkScopes(requested); err != nil {
		return nil, err
	}
	if len(requested) == 0 {
		return slices.Clone(c.Scopes), nil
	}
	return requested, nil
}

// trustedIssuers lists the issuers of WithTrustedIssuer, sorted.
func (p *Provider) trustedIssuers() []string {
	var iss []string
	for k := range p.cfg.trusted {
		iss = append(iss, k)
	}
	slices.Sort(iss)
	return iss
}
