package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// insecureRS256PEM is the RSA-2048 private key every provider signs with
// unless given another. It is public, in this repository: tokens it signs
// prove nothing outside tests.
//
//go:embed insecure_rs256.pem
var insecureRS256PEM []byte

// InsecureTestKey returns the RSA private key that providers sign with by
// default. It is published with this package, so anyone can sign tokens with
// it: use it only in tests and local development. It is parsed once per
// process and the same on every run and machine, which keeps the JWKS and its
// kid stable. Callers must not modify it.
func InsecureTestKey() *rsa.PrivateKey { return defaultKey().private.(*rsa.PrivateKey) }

// defaultKey is parsed once per process, never per provider.
var defaultKey = sync.OnceValue(func() *signingKey {
	block, _ := pem.Decode(insecureRS256PEM)
	if block == nil {
		panic("oauthtest: the embedded insecure key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic("oauthtest: the embedded insecure key does not parse: " + err.Error())
	}
	sk, err := newSigningKey(k.(crypto.Signer))
	if err != nil {
		panic("oauthtest: " + err.Error())
	}
	return sk
})

// signingKey is a private key with everything derived from it once: its JWS
// algorithm, its kid (the RFC 7638 thumbprint) and its public JWK.
type signingKey struct {
	private crypto.Signer
	method  jwt.SigningMethod
	kid     string
	jwk     jsonWebKey
	hash    func() hash.Hash // for at_hash and c_hash (OIDC Core §3.3.2.11)
	jwks    []byte           // the JWK Set holding this key alone
}

// jsonWebKey is a public key as RFC 7517 writes it.
type jsonWebKey struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// newSigningKey accepts an RSA key of at least 2048 bits (RS256), an ECDSA
// P-256 key (ES256) or an Ed25519 key (EdDSA).
func newSigningKey(k crypto.Signer) (*signingKey, error) {
	sk := &signingKey{private: k, hash: sha256.New}
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("RSA signing key has %d bits; RS256 needs at least 2048", k.N.BitLen())
		}
		sk.method = jwt.SigningMethodRS256
		sk.jwk = jsonWebKey{Kty: "RSA", N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errors.New("ECDSA signing key must be on P-256 (ES256)")
		}
		sk.method = jwt.SigningMethodES256
		sk.jwk = jsonWebKey{Kty: "EC", Crv: "P-256", X: b64(k.X.FillBytes(make([]byte, 32))), Y: b64(k.Y.FillBytes(make([]byte, 32)))}
	case ed25519.PrivateKey:
		sk.method = jwt.SigningMethodEdDSA
		sk.hash = sha512.New
		sk.jwk = jsonWebKey{Kty: "OKP", Crv: "Ed25519", X: b64(k.Public().(ed25519.PublicKey))}
	default:
		return nil, fmt.Errorf("signing key of type %T is not supported; use *rsa.PrivateKey, *ecdsa.PrivateKey (P-256) or ed25519.PrivateKey", k)
	}
	sk.jwk.Use, sk.jwk.Alg = "sig", sk.method.Alg()
	sk.kid = thumbprint(sk.jwk)
	sk.jwk.Kid = sk.kid
	sk.jwks = jwks(sk)
	return sk, nil
}

// thumbprint is the RFC 7638 JWK thumbprint: SHA-256 over the required
// members in lexicographic order, base64url without padding.
func thumbprint(k jsonWebKey) string {
	var members string
	switch k.Kty {
	case "RSA":
		members = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, k.E, k.N)
	case "EC":
		members = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k.Crv, k.X, k.Y)
	default:
		members = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, k.Crv, k.X)
	}
	sum := sha256.Sum256([]byte(members))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// public returns the key jwt uses to verify what k signed.
func (k *signingKey) public() crypto.PublicKey { return k.private.Public() }

// sign returns the compact JWS of claims with the given typ header.
func (k *signingKey) sign(claims jwt.MapClaims, typ string) (string, error) {
	t := jwt.NewWithClaims(k.method, claims)
	t.Header["kid"] = k.kid
	t.Header["typ"] = typ
	return t.SignedString(k.private)
}

// halfHash is the at_hash / c_hash of value: the left half of its hash under
// the key's algorithm, base64url (OIDC Core §3.1.3.6 and §3.3.2.11).
func (k *signingKey) halfHash(value string) string {
	h := k.hash()
	h.Write([]byte(value))
	sum := h.Sum(nil)
	return b64(sum[:len(sum)/2])
}

// jwks is the JSON Web Key Set document (RFC 7517 §5) of the given keys.
func jwks(keys ...*signingKey) []byte {
	set := struct {
		Keys []jsonWebKey `json:"keys"`
	}{Keys: make([]jsonWebKey, len(keys))}
	for i, k := range keys {
		set.Keys[i] = k.jwk
	}
	b, _ := json.Marshal(set) // only strings: cannot fail
	return b
}
