package oauthtest

import (
	"net/url"
	"slices"
	"strings"
)

// Token type identifiers (RFC 8693 §3).
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// exchangeToken serves token exchange (RFC 8693) with the policy of a real
// authorization server (Keycloak's standard token exchange): a confidential
// client trades a live access or ID token this provider issued (the subject
// token), issued to it, naming it in its audience, or issued to a client
// it may exchange for (Client.ExchangeFrom), and optionally an actor's, for
// an access token about the same user, for the audience or resource asked,
// with at most the subject token's scopes. The actor becomes the act claim
// (§4.1). Unacceptable tokens are invalid_request (§2.2.2).
func (p *Provider) exchangeToken(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	if rt := form.Get("requested_token_type"); rt != "" && rt != TokenTypeAccessToken {
		return nil, ErrInvalidRequest.WithDescription("requested_token_type %q is not supported; supported: %s", rt, TokenTypeAccessToken)
	}
	subject, err := p.exchangedToken("subject_token", form.Get("subject_token"), form.Get("subject_token_type"))
	if err == nil {
		err = subject.mayExchange(c)
	}
	if err != nil {
		return nil, err
	}
	actor, err := p.actorClaim(form)
	if err != nil {
		return nil, err
	}
	scopes, err := exchangeScopes(c, subject, splitScope(form.Get("scope")))
	if err != nil {
		return nil, err
	}
	aud, err := audiences(c, form)
	if err != nil {
		return nil, err
	}
	s := subject.grant
	g := grant{family: p.ids.uuid(), clientID: c.ID, user: s.user, scopes: scopes, authTime: s.authTime, audience: aud, actor: actor, jkt: jkt}
	resp, err := p.issue(g, scopes, "", gt)
	if resp != nil {
		resp.IssuedTokenType = TokenTypeAccessToken
	}
	return resp, err
}

// exchanged is a subject or actor token, as the provider recorded it.
type exchanged struct {
	param    string   // subject_token or actor_token
	grant    grant    // what it was issued for
	scopes   []string // its scopes; an ID token's are those of the response that issued it
	audience []string // its aud
}

// mayExchange checks that client c may exchange the token: one issued to
// it or naming it as audience, or one of a client it may exchange for.
func (t exchanged) mayExchange(c Client) *Error {
	owner := t.grant.clientID
	if owner == c.ID || slices.Contains(t.audience, c.ID) || slices.Contains(c.ExchangeFrom, owner) {
		return nil
	}
	return ErrInvalidRequest.WithDescription("%s was issued to client %q for audience %s: client %q is not its audience and may not exchange the tokens of %q (Client.ExchangeFrom) (RFC 8693 §2.2.2)",
		t.param, owner, quoteList(t.audience), c.ID, owner)
}

// exchangedToken verifies a subject or actor token: a live access or ID
// token that this provider issued.
func (p *Provider) exchangedToken(param, raw, typ string) (exchanged, *Error) {
	switch typ {
	case TokenTypeAccessToken, TokenTypeJWT:
		_, g, scopes, err := p.verifyAccessToken(raw)
		if err == nil {
			return exchanged{param: param, grant: g, scopes: scopes, audience: audienceList(g)}, nil
		}
		if typ == TokenTypeAccessToken {
			return exchanged{}, ErrInvalidRequest.WithDescription("%s is not a valid access token of this provider: %s (RFC 8693 §2.2.2)", param, err.ErrorDescription)
		}
		fallthrough
	case TokenTypeIDToken:
		claims, g, scopes, err := p.verifyIDToken(raw, true)
		if err != nil {
			return exchanged{}, ErrInvalidRequest.WithDescription("%s is not a valid %s of this provider: %s (RFC 8693 §2.2.2)", param, typeName(typ), err.ErrorDescription)
		}
		return exchanged{param: param, grant: g, scopes: scopes, audience: claims.Audience}, nil
	case "":
		return exchanged{}, ErrInvalidRequest.WithDescription("%s_type is missing (RFC 8693 §2.1)", param)
	}
	return exchanged{}, ErrInvalidRequest.WithDescription("%s_type %q is not supported; supported: %s, %s, %s", param, typ, TokenTypeAccessToken, TokenTypeIDToken, TokenTypeJWT)
}

// audienceList is the aud of g's access tokens, as a list.
func audienceList(g grant) []string {
	if len(g.audience) == 0 {
		return []string{g.clientID}
	}
	return g.audience
}

func typeName(typ string) string {
	if typ == TokenTypeJWT {
		return "access or ID token"
	}
	return "ID token"
}

// actorClaim verifies the actor token, if any, as the subject token is
// (issued by this provider, live), and returns the act claim of the new
// token: the actor's subject, over any act its own token carried.
func (p *Provider) actorClaim(form url.Values) (map[string]any, *Error) {
	raw, typ := form.Get("actor_token"), form.Get("actor_token_type")
	switch {
	case raw == "" && typ != "":
		return nil, ErrInvalidRequest.WithDescription("actor_token_type was sent without actor_token (RFC 8693 §2.1)")
	case raw == "":
		return nil, nil
	}
	actor, err := p.exchangedToken("actor_token", raw, typ)
	if err != nil {
		return nil, err
	}
	act := map[string]any{"sub": actor.grant.user.Subject}
	if actor.grant.actor != nil {
		act["act"] = actor.grant.actor
	}
	return act, nil
}

// exchangeScopes are the scopes of the exchanged token: those requested,
// which the subject token must hold and the client may request; else the
// subject token's that the client may request.
func exchangeScopes(c Client, subject exchanged, requested []string) ([]string, *Error) {
	if len(requested) == 0 {
		return slices.DeleteFunc(slices.Clone(subject.scopes), func(s string) bool { return !c.allowsScope(s) }), nil
	}
	for _, s := range requested {
		if !slices.Contains(subject.scopes, s) {
			return nil, ErrInvalidScope.WithDescription("scope %q was not granted to the subject token; an exchange may narrow the scope, never widen it; granted: %s (RFC 6749 §5.2)", s, strings.Join(subject.scopes, " "))
		}
	}
	return requested, c.checkScopes(requested)
}
