package oauthtest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/oauth2"
)

// The clients of the token trust tests: hs signs its tokens with its own
// secret (HS256) and may exchange tokens; app may exchange its own.
var (
	hsClient = oauthtest.Client{ID: "hs", Secret: "hs-secret", SigningAlg: oauthtest.HS256,
		GrantTypes: []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantTokenExchange}}
	appClient = oauthtest.Client{ID: "app", Secret: "app-secret",
		GrantTypes: []string{oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken, oauthtest.GrantTokenExchange}}
)

func trustProvider(t *testing.T, opts ...oauthtest.Option) *oauthtest.Provider {
	t.Helper()
	return oauthtest.NewTestProvider(t, append([]oauthtest.Option{oauthtest.WithClient(hsClient), oauthtest.WithClient(appClient),
		oauthtest.WithClient(gatewayClient), oauthtest.WithUsers(bob)}, opts...)...)
}

// clientLogin runs a code flow for client c with scopes.
func clientLogin(t *testing.T, p *oauthtest.Provider, c oauthtest.Client, scopes ...string) *oauth2.Token {
	t.Helper()
	cfg := oauthConfig(p, scopes...)
	cfg.ClientID, cfg.ClientSecret = c.ID, c.Secret
	tok, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// exchangeAs posts a token exchange as client c.
func exchangeAs(t *testing.T, p *oauthtest.Provider, c oauthtest.Client, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("grant_type", oauthtest.GrantTokenExchange)
	resp, body := postForm(t, p, p.TokenURL(), form, c.ID, c.Secret)
	return resp.StatusCode, body
}

// selfSigned is a token client hs signs with its own secret, claiming bob.
func selfSigned(p *oauthtest.Provider, typ string, claims jwt.MapClaims) string {
	now := p.Now()
	all := jwt.MapClaims{"iss": p.Issuer(), "sub": "bob", "aud": "hs", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "auth_time": now.Unix()}
	if typ == "at+jwt" {
		all["client_id"], all["jti"], all["scope"] = "hs", uuid.NewString(), "openid email"
	}
	for k, v := range claims {
		all[k] = v
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, all)
	tok.Header["typ"] = typ
	s, err := tok.SignedString([]byte(hsClient.Secret))
	if err != nil {
		panic(err)
	}
	return s
}

func tokeninfoOf(t *testing.T, p *oauthtest.Provider, param, tok string) (*http.Response, map[string]any) {
	t.Helper()
	return postForm(t, p, p.Issuer()+oauthtest.TokeninfoPath, url.Values{param: {tok}}, "", "")
}

// TestAttackSelfSignedIDToken (issue #18): a client whose ID tokens are
// HS256 signs one for bob itself; neither token exchange nor tokeninfo
// may take it for a token of the provider's.
func TestAttackSelfSignedIDToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	forged := selfSigned(p, "JWT", nil)
	status, body := exchangeAs(t, p, hsClient, url.Values{"subject_token": {forged}, "subject_token_type": {oauthtest.TokenTypeIDToken}})
	if status != 400 || body["error"] != "invalid_request" || !strings.Contains(body["error_description"].(string), "not issued by this provider") {
		at, _ := body["access_token"].(string)
		_, info := userinfo(t, p, at)
		t.Errorf("exchanging a self-signed ID token: HTTP %d %v; userinfo says %v", status, body, info)
	}
	resp, body := tokeninfoOf(t, p, "id_token", forged)
	if resp.StatusCode != 400 || body["error"] != "invalid_token" {
		t.Errorf("tokeninfo vouches for a self-signed ID token: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestAttackSelfSignedAccessToken: an HS256 client signs an access token
// for bob reusing the jti of a token it was really issued; no endpoint
// takes it for bob, and revoking it leaves the real token alone.
func TestAttackSelfSignedAccessToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	real := clientLogin(t, p, hsClient, "openid", "email")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(real.AccessToken, claims); err != nil {
		t.Fatal(err)
	}
	forged := selfSigned(p, "at+jwt", jwt.MapClaims{"jti": claims["jti"]})
	if resp, body := userinfo(t, p, forged); resp.StatusCode != 401 {
		t.Errorf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	if resp, body := tokeninfoOf(t, p, "access_token", forged); resp.StatusCode != 400 {
		t.Errorf("tokeninfo: HTTP %d %v", resp.StatusCode, body)
	}
	if got := introspect(t, p, forged); got["active"] != false {
		t.Errorf("introspection: %v", got)
	}
	if resp, _ := revoke(t, p, forged, hsClient.ID, hsClient.Secret); resp.StatusCode != 200 {
		t.Errorf("revoking an unknown token: HTTP %d, want 200 (RFC 7009 §2.2)", resp.StatusCode)
	}
	if resp, body := userinfo(t, p, real.AccessToken); resp.StatusCode != 200 {
		t.Errorf("the real token after a forged one with its jti was revoked: HTTP %d %v", resp.StatusCode, body)
	}
}

// TestAttackExchangeForeignToken: a client exchanges a token issued to
// another client, which did not name it as an audience.
func TestAttackExchangeForeignToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := issuedTokens(t, p, "openid")
	for typ, tok := range map[string]string{oauthtest.TokenTypeAccessToken: login.AccessToken, oauthtest.TokenTypeIDToken: login.Extra("id_token").(string)} {
		status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {tok}, "subject_token_type": {typ}})
		if d, _ := body["error_description"].(string); status != 400 || body["error"] != "invalid_request" || !strings.Contains(d, "RFC 8693") {
			t.Errorf("%s of another client: HTTP %d %v", typ, status, body)
		}
	}
}

