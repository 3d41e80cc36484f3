package oauthtest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	mathrand "math/rand/v2"
	"sync"

	"github.com/google/uuid"
)

// idSource makes a provider's codes, refresh tokens and token IDs. Each
// provider has its own, seeded from crypto/rand unless WithSeed fixes it, so
// two providers never share a sequence and a seeded one repeats its own.
type idSource struct {
	mu  sync.Mutex // guards rng
	rng *mathrand.ChaCha8
}

func newIDSource(seed *uint64) *idSource {
	var s [32]byte
	if seed != nil {
		binary.LittleEndian.PutUint64(s[:], *seed)
	} else {
		_, _ = rand.Read(s[:]) // crypto/rand.Read never returns an error
	}
	return &idSource{rng: mathrand.NewChaCha8(s)}
}

// Read fills b with the source's next bytes; it makes idSource an io.Reader.
func (s *idSource) Read(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Read(b)
}

// secret returns 32 unpredictable bytes as unpadded base64url (43 characters):
// the form of codes and refresh tokens.
func (s *idSource) secret() string {
	var b [32]byte
	_, _ = s.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// uuid returns a random (version 4) UUID, the form of token IDs (jti).
func (s *idSource) uuid() string {
	return uuid.Must(uuid.NewRandomFromReader(s)).String()
}
