package oauthtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
)

// TestMintedIDTokensAgainstGoOIDC: each spoiled token is refused by go-oidc
// for its own reason; the unspoiled one verifies.
func TestMintedIDTokensAgainstGoOIDC(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	ctx := clientContext(p)
	v := idVerifier(t, p, ctx)
	idt, err := v.Verify(ctx, p.MintIDToken(oauthtest.SetClaims(map[string]any{"nonce": "n-9", "email": "x@example.com"})))
	if err != nil {
		t.Fatalf("a valid minted token: %v", err)
	}
	var claims struct{ Email string }
	if _ = idt.Claims(&claims); idt.Nonce != "n-9" || claims.Email != "x@example.com" || idt.Subject != "test-user" {
		t.Errorf("minted claims: nonce %q email %q sub %q", idt.Nonce, claims.Email, idt.Subject)
	}
	for _, tc := range []struct {
		name string
		opt  oauthtest.MintOption
		want string // in go-oidc's error
	}{
		{"expired", oauthtest.Expired(), "expired"},
		{"not yet valid", oauthtest.NotYetValid(), "before the nbf"},
		{"wrong issuer", oauthtest.WrongIssuer(), "issued by a different provider"},
		{"wrong audience", oauthtest.WrongAudience(), "expected audience"},
		{"unknown kid", oauthtest.UnknownKeyID(), "failed to verify signature"},
		{"alg none", oauthtest.AlgNone(), "malformed jwt"},
		{"bad signature", oauthtest.BadSignature(), "failed to verify signature"},
		{"foreign key", oauthtest.ForeignKey(), "failed to verify signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(ctx, p.MintIDToken(tc.opt))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("go-oidc said %v; want %q", err, tc.want)
			}
		})
	}
	var expired *oidc.TokenExpiredError
	if _, err := v.Verify(ctx, p.MintIDToken(oauthtest.Expired())); !errors.As(err, &expired) {
		t.Errorf("Expired: %v is not an *oidc.TokenExpiredError", err)
	}
}

func TestMintWithout(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	tok, err := verifyRS256(p.MintIDToken(oauthtest.SetClaims(map[string]any{"nonce": "n"}), oauthtest.Without("sub", "nonce")))
	if err != nil {
		t.Fatal(err)
	}
	claims := tok.Claims.(interface{ GetSubject() (string, error) })
	if sub, _ := claims.GetSubject(); sub != "" {
		t.Errorf("sub %q", sub)
	}
	if strings.Contains(tok.Raw, "nonce") {
		t.Error("nonce kept")
	}
}

// TestMintedAccessTokensAtUserinfo: a minted access token is accepted
// without any HTTP flow; spoiled ones are refused.
func TestMintedAccessTokensAtUserinfo(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	resp, body := userinfo(t, p, p.MintAccessToken())
	if resp.StatusCode != 200 || body["sub"] != "test-user" || body["email"] != "test.user@example.com" {
		t.Fatalf("HTTP %d %v", resp.StatusCode, body)
	}
	resp, body = userinfo(t, p, p.MintAccessToken(oauthtest.SetClaims(map[string]any{"scope": "email"})))
	wantJSONError(t, resp, body, "insufficient_scope", 403)
	for name, opt := range map[string]oauthtest.MintOption{
		"expired": oauthtest.Expired(), "wrong issuer": oauthtest.WrongIssuer(), "unknown kid": oauthtest.UnknownKeyID(),
		"alg none": oauthtest.AlgNone(), "bad signature": oauthtest.BadSignature(), "foreign key": oauthtest.ForeignKey(),
		"not yet valid": oauthtest.NotYetValid(),
	} {
		resp, body := userinfo(t, p, p.MintAccessToken(opt))
		if resp.StatusCode != 401 || body["error"] != "invalid_token" {
			t.Errorf("%s: HTTP %d %v", name, resp.StatusCode, body)
		}
	}
}

// TestMintedTokensPassThroughHooks: minted tokens are as the token endpoint
// would issue them, claim hooks included; options still have the last word.
func TestMintedTokensPassThroughHooks(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithAccessTokenClaims(func(_ oauthtest.TokenContext, c map[string]any) { c["aud"] = "https://api.example" }),
		oauthtest.WithIDTokenClaims(func(_ oauthtest.TokenContext, c map[string]any) { c["tenant"] = "acme" }))
	access, err := verifyRS256(p.MintAccessToken())
	if err != nil {
		t.Fatal(err)
	}
	if aud, _ := access.Claims.GetAudience(); len(aud) != 1 || aud[0] != "https://api.example" {
		t.Errorf("aud %v", aud)
	}
	spoiled, _ := verifyRS256(p.MintAccessToken(oauthtest.WrongAudience()))
	if aud, _ := spoiled.Claims.GetAudience(); len(aud) != 1 || aud[0] != "some-other-client" {
		t.Errorf("WrongAudience after the hook: aud %v", aud)
	}
	if id, _ := verifyRS256(p.MintIDToken()); !strings.Contains(id.Raw, ".") || id.Claims.(jwt.MapClaims)["tenant"] != "acme" {
		t.Errorf("ID token claims %v", id.Claims)
	}
}

// TestMintForAnyClientAndUser: ForClient mints for another client, AsUser
// for another user; userinfo accepts the access token as that user's.
func TestMintForAnyClientAndUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(oauthtest.Client{ID: "api", Secret: "s"}))
	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	raw := p.ForClient("api").MintIDToken(oauthtest.AsUser(alice), oauthtest.SetClaims(map[string]any{"nonce": "n"}))
	idt, err := op.Verifier(&oidc.Config{ClientID: "api", Now: p.Now}).Verify(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ Email, Nonce string }
	if err := idt.Claims(&claims); err != nil || idt.Subject != "alice" || claims.Email != "alice@example.com" || claims.Nonce != "n" {
		t.Errorf("ID token sub %q claims %+v (%v)", idt.Subject, claims, err)
	}
	access := p.ForClient("api").MintAccessToken(oauthtest.AsUser(alice))
	if resp, body := userinfo(t, p, access); resp.StatusCode != 200 || body["sub"] != "alice" {
		t.Errorf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	if got := introspect(t, p, access); got["client_id"] != "api" || got["sub"] != "alice" {
		t.Errorf("introspection: %v", got)
	}
	if _, body := userinfo(t, p, p.MintAccessToken()); body["sub"] != "test-user" {
		t.Errorf("the default mint: %v", body)
	}
}
