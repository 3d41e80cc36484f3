package oauthtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"testing"
)

// TestShippedKeysSignAsCryptoRSA: PKCS #1 v1.5 is deterministic, so the
// multi-prime signer must produce exactly crypto/rsa's signature, for every
// shipped key and many messages, and each signature verifies.
func TestShippedKeysSignAsCryptoRSA(t *testing.T) {
	t.Parallel()
	for i := range insecureRSAKeys {
		sk := insecureRSA(i)
		m, ok := sk.method.(*multiPrimeRS256)
		if !ok {
			t.Fatalf("shipped key %d signs with %T", i, sk.method)
		}
		if n := len(m.key.Primes); n != 3 || m.key.N.BitLen() != 2048 {
			t.Fatalf("shipped key %d: %d bits, %d primes; want 2048 bits, 3 primes", i, m.key.N.BitLen(), n)
		}
		for j := range 10 {
			s := fmt.Sprintf("header.payload-%d-of-key-%d", j, i)
			digest := sha256.Sum256([]byte(s))
			want, err := rsa.SignPKCS1v15(nil, m.key, crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.Sign(s, nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("key %d message %d: the signature differs from crypto/rsa's", i, j)
			}
			if err := m.Verify(s, got, &m.key.PublicKey); err != nil {
				t.Fatalf("key %d message %d: %v", i, j, err)
			}
		}
	}
}

// TestUserKeysSignWithCryptoRSA: a key given with WithSigningKey never
// takes the variable-time path, even a multi-prime one.
func TestUserKeysSignWithCryptoRSA(t *testing.T) {
	t.Parallel()
	sk, err := newSigningKey(insecureRSA(1).private)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sk.method.(*multiPrimeRS256); ok {
		t.Error("a user's key signs with math/big")
	}
}
