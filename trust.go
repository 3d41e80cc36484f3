package oauthtest

import "github.com/golang-jwt/jwt/v5"

// A bearer token is trusted only if this provider issued it: its signature
// proves little when the client holds the key (HS256 with the client's
// secret), so every endpoint that takes a token also finds it in the token
// store, with the grant it stands for.

// parseOwn checks that raw is a JWT of type typ signed for this provider
// (with one of its keys, or the secret of the HS256 client it names) and
// naming it as issuer, and reads its claims. With anyTime its exp and nbf
// are not checked: an expired logout hint, a token to revoke.
func (p *Provider) parseOwn(raw string, claims jwt.Claims, typ string, anyTime bool) *Error {
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{RS256, ES256, EdDSA, HS256})} // verificationKey ties each to its key
	if anyTime {
		opts = append(opts, jwt.WithoutClaimsValidation())
	} else {
		opts = append(opts, jwt.WithIssuer(p.issuer), jwt.WithExpirationRequired(), jwt.WithTimeFunc(p.Now))
	}
	tok, err := jwt.ParseWithClaims(raw, claims, p.verificationKey, opts...)
	if err != nil {
		return ErrInvalidToken.WithDescription("the %s is not valid: %v", typeNoun(typ), err)
	}
	if got := tok.Header["typ"]; got != typ {
		return ErrInvalidToken.WithDescription("the token's typ is %v, not %q: an access token and an ID token are not interchangeable (RFC 9068 §2.1)", got, typ)
	}
	if iss, _ := claims.GetIssuer(); iss != p.issuer {
		return ErrInvalidToken.WithDescription("the %s was issued by %q, not this provider (%s)", typeNoun(typ), iss, p.issuer)
	}
	return nil
}

func typeNoun(typ string) string {
	if typ == typAccessToken {
		return "access token"
	}
	return "ID token"
}

// verifyIDToken checks that raw is an ID token this provider issued and
// returns its claims, the grant it was issued for and that grant's scopes;
// live also requires that it has not expired and was not revoked (its
// family, user and client included). An expired one still names its user
// for a logout (RP-Initiated Logout 1.0 §2).
func (p *Provider) verifyIDToken(raw string, live bool) (*idClaims, grant, []string, *Error) {
	claims := &idClaims{}
	if err := p.parseOwn(raw, claims, typIDToken, !live); err != nil {
		return claims, grant{}, nil, err
	}
	g, scopes, err := p.tokens.idGrant(raw, p.Now(), live)
	return claims, g, scopes, err
}

// tokenOwner returns the client a token was issued to, if it is a refresh,
// access or ID token this provider issued, expired or not.
func (p *Provider) tokenOwner(tok string) (clientID string, known bool) {
	if id, ok := p.tokens.owner(tok); ok {
		return id, true
	}
	if _, g, _, err := p.checkAccessToken(tok, false); err == nil {
		return g.clientID, true
	}
	if _, g, _, err := p.verifyIDToken(tok, false); err == nil {
		return g.clientID, true
	}
	return "", false
}

// idClaims are the claims of an ID token that verification reads.
type idClaims struct {
	jwt.RegisteredClaims
	AuthTime any    `json:"auth_time"`
	SID      string `json:"sid"` // Back-Channel Logout 1.0 §2.1; logout ends that session
}
