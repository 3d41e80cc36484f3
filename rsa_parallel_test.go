package oauthtest

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

// TestParallelRS256MatchesCryptoRSA: PKCS #1 v1.5 is deterministic, so the
// parallel signer must produce exactly crypto/rsa's signature, for every
// shipped key and many messages.
func TestParallelRS256MatchesCryptoRSA(t *testing.T) {
	t.Parallel()
	for i := range insecureRSAKeys {
		sk := insecureRSA(i)
		m, ok := sk.method.(*parallelRS256)
		if !ok {
			t.Fatalf("shipped key %d does not sign in parallel", i)
		}
		for j := range 50 {
			digest := sha256.Sum256([]byte(fmt.Sprintf("message %d of key %d", j, i)))
			want, err := rsa.SignPKCS1v15(nil, m.key, crypto.SHA256, digest[:])
			if err != nil {
				t.Fatal(err)
			}
			if got := m.signCRT(digest[:]); string(got) != string(want) {
				t.Fatalf("key %d message %d: the parallel signature differs from crypto/rsa's", i, j)
			}
		}
	}
}

// TestParallelRS256UnderLoad: whichever path each signature takes, all of
// them verify.
func TestParallelRS256UnderLoad(t *testing.T) {
	t.Parallel()
	m := insecureRSA(0).method.(*parallelRS256)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			s := fmt.Sprintf("header.payload-%d", i)
			sig, err := m.Sign(s, nil)
			if err == nil {
				err = m.Verify(s, sig, &m.key.PublicKey)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := m.signing.Load(); n != 0 {
		t.Errorf("%d signatures still counted as in progress", n)
	}
}

// TestUserKeysSignWithCryptoRSA: a key given with WithSigningKey never
// takes the variable-time path.
func TestUserKeysSignWithCryptoRSA(t *testing.T) {
	t.Parallel()
	sk, err := newSigningKey(insecureRSA(1).private)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sk.method.(*parallelRS256); ok {
		t.Error("a user's key signs with math/big")
	}
}
