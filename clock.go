package oauthtest

import (
	"sync"
	"time"
)

// clock is a provider's time. It follows the wall clock until it is set;
// once set it stands still except when moved, so nothing depends on how long
// a test takes. Every time-based value the provider issues or checks reads it.
type clock struct {
	mu     sync.Mutex    // guards fixed and offset
	fixed  time.Time     // the set time; zero while following the wall clock
	offset time.Duration // added to the wall clock or the set time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fixed.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.fixed.Add(c.offset)
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fixed, c.offset = t, 0
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// Now returns the provider's current time. It fits go-oidc's
// oidc.Config{Now: p.Now} and jwt.WithTimeFunc(p.Now), so that a verifier
// and the provider agree on what has expired.
func (p *Provider) Now() time.Time { return p.clock.now() }

// SetTime stops the provider's clock at t. From then on time moves only by
// FastForward or another SetTime. Tokens already issued keep their times.
func (p *Provider) SetTime(t time.Time) { p.clock.set(t) }

// FastForward moves the provider's clock forward by d (backward if d is
// negative): codes and tokens whose lifetime has passed are then expired.
func (p *Provider) FastForward(d time.Duration) { p.clock.advance(d) }

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
	return append(dst, newRecord("", clockState{stime(c.fixed), c.offset}))
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
