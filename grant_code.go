package oauthtest

import (
	"cmp"
	"net/url"
)

// exchangeCode redeems an authorization code (RFC 6749 §4.1.3). A code
// redeemed twice fails, and the tokens of its first redemption are revoked.
// The access token is for the resources asked for, a subset of those of
// the authorization request, or else for all of them (RFC 8707 §2.2).
func (p *Provider) exchangeCode(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	code := form.Get("code")
	now := p.Now()
	var aud []string
	ac, replay, err := p.codes.redeem(code, p.ids.uuid(), now, func(ac *authCode) *Error {
		if err := cmp.Or(checkCodeBinding(ac, c, form), checkCodeDPoP(ac, jkt)); err != nil {
			return err
		}
		var err *Error
		aud, err = tokenResources(c, ac.resources, form)
		return err
	})
	if replay {
		p.tokens.revokeFamily(ac.family, now)
	}
	if err != nil {
		return nil, err
	}
	g := grant{family: ac.family, clientID: c.ID, user: ac.user, scopes: ac.scopes, audience: ac.resources, authTime: ac.authTime, sid: ac.sid, jkt: jkt, claims: ac.claims}
	return p.issueFor(g, issuance{scopes: ac.scopes, audience: aud, nonce: ac.nonce}, gt)
}

// tokenResources checks the resources a token request asks for against
// those granted (RFC 8707 §2.2).
func tokenResources(c Client, granted []string, form url.Values) ([]string, *Error) {
	requested, err := requestedResources(c, form)
	if err != nil {
		return nil, err
	}
	return narrowResources(granted, requested)
}

// checkCodeBinding checks that the code is redeemed by the client, with the
// redirect URI and the PKCE verifier, it was issued for.
func checkCodeBinding(ac *authCode, c Client, form url.Values) *Error {
	uri := form.Get("redirect_uri")
	switch {
	case ac.clientID != c.ID:
		return ErrInvalidGrant.WithDescription("code was issued to client %q, not %q", ac.clientID, c.ID)
	case ac.redirectGiven && uri == "":
		return ErrInvalidGrant.WithDescription("redirect_uri is missing: the authorization request used %q and the token request must repeat it (RFC 6749 §4.1.3)", ac.redirectURI)
	case uri != "" && uri != ac.redirectURI:
		return ErrInvalidGrant.WithDescription("redirect_uri %q does not match %q of the authorization request (RFC 6749 §4.1.3)", uri, ac.redirectURI)
	}
	return verifyPKCE(ac.challenge, ac.method, form.Get("code_verifier"))
}
