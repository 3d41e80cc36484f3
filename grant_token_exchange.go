package oauthtest

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token type identifiers (RFC 8693 §3).
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken     = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// exchangeToken serves token exchange (RFC 8693): a confidential client
// trades an access or ID token of this provider (the subject token), and
// optionally an actor's, for an access token about the same user, for the
// audience or resource asked, with the same or fewer scopes. The actor
// becomes the act claim (§4.1). Invalid tokens are invalid_request (§2.2.2).
func (p *Provider) exchangeToken(c Client, form url.Values, gt *grantType) (*tokenResponse, *Error) {
	if rt := form.Get("requested_token_type"); rt != "" && rt != TokenTypeAccessToken {
		return nil, ErrInvalidRequest.WithDescription("requested_token_type %q is not supported; supported: %s", rt, TokenTypeAccessToken)
	}
	subject, err := p.exchangedToken("subject_token", form.Get("subject_token"), form.Get("subject_token_type"))
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
	aud, err := audiences(form)
	if err != nil {
		return nil, err
	}
	g := grant{family: p.ids.uuid(), clientID: c.ID, user: subject.user, scopes: scopes, authTime: subject.authTime, audience: aud, actor: actor}
	resp, err := p.issue(g, scopes, "", gt)
	if resp != nil {
		resp.IssuedTokenType = TokenTypeAccessToken
	}
	return resp, err
}

// exchanged is what a subject or actor token says.
type exchanged struct {
	user     User
	scopes   []string // nil for an ID token, which carries none
	authTime time.Time
	actor    map[string]any // its own act claim
}

// exchangedToken verifies a subject or actor token: a live access token or
// an unexpired ID token that this provider signed.
func (p *Provider) exchangedToken(param, raw, typ string) (exchanged, *Error) {
	switch typ {
	case TokenTypeAccessToken, TokenTypeJWT:
		_, g, scopes, err := p.verifyAccessToken(raw)
		if err == nil {
			return exchanged{user: g.user, scopes: scopes, authTime: g.authTime, actor: g.actor}, nil
		}
		if typ == TokenTypeAccessToken {
			return exchanged{}, ErrInvalidRequest.WithDescription("%s is not a valid access token of this provider: %s (RFC 8693 §2.2.2)", param, err.ErrorDescription)
		}
		fallthrough
	case TokenTypeIDToken:
		claims, err := p.verifyIDToken(raw)
		if err != nil {
			return exchanged{}, ErrInvalidRequest.WithDescription("%s is not a valid %s of this provider: %v (RFC 8693 §2.2.2)", param, typeName(typ), err)
		}
		return exchanged{user: p.users.bySubject(claims.Subject), authTime: unixClaim(claims.AuthTime, time.Time{})}, nil
	case "":
		return exchanged{}, ErrInvalidRequest.WithDescription("%s_type is missing (RFC 8693 §2.1)", param)
	}
	return exchanged{}, ErrInvalidRequest.WithDescription("%s_type %q is not supported; supported: %s, %s, %s", param, typ, TokenTypeAccessToken, TokenTypeIDToken, TokenTypeJWT)
}

func typeName(typ string) string {
	if typ == TokenTypeJWT {
		return "access or ID token"
	}
	return "ID token"
}

// actorClaim verifies the actor token, if any, and returns the act claim of
// the new token: the actor's subject, over any act its own token carried.
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
	act := map[string]any{"sub": actor.user.Subject}
	if actor.actor != nil {
		act["act"] = actor.actor
	}
	return act, nil
}

// exchangeScopes are the scopes of the exchanged token: those requested,
// which an access token must have granted; else the subject's.
func exchangeScopes(c Client, subject exchanged, requested []string) ([]string, *Error) {
	if len(requested) == 0 {
		if subject.scopes == nil {
			return []string{"openid"}, nil
		}
		return subject.scopes, nil
	}
	for _, s := range requested {
		if subject.scopes != nil && !slices.Contains(subject.scopes, s) {
			return nil, ErrInvalidScope.WithDescription("scope %q was not granted to the subject token; an exchange may narrow the scope, never widen it; granted: %s", s, strings.Join(subject.scopes, " "))
		}
	}
	return requested, c.checkScopes(requested)
}

// idClaims are the claims of an ID token that verification reads.
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime any    `json:"auth_time"`
	SID      string `json:"sid"` // Back-Channel Logout 1.0 §2.1; logout ends that session
}

// verifyIDToken checks that raw is an unexpired ID token this provider
// signed, and returns its claims.
func (p *Provider) verifyIDToken(raw string) (*idClaims, error) {
	claims := &idClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, p.verificationKey,
		jwt.WithValidMethods([]string{RS256, ES256, EdDSA, HS256}),
		jwt.WithIssuer(p.issuer), jwt.WithExpirationRequired(), jwt.WithTimeFunc(p.Now))
	if err != nil {
		return nil, err
	}
	if typ := tok.Header["typ"]; typ != typIDToken {
		return nil, errNotIDToken
	}
	return claims, nil
}
