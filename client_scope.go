package oauthtest

// ClientScope stages logins and faults for one client only. Parallel
// subtests that share a provider, each with a client of its own, use it to
// keep their queued users and faults apart:
//
//	a := p.ForClient("app-a")
//	a.QueueUser(alice)                                   // only app-a's next login is alice
//	a.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultStatus(502)) // only app-a's next token request fails
type ClientScope struct {
	p        *Provider
	clientID string
}

// ForClient returns the controls that concern the client clientID alone.
func (p *Provider) ForClient(clientID string) ClientScope {
	return ClientScope{p: p, clientID: clientID}
}

// QueueUser makes u the user of the client's next authorization. Queued
// logins for this client come before those queued for any client.
func (s ClientScope) QueueUser(u User) error { return s.p.queueLogin(s.clientID, u) }

// QueueDenial makes the client's next authorization fail as if the user
// declined.
func (s ClientScope) QueueDenial() {
	s.p.users.do(func(us *userStore) { us.queue = append(us.queue, login{clientID: s.clientID, deny: true}) })
}

// FailNext makes the client's next n requests to endpoint fail with f. At
// the JWKS and discovery endpoints no request names a client, so there it
// never applies. It panics, or fails the test, as Provider.FailNext does.
func (s ClientScope) FailNext(endpoint Endpoint, n int, f Fault) {
	if s.p.tb != nil {
		s.p.tb.Helper()
	}
	if knowsEndpoint(s.p.tb, "FailNext", endpoint) {
		s.p.faults.add(stagedFault("FailNext", endpoint, s.clientID, n, f))
	}
}

// Fail makes every request of the client to endpoint fail with f until
// ClearFaults. It panics, or fails the test, as Provider.Fail does.
func (s ClientScope) Fail(endpoint Endpoint, f Fault) {
	if s.p.tb != nil {
		s.p.tb.Helper()
	}
	if knowsEndpoint(s.p.tb, "Fail", endpoint) {
		s.p.faults.add(untilCleared(stagedFault("Fail", endpoint, s.clientID, 1, f)))
	}
}

// ClearFaults removes the faults staged for this client.
func (s ClientScope) ClearFaults() { s.p.faults.clear(s.clientID) }

// LastCode returns the code issued last to this client, or "".
func (s ClientScope) LastCode() string {
	s.p.codes.mu.Lock()
	defer s.p.codes.mu.Unlock()
	return s.p.codes.lastByClient[s.clientID]
}
