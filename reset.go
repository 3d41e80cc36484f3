package oauthtest

import "slices"

// Reset returns the provider to its configured state, as if it had just
// started: the clock, users, codes, tokens, sessions, device
// authorizations, pushed requests, faults, keys and request log are those
// of its options, and nothing issued before is known any more: neither
// clients registered dynamically nor cached client ID metadata documents.
// Tests that share a provider call it between themselves; the control
// API's /reset calls it.
func (p *Provider) Reset() {
	p.clock.mu.Lock()
	p.clock.fixed, p.clock.offset = p.cfg.start, 0
	p.clock.mu.Unlock()
	p.users.do(func(s *userStore) {
		s.current, s.known, s.recent, s.queue, s.signedOut = p.cfg.user, slices.Clone(p.cfg.users), nil, nil, false
	})
	p.codes.mu.Lock()
	p.codes.codes, p.codes.lastByClient, p.codes.last, p.codes.sweeper = nil, nil, "", sweeper{}
	p.codes.mu.Unlock()
	p.tokens.mu.Lock()
	p.tokens.families, p.tokens.access, p.tokens.refresh, p.tokens.sweeper = nil, nil, nil, sweeper{}
	p.tokens.mu.Unlock()
	p.faults.mu.Lock()
	p.faults.rules, p.faults.down = nil, false
	p.faults.mu.Unlock()
	p.keys.do(func(k *keyring) {
		k.signing, k.published, k.companion, k.known, k.jwks, k.next = nil, nil, nil, nil, nil, 0
		if p.cfg.key != nil {
			k.init(p.cfg.key)
		}
	})
	p.requests.mu.Lock()
	p.requests.reqs, p.requests.next = nil, 0
	p.requests.mu.Unlock()
	p.devices.mu.Lock()
	p.devices.byDevice, p.devices.byUser, p.devices.sweeper = nil, nil, sweeper{}
	p.devices.mu.Unlock()
	p.sessions.mu.Lock()
	p.sessions.sessions, p.sessions.bySecret, p.sessions.sweeper = nil, nil, sweeper{}
	p.sessions.mu.Unlock()
	p.rules.reset()
	p.assertions.mu.Lock()
	p.assertions.seen, p.assertions.sweeper = nil, sweeper{}
	p.assertions.mu.Unlock()
	p.dpop.reset()
	p.pars.mu.Lock()
	p.pars.reqs, p.pars.sweeper = nil, sweeper{}
	p.pars.mu.Unlock()
	p.backchannel.mu.Lock()
	p.backchannel.deliveries = nil
	p.backchannel.mu.Unlock()
	p.clients.dropRegistered()
	p.documents.reset()
}
