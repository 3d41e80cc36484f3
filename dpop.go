package oauthtest

// DPoP, Demonstrating Proof of Possession (RFC 9449): a client proves with
// each request that it holds a private key, and the provider binds the
// tokens it issues to that key. This file checks proofs (§4.3), binds
// tokens (§5, §6, §10), refuses replays (§11.1) and serves nonces (§8, §9).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoP header fields, token type and proof typ (RFC 9449 §4.1, §5, §8).
const (
	dpopHeader      = "DPoP"
	dpopNonceHeader = "DPoP-Nonce"
	tokenTypeDPoP   = "DPoP"
	typDPoPProof    = "dpop+jwt"
)

// How long a proof is accepted after its iat, how far ahead of the
// provider's clock its iat may be, and how long a server nonce lives
// (RFC 9449 §11.1, §8), all by the provider's clock.
const (
	dpopProofWindow   = 5 * time.Minute
	dpopClockSkew     = time.Minute
	dpopNonceLifetime = 10 * time.Minute
)

// dpopAlgs are the proof algorithms the provider verifies: asymmetric
// only (RFC 9449 §4.3 check 5), as discovery advertises them.
var dpopAlgs = []string{"ES256", "ES384", "ES512", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}

// dpopCurves are the curves of the ECDSA algorithms.
var dpopCurves = map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}

// WithDPoPRequired makes every client prove possession of a key with DPoP
// at the token endpoint (RFC 9449 §5): a token request without a DPoP
// proof gets invalid_dpop_proof. Client.DPoPBoundAccessTokens requires it
// of one client.
func WithDPoPRequired() Option {
	return optionFunc(func(c *config) error { c.dpopRequired = true; return nil })
}

// WithDPoPNonces makes the provider demand a nonce of its own in every DPoP
// proof, at the token endpoint and at userinfo (RFC 9449 §8, §9): a proof
// without it, or with one that expired, gets use_dpop_nonce and a fresh
// nonce in the DPoP-Nonce header, for the client to retry with.
// RequireDPoPNonce demands one once.
func WithDPoPNonces() Option {
	return optionFunc(func(c *config) error { c.dpopNonces = true; return nil })
}

// RequireDPoPNonce makes the provider issue a new DPoP nonce and demand it
// in the next DPoP proof it receives, with or without WithDPoPNonces: that
// request gets use_dpop_nonce with the new nonce in DPoP-Nonce, as when a
// server rotates its nonces (RFC 9449 §8.2). A client that retries with it
// is served.
func (p *Provider) RequireDPoPNonce() {
	now := p.Now()
	nonce := p.ids.secret()
	p.dpop.mu.Lock()
	defer p.dpop.mu.Unlock()
	p.dpop.nonce, p.dpop.nonceExpires, p.dpop.demand = nonce, now.Add(dpopNonceLifetime), true
	p.dpop.changed.note(dpopMeta)
}

// dpopStore is a provider's DPoP state: the proofs seen, to refuse
// replays, and the current server nonce.
type dpopStore struct {
	mu           sync.Mutex // guards everything below
	usedOnce                // jkt NUL jti -> when it may be forgotten
	nonce        string
	nonceExpires time.Time
	demand       bool      // RequireDPoPNonce: the next proof must carry the nonce
	changed      changeLog // keys of seen, and dpopMeta for the nonce
}

// first records a proof and reports whether it is its first use. A proof
// is remembered as long as its iat could pass the window check.
func (s *dpopStore) first(jkt, jti string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.usedOnce.first(jkt+"\x00"+jti, now.Add(dpopProofWindow+dpopClockSkew), now, &s.changed)
}

// checkNonce checks a proof's nonce when one is demanded, and returns the
// nonce to send in DPoP-Nonce: "" when nonces are not in use. A proof that
// carries the demanded nonce ends a demand of RequireDPoPNonce.
func (s *dpopStore) checkNonce(got string, always bool, now time.Time, fresh func() string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !always && !s.demand {
		return "", true
	}
	if s.nonce == "" || !now.Before(s.nonceExpires) {
		s.nonce, s.nonceExpires = fresh(), now.Add(dpopNonceLifetime)
		s.changed.note(dpopMeta)
	}
	if got != s.nonce {
		return s.nonce, false
	}
	if s.demand {
		s.demand = false
		s.changed.note(dpopMeta)
	}
	return s.nonce, true
}

