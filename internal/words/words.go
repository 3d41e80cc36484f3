// Package words holds the small text helpers that both the library and
// cmd/oauthtest use to word their messages: how far one name is from
// another (to suggest the one meant) and a duration as people write it.
package words

import (
	"strings"
	"time"
)

// Distance is the Levenshtein distance of a and b, bytewise. Names longer
// than 64 bytes are as far as their length: no name the messages suggest
// is that long.
func Distance(a, b string) int {
	if len(a) > 64 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Duration writes d without zero units, as flags and config files take
// it: 10m rather than 10m0s, 720h rather than 720h0m0s, 1h30m.
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