// TestAttackExchangeWidensScope: an ID token of an openid login does not
// become a token with every scope.
func TestAttackExchangeWidensScope(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid")
	status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {login.Extra("id_token").(string)},
		"subject_token_type": {oauthtest.TokenTypeIDToken}, "scope": {"openid email phone address profile"}})
	if status != 400 || body["error"] != "invalid_scope" {
		t.Errorf("HTTP %d %v, want invalid_scope", status, body)
	}
}

// TestAttackExchangeAfterRevokeUser: a revoked user's tokens are not
// exchanged, ID tokens included.
func TestAttackExchangeAfterRevokeUser(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid")
	p.RevokeUser("test-user")
	for typ, tok := range map[string]string{oauthtest.TokenTypeAccessToken: login.AccessToken, oauthtest.TokenTypeIDToken: login.Extra("id_token").(string)} {
		status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {tok}, "subject_token_type": {typ}})
		if d, _ := body["error_description"].(string); status != 400 || !strings.Contains(d, "revoked") {
			t.Errorf("%s after RevokeUser: HTTP %d %v", typ, status, body)
		}
	}
}

// TestAttackIntrospectionAudience: introspection reports the audience the
// token was bound to, not the client.
func TestAttackIntrospectionAudience(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	login := clientLogin(t, p, appClient, "openid", "email")
	status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {login.AccessToken},
		"subject_token_type": {oauthtest.TokenTypeAccessToken}, "resource": {"https://orders.example/"}})
	if status != 200 {
		t.Fatalf("HTTP %d %v", status, body)
	}
	if got := introspect(t, p, body["access_token"].(string)); got["aud"] != "https://orders.example/" || got["client_id"] != "app" {
		t.Errorf("introspection: %v", got)
	}
}

// refusedToken is a token no endpoint may take: forged, expired or revoked.
type refusedToken struct {
	name  string
	kind  string // oauthtest.TokenTypeAccessToken or oauthtest.TokenTypeIDToken
	token func(t *testing.T, p *oauthtest.Provider) string
	want  string // in the error_description
}

// loginToken logs the default client in and returns its token of kind.
func loginToken(t *testing.T, p *oauthtest.Provider, kind string) (string, *oauth2.Token) {
	t.Helper()
	tok := issuedTokens(t, p, "openid", "email")
	if kind == oauthtest.TokenTypeIDToken {
		return tok.Extra("id_token").(string), tok
	}
	return tok.AccessToken, tok
}

// replayedToken logs the default client in, then redeems its code again,
// which revokes the family (RFC 6749 §4.1.2).
func replayedToken(t *testing.T, p *oauthtest.Provider, kind string) string {
	t.Helper()
	cfg := oauthConfig(p, "openid", "email")
	code := authorizeCode(t, p, cfg)
	tok, err := cfg.Exchange(clientContext(p), code)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.Exchange(clientContext(p), code); err == nil {
		t.Fatal("a replayed code was redeemed")
	}
	if kind == oauthtest.TokenTypeIDToken {
		return tok.Extra("id_token").(string)
	}
	return tok.AccessToken
}

