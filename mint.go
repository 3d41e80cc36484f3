package oauthtest

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A MintOption changes a token that MintIDToken or MintAccessToken makes,
// usually to spoil it for a negative test. The options are the functions
// of this package that return one: AsUser chooses whom the token is about;
// SetClaims and Without choose its claims; Expired, NotYetValid,
// WrongIssuer, WrongAudience, UnknownKeyID, ForeignKey, AlgNone and
// BadSignature spoil it. Options combine:
//
//	p.MintIDToken(oauthtest.AsUser(ada), oauthtest.Expired())
type MintOption interface {
	mint(*minting) // unexported: only this package's options exist
}

// mintFunc is a MintOption.
type mintFunc func(*minting)

func (f mintFunc) mint(m *minting) { f(m) }

// minting is a token being made: its claims, header and signer. Options
// are applied twice: in the setup pass (setup set) those that choose what
// the token is about (AsUser), then those that change or spoil it.
type minting struct {
	setup       bool
	user        *User // AsUser; nil for the current user
	claims      jwt.MapClaims
	header      map[string]any // SetHeader, and a DPoP proof's jwk; nil values remove
	kid         string         // "" keeps the signer's
	signer      tokenSigner
	algNone     bool
	badSig      bool
	now         time.Time
	lifetime    time.Duration
	foreignSeed uint64
}

// SetClaims sets claims, replacing the provider's; a nil value removes the
// claim. Use it for a valid token with chosen claims (nonce, email, aud...).
func SetClaims(claims map[string]any) MintOption {
	return spoiling(func(m *minting) {
		for k, v := range claims {
			if v == nil {
				delete(m.claims, k)
			} else {
				m.claims[k] = v
			}
		}
	})
}

// SetHeader sets JOSE header parameters, replacing the provider's; a nil
// value removes one. Use it to spoil a DPoP proof's typ or jwk, or a
// token's typ.
func SetHeader(header map[string]any) MintOption {
	return spoiling(func(m *minting) {
		if m.header == nil {
			m.header = map[string]any{}
		}
		maps.Copy(m.header, header)
	})
}

// Without removes claims, such as "sub" or "nonce".
func Without(claims ...string) MintOption {
	return spoiling(func(m *minting) {
		for _, c := range claims {
			delete(m.claims, c)
		}
	})
}

// Expired makes the token expired a minute ago by the provider's clock.
func Expired() MintOption {
	return spoiling(func(m *minting) {
		m.claims["exp"] = m.now.Add(-time.Minute).Unix()
		m.claims["iat"] = m.now.Add(-time.Minute - m.lifetime).Unix()
	})
}

// NotYetValid makes the token valid only from an hour on (nbf and iat).
func NotYetValid() MintOption {
	return spoiling(func(m *minting) {
		later := m.now.Add(time.Hour)
		m.claims["nbf"], m.claims["iat"] = later.Unix(), later.Unix()
		m.claims["exp"] = later.Add(m.lifetime).Unix()
	})
}

// WrongIssuer makes the token claim another issuer.
func WrongIssuer() MintOption {
	return spoiling(func(m *minting) { m.claims["iss"] = "https://wrong-issuer.example" })
}

// WrongAudience makes the token for another client.
func WrongAudience() MintOption {
	return spoiling(func(m *minting) { m.claims["aud"] = "some-other-client" })
}

// UnknownKeyID signs with the provider's key but names a kid its JWKS does
// not hold.
func UnknownKeyID() MintOption { return spoiling(func(m *minting) { m.kid = "unknown-kid" }) }

// AlgNone makes an unsigned token, alg "none" (RFC 7519 §6), which no
// verifier may accept.
func AlgNone() MintOption { return spoiling(func(m *minting) { m.algNone = true }) }

// BadSignature spoils the signature.
func BadSignature() MintOption { return spoiling(func(m *minting) { m.badSig = true }) }

// ForeignKey signs with a key of another issuer's (deterministic, of the
// same algorithm) and names that key's kid; for an HS256 client, with
// another secret.
func ForeignKey() MintOption {
	return spoiling(func(m *minting) {
		if alg := m.signer.method.Alg(); alg == HS256 {
			m.signer = hmacSigner("a secret of another issuer")
		} else {
			m.signer = seededKey(alg, m.foreignSeed, 0).signer()
		}
	})
}

