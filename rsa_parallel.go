package oauthtest

import (
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"runtime"
	"sync/atomic"

	"github.com/golang-jwt/jwt/v5"
)

// parallelRS256 signs RS256 with the two halves of RSA-CRT (the
// exponentiations modulo p and modulo q) on two cores, which crypto/rsa
// computes one after the other: a signature then takes about 60 % of its
// usual time, and an ID token, whose at_hash needs the signed access token,
// waits less for it.
//
// It serves only the keys shipped with this package: they are public, so
// the variable-time arithmetic of math/big leaks nothing. Keys given with
// WithSigningKey are signed by crypto/rsa. PKCS #1 v1.5 signatures are
// deterministic, and a test holds every signature to be byte for byte the
// one crypto/rsa makes.
type parallelRS256 struct {
	key     *rsa.PrivateKey
	signing atomic.Int32 // signatures in progress: a hint whether a core is idle
}

// digestInfoSHA256 is the DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2).
var digestInfoSHA256 = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

func (m *parallelRS256) Alg() string { return jwt.SigningMethodRS256.Alg() }

// Verify verifies as RS256 does.
func (m *parallelRS256) Verify(signingString string, sig []byte, key any) error {
	return jwt.SigningMethodRS256.Verify(signingString, sig, key)
}

// Sign signs with m.key (the key argument is ignored). It splits the work
// only while at most half the cores are signing; under load, splitting would
// only add goroutines, so crypto/rsa signs.
func (m *parallelRS256) Sign(signingString string, _ any) ([]byte, error) {
	defer m.signing.Add(-1)
	if int(m.signing.Add(1)) > max(runtime.GOMAXPROCS(0)/2, 1) || runtime.GOMAXPROCS(0) < 2 {
		return jwt.SigningMethodRS256.Sign(signingString, m.key)
	}
	sum := sha256.Sum256([]byte(signingString))
	return m.signCRT(sum[:]), nil
}

// signCRT computes the RSASSA-PKCS1-v1_5 signature of a SHA-256 digest
// (RFC 8017 §8.2.1), with the CRT halves in parallel (§5.1.2).
func (m *parallelRS256) signCRT(digest []byte) []byte {
	k := m.key.Size()
	em := make([]byte, k) // 0x00 0x01 0xff... 0x00 DigestInfo digest
	em[1] = 0x01
	t := append(append([]byte{}, digestInfoSHA256...), digest...)
	for i := 2; i < k-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(t):], t)
	c := new(big.Int).SetBytes(em)

	p, q, pre := m.key.Primes[0], m.key.Primes[1], m.key.Precomputed
	m2 := make(chan *big.Int, 1)
	go func() { cq := new(big.Int).Mod(c, q); m2 <- cq.Exp(cq, pre.Dq, q) }()
	m1 := new(big.Int).Mod(c, p)
	m1.Exp(m1, pre.Dp, p)
	s2 := <-m2
	h := m1.Sub(m1, s2) // h = qInv (m1 - m2) mod p; s = m2 + h q
	h.Mul(h, pre.Qinv).Mod(h, p)
	s := h.Mul(h, q).Add(h, s2)
	return s.FillBytes(make([]byte, k))
}

// canSignInParallel reports whether k is a two-prime key with its CRT
// values, the form signCRT needs.
func canSignInParallel(k *rsa.PrivateKey) bool {
	return len(k.Primes) == 2 && k.Precomputed.Dp != nil && k.Precomputed.Dq != nil && k.Precomputed.Qinv != nil
}

// assert parallelRS256 is a jwt.SigningMethod.
var _ jwt.SigningMethod = (*parallelRS256)(nil)