// dpopMeta is the key of the DPoP store's own record: the nonce. The
// others are the proofs seen (jkt NUL jti), kept like used assertions, so
// that a proof replayed after a restart is still refused.
const dpopMeta = "#"

// dpopNonceState is the server nonce as the state file keeps it.
type dpopNonceState struct {
	Nonce   string `json:"nonce,omitempty"`
	Expires *stime `json:"expires,omitempty"`
	Demand  bool   `json:"demand,omitempty"`
}

// reset forgets every proof and nonce.
func (s *dpopStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen, s.sweeper, s.nonce, s.nonceExpires, s.demand = nil, sweeper{}, "", time.Time{}, false
	clear(s.changed.keys)
}

func (s *dpopStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *dpopStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.current(dpopMeta))
	for k := range s.seen {
		dst = append(dst, s.current(k))
	}
	return dst
}

func (s *dpopStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of key now; s.mu must be held.
func (s *dpopStore) current(key string) record {
	if key == dpopMeta {
		return newRecord(key, dpopNonceState{Nonce: s.nonce, Expires: stimeOf(s.nonceExpires), Demand: s.demand})
	}
	until, ok := s.seen[key]
	if !ok {
		return deleted(key)
	}
	return newRecord(key, stime(until))
}

func (s *dpopStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = make(map[string]time.Time)
	}
	for _, r := range recs {
		switch {
		case r.Key == dpopMeta:
			var st dpopNonceState
			if err := r.decode(&st); err != nil {
				return err
			}
			s.nonce, s.nonceExpires, s.demand = st.Nonce, timeOf(st.Expires), st.Demand
		case r.Value == nil:
			delete(s.seen, r.Key)
		default:
			var until stime
			if err := r.decode(&until); err != nil {
				return err
			}
			s.seen[r.Key] = until.time()
		}
	}
	return nil
}

// dpopClaims are the claims of a proof (RFC 9449 §4.2).
type dpopClaims struct {
	jwt.RegisteredClaims        // jti and iat
	HTM                  string `json:"htm"`
	HTU                  string `json:"htu"`
	ATH                  string `json:"ath"`
	Nonce                string `json:"nonce"`
}

// confirmation is the cnf claim of a DPoP-bound token (RFC 9449 §6.1).
type confirmation struct {
	JKT string `json:"jkt"`
}

// dpopRequest is what a checked proof must match: the request's method,
// the URI without query and fragment, and at a resource the access token.
type dpopRequest struct {
	method, uri string
	accessToken string // "" at the token endpoint
	resource    bool   // errors are a resource's: 401
	fapi        bool   // WithFAPI2: PS256, ES256 and EdDSA only
}

// dpopProofError is invalid_dpop_proof naming the check of RFC 9449 §4.3
// that failed; at a resource it is a 401 (§7.1).
func (d dpopRequest) proofError(format string, args ...any) *Error {
	e := ErrInvalidDPoPProof.WithDescription(format, args...)
	if d.resource {
		e = e.withStatus(http.StatusUnauthorized)
	}
	return e
}

// checkDPoP checks the DPoP proof of a request, if it has one, and returns
// the thumbprint of its key: "" without a proof. required refuses a
// request without one. It sets DPoP-Nonce when nonces are in use. A proof
// is used once: it is recorded when every check passed.
func (p *Provider) checkDPoP(x *call, d dpopRequest, required bool) (string, *Error) {
	proofs := x.r.Header.Values(dpopHeader)
	switch {
	case len(proofs) > 1:
		return "", d.proofError("the request has %d DPoP header fields; send exactly one (RFC 9449 §4.3 check 1)", len(proofs))
	case len(proofs) == 0 && required:
		return "", d.proofError("a DPoP proof is required: send one in the DPoP header (RFC 9449 §4.1, §5)")
	case len(proofs) == 0:
		return "", nil
	}
	claims, jkt, err := d.verify(proofs[0])
	if err != nil {
		return "", err
	}
	now := p.Now()
	if err := d.checkTime(claims, now); err != nil {
		return "", err
	}
	nonce, ok := p.dpop.checkNonce(claims.Nonce, p.cfg.dpopNonces, now, p.ids.secret)
	if nonce != "" {
		x.w.Header().Set(dpopNonceHeader, nonce)
	}
	if !ok {
		return "", d.nonceError(claims.Nonce)
	}
	if !p.dpop.first(jkt, claims.ID, now) {
		return "", d.proofError("the proof's jti %q was used before: a proof is used once (RFC 9449 §11.1)", claims.ID)
	}
	return jkt, nil
}

