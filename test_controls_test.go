package oauthtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

func TestLastCodeAndCodes(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	if p.LastCode() != "" || len(p.Codes()) != 0 {
		t.Fatal("a new provider has codes")
	}
	cfg := oauthConfig(p)
	first := authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	second := authorizeCode(t, p, cfg)
	if p.LastCode() != second {
		t.Errorf("LastCode %q, want %q", p.LastCode(), second)
	}
	if _, err := cfg.Exchange(clientContext(p), second); err != nil {
		t.Fatal(err)
	}
	codes := p.Codes()
	if len(codes) != 2 || codes[0].Code != first || codes[1].Code != second {
		t.Fatalf("Codes %+v", codes)
	}
	c := codes[0]
	if c.ClientID != cfg.ClientID || c.RedirectURI != redirectURI || c.Subject != "test-user" || c.CodeChallengeMethod != "S256" ||
		strings.Join(c.Scopes, " ") != "openid profile email" || c.Redeemed || !codes[1].Redeemed ||
		c.ExpiresAt.Sub(c.IssuedAt) != oauthtest.DefaultCodeLifetime {
		t.Errorf("CodeInfo %+v", c)
	}
	c.Scopes[0] = "changed"
	if p.Codes()[0].Scopes[0] != "openid" {
		t.Error("Codes returned the provider's own slice")
	}
}

func TestExpireCodes(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	p.ExpireCodes()
	_, err := cfg.Exchange(clientContext(p), code)
	if re := wantRetrieveError(t, err, "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "expired") {
		t.Errorf("description %q", re.ErrorDescription)
	}
	// Codes issued afterwards are not affected.
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
		t.Error(err)
	}
}

func TestInvalidateCode(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	code := authorizeCode(t, p, cfg)
	if !p.InvalidateCode(code) || p.InvalidateCode("unknown") {
		t.Fatal("InvalidateCode reports wrongly")
	}
	_, err := cfg.Exchange(clientContext(p), code)
	if re := wantRetrieveError(t, err, "invalid_grant", 400); !strings.Contains(re.ErrorDescription, "invalidated") {
		t.Errorf("description %q", re.ErrorDescription)
	}
}

func TestSetCodeLifetime(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	cfg := oauthConfig(p)
	short, long := authorizeCode(t, p, cfg), authorizeCode(t, p, cfg)
	if !p.SetCodeLifetime(short, 30*time.Second) || !p.SetCodeLifetime(long, time.Hour) || p.SetCodeLifetime("unknown", time.Hour) {
		t.Fatal("SetCodeLifetime reports wrongly")
	}
	p.FastForward(30 * time.Minute)
	_, err := cfg.Exchange(clientContext(p), short)
	wantRetrieveError(t, err, "invalid_grant", 400)
	if _, err := cfg.Exchange(clientContext(p), long); err != nil {
		t.Errorf("a code given an hour failed after 30 minutes: %v", err)
	}
}

func TestRevokeAccessToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	tok := issuedTokens(t, p)
	if !p.RevokeToken(tok.AccessToken) || p.RevokeToken("unknown") {
		t.Fatal("RevokeToken reports wrongly")
	}
	resp, body := userinfo(t, p, tok.AccessToken)
	wantJSONError(t, resp, body, "invalid_token", 401)
	if _, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken); err != nil {
		t.Errorf("revoking an access token killed its refresh token: %v", err)
	}
}

func TestRevokeRefreshToken(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	tok := issuedTokens(t, p)
	p.RevokeToken(tok.RefreshToken)
	_, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)
	if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 200 {
		t.Errorf("revoking a refresh token killed its access token: %d", resp.StatusCode)
	}
}

