package oauthtest

import (
	"net/url"
	"slices"
	"strings"
)

// refresh rotates a refresh token (RFC 6749 §6, RFC 9700 §4.14.2): a new
// refresh token each time, the old one dead, the scope and the resources
// narrowed on request (RFC 8707 §2.2), the grant kept whole. Within the
// reuse interval (Lifetimes.RefreshReuse) a token just rotated answers
// again with the same successor and a newly signed access token. With
// WithFAPI2 it does not rotate: the token stays valid and the response has
// no new one (FAPI 2.0 Security Profile §5.3.2.1 item 9).
func (p *Provider) refresh(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	tok := form.Get("refresh_token")
	requested := splitScope(form.Get("scope"))
	var scopes, aud []string
	life := c.Lifetimes.or(p.cfg.lifetimes)
	rot := rotation{next: p.ids.secret(), lifetime: life.RefreshToken, reuse: life.RefreshReuse, keep: p.cfg.fapi}
	g, next, err := p.tokens.rotate(tok, p.Now(), rot, func(g grant) *Error {
		if g.clientID != c.ID {
			return ErrInvalidGrant.WithDescription("refresh token was issued to client %q, not %q", g.clientID, c.ID)
		}
		if err := checkRefreshDPoP(c, g, jkt); err != nil {
			return err
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
	g.jkt = jkt // a confidential client may bind its new tokens to a new key (RFC 9449 §5)
	if p.cfg.fapi {
		kept := *gt
		kept.refresh = false // the client keeps the refresh token it has
		gt = &kept
	}
	return p.issueFor(g, issuance{scopes: scopes, audience: aud, refresh: next}, gt)
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
