package oauthtest

import (
	"crypto/rsa"
	"crypto/sha256"
	"math/big"

	"github.com/golang-jwt/jwt/v5"
)

// multiPrimeRS256 signs RS256 with the package's own keys, which are
// three-prime RSA-2048 keys (RFC 8017 §3.2): with the Chinese Remainder
// Theorem a signature is then three exponentiations modulo 683-bit primes
// instead of two modulo 1024-bit ones, about 40 % less work than a
// two-prime key. crypto/rsa implements the CRT only for two primes, so
// this computes it with math/big (RFC 8017 §5.1.2, 2.b).
//
// The signatures are ordinary RS256 signatures: a verifier sees only the
// modulus and exponent, and PKCS #1 v1.5 is deterministic, so a test holds
// each to be byte for byte the one crypto/rsa makes with the same key.
// math/big is not constant-time, which is why only the shipped keys, which
// are public anyway, take this path; keys given with WithSigningKey are
// signed by crypto/rsa.
type multiPrimeRS256 struct {
	key    *rsa.PrivateKey
	exps   []*big.Int // d mod (r_i - 1)
	coeffs []*big.Int // (r_0 ... r_{i-1})^-1 mod r_i, for i >= 1
	prods  []*big.Int // r_0 ... r_{i-1}, for i >= 1
}

// newMultiPrimeRS256 precomputes the CRT values of k, which must have been
// validated (as x509 parsing does).
func newMultiPrimeRS256(k *rsa.PrivateKey) *multiPrimeRS256 {
	m := &multiPrimeRS256{key: k}
	one, prod := big.NewInt(1), big.NewInt(1)
	for i, r := range k.Primes {
		m.exps = append(m.exps, new(big.Int).Mod(k.D, new(big.Int).Sub(r, one)))
		if i > 0 {
			m.coeffs = append(m.coeffs, new(big.Int).ModInverse(prod, r))
			m.prods = append(m.prods, new(big.Int).Set(prod))
		} else {
			m.coeffs, m.prods = append(m.coeffs, nil), append(m.prods, nil)
		}
		prod = new(big.Int).Mul(prod, r)
	}
	return m
}

// digestInfoSHA256 is the DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2).
var digestInfoSHA256 = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

func (m *multiPrimeRS256) Alg() string { return jwt.SigningMethodRS256.Alg() }

// Verify verifies as RS256 does.
func (m *multiPrimeRS256) Verify(signingString string, sig []byte, key any) error {
	return jwt.SigningMethodRS256.Verify(signingString, sig, key)
}

// Sign signs with m.key; the key argument is ignored.
func (m *multiPrimeRS256) Sign(signingString string, _ any) ([]byte, error) {
	sum := sha256.Sum256([]byte(signingString))
	return m.signDigest(sum[:]), nil
}

// signDigest computes the RSASSA-PKCS1-v1_5 signature of a SHA-256 digest
// (RFC 8017 §8.2.1).
func (m *multiPrimeRS256) signDigest(digest []byte) []byte {
	k := m.key.Size()
	em := make([]byte, k) // 0x00 0x01 0xff... 0x00 DigestInfo digest
	em[1] = 0x01
	t := len(digestInfoSHA256) + len(digest)
	for i := 2; i < k-t-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-t:], digestInfoSHA256)
	copy(em[k-len(digest):], digest)
	c := new(big.Int).SetBytes(em)

	// s_i = c^(d mod (r_i - 1)) mod r_i, combined by Garner's algorithm:
	// s = s_0; for each further prime, s += prod_i ((s_i - s) coeff_i mod r_i).
	var s, h big.Int
	for i, r := range m.key.Primes {
		si := new(big.Int).Mod(c, r)
		si.Exp(si, m.exps[i], r)
		if i == 0 {
			s.Set(si)
			continue
		}
		h.Sub(si, &s).Mul(&h, m.coeffs[i]).Mod(&h, r)
		s.Add(&s, h.Mul(&h, m.prods[i]))
	}
	return s.FillBytes(make([]byte, k))
}

// assert multiPrimeRS256 is a jwt.SigningMethod.
var _ jwt.SigningMethod = (*multiPrimeRS256)(nil)
