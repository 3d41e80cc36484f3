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
	peak int       // the most entries held since the maps were last rebuilt
}

// due reports whether a store holding n entries should sweep now.
func (s *sweeper) due(n int, now time.Time) bool {
	return n >= s.at || now.After(s.next)
}

// swept records a sweep that left n entries out of before, and reports
// whether the store should rebuild its maps: Go maps keep the memory of
// their largest size, so a store that shrank to a quarter of its peak
// copies what is left into new maps.
func (s *sweeper) swept(before, n int, now time.Time) (rebuild bool) {
	s.at = max(2*n, 64)
	s.next = now.Add(sweepInterval)
	s.peak = max(s.peak, before)
	if n < s.peak/4 && s.peak > 1024 {
		s.peak = n
		return true
	}
	return false
}

// rebuilt returns a copy of m sized for what it holds.
func rebuilt[K comparable, V any](m map[K]V) map[K]V {
	c := make(map[K]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// usedOnce is the keys a store has seen once (assertion and DPoP proof
// jtis), each kept until it could no longer pass its checks; the owning
// store's mutex guards it.
type usedOnce struct {
	seen    map[string]time.Time // key -> when it may be forgotten
	sweeper sweeper
}

// first records key, to be forgotten after until, and reports whether it
// is its first use; changed notes what the state file must write.
func (u *usedOnce) first(key string, until, now time.Time, changed *changeLog) bool {
	if u.seen == nil {
		u.seen = make(map[string]time.Time)
	}
	if u.sweeper.due(len(u.seen), now) {
		before := len(u.seen)
		for k, e := range u.seen {
			if now.After(e) {
				delete(u.seen, k)
				changed.note(k)
			}
		}
		if u.sweeper.swept(before, len(u.seen), now) {
			u.seen = rebuilt(u.seen)
		}
	}
	if _, ok := u.seen[key]; ok {
		return false
	}
	u.seen[key] = until
	changed.note(key)
	return true
}