func refusedTokens() []refusedToken {
	var cases []refusedToken
	for _, kind := range []string{oauthtest.TokenTypeAccessToken, oauthtest.TokenTypeIDToken} {
		mint, typ := oauthtest.ClientScope.MintAccessToken, "at+jwt"
		if kind == oauthtest.TokenTypeIDToken {
			mint, typ = oauthtest.ClientScope.MintIDToken, "JWT"
		}
		revoked := func(revoke func(p *oauthtest.Provider, tok string)) func(t *testing.T, p *oauthtest.Provider) string {
			return func(t *testing.T, p *oauthtest.Provider) string {
				tok, _ := loginToken(t, p, kind)
				revoke(p, tok)
				return tok
			}
		}
		cases = append(cases, []refusedToken{
			{"foreign key", kind, func(t *testing.T, p *oauthtest.Provider) string {
				return mint(p.ForClient(p.ClientID()), oauthtest.ForeignKey())
			}, "not a key of this provider"},
			{"alg none", kind, func(t *testing.T, p *oauthtest.Provider) string {
				return mint(p.ForClient(p.ClientID()), oauthtest.AlgNone())
			}, "signing method none is invalid"},
			{"HS256 with another secret", kind, func(t *testing.T, p *oauthtest.Provider) string {
				return mint(p.ForClient("hs"), oauthtest.ForeignKey())
			}, "signature is invalid"},
			{"HS256 self-signed by the client", kind, func(t *testing.T, p *oauthtest.Provider) string { return selfSigned(p, typ, nil) }, "not issued by this provider"},
			{"minted expired", kind, func(t *testing.T, p *oauthtest.Provider) string {
				return mint(p.ForClient(p.ClientID()), oauthtest.Expired())
			}, "expired"},
			{"expired by the clock", kind, func(t *testing.T, p *oauthtest.Provider) string {
				tok, _ := loginToken(t, p, kind)
				p.FastForward(2 * time.Hour)
				return tok
			}, "expired"},
			{"RevokeToken", kind, revoked(func(p *oauthtest.Provider, tok string) { p.RevokeToken(tok) }), "revoked"},
			{"RevokeUser", kind, revoked(func(p *oauthtest.Provider, _ string) { p.RevokeUser("test-user") }), "revoked"},
			{"RevokeClient", kind, revoked(func(p *oauthtest.Provider, _ string) { p.RevokeClient(p.ClientID()) }), "revoked"},
			{"family revoked by code replay", kind, func(t *testing.T, p *oauthtest.Provider) string { return replayedToken(t, p, kind) }, "revoked"},
		}...)
	}
	return cases
}

// wantRefused asserts an error answer with status, code and a description
// holding each of want.
func wantRefused(t *testing.T, where string, status int, body map[string]any, wantStatus int, code string, want ...string) {
	t.Helper()
	d, _ := body["error_description"].(string)
	ok := status == wantStatus && body["error"] == code
	for _, w := range want {
		ok = ok && strings.Contains(d, w)
	}
	if !ok {
		t.Errorf("%s: HTTP %d %v; want HTTP %d %s with %q", where, status, body, wantStatus, code, want)
	}
}

// TestRefusedTokens: every endpoint that takes a token refuses forged,
// expired and revoked ones, naming why: userinfo, tokeninfo and
// introspection (access tokens), tokeninfo (ID tokens), token exchange's
// subject and actor (both).
func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range refusedTokens() {
		t.Run(tc.name+" "+tc.kind[strings.LastIndexByte(tc.kind, ':')+1:], func(t *testing.T) {
			t.Parallel()
			p := trustProvider(t)
			tok := tc.token(t, p)
			param := "access_token"
			if tc.kind == oauthtest.TokenTypeIDToken {
				param = "id_token"
			} else {
				resp, body := userinfo(t, p, tok)
				wantRefused(t, "userinfo", resp.StatusCode, body, 401, "invalid_token", tc.want)
				if got := introspect(t, p, tok); len(got) != 1 || got["active"] != false {
					t.Errorf("introspection: %v", got)
				}
			}
			resp, body := tokeninfoOf(t, p, param, tok)
			wantRefused(t, "tokeninfo", resp.StatusCode, body, 400, "invalid_token", tc.want)
			status, body := exchangeAs(t, p, gatewayClient, url.Values{"subject_token": {tok}, "subject_token_type": {tc.kind}})
			wantRefused(t, "exchange's subject", status, body, 400, "invalid_request", "subject_token", tc.want, "RFC 8693 §2.2.2")
			subject := p.ForClient("gateway").MintAccessToken(oauthtest.AsUser(alice))
			status, body = exchangeAs(t, p, gatewayClient, url.Values{"subject_token": {subject}, "subject_token_type": {oauthtest.TokenTypeAccessToken},
				"actor_token": {tok}, "actor_token_type": {tc.kind}})
			wantRefused(t, "exchange's actor", status, body, 400, "invalid_request", "actor_token", tc.want, "RFC 8693 §2.2.2")
		})
	}
}

