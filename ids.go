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
	mu   sync.Mutex // guards rng
	seed *uint64    // WithSeed, or nil
	rng  *mathrand.ChaCha8
}

// Read fills b with the source's next bytes; it makes idSource an io.Reader.
// The source is seeded on first use, keeping provider start-up cheap.
func (s *idSource) Read(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rng == nil {
		var seed [32]byte
		if s.seed != nil {
			binary.LittleEndian.PutUint64(seed[:], *s.seed)
		} else {
			_, _ = rand.Read(seed[:]) // crypto/rand.Read never returns an error
		}
		s.rng = mathrand.NewChaCha8(seed)
	}
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
