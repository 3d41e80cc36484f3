package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"math/big"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DPoPKey is a client's DPoP key pair (RFC 9449), for tests that play the
// client: Provider.DPoPProof makes its proofs, Thumbprint names it in
// dpop_jkt and in the cnf claim of the tokens bound to it.
type DPoPKey struct {
	signer crypto.Signer
	method jwt.SigningMethod
	jwk    jsonWebKey
	public map[string]any // the jwk header parameter
	jkt    string
}

// NewDPoPKey wraps a private key for DPoP: an *ecdsa.PrivateKey on P-256,
// P-384 or P-521 (ES256, ES384, ES512), an ed25519.PrivateKey (EdDSA) or
// an *rsa.PrivateKey of at least 2048 bits (PS256).
func NewDPoPKey(key crypto.Signer) (*DPoPKey, error) {
	k := &DPoPKey{signer: key}
	switch key := key.(type) {
	case *ecdsa.PrivateKey:
		alg := map[string]string{"P-256": "ES256", "P-384": "ES384", "P-521": "ES512"}[key.Curve.Params().Name]
		if alg == "" {
			return nil, fmt.Errorf("oauthtest: DPoP needs an ECDSA key on P-256, P-384 or P-521, not %s", key.Curve.Params().Name)
		}
		size := (key.Curve.Params().BitSize + 7) / 8
		k.method = jwt.GetSigningMethod(alg)
		k.jwk = jsonWebKey{Kty: "EC", Crv: key.Curve.Params().Name, X: b64(key.X.FillBytes(make([]byte, size))), Y: b64(key.Y.FillBytes(make([]byte, size)))}
	case ed25519.PrivateKey:
		k.method = jwt.SigningMethodEdDSA
		k.jwk = jsonWebKey{Kty: "OKP", Crv: "Ed25519", X: b64(key.Public().(ed25519.PublicKey))}
	case *rsa.PrivateKey:
		if key.N.BitLen() < 2048 {
			return nil, fmt.Errorf("oauthtest: DPoP needs an RSA key of at least 2048 bits, not %d", key.N.BitLen())
		}
		k.method = jwt.SigningMethodPS256
		k.jwk = jsonWebKey{Kty: "RSA", N: b64(key.N.Bytes()), E: b64(big.NewInt(int64(key.E)).Bytes())}
	default:
		return nil, fmt.Errorf("oauthtest: a DPoP key of type %T is not supported; use *ecdsa.PrivateKey, ed25519.PrivateKey or *rsa.PrivateKey", key)
	}
	k.jkt = thumbprint(k.jwk)
	k.public = map[string]any{"kty": k.jwk.Kty}
	for name, v := range map[string]string{"crv": k.jwk.Crv, "x": k.jwk.X, "y": k.jwk.Y, "n": k.jwk.N, "e": k.jwk.E} {
		if v != "" {
			k.public[name] = v
		}
	}
	return k, nil
}

// Thumbprint is the key's RFC 7638 JWK SHA-256 thumbprint: the dpop_jkt
// of an authorization request and the cnf.jkt of the tokens bound to it
// (RFC 9449 §6.1, §10).
func (k *DPoPKey) Thumbprint() string { return k.jkt }

// DPoPProof returns a DPoP proof (RFC 9449 §4.2) by key for a request of
// method to uri, made now by the provider's clock, with a new jti; opts
// add to it or spoil it: ForAccessToken adds ath for a resource request,
// SetClaims a nonce ({"nonce": ...}) or another htm or htu, Without drops
// a claim, Expired and NotYetValid move iat out of the window,
// SetHeader changes typ, alg or jwk, BadSignature and ForeignKey break the
// signature, AlgNone removes it.
func (p *Provider) DPoPProof(key *DPoPKey, method, uri string, opts ...MintOption) string {
	now := p.Now().Truncate(time.Second)
	m := &minting{
		claims:      jwt.MapClaims{"jti": p.ids.uuid(), "htm": method, "htu": uri, "iat": now.Unix()},
		header:      map[string]any{"jwk": key.public},
		signer:      tokenSigner{method: key.method, key: key.signer, hash: sha256.New},
		now:         now,
		lifetime:    dpopProofWindow,
		foreignSeed: p.keys.seed + insecureRSAKeys/2,
	}
	return m.finish(typDPoPProof, opts)
}

// ForAccessToken makes a DPoP proof for presenting token at a resource:
// its ath claim is the token's hash (RFC 9449 §4.2, §7).
func ForAccessToken(token string) MintOption {
	return spoiling(func(m *minting) { m.claims["ath"] = accessTokenHash(token) })
}

// DPoPBound binds a minted access token to the DPoP key with thumbprint
// jkt (DPoPKey.Thumbprint): its cnf claim (RFC 9449 §6.1), which userinfo
// and introspection then honour.
func DPoPBound(jkt string) MintOption {
	return spoiling(func(m *minting) { m.claims["cnf"] = map[string]any{"jkt": jkt} })
}