// AsUser makes the token about u instead of the provider's current user:
// its sub and the claims its scopes allow. u need not be known to the
// provider.
func AsUser(u User) MintOption {
	return mintFunc(func(m *minting) {
		if m.setup {
			m.user = &u
		}
	})
}

// spoiling makes f an option of the second pass, which changes the claims
// once they are set.
func spoiling(f func(*minting)) MintOption {
	return mintFunc(func(m *minting) {
		if !m.setup {
			f(m)
		}
	})
}

// MintIDToken returns an ID token, as the token endpoint issues one for
// the default client and the current user with the scopes openid, profile
// and email (WithIDTokenClaims included), changed by opts. It needs no
// HTTP request. ForClient(id).MintIDToken mints one for another client;
// AsUser for another user.
//
// The token is recorded as issued, with the claims opts gave it, so the
// endpoints that take ID tokens (tokeninfo, token exchange, logout's
// id_token_hint) accept it, and RevokeToken, RevokeUser and the rest
// revoke it. A spoiled token is refused for what spoiled it (signature,
// kid, alg none, expiry, issuer...), as a real provider refuses it; a token
// signed anywhere else, even with an HS256 client's own secret, never is
// one the provider issued.
func (p *Provider) MintIDToken(opts ...MintOption) string {
	return p.mintIDToken(DefaultClientID, opts)
}

// MintAccessToken returns an access token for the default client and the
// current user with the scopes openid, profile and email, changed by opts.
// It is recorded as issued, as MintIDToken's are, so userinfo,
// introspection, tokeninfo and token exchange accept it unless opts spoiled
// it; its scope claim decides what userinfo returns, its sub, client_id and
// aud whom and what it stands for. ForClient(id).MintAccessToken mints one
// for another client; AsUser for another user.
func (p *Provider) MintAccessToken(opts ...MintOption) string {
	return p.mintAccessToken(DefaultClientID, opts)
}

// MintIDToken returns an ID token for this client, as Provider.MintIDToken
// does for the default one.
func (s ClientScope) MintIDToken(opts ...MintOption) string { return s.p.mintIDToken(s.clientID, opts) }

// MintAccessToken returns an access token for this client, recorded as
// issued, as Provider.MintAccessToken does for the default one.
func (s ClientScope) MintAccessToken(opts ...MintOption) string {
	return s.p.mintAccessToken(s.clientID, opts)
}

func (p *Provider) mintIDToken(clientID string, opts []MintOption) string {
	c := p.mintClient(clientID)
	g := p.mintGrant(c, opts)
	m := p.newMinting(c, g, c.Lifetimes.or(p.cfg.lifetimes).IDToken)
	g.user.claimsFor(g.scopes, nil, false, m.claims)
	m.claims["aud"] = c.ID
	tc := TokenContext{ClientID: c.ID, User: g.user, Scopes: g.scopes}
	p.applyClaimRules(toIDToken, tc, m.claims)
	if p.cfg.idClaims != nil {
		p.cfg.idClaims(tc, m.claims)
	}
	tok := m.finish(typIDToken, opts)
	g = p.mintedGrant(g, m.claims)
	p.tokens.record(g, issued{idToken: tok, scopes: g.scopes, idExpires: unixClaim(m.claims["exp"], m.now)}, m.now)
	return tok
}

func (p *Provider) mintAccessToken(clientID string, opts []MintOption) string {
	c := p.mintClient(clientID)
	g := p.mintGrant(c, opts)
	m := p.newMinting(c, g, c.Lifetimes.or(p.cfg.lifetimes).AccessToken)
	jti := p.ids.uuid()
	maps.Copy(m.claims, jwt.MapClaims{"aud": c.ID, "client_id": c.ID, "jti": jti, "scope": strings.Join(g.scopes, " ")})
	tc := TokenContext{ClientID: c.ID, User: g.user, Scopes: g.scopes}
	p.applyClaimRules(toAccessToken, tc, m.claims)
	if p.cfg.accessClaims != nil {
		p.cfg.accessClaims(tc, m.claims)
	}
	tok := m.finish(typAccessToken, opts)
	scope, _ := m.claims["scope"].(string)
	g = p.mintedGrant(g, m.claims)
	g.clientID, _ = m.claims["client_id"].(string)
	jti, _ = m.claims["jti"].(string)
	p.tokens.record(g, issued{jti: jti, access: tok, scopes: splitScope(scope), accessExpires: unixClaim(m.claims["exp"], m.now)}, m.now)
	return tok
}

