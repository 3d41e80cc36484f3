package oauthtest

import (
	"cmp"
	"crypto"
	"crypto/x509"
	"fmt"
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
	encoded   []byte                 // the state file's record of the ring, built on demand; nil after a change
}

// init starts the ring with key, or with the first key of the sequence when
// key is nil; k.mu must be held.
func (k *keyring) init(key *signingKey) {
	if key == nil {
		key = seededKey(k.alg, k.seed, 0)
	}
	k.next, k.encoded = 1, nil
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

// do runs f on the ring, which it may change.
func (k *keyring) do(f func(k *keyring)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.encoded = nil
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

// keyState is the keyring as the state file keeps it. Keys are kept as
// their private key (PKCS #8): rotated RS256 keys are generated at random,
// so no seed gives them back. The key of WithSigningKey is kept by kid
// alone, and must be the option's again. Next is 0 while no key was
// derived yet: the ring then stays lazy.
type keyState struct {
	Next      int        `json:"next"`
	Known     []keyEntry `json:"known,omitempty"` // oldest first
	Companion *keyEntry  `json:"companion,omitempty"`
	Signing   string     `json:"signing,omitempty"`   // kid
	Published []string   `json:"published,omitempty"` // kids
}

// keyEntry is one key of the ring.
type keyEntry struct {
	Kid string `json:"kid"`
	Key []byte `json:"key,omitempty"` // PKCS #8; nil for the key of WithSigningKey
}

func (k *keyring) reset(c *config) {
	k.do(func(k *keyring) {
		k.alg, k.seed = c.alg, c.keySeed
		k.signing, k.published, k.companion, k.known, k.order, k.jwks, k.next = nil, nil, nil, nil, nil, nil, 0
		if c.key != nil {
			k.init(c.key)
		}
	})
}

func (k *keyring) snapshot(dst []record) []record {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.encoded == nil {
		r := k.record()
		if r.err != nil {
			return append(dst, r)
		}
		k.encoded = r.Value
	}
	return append(dst, record{Value: k.encoded})
}

// record encodes the ring; k.mu must be held.
func (k *keyring) record() record {
	st := keyState{Next: k.next}
	if k.signing != nil {
		st.Signing = k.signing.kid
		for _, key := range k.published {
			st.Published = append(st.Published, key.kid)
		}
		for _, kid := range k.order {
			e, err := keyEntryOf(k.known[kid])
			if err != nil {
				return record{err: err}
			}
			st.Known = append(st.Known, e)
		}
		if k.companion != nil {
			e, err := keyEntryOf(k.companion)
			if err != nil {
				return record{err: err}
			}
			st.Companion = &e
		}
	}
	return newRecord("", st)
}

// keyEntryOf encodes key; WithSigningKey's is kept by kid alone.
func keyEntryOf(key *signingKey) (keyEntry, error) {
	if key.configured {
		return keyEntry{Kid: key.kid}, nil
	}
	der, err := x509.MarshalPKCS8PrivateKey(key.private)
	if err != nil {
		return keyEntry{}, fmt.Errorf("key %s: %w", key.kid, err)
	}
	return keyEntry{Kid: key.kid, Key: der}, nil
}

// restore puts back the keys recorded. It runs right after reset, so the
// ring holds WithSigningKey's key, if any, to compare the file's with.
func (k *keyring) restore(recs []record) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.encoded = nil
	configured := k.signing
	for _, r := range recs {
		var st keyState
		if err := r.decode(&st); err != nil {
			return err
		}
		if st.Next == 0 {
			continue
		}
		keys := map[string]*signingKey{}
		var order []string
		for _, e := range st.Known {
			key, err := restoredKey(e, configured)
			if err != nil {
				return err
			}
			keys[e.Kid] = key
			order = append(order, e.Kid)
		}
		var companion *signingKey
		if st.Companion != nil {
			key, err := restoredKey(*st.Companion, nil)
			if err != nil {
				return err
			}
			companion = key
		}
		signing := keys[st.Signing]
		if signing == nil {
			return fmt.Errorf("signing key %s is not among the keys kept", st.Signing)
		}
		var published []*signingKey
		for _, kid := range st.Published {
			if keys[kid] == nil {
				return fmt.Errorf("published key %s is not among the keys kept", kid)
			}
			published = append(published, keys[kid])
		}
		k.next, k.signing, k.published, k.companion, k.order, k.jwks = st.Next, signing, published, companion, order, nil
		k.known = keys
		if companion != nil {
			k.known[companion.kid] = companion
		}
	}
	return nil
}

// restoredKey decodes e: its private key, or the key configured.
func restoredKey(e keyEntry, configured *signingKey) (*signingKey, error) {
	if e.Key == nil {
		if configured == nil || configured.kid != e.Kid {
			return nil, fmt.Errorf("key %s was the signing key option's (WithSigningKey, -key), and that option now gives another key or none", e.Kid)
		}
		return configured, nil
	}
	priv, err := x509.ParsePKCS8PrivateKey(e.Key)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", e.Kid, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: a %T does not sign", e.Kid, priv)
	}
	key, err := newSigningKey(signer)
	if err == nil && key.kid != e.Kid {
		err = fmt.Errorf("key %s: its private key has kid %s", e.Kid, key.kid)
	}
	return key, err
}
