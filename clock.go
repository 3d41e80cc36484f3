package oauthtest

import (
	"fmt"
	"github.com/c95d6557/oauthtest/internal/words"
	"sync"
	"time"
)

// The provider's clock stays from earliestTime to latestTime: what JWT times
// (seconds since 1970) and the state file's RFC 3339 times can hold.
var (
	earliestTime = time.Unix(0, 0).UTC()
	latestTime   = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)
)

// clock is a provider's time. It follows the wall clock until it is set;
// once set it stands still except when moved, so nothing depends on how long
// a test takes. Every time-based value the provider issues or checks reads it.
type clock struct {
	mu     sync.Mutex    // guards fixed and offset
	fixed  time.Time     // the set time; zero while following the wall clock
	offset time.Duration // added to the wall clock; zero once set

	// The last snapshot's record and the values it encodes: the journal
	// compares the snapshot with the one it wrote at every write.
	encoded struct {
		value []byte
		of    clockState
	}
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.fixed
}

// checkTime accepts the times from earliestTime to latestTime.
func checkTime(t time.Time) error {
	if t.Before(earliestTime) || t.After(latestTime) {
		return fmt.Errorf("time %s is not from %s to %s, what JWTs and the state file hold",
			t.UTC().Format(time.RFC3339), earliestTime.Format(time.RFC3339), latestTime.Format(time.RFC3339))
	}
	return nil
}

// set stops the clock at t, or refuses a time out of range.
func (c *clock) set(t time.Time) error {
	if err := checkTime(t); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.offset = t, 0
	return nil
}

// advance moves the clock by d and returns the new time, or refuses a move
// out of range. A stopped clock moves its set time; one following the wall
// clock its offset, which must not overflow.
func (c *clock) advance(d time.Duration) (time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.fixed.IsZero() {
		next := c.fixed.Add(d)
		if err := checkTime(next); err != nil {
			return time.Time{}, err
		}
		c.fixed = next
		return next, nil
	}
	sum := c.offset + d
	if d > 0 && sum < c.offset || d < 0 && sum > c.offset {
		return time.Time{}, fmt.Errorf("moving a clock that follows the wall clock by %v more than %v overflows; set a time instead", d, c.offset)
	}
	next := time.Now().Add(sum)
	if err := checkTime(next); err != nil {
		return time.Time{}, err
	}
	c.offset = sum
	return next, nil
}

// Now returns the provider's current time. It fits go-oidc's
// oidc.Config{Now: p.Now} and jwt.WithTimeFunc(p.Now), so that a verifier
// and the provider agree on what has expired.
func (p *Provider) Now() time.Time { return p.clock.now() }

// SetTime stops the provider's clock at t. From then on time moves only by
// FastForward or another SetTime. Tokens already issued keep their times.
// It panics unless t is from 1970-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z, what JWTs and the state file hold (the zero
// time.Time is not, and does not mean the wall clock).
func (p *Provider) SetTime(t time.Time) {
	if err := p.clock.set(t); err != nil {
		panic("oauthtest: SetTime: " + err.Error())
	}
}

// FastForward moves the provider's clock forward by d (backward if d is
// negative): codes and tokens whose lifetime has passed are then expired.
// It panics if the clock would leave the years 1970 to 9999 (see SetTime)
// or, following the wall clock, if its total move would overflow a
// time.Duration.
func (p *Provider) FastForward(d time.Duration) {
	if _, err := p.clock.advance(d); err != nil {
		panic("oauthtest: FastForward: " + err.Error())
	}
}

// humanDuration writes d for people: 10m rather than 10m0s, 2ms rather than
// 2.042607ms, 1m30s rather than 1m30.000412s.
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute:
		d = d.Round(time.Second)
	case d >= time.Second:
		d = d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		d = d.Round(time.Millisecond)
	default:
		d = d.Round(time.Microsecond)
	}
	return words.Duration(d)
}

// clockState is the clock as the state file keeps it.
type clockState struct {
	Fixed  stime         `json:"fixed"`
	Offset time.Duration `json:"offset"`
}

func (c *clock) reset(cfg *config) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.offset = cfg.start, 0
}

func (c *clock) snapshot(dst []record) []record {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := clockState{stime(c.fixed), c.offset}
	if c.encoded.value != nil && st == c.encoded.of { // the same time.Time values, with the same location: the same JSON
		return append(dst, record{Value: c.encoded.value})
	}
	r := newRecord("", st)
	if r.err == nil {
		c.encoded.value, c.encoded.of = r.Value, st
	}
	return append(dst, r)
}

func (c *clock) restore(recs []record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range recs {
		var st clockState
		if err := r.decode(&st); err != nil {
			return err
		}
		c.fixed, c.offset = st.Fixed.time(), st.Offset
	}
	return nil
}
