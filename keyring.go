package oauthtest

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// keyring holds a provider's keys: the one it signs with, the ones its
// JWKS publishes, and every one it ever used, so that its own tokens stay
// verifiable at userinfo after a key is retired from the JWKS.
type keyring struct {
	mu        sync.Mutex // guards every field below
	alg       string
	seed      uint64
	next      int         // index in the seeded sequence of the next key
	signing   *signingKey // nil until first needed
	published []*signingKey
	companion *signingKey            // RS256, when alg is another: OIDC requires it (Discovery §3)
	known     map[string]*signingKey // by kid
	index     map[string]int         // by kid: the key's place in the sequence, 0 for the first
	jwks      []byte                 // the published set, built on demand
}

// init starts the ring with key, or with the first key of the sequence when
// key is nil; k.mu must be held.
func (k *keyring) init(key *signingKey) {
	if key == nil {
		key = seededKey(k.alg, k.seed, 0)
	}
	k.next = 1
	k.signing, k.published = key, []*signingKey{key}
	k.known = map[string]*signingKey{key.kid: key}
	k.index = map[string]int{key.kid: 0}
	if key.method.Alg() != RS256 {
		k.companion = seededKey(RS256, k.seed, 0)
		k.known[k.companion.kid] = k.companion
	}
}

// ensure derives the first key if nothing did yet; k.mu must be held.
// Deriving lazily keeps key work out of provider start-up.
func (k *keyring) ensure() {
	if k.signing == nil {
		k.init(nil)
	}
}

func (k *keyring) current() *signingKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ensure()
	return k.signing
}

// lookup returns the key with kid that this provider has signed with.
func (k *keyring) lookup(kid string) *signingKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ensure()
	return k.known[kid]
}

// document returns the JWK Set of the published keys.
func (k *keyring) document() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ensure()
	if k.jwks == nil {
		keys := k.published
		if k.companion != nil {
			keys = append(slices.Clip(keys), k.companion)
		}
		k.jwks = jwks(keys...)
	}
	return k.jwks
}

// rs256 returns the key that signs RS256: the signing key, or the
// companion of a provider whose algorithm is another.
func (k *keyring) rs256() *signingKey {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.ensure()
	return cmp.Or(k.companion, k.signing)
}

// publishNext adds the next key of the sequence to the JWKS, once, and
// returns it; k.mu must be held.
func (k *keyring) publishNext() *signingKey {
	k.ensure()
	if last := k.published[len(k.published)-1]; last != k.signing {
		return last // already published, not yet signing
	}
	key := seededKey(k.alg, k.seed, k.next)
	k.next++
	k.published = append(k.published, key)
	k.known[key.kid] = key
	k.index[key.kid] = k.next - 1
	k.jwks = nil
	return key
}

func (k *keyring) do(f func(k *keyring)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(k)
}

// PublishNextKey adds the next key of the provider's deterministic sequence
// to its JWKS without signing with it yet, as a provider announces a key
// ahead of a rotation. It returns the new key's kid.
func (p *Provider) PublishNextKey() (kid string) {
	p.keys.do(func(k *keyring) { kid = k.publishNext().kid })
	return kid
}

// RotateKey switches signing to the next key, publishing it first if
// PublishNextKey did not. Earlier keys stay in the JWKS until
// RetireOldKeys, so tokens signed before still verify. It returns the kid
// now signing.
func (p *Provider) RotateKey() (kid string) {
	p.keys.do(func(k *keyring) {
		k.signing = k.publishNext()
		kid = k.signing.kid
	})
	return kid
}

// RetireOldKeys removes every key but the signing one from the JWKS:
// clients can no longer verify tokens signed before the last rotation.
// Rotating and retiring at once is a rotation without overlap.
func (p *Provider) RetireOldKeys() {
	p.keys.do(func(k *keyring) {
		k.ensure()
		k.published = slices.DeleteFunc(k.published, func(key *signingKey) bool { return key != k.signing })
		k.jwks = nil
	})
}

// KeyIDs returns the kids the JWKS publishes now, oldest first.
func (p *Provider) KeyIDs() []string {
	var kids []string
	p.keys.do(func(k *keyring) {
		k.ensure()
		for _, key := range k.published {
			kids = append(kids, key.kid)
		}
	})
	return kids
}

// SigningKeyID returns the kid of the key signing now.
func (p *Provider) SigningKeyID() string { return p.keys.current().kid }

// keyState is the keyring as the state file keeps it: places in the
// sequence of keys, 0 for the first (WithSigningKey's, or the seeded one).
// Next is 0 while no key was derived yet.
type keyState struct {
	Next      int   `json:"next"`
	Signing   int   `json:"signing"`
	Published []int `json:"published"`
}

func (k *keyring) reset(c *config) {
	k.do(func(k *keyring) {
		k.alg, k.seed = c.alg, c.keySeed
		k.signing, k.published, k.companion, k.known, k.index, k.jwks, k.next = nil, nil, nil, nil, nil, nil, 0
		if c.key != nil {
			k.init(c.key)
		}
	})
}

func (k *keyring) snapshot(dst []record) []record {
	k.mu.Lock()
	defer k.mu.Unlock()
	st := keyState{Next: k.next}
	if k.signing != nil {
		st.Signing = k.index[k.signing.kid]
		for _, key := range k.published {
			st.Published = append(st.Published, k.index[key.kid])
		}
	}
	return append(dst, newRecord("", st))
}

// restore derives the keys of the sequence up to the one recorded; a ring
// that had derived none stays lazy.
func (k *keyring) restore(recs []record) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range recs {
		var st keyState
		if err := r.decode(&st); err != nil {
			return err
		}
		if st.Next == 0 {
			continue
		}
		k.init(k.first()) // the first key: WithSigningKey's, or else derived
		keys := []*signingKey{k.signing}
		for i := 1; i < st.Next; i++ {
			key := seededKey(k.alg, k.seed, i)
			k.known[key.kid], k.index[key.kid] = key, i
			keys = append(keys, key)
		}
		k.next = st.Next
		if err := k.place(st, keys); err != nil {
			return err
		}
	}
	return nil
}

// first returns the first key of the ring, or nil before any; k.mu must
// be held.
func (k *keyring) first() *signingKey {
	for kid, i := range k.index {
		if i == 0 {
			return k.known[kid]
		}
	}
	return nil
}

// place makes keys[st.Signing] sign and keys[st.Published...] published.
func (k *keyring) place(st keyState, keys []*signingKey) error {
	if st.Signing >= len(keys) || st.Signing < 0 {
		return fmt.Errorf("signing key %d of %d", st.Signing, len(keys))
	}
	k.signing, k.published, k.jwks = keys[st.Signing], nil, nil
	for _, i := range st.Published {
		if i >= len(keys) || i < 0 {
			return fmt.Errorf("published key %d of %d", i, len(keys))
		}
		k.published = append(k.published, keys[i])
	}
	return nil
}