// nonceError is use_dpop_nonce: 400 at the token endpoint (§8), 401 at a
// resource (§9).
func (d dpopRequest) nonceError(got string) *Error {
	what := "has no nonce"
	if got != "" {
		what = "has a nonce that is not the provider's current one"
	}
	e := ErrUseDPoPNonce.WithDescription("the DPoP proof %s: retry with the nonce of the DPoP-Nonce header (RFC 9449 §8, §4.3 check 10)", what)
	if d.resource {
		e = e.withStatus(http.StatusUnauthorized)
	}
	return e
}

// verify checks a proof's form, header, signature and claims against the
// request (RFC 9449 §4.3 checks 2 to 9 and 12a), and returns its claims
// and the thumbprint of its key.
func (d dpopRequest) verify(raw string) (*dpopClaims, string, *Error) {
	var claims dpopClaims
	tok, _, err := jwt.NewParser().ParseUnverified(raw, &claims)
	if err != nil {
		return nil, "", d.proofError("the DPoP header is not a well-formed JWT: %v (RFC 9449 §4.3 check 2)", err)
	}
	key, jkt, perr := d.proofKey(tok)
	if perr != nil {
		return nil, "", perr
	}
	_, err = jwt.ParseWithClaims(raw, &dpopClaims{}, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{tok.Method.Alg()}), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, "", d.proofError("the proof's signature does not verify with its jwk: %v (RFC 9449 §4.3 check 6)", err)
	}
	if err := d.checkClaims(&claims); err != nil {
		return nil, "", err
	}
	return &claims, jkt, nil
}

// proofKey checks a proof's header: typ, alg and a public jwk that fits
// alg (RFC 9449 §4.3 checks 3 to 5 and 7); it returns the key and its
// RFC 7638 thumbprint.
func (d dpopRequest) proofKey(tok *jwt.Token) (crypto.PublicKey, string, *Error) {
	alg, _ := tok.Header["alg"].(string)
	jwk, ok := tok.Header["jwk"].(map[string]any)
	switch {
	case tok.Header["typ"] != typDPoPProof:
		return nil, "", d.proofError("the proof's typ is %v, not %q (RFC 9449 §4.3 check 4)", tok.Header["typ"], typDPoPProof)
	case !slices.Contains(dpopAlgs, alg):
		return nil, "", d.proofError("the proof's alg %q is not an asymmetric algorithm the provider supports; supported: %s (RFC 9449 §4.3 check 5)", alg, strings.Join(dpopAlgs, ", "))
	case !ok:
		return nil, "", d.proofError("the proof's header has no jwk, the public key that verifies it (RFC 9449 §4.2, §4.3 check 3)")
	case tok.Header["crit"] != nil:
		return nil, "", d.proofError("the proof's header has crit %v: this provider understands no JWS extension, and must refuse what it does not understand (RFC 7515 §4.1.11, RFC 9449 §4.3 check 2)", tok.Header["crit"])
	}
	if err := d.fapiProofAlg(alg); err != nil { // fapi.go
		return nil, "", err
	}
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"} {
		if _, has := jwk[private]; has {
			return nil, "", d.proofError("the proof's jwk holds private key material (%q): send the public key only (RFC 9449 §4.3 check 7)", private)
		}
	}
	key, members, err := publicJWK(jwk, alg)
	if err != nil {
		return nil, "", d.proofError("the proof's jwk does not fit alg %s: %v (RFC 9449 §4.3 check 5)", alg, err)
	}
	return key, thumbprint(members), nil
}

// checkClaims checks the required claims, htm, htu and ath of a proof
// (RFC 9449 §4.2, §4.3 checks 3, 8, 9 and 12a).
func (d dpopRequest) checkClaims(c *dpopClaims) *Error {
	switch {
	case c.ID == "" || c.HTM == "" || c.HTU == "" || c.IssuedAt == nil:
		return d.proofError("the proof lacks a required claim: jti, htm, htu and iat are required (RFC 9449 §4.2, §4.3 check 3)")
	case c.HTM != d.method:
		return d.proofError("the proof's htm is %q, but the request's method is %s (RFC 9449 §4.3 check 8)", c.HTM, d.method)
	case normalURI(c.HTU) != normalURI(d.uri):
		return d.proofError("the proof's htu %q is not the request's URI %q, compared without query and fragment (RFC 9449 §4.3 check 9)", c.HTU, d.uri)
	case d.accessToken != "" && c.ATH == "":
		return d.proofError("the proof has no ath, the hash of the access token it is sent with (RFC 9449 §4.2, §7)")
	case d.accessToken != "" && c.ATH != accessTokenHash(d.accessToken):
		return d.proofError("the proof's ath is not the SHA-256 hash of the access token sent with it (RFC 9449 §4.3 check 12)")
	}
	return nil
}