// TestLogoutHintMustBeIssued: a hint the client signed itself names no
// one; one the provider issued is welcome expired or revoked (RP-Initiated
// Logout 1.0 §2).
func TestLogoutHintMustBeIssued(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	logout := func(hint string) *http.Response {
		return visit(t, p, http.MethodGet, p.Issuer()+oauthtest.LogoutPath+"?"+url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {"http://127.0.0.1:8080/bye"}}.Encode(), nil)
	}
	if resp := logout(selfSigned(p, "JWT", nil)); resp.StatusCode != 400 {
		t.Errorf("a self-signed hint: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	hint := clientLogin(t, p, hsClient, "openid").Extra("id_token").(string)
	p.RevokeToken(hint)
	p.FastForward(2 * time.Hour)
	if resp := logout(hint); resp.StatusCode != 302 {
		t.Errorf("an issued hint, expired and revoked: HTTP %d", resp.StatusCode)
	}
}

// TestExchangePolicy: who may exchange what, and for which scopes.
func TestExchangePolicy(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	at, idt := oauthtest.TokenTypeAccessToken, oauthtest.TokenTypeIDToken
	login := issuedTokens(t, p, "openid", "email")
	// The gateway (ExchangeFrom the default client) makes a token for app.
	status, body := exchangeAs(t, p, gatewayClient, url.Values{"subject_token": {login.AccessToken}, "subject_token_type": {at}, "audience": {"app"}})
	if status != 200 {
		t.Fatalf("gateway: HTTP %d %v", status, body)
	}
	forApp := body["access_token"].(string)
	if got := introspect(t, p, forApp); got["aud"] != "app" || got["client_id"] != "gateway" || got["scope"] != "openid email" {
		t.Errorf("introspection: %v", got)
	}
	// app, its audience, may exchange it; hs, neither its client nor its audience, may not.
	if status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {forApp}, "subject_token_type": {at}, "scope": {"email"}}); status != 200 || body["scope"] != "email" {
		t.Errorf("app, the audience: HTTP %d %v", status, body)
	}
	status, body = exchangeAs(t, p, hsClient, url.Values{"subject_token": {forApp}, "subject_token_type": {at}})
	wantRefused(t, "hs", status, body, 400, "invalid_request", `client "hs" is not its audience`, "Client.ExchangeFrom")
	// An ID token carries the scopes of its response.
	own := clientLogin(t, p, appClient, "openid", "email")
	if status, body := exchangeAs(t, p, appClient, url.Values{"subject_token": {own.Extra("id_token").(string)}, "subject_token_type": {idt}}); status != 200 || body["scope"] != "openid email" {
		t.Errorf("an ID token, no scope asked: HTTP %d %v", status, body)
	}
	status, body = exchangeAs(t, p, appClient, url.Values{"subject_token": {own.Extra("id_token").(string)}, "subject_token_type": {idt}, "scope": {"openid profile"}})
	wantRefused(t, "widening an ID token's scope", status, body, 400, "invalid_scope", `scope "profile" was not granted`, "RFC 6749 §5.2")
}

// TestRevokeIDToken: a client revokes its own ID token at the revocation
// endpoint, not another client's.
func TestRevokeIDToken(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	idt := clientLogin(t, p, appClient, "openid").Extra("id_token").(string)
	resp, body := revoke(t, p, idt, p.ClientID(), p.ClientSecret())
	wantJSONError(t, resp, body, "unauthorized_client", 400)
	if resp, _ := revoke(t, p, idt, appClient.ID, appClient.Secret); resp.StatusCode != 200 {
		t.Fatalf("HTTP %d", resp.StatusCode)
	}
	resp, body = tokeninfoOf(t, p, "id_token", idt)
	wantRefused(t, "tokeninfo", resp.StatusCode, body, 400, "invalid_token", "revoked")
}

// TestMintedTokensAreIssued: a token minted without spoiling is one the
// provider issued, with the claims SetClaims gave it.
func TestMintedTokensAreIssued(t *testing.T) {
	t.Parallel()
	p := trustProvider(t)
	if resp, body := userinfo(t, p, p.MintAccessToken(oauthtest.SetClaims(map[string]any{"sub": "bob"}))); resp.StatusCode != 200 || body["email"] != "bob@example.com" {
		t.Errorf("userinfo: HTTP %d %v", resp.StatusCode, body)
	}
	if resp, body := tokeninfoOf(t, p, "id_token", p.MintIDToken(oauthtest.AsUser(bob))); resp.StatusCode != 200 || body["sub"] != "bob" {
		t.Errorf("tokeninfo: HTTP %d %v", resp.StatusCode, body)
	}
	resp, body := tokeninfoOf(t, p, "id_token", p.MintIDToken(oauthtest.WrongIssuer()))
	wantRefused(t, "tokeninfo, wrong issuer", resp.StatusCode, body, 400, "invalid_token", "issuer")
}