func TestRevokeFamilyUserClient(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		revoke func(p *oauthtest.Provider, tok *oauth2.Token) int
	}{
		{"family", func(p *oauthtest.Provider, tok *oauth2.Token) int {
			if p.RevokeFamily(tok.AccessToken) {
				return 1
			}
			return 0
		}},
		{"user", func(p *oauthtest.Provider, _ *oauth2.Token) int { return p.RevokeUser("test-user") }},
		{"client", func(p *oauthtest.Provider, _ *oauth2.Token) int { return p.RevokeClient(oauthtest.DefaultClientID) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := oauthtest.NewTestProvider(t)
			cfg := oauthConfig(p)
			tok := issuedTokens(t, p)
			if n := tc.revoke(p, tok); n != 1 {
				t.Errorf("revoked %d families, want 1", n)
			}
			_, err := refreshOnce(clientContext(p), cfg, tok.RefreshToken)
			wantRetrieveError(t, err, "invalid_grant", 400)
			if resp, _ := userinfo(t, p, tok.AccessToken); resp.StatusCode != 401 {
				t.Errorf("userinfo: %d", resp.StatusCode)
			}
		})
	}
	p := oauthtest.NewTestProvider(t)
	issuedTokens(t, p)
	if p.RevokeUser("someone-else") != 0 || p.RevokeClient("other") != 0 {
		t.Error("revoked tokens of another user or client")
	}
}

func TestTokensSnapshot(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok := issuedTokens(t, p)
	next, err := refreshOnce(clientContext(p), oauthConfig(p), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Tokens()
	if len(got) != 4 {
		t.Fatalf("%d tokens: %+v", len(got), got)
	}
	kinds := []string{got[0].Kind, got[1].Kind, got[2].Kind, got[3].Kind}
	if strings.Join(kinds, " ") != "access_token refresh_token access_token refresh_token" {
		t.Errorf("kinds in order %v", kinds)
	}
	if got[1].ID != tok.RefreshToken || !got[1].Rotated || got[3].ID != next.RefreshToken || got[3].Rotated {
		t.Errorf("refresh tokens %+v %+v", got[1], got[3])
	}
	if got[0].Family != got[2].Family || got[0].ClientID != oauthtest.DefaultClientID || got[0].Subject != "test-user" ||
		got[0].ExpiresAt.Sub(got[0].IssuedAt) != time.Hour || got[0].Revoked {
		t.Errorf("access token %+v", got[0])
	}
}

func TestLifetimesPerClient(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)),
		oauthtest.WithLifetimes(oauthtest.Lifetimes{AccessToken: 2 * time.Hour}),
		oauthtest.WithClient(oauthtest.Client{ID: "short", Secret: "s", Lifetimes: oauthtest.Lifetimes{Code: 30 * time.Second, AccessToken: 5 * time.Minute, RefreshToken: time.Hour}}))
	short := oauthConfig(p)
	short.ClientID, short.ClientSecret = "short", "s"
	ctx := clientContext(p)

	tok, err := oauthConfig(p).Exchange(ctx, authorizeCode(t, p, oauthConfig(p)))
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != 7200 {
		t.Errorf("provider-wide expires_in %d, want 7200", tok.ExpiresIn)
	}
	tok, err = short.Exchange(ctx, authorizeCode(t, p, short))
	if err != nil {
		t.Fatal(err)
	}
	if tok.ExpiresIn != 300 {
		t.Errorf("client's expires_in %d, want 300", tok.ExpiresIn)
	}
	code := authorizeCode(t, p, short)
	p.FastForward(31 * time.Second)
	_, err = short.Exchange(ctx, code)
	wantRetrieveError(t, err, "invalid_grant", 400)
	p.FastForward(time.Hour)
	_, err = refreshOnce(ctx, short, tok.RefreshToken)
	wantRetrieveError(t, err, "invalid_grant", 400)

	if _, err := oauthtest.NewProvider(oauthtest.WithClient(oauthtest.Client{ID: "c", Secret: "s", Lifetimes: oauthtest.Lifetimes{IDToken: time.Millisecond}})); err == nil || !strings.Contains(err.Error(), "ID token lifetime") {
		t.Errorf("a client lifetime under a second: %v", err)
	}
}
