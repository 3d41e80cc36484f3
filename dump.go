package oauthtest

import (
	"fmt"
	"strings"
	"time"
)

// Dump describes the provider's state for a failure message: issuer and
// clock, clients (which of them registered dynamically, and the cached
// client ID metadata documents), users and queued logins, codes, tokens, browser
// sessions, device authorizations, pushed requests, DPoP proofs seen,
// back-channel deliveries, staged faults, keys and the requests received.
func (p *Provider) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauthtest provider %s, clock %s\n", p.issuer, p.Now().UTC().Format(time.RFC3339))
	p.dumpClients(&b)
	p.dumpRegistrations(&b)
	p.dumpUsers(&b)
	b.WriteString("codes:\n")
	for _, c := range p.Codes() {
		fmt.Fprintf(&b, "  %s client=%q sub=%q scope=%q expires=%s redeemed=%t invalidated=%t\n", abbreviate(c.Code),
			c.ClientID, c.Subject, strings.Join(c.Scopes, " "), c.ExpiresAt.UTC().Format(time.RFC3339), c.Redeemed, c.Invalidated)
	}
	b.WriteString("tokens:\n")
	for _, t := range p.Tokens() {
		fmt.Fprintf(&b, "  %-13s %s family=%s client=%q sub=%q scope=%q expires=%s revoked=%t rotated=%t\n", t.Kind, abbreviate(t.ID),
			abbreviate(t.Family), t.ClientID, t.Subject, strings.Join(t.Scopes, " "), t.ExpiresAt.UTC().Format(time.RFC3339), t.Revoked, t.Rotated)
	}
	p.dumpSessions(&b)
	p.dumpPushedAndProofs(&b)
	p.dumpFaults(&b)
	fmt.Fprintf(&b, "keys: signing %s, published %s\n", p.SigningKeyID(), strings.Join(p.KeyIDs(), ", "))
	b.WriteString(p.describeRequests())
	return b.String()
}

func (p *Provider) dumpClients(b *strings.Builder) {
	b.WriteString("clients:\n")
	for _, id := range p.clients.ids() {
		c, _ := p.clients.get(id)
		fmt.Fprintf(b, "  %q %s auth=%s scopes=%q redirect URIs: %s\n", c.ID, c.kind(),
			strings.Join(c.AuthMethods, ","), strings.Join(c.Scopes, " "), c.registeredRedirects())
	}
}

func (p *Provider) dumpUsers(b *strings.Builder) {
	p.users.do(func(s *userStore) {
		fmt.Fprintf(b, "user: %q (signed out: %t); selectable by login_hint: %s\n", s.current.Subject, s.signedOut, s.subjects())
		if len(s.recent) > 0 {
			fmt.Fprintf(b, "  recent on the login page: %s\n", quoteList(subjectsOf(s.recent)))
		}
		for _, l := range s.queue {
			what := "user " + l.user.Subject
			if l.deny {
				what = "denial"
			}
			fmt.Fprintf(b, "  queued: %s for client %q\n", what, l.clientID)
		}
	})
}

// dumpSessions lists browser sessions, device authorizations and
// back-channel deliveries.
func (p *Provider) dumpSessions(b *strings.Builder) {
	p.sessions.mu.Lock()
	fmt.Fprintf(b, "browser sessions: %d\n", len(p.sessions.sessions))
	for _, s := range p.sessions.sessions {
		fmt.Fprintf(b, "  %s sub=%q since %s clients=%q\n", abbreviate(s.id), s.user.Subject, s.authTime.UTC().Format(time.RFC3339), s.clients)
	}
	p.sessions.mu.Unlock()
	for _, d := range p.Devices() {
		fmt.Fprintf(b, "device %s client=%q %s sub=%q expires=%s\n", d.UserCode, d.ClientID, d.State, d.Subject, d.ExpiresAt.UTC().Format(time.RFC3339))
	}
	for _, d := range p.BackchannelLogouts() {
		fmt.Fprintf(b, "back-channel logout to %q (%s): status %d %s\n", d.ClientID, d.URI, d.Status, d.Error)
	}
}

func (p *Provider) dumpFaults(b *strings.Builder) {
	p.faults.mu.Lock()
	defer p.faults.mu.Unlock()
	fmt.Fprintf(b, "faults (down: %t):\n", p.faults.down)
	for _, r := range p.faults.rules {
		left := fmt.Sprint(r.left)
		if r.left < 0 {
			left = "until cleared"
		}
		fmt.Fprintf(b, "  %s client=%q left=%s\n", r.endpoint, r.clientID, left)
	}
}

// dumpPushedAndProofs counts the pushed requests and the DPoP proofs seen,
// when there are any.
func (p *Provider) dumpPushedAndProofs(b *strings.Builder) {
	p.pars.mu.Lock()
	used := 0
	for _, r := range p.pars.reqs {
		if r.used {
			used++
		}
	}
	if n := len(p.pars.reqs); n > 0 {
		fmt.Fprintf(b, "pushed requests: %d, %d of them used\n", n, used)
	}
	p.pars.mu.Unlock()
	p.dpop.mu.Lock()
	if n := len(p.dpop.seen); n > 0 || p.dpop.nonce != "" {
		fmt.Fprintf(b, "DPoP: %d proofs seen; nonce demanded: %t\n", n, p.dpop.nonce != "")
	}
	p.dpop.mu.Unlock()
}