// checkTime checks that the proof was made within the window around the
// provider's clock (RFC 9449 §4.3 check 11, §11.1).
func (d dpopRequest) checkTime(c *dpopClaims, now time.Time) *Error {
	iat := c.IssuedAt.Time
	switch {
	case iat.Before(now.Add(-dpopProofWindow)):
		return d.proofError("the proof was made at %s, more than %s before the provider's time %s (RFC 9449 §4.3 check 11)", iat.UTC().Format(time.RFC3339), dpopProofWindow, now.UTC().Format(time.RFC3339))
	case iat.After(now.Add(dpopClockSkew)):
		return d.proofError("the proof was made at %s, more than %s after the provider's time %s (RFC 9449 §4.3 check 11)", iat.UTC().Format(time.RFC3339), dpopClockSkew, now.UTC().Format(time.RFC3339))
	}
	return nil
}

// accessTokenHash is the ath of a proof sent with token: base64url of its
// SHA-256 hash (RFC 9449 §4.2).
func accessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return b64(sum[:])
}

// normalURI is u without query and fragment, after syntax- and
// scheme-based normalization (RFC 9449 §4.3, RFC 3986 §6.2.2, §6.2.3):
// lower-case scheme and host, no default port, "/" for an empty path.
func normalURI(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || !parsed.IsAbs() {
		return "\x00" + u // matches nothing but itself, and an htu that is not a URI matches no request
	}
	scheme, host := strings.ToLower(parsed.Scheme), strings.ToLower(parsed.Host)
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	path := parsed.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// requestURI is the URI a proof for this request names: the issuer's
// origin and the request's path.
func (p *Provider) requestURI(r *http.Request) string {
	u, _ := url.Parse(p.issuer) // validated by WithIssuer or made from the listener
	return u.Scheme + "://" + u.Host + r.URL.EscapedPath()
}

// publicJWK builds the public key of a JWK for alg, and its members that
// RFC 7638 hashes into the thumbprint.
func publicJWK(jwk map[string]any, alg string) (crypto.PublicKey, jsonWebKey, error) {
	str := func(name string) string { s, _ := jwk[name].(string); return s }
	k := jsonWebKey{Kty: str("kty"), Crv: str("crv"), X: str("x"), Y: str("y"), N: str("n"), E: str("e")}
	switch {
	case k.Kty == "EC" && dpopCurves[alg] != nil:
		key, err := ecKey(dpopCurves[alg], k)
		return key, k, err
	case k.Kty == "RSA" && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")):
		key, err := rsaKey(k)
		return key, k, err
	case k.Kty == "OKP" && alg == "EdDSA":
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, k, fmt.Errorf("an OKP key for EdDSA needs crv Ed25519 and a 32-byte x")
		}
		return ed25519.PublicKey(x), k, nil
	}
	return nil, k, fmt.Errorf("kty %q cannot verify %s", k.Kty, alg)
}

// ecKey is the point (x, y) on curve, which must be the jwk's crv.
func ecKey(curve elliptic.Curve, k jsonWebKey) (*ecdsa.PublicKey, error) {
	if k.Crv != curve.Params().Name {
		return nil, fmt.Errorf("crv is %q, not %s", k.Crv, curve.Params().Name)
	}
	size := (curve.Params().BitSize + 7) / 8
	x, errX := base64.RawURLEncoding.DecodeString(k.X)
	y, errY := base64.RawURLEncoding.DecodeString(k.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("x and y must be %d bytes each, base64url", size)
	}
	return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
}

// rsaKey is the RSA key (n, e), of at least 2048 bits.
func rsaKey(k jsonWebKey) (*rsa.PublicKey, error) {
	n, errN := base64.RawURLEncoding.DecodeString(k.N)
	e, errE := base64.RawURLEncoding.DecodeString(k.E)
	if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("n and e must be base64url, e at most 4 bytes")
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if key.N.BitLen() < 2048 || key.E < 3 || key.E%2 == 0 {
		return nil, fmt.Errorf("an RSA key needs at least 2048 bits and an odd e of at least 3; this one has %d bits, e = %d", key.N.BitLen(), key.E)
	}
	return key, nil
}
