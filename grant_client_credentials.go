package oauthtest

import (
	"net/url"
	"slices"
)

// userScopes concern a user, and mean nothing in a token a client gets
// for itself.
var userScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access"}

// grantClientCredentials issues a confidential client a token for itself
// (RFC 6749 §4.4): its sub is the client, with no refresh or ID token. The
// scopes are those requested, or without scope every non-OpenID scope the
// client may request; audience and resource set aud (RFC 8707).
func (p *Provider) grantClientCredentials(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	scopes, err := clientScopes(c, splitScope(form.Get("scope")))
	if err != nil {
		return nil, err
	}
	aud, err := audiences(c, form)
	if err != nil {
		return nil, err
	}
	g := grant{family: p.ids.uuid(), clientID: c.ID, user: User{Subject: c.ID}, scopes: scopes, audience: aud, jkt: jkt}
	return p.issue(g, scopes, "", gt)
}

// clientScopes checks the scopes a client asks for itself.
func clientScopes(c Client, requested []string) ([]string, *Error) {
	if len(requested) == 0 {
		return slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return slices.Contains(userScopes, s) }), nil
	}
	for _, s := range requested {
		if slices.Contains(userScopes, s) {
			return nil, ErrInvalidScope.WithDescription("scope %q concerns a user, and client_credentials has none", s)
		}
	}
	return requested, c.checkScopes(requested)
}

// audiences reads the audience and resource parameters (RFC 8693 §2.1,
// RFC 8707 §2), each of which may be repeated: the aud of the token. A
// resource must be an absolute URI without a fragment, and one of the
// client's Resources when it lists them; an audience is a name, as free
// as today.
func audiences(c Client, form url.Values) ([]string, *Error) {
	resources, err := requestedResources(c, form)
	if err != nil {
		return nil, err
	}
	var aud []string
	for _, a := range append(slices.Clone(form["audience"]), resources...) {
		if a != "" && !slices.Contains(aud, a) {
			aud = append(aud, a)
		}
	}
	return aud, nil
}
