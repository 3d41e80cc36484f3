package oauthtest

import (
	"strings"
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
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
