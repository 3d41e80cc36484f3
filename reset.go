package oauthtest

// Reset returns the provider to its configured state, as if it had just
// started: the clock, users, codes, tokens, sessions, device
// authorizations, pushed requests, faults, keys and request log are those
// of its options, and nothing issued before is known any more: neither
// clients registered dynamically, DPoP proofs seen, users typed on the
// login page, nor cached client ID metadata documents. Tests that share a
// provider call it between themselves; the control API's /reset calls it.
// With WithStateFile, the file is rewritten with the reset state by the
// next request, or by Close.
func (p *Provider) Reset() {
	p.resetStores(p.cfg)
	if p.journal != nil {
		p.journal.rewrite()
	}
}
