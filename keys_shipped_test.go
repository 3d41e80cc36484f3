package oauthtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"os"
	"os/exec"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestShippedKeysAreOrdinary: every shipped key is a two-prime RSA-2048 key
// with e = 65537, signed by golang-jwt's RS256 (crypto/rsa), and the kids
// are all different.
func TestShippedKeysAreOrdinary(t *testing.T) {
	t.Parallel()
	kids := map[string]int{}
	for i := range insecureRSAKeys {
		sk := insecureRSA(i)
		k := sk.private.(*rsa.PrivateKey)
		if len(k.Primes) != 2 || k.N.BitLen() != 2048 || k.E != 65537 {
			t.Errorf("shipped key %d: %d bits, %d primes, e=%d; want 2048 bits, 2 primes, e=65537", i, k.N.BitLen(), len(k.Primes), k.E)
		}
		if sk.method != jwt.SigningMethodRS256 {
			t.Errorf("shipped key %d signs with %T, want golang-jwt's RS256", i, sk.method)
		}
		if j, dup := kids[sk.kid]; dup {
			t.Errorf("shipped keys %d and %d share kid %s", j, i, sk.kid)
		}
		kids[sk.kid] = i
		tok, err := sk.signer().sign(jwt.MapClaims{"sub": "x"}, typIDToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return k.Public(), nil }, jwt.WithValidMethods([]string{RS256})); err != nil {
			t.Errorf("shipped key %d: %v", i, err)
		}
	}
}

// TestInsecureTestKeyUnderFIPSOnly: users sign with InsecureTestKey
// themselves, also in FIPS 140-only mode, which refuses unusual keys.
func TestInsecureTestKeyUnderFIPSOnly(t *testing.T) {
	if os.Getenv("OAUTHTEST_FIPS_CHILD") == "1" {
		digest := sha256.Sum256([]byte("payload"))
		if _, err := rsa.SignPKCS1v15(rand.Reader, InsecureTestKey(), crypto.SHA256, digest[:]); err != nil {
			t.Fatalf("crypto/rsa refuses InsecureTestKey under fips140=only: %v", err)
		}
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestInsecureTestKeyUnderFIPSOnly$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "OAUTHTEST_FIPS_CHILD=1", "GODEBUG=fips140=only")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
