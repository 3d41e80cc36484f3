package oauthtest_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestChallengeIsASCII: RFC 6750 §3 allows only printable ASCII without
// '"' and '\' in a challenge's error_description; the provider's section
// signs read "section" there rather than an unreadable "?".
func TestChallengeIsASCII(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	tok := p.MintAccessToken()
	p.RevokeToken(tok) // "access token was revoked (RFC 6750 §3.1)"
	req, _ := http.NewRequest(http.MethodGet, p.UserinfoURL(), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	c := resp.Header.Get("WWW-Authenticate")
	_, desc, _ := strings.Cut(c, `error_description="`)
	desc = strings.TrimSuffix(desc, `"`)
	if !strings.Contains(desc, "RFC 6750 section 3.1") || strings.ContainsAny(desc, "\"\\?§") {
		t.Errorf("challenge %q: want an ASCII error_description without quotes, backslashes or ?", c)
	}
	for _, r := range desc {
		if r < 0x20 || r > 0x7e {
			t.Errorf("challenge %q: %q is not printable ASCII", c, r)
		}
	}
}
