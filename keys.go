package oauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"embed"
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

// insecureKeys are RSA-2048 private keys shipped with the package: key 0
// signs by default, the others serve seeded providers and rotation. They are
// public, in this repository: tokens they sign prove nothing outside tests.
// Each is an ordinary two-prime key in PKCS #8 (made by `openssl genpkey
// -algorithm RSA -pkeyopt rsa_keygen_bits:2048`), which crypto/rsa signs
// with at its usual speed, also under GODEBUG=fips140=only.
//
//go:embed insecurekeys/*.pem
var insecureKeys embed.FS

// insecureRSAKeys is how many RSA keys are shipped.
const insecureRSAKeys = 8

// InsecureTestKey returns the RSA private key that providers sign with by
// default. It is published with this package, so anyone can sign tokens with
// it: use it only in tests and local development. It is parsed once per
// process and the same on every run and machine, which keeps the JWKS and its
// kid stable. Callers must not modify it. It is an ordinary RSA-2048 key
// (two primes, e = 65537).
func InsecureTestKey() *rsa.PrivateKey { return insecureRSA(0).private.(*rsa.PrivateKey) }

// insecureRSA returns shipped key i (modulo their number), parsed on first
// use, once per process.
func insecureRSA(i int) *signingKey { return rsaKeys[i%insecureRSAKeys]() }

var rsaKeys = func() (keys [insecureRSAKeys]func() *signingKey) {
	for i := range keys {
		keys[i] = sync.OnceValue(func() *signingKey { return parseShippedKey(i) })
	}
	return keys
}()

func parseShippedKey(i int) *signingKey {
	name := fmt.Sprintf("insecurekeys/rs256-%d.pem", i)
	b, err := insecureKeys.ReadFile(name)
	if err != nil {
		panic("oauthtest: " + err.Error())
	}
	block, _ := pem.Decode(b)
	if block == nil {
		panic("oauthtest: " + name + " is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic("oauthtest: " + name + " does not parse: " + err.Error())
	}
	sk, err := newSigningKey(k.(crypto.Signer))
	if err != nil {
		panic("oauthtest: " + name + ": " + err.Error())
	}
	return sk
}

// Signing algorithms (RFC 7518 §3.1, RFC 8037).
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
	HS256 = "HS256" // per client, with its secret: see Client.SigningAlg
)

// seededKey returns key number i of the sequence of alg for seed. Sequences
// of different seeds share no key, and no key comes twice in one. RS256
// key 0 of seeds 0 to 7 is shipped key seed, the same on every run and
// machine; every other RS256 key is generated from crypto/rand, as eight
// shipped keys cannot give every seed a sequence of its own. ES256 and
// EdDSA keys are derived from seed and i, once per process for the first
// keys of seed 0 (every provider without WithKeySeed).
func seededKey(alg string, seed uint64, i int) *signingKey {
	if alg == RS256 {
		if i == 0 && seed < insecureRSAKeys {
			return insecureRSA(int(seed))
		}
		return generatedRSA()
	}
	if keys := defaultDerivedKeys[alg]; seed == 0 && i < len(keys) {
		return keys[i]()
	}
	return deriveKey(alg, seed, i)
}

// generatedRSA returns a new RSA-2048 key from crypto/rand: some 100 ms.
func generatedRSA() *signingKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic("oauthtest: generating an RSA key: " + err.Error())
	}
	sk, err := newSigningKey(k)
	if err != nil {
		panic("oauthtest: " + err.Error())
	}
	return sk
}

// defaultDerivedKeys are the first ES256 and EdDSA keys of seed 0, each
// derived on first use: deriving one costs some 20 µs, half a provider's
// start.
var defaultDerivedKeys = map[string][]func() *signingKey{ES256: derivedOnce(ES256), EdDSA: derivedOnce(EdDSA)}

func derivedOnce(alg string) []func() *signingKey {
	keys := make([]func() *signingKey, insecureRSAKeys)
	for i := range keys {
		keys[i] = sync.OnceValue(func() *signingKey { return deriveKey(alg, 0, i) })
	}
	return keys
}

// deriveKey derives key number i of alg for seed from a hash of the three.
func deriveKey(alg string, seed uint64, i int) *signingKey {
	for ctr := byte(0); ; ctr++ {
		h := sha256.New()
		fmt.Fprintf(h, "oauthtest %s key %d/%d/%d", alg, seed, i, ctr)
		material := h.Sum(nil)
		var k crypto.Signer
		if alg == EdDSA {
			k = ed25519.NewKeyFromSeed(material)
		} else if ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), material); err == nil {
			k = ec
		} else {
			continue // outside the curve's order: about once in 2^32 seeds
		}
		sk, err := newSigningKey(k)
		if err != nil {
			panic("oauthtest: " + err.Error())
		}
		return sk
	}
}

// signingKey is a private key with everything derived from it once: its JWS
// algorithm, its kid (the RFC 7638 thumbprint) and its public JWK.
type signingKey struct {
	private crypto.Signer
	method  jwt.SigningMethod
	kid     string
	jwk     jsonWebKey
	hash    func() hash.Hash // for at_hash and c_hash (OIDC Core §3.3.2.11)
	// configured marks WithSigningKey's key, which the state file keeps by
	// kid alone: the option gives it again.
	configured bool
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

// signer signs with k.
func (k *signingKey) signer() tokenSigner {
	return tokenSigner{method: k.method, key: k.private, kid: k.kid, hash: k.hash}
}

// tokenSigner signs the JWTs of one response: with a provider key, or with
// a client's secret (HS256).
type tokenSigner struct {
	method jwt.SigningMethod
	key    any    // crypto.Signer, or []byte for HS256
	kid    string // "" for HS256: the client's secret has no key ID
	hash   func() hash.Hash
}

// hmacSigner signs with a client's secret (OIDC Core §10.1).
func hmacSigner(secret string) tokenSigner {
	return tokenSigner{method: jwt.SigningMethodHS256, key: []byte(secret), hash: sha256.New}
}

// sign returns the compact JWS of claims with the given typ header.
func (s tokenSigner) sign(claims jwt.MapClaims, typ string) (string, error) {
	t := jwt.NewWithClaims(s.method, claims)
	if s.kid != "" {
		t.Header["kid"] = s.kid
	}
	t.Header["typ"] = typ
	return t.SignedString(s.key)
}

// halfHash is the at_hash / c_hash of value: the left half of its hash under
// the signing algorithm, base64url (OIDC Core §3.1.3.6 and §3.3.2.11).
func (s tokenSigner) halfHash(value string) string {
	h := s.hash()
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
