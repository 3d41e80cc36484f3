package oauthtest

import "time"

// sweepInterval is how much provider time may pass before expired entries
// are swept, however few were added.
const sweepInterval = time.Minute

// sweeper decides when a store sweeps its expired entries: when it has
// doubled since the last sweep, or when the provider's clock has moved on
// by sweepInterval (FastForward included). Sweeping is O(entries), so the
// doubling keeps its cost O(1) per entry, and the interval keeps what is
// held proportional to what is live, not to a past peak.
type sweeper struct {
	at   int       // sweep once the store holds this many entries
	next time.Time // sweep once the clock passes this
}

// due reports whether a store holding n entries should sweep now.
func (s *sweeper) due(n int, now time.Time) bool {
	return n >= s.at || now.After(s.next)
}

// swept records a sweep that left n entries.
func (s *sweeper) swept(n int, now time.Time) {
	s.at = max(2*n, 64)
	s.next = now.Add(sweepInterval)
}