// mintedGrant is g as the claims of a minted token tell it, after SetClaims
// and Without: the provider records the token it signed, so that it is
// judged by its claims, signature and expiry like any it issued.
func (p *Provider) mintedGrant(g grant, claims jwt.MapClaims) grant {
	if sub, _ := claims["sub"].(string); sub != g.user.Subject {
		g.user = p.users.bySubject(sub)
	}
	if aud, err := claims.GetAudience(); err == nil && !slices.Equal(aud, []string{g.clientID}) {
		g.audience = aud
	}
	return g
}

// mintClient is the registered client with this ID, or one with only the
// ID, signed for with the provider's key.
func (p *Provider) mintClient(id string) Client {
	if c, ok := p.clients.get(id); ok {
		return c
	}
	return Client{ID: id}
}

// mintGrant is the grant a minted token stands for: the current user's,
// or the one AsUser names.
func (p *Provider) mintGrant(c Client, opts []MintOption) grant {
	setup := &minting{setup: true}
	for _, o := range opts {
		o.mint(setup)
	}
	var user User
	if setup.user != nil {
		user = *setup.user
	} else {
		p.users.do(func(s *userStore) { user = s.current })
	}
	now := p.Now().Truncate(time.Second)
	return grant{family: p.ids.uuid(), clientID: c.ID, user: user, scopes: []string{"openid", "profile", "email"}, authTime: now}
}

func (p *Provider) newMinting(c Client, g grant, lifetime time.Duration) *minting {
	now := g.authTime
	m := &minting{
		claims: jwt.MapClaims{
			"iss": p.issuer, "sub": g.user.Subject, "iat": now.Unix(),
			"exp": now.Add(lifetime).Unix(), "auth_time": now.Unix(),
		},
		signer: p.signerFor(c), now: now, lifetime: lifetime,
		foreignSeed: p.keys.seed + insecureRSAKeys/2, // far from this provider's rotations
	}
	g.user.authClaims(m.claims) // the user's ACR and AMR, as a login would set them
	return m
}

// finish applies opts and signs. It panics only if signing fails, which
// the provider's own keys never do.
func (m *minting) finish(typ string, opts []MintOption) string {
	for _, o := range opts {
		o.mint(m)
	}
	if m.kid != "" {
		m.signer.kid = m.kid
	}
	method, key := m.signer.method, m.signer.key
	if m.algNone {
		method, key = jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType
	}
	t := jwt.NewWithClaims(method, m.claims)
	t.Header["typ"] = typ
	if m.signer.kid != "" && !m.algNone {
		t.Header["kid"] = m.signer.kid
	}
	for k, v := range m.header {
		if v == nil {
			delete(t.Header, k)
		} else {
			t.Header[k] = v
		}
	}
	tok, err := t.SignedString(key)
	if err != nil {
		panic("oauthtest: minting a token: " + err.Error())
	}
	if m.badSig {
		tok = spoil(tok)
	}
	return tok
}

// spoil changes the first character of the signature.
func spoil(tok string) string {
	i := strings.LastIndexByte(tok, '.') + 1
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	return tok[:i] + string(c) + tok[i+1:]
}

// unixClaim reads a NumericDate claim in any form SetClaims may have given
// it, or returns def.
func unixClaim(v any, def time.Time) time.Time {
	switch v := v.(type) {
	case int64:
		return time.Unix(v, 0)
	case int:
		return time.Unix(int64(v), 0)
	case float64:
		return time.Unix(int64(v), 0)
	case time.Time:
		return v
	}
	return def
}

// spoilers are the options that spoil a minted token, by the name the
// control API's "spoil" gives them.
var spoilers = map[string]func() MintOption{
	"expired": Expired, "not_yet_valid": NotYetValid, "wrong_issuer": WrongIssuer, "wrong_audience": WrongAudience,
	"unknown_key_id": UnknownKeyID, "foreign_key": ForeignKey, "alg_none": AlgNone, "bad_signature": BadSignature,
}

// spoilNames lists the spoilers' names, sorted.
func spoilNames() []string { return slices.Sorted(maps.Keys(spoilers)) }
