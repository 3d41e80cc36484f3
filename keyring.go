package oauthtest

import (
	"cmp"
	"slices"
	"sync"
)

// Bounds on the keys a provider keeps, however often it rotates.
const (
	// maxPublishedKeys bounds the JWKS: the signing key, one announced by
	// PublishNextKey, and the most recent earlier ones.
	maxPublishedKeys = 4
	// maxKnownKeys bounds the keys whose tokens the provider itself still
	// accepts (userinfo, introspection, id_token_hint).
	maxKnownKeys = 16
)

// keyring holds a provider's keys: the one it signs with, the ones its
// JWKS publishes, and the last maxKnownKeys it used, so that its own tokens
// stay verifiable at userinfo after a key is retired from the JWKS.
type keyring struct {
	mu        sync.Mutex // guards every field below
	alg       string
	seed      uint64
	next      int         // index in the seeded sequence of the next key
	signing   *signingKey // nil until first needed
	published []*signingKey
	companion *signingKey            // RS256, when alg is another: OIDC requires it (Discovery §3)
	known     map[string]*signingKey // by kid
	order     []string               // kids of known but the companion, oldest first
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
	k.known, k.order = map[string]*signingKey{key.kid: key}, []string{key.kid}
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
	if n := len(k.published) - maxPublishedKeys; n > 0 {
		k.published = slices.Delete(k.published, 0, n) // the oldest, never the signing key
	}
	k.remember(key)
	k.jwks = nil
	return key
}

// remember adds key to the known ones, forgetting the oldest beyond
// maxKnownKeys; k.mu must be held.
func (k *keyring) remember(key *signingKey) {
	k.known[key.kid] = key
	k.order = append(k.order, key.kid)
	if len(k.order) > maxKnownKeys {
		delete(k.known, k.order[0])
		k.order = slices.Delete(k.order, 0, 1)
	}
}

func (k *keyring) do(f func(k *keyring)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	f(k)
}

// PublishNextKey adds the next key of the provider's sequence to its JWKS
// without signing with it yet, as a provider announces a key ahead of a
// rotation. It returns the new key's kid. A key is never used twice, and
// no two seeds share one (see WithKeySeed). The JWKS holds at most 4 keys
// (the signing key, the announced one and the most recent earlier ones),
// plus the RS256 key OIDC requires of an ES256 or EdDSA provider:
// publishing a fifth drops the oldest, and tokens it signed no longer
// verify for clients. The provider itself accepts tokens of its last 16
// keys.
func (p *Provider) PublishNextKey() (kid string) {
	p.keys.do(func(k *keyring) { kid = k.publishNext().kid })
	return kid
}

// RotateKey switches signing to the next key, publishing it first if
// PublishNextKey did not. Earlier keys stay in the JWKS until
// RetireOldKeys, so tokens signed before still verify, but at most 4 keys
// are published: after the fourth rotation without RetireOldKeys the
// oldest drops out of the JWKS. The new key was never used before, by
// this provider or by one of another seed, and a retired key never comes
// back. It returns the kid now signing.
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
