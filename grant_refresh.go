package oauthtest

import (
	"net/url"
	"slices"
	"strings"
)

// refresh rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2): a new
// refresh token each time, the old one dead, the scope and the resources
// narrowed on request (RFC 8707 §2.2), the grant kept whole.
func (p *Provider) refresh(c Client, form url.Values, gt *grantType) (*tokenResponse, *Error) {
	tok := form.Get("refresh_token")
	requested := splitScope(form.Get("scope"))
	var scopes, aud []string
	g, err := p.tokens.rotate(tok, p.Now(), func(g grant) *Error {
		if g.clientID != c.ID {
			return ErrInvalidGrant.WithDescription("refresh token was issued to client %q, not %q", g.clientID, c.ID)
		}
		var err *Error
		if scopes, err = narrowScope(g.scopes, requested); err != nil {
			return err
		}
		aud, err = tokenResources(c, g.audience, form)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p.issueFor(g, issuance{scopes: scopes, audience: aud}, gt)
}

// narrowScope returns the requested scopes if all were granted, or the
// granted ones if none were requested (RFC 6749 §6).
func narrowScope(granted, requested []string) ([]string, *Error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, s := range requested {
		if !slices.Contains(granted, s) {
			return nil, ErrInvalidScope.WithDescription("scope %q was not granted; a refresh may narrow the scope, never widen it; granted: %s (RFC 6749 §6)", s, strings.Join(granted, " "))
		}
	}
	return requested, nil
}
