package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// assertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionAlgs are the algorithms of the JWT assertions the provider
// verifies: client assertions and JWT bearer grants (RFC 7523).
var assertionAlgs = []string{RS256, PS256, ES256, EdDSA, HS256}

// keyAlg is the algorithm whose keys verify alg: RS256's for PS256, which
// signs with the same RSA keys.
func keyAlg(alg string) string {
	if alg == PS256 {
		return RS256
	}
	return alg
}

// assertionAlg is the JWS algorithm a public key verifies.
func assertionAlg(k crypto.PublicKey) (string, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", fmt.Errorf("RSA public key has %d bits; RS256 needs at least 2048", k.N.BitLen())
		}
		return RS256, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("ECDSA public key must be on P-256 (ES256)")
		}
		return ES256, nil
	case ed25519.PublicKey:
		return EdDSA, nil
	}
	return "", fmt.Errorf("public key of type %T is not supported; use *rsa.PublicKey, *ecdsa.PublicKey (P-256) or ed25519.PublicKey", k)
}

// assertion is what a JWT assertion must be: whose keys verify it, who
// issued it and whom it is about, and what it is called in errors.
type assertion struct {
	what    string // "client assertion", "assertion"
	keys    func(alg string) []jwt.VerificationKey
	issuer  string   // "" for any issuer keys returns keys for
	subject string   // "" for any subject
	aud     []string // any of them
	jti     bool     // a jti is required (OIDC Core §9); RFC 7523 §3 makes it optional
	algs    []string // the algorithms allowed; nil for assertionAlgs
}

// verifyAssertion checks raw against a (RFC 7523 §3): signature, exp, nbf,
// iss, sub, aud, and a jti (if any, or if required) never used before. Each failure says which check
// failed. It returns the claims.
func (p *Provider) verifyAssertion(raw string, a assertion) (jwt.MapClaims, error) {
	claims := jwt.MapClaims{}
	algs := a.algs
	if algs == nil {
		algs = assertionAlgs
	}
	var tried []string
	_, err := jwt.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if crit := t.Header["crit"]; crit != nil { // an extension this provider does not understand
			return nil, fmt.Errorf("its header has crit %v, and a recipient must refuse what it does not understand (RFC 7515 §4.1.11)", crit)
		}
		keys := a.keys(t.Method.Alg())
		if len(keys) == 0 {
			return nil, fmt.Errorf("no key of the %s's issuer verifies alg %s", a.what, t.Method.Alg())
		}
		tried = append(tried, t.Method.Alg())
		return jwt.VerificationKeySet{Keys: keys}, nil
	}, p.jwtTimeOptions(jwt.WithValidMethods(algs), jwt.WithExpirationRequired())...)
	if err != nil {
		return nil, fmt.Errorf("the %s is not valid: %v", a.what, err)
	}
	iss, _ := claims["iss"].(string)
	sub, _ := claims["sub"].(string)
	aud, _ := claims.GetAudience()
	jti, _ := claims["jti"].(string)
	switch {
	case a.issuer != "" && iss != a.issuer:
		return nil, fmt.Errorf("the %s's iss is %q, not %q (RFC 7523 §3)", a.what, iss, a.issuer)
	case a.subject != "" && sub != a.subject:
		return nil, fmt.Errorf("the %s's sub is %q, not %q (RFC 7523 §3)", a.what, sub, a.subject)
	case sub == "":
		return nil, fmt.Errorf("the %s has no sub (RFC 7523 §3)", a.what)
	case !slices.ContainsFunc(aud, func(s string) bool { return slices.Contains(a.aud, s) }):
		return nil, fmt.Errorf("the %s's aud %q names none of %s (RFC 7523 §3)", a.what, strings.Join(aud, " "), quoteList(a.aud))
	case jti == "" && a.jti:
		return nil, fmt.Errorf("the %s has no jti, which the provider needs to refuse replays (OIDC Core §9)", a.what)
	}
	exp, _ := claims.GetExpirationTime()
	if jti != "" && !p.assertions.first(iss, jti, exp.Time, p.Now()) {
		return nil, fmt.Errorf("the %s's jti %q was used before: an assertion is used once (RFC 7523 §3)", a.what, jti)
	}
	return claims, nil
}

// assertionStore remembers the jti of every assertion until it expires,
// to refuse a replay.
type assertionStore struct {
	mu       sync.Mutex // guards usedOnce and changed
	usedOnce            // issuer NUL jti -> expiry
	changed  changeLog
}

// first records the assertion and reports whether it is its first use.
func (s *assertionStore) first(iss, jti string, exp, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usedOnce.first(iss+"\x00"+jti, exp, now, &s.changed)
}

func (s *assertionStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen, s.sweeper = nil, sweeper{}
	clear(s.changed.keys)
}

func (s *assertionStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

// snapshot records each assertion seen (issuer NUL jti) with its expiry.
func (s *assertionStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.seen {
		dst = append(dst, s.current(k))
	}
	return dst
}

func (s *assertionStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of key now; s.mu must be held.
func (s *assertionStore) current(key string) record {
	exp, ok := s.seen[key]
	if !ok {
		return deleted(key)
	}
	return newRecord(key, stime(exp))
}

func (s *assertionStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]time.Time)
	}
	for _, r := range recs {
		var exp stime
		if r.Value == nil {
			delete(s.seen, r.Key)
		} else if err := r.decode(&exp); err != nil {
			return err
		} else {
			s.seen[r.Key] = exp.time()
		}
	}
	return nil
}

// clientAssertionKeys are the keys that verify client c's assertions: its
// public keys for private_key_jwt, its secret for client_secret_jwt.
func clientAssertionKeys(c Client) func(alg string) []jwt.VerificationKey {
	return func(alg string) []jwt.VerificationKey {
		var keys []jwt.VerificationKey
		switch {
		case alg == HS256 && slices.Contains(c.AuthMethods, AuthMethodSecretJWT):
			keys = append(keys, []byte(c.Secret))
		case alg != HS256 && slices.Contains(c.AuthMethods, AuthMethodPrivateKeyJWT):
			for _, k := range c.PublicKeys {
				if a, _ := assertionAlg(k); a == keyAlg(alg) {
					keys = append(keys, k)
				}
			}
		}
		return keys
	}
}

// WithTrustedIssuer trusts JWT assertions that issuer signs with key for
// the JWT bearer grant (GrantJWTBearer, RFC 7523 §2.1): a client
// allowed that grant exchanges such an assertion, whose sub names the user,
// for an access token. key is an *rsa.PublicKey, an *ecdsa.PublicKey on
// P-256 or an ed25519.PublicKey; call it again for more keys or issuers.
func WithTrustedIssuer(issuer string, key crypto.PublicKey) Option {
	return optionFunc(func(c *config) error {
		if _, err := assertionAlg(key); err != nil {
			return fmt.Errorf("trusted issuer %q: %v", issuer, err)
		}
		if issuer == "" {
			return fmt.Errorf("a trusted issuer needs a name, the iss of its assertions")
		}
		if c.trusted == nil {
			c.trusted = make(map[string][]crypto.PublicKey)
		}
		c.trusted[issuer] = append(c.trusted[issuer], key)
		return nil
	})
}

// trustedKeys are the keys of trusted issuer iss that verify alg.
func (p *Provider) trustedKeys(iss string) func(alg string) []jwt.VerificationKey {
	return func(alg string) []jwt.VerificationKey {
		var keys []jwt.VerificationKey
		for _, k := range p.cfg.trusted[iss] {
			if a, _ := assertionAlg(k); a == keyAlg(alg) {
				keys = append(keys, k)
			}
		}
		return keys
	}
}
