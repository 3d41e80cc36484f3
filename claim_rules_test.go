package oauthtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// ruleSet is one rule per condition, and templates.
var ruleSet = []oauthtest.ClaimRule{
	{AccessToken: map[string]any{"tenant": "acme", "who": "${sub}", "display": "${name}", "absent": "${nickname}"}},
	{When: oauthtest.ClaimWhen{ClientID: "svc", GrantType: oauthtest.GrantClientCredentials}, AccessToken: map[string]any{"roles": []any{"reader"}}},
	{When: oauthtest.ClaimWhen{Scope: "email"}, IDToken: map[string]any{"email_rule": true}, Userinfo: map[string]any{"plan": "gold"}},
	{When: oauthtest.ClaimWhen{GrantType: oauthtest.GrantRefreshToken}, AccessToken: map[string]any{"refreshed": 1}},
}

// TestClaimRulesMatch: each rule adds its claims where its when holds,
// to access tokens, ID tokens and userinfo, and nowhere else; templates
// take the token's subject and the user's claims, and leave out what the
// user lacks.
func TestClaimRulesMatch(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(serviceClient), oauthtest.WithClaimRules(ruleSet...))
	tok := issuedTokens(t, p, "openid", "email")
	at := accessClaims(t, p, tok.AccessToken)
	if at["tenant"] != "acme" || at["who"] != "test-user" || at["display"] != "Test User" || at["roles"] != nil || at["refreshed"] != nil {
		t.Errorf("code flow access token: %v", at)
	}
	if _, ok := at["absent"]; ok {
		t.Errorf("${nickname} of a user without one: %v", at["absent"])
	}
	if id := accessClaims(t, p, tok.Extra("id_token").(string)); id["email_rule"] != true || id["tenant"] != nil {
		t.Errorf("ID token with scope email: %v", id)
	}
	if _, info := userinfo(t, p, tok.AccessToken); info["plan"] != "gold" || info["tenant"] != nil {
		t.Errorf("userinfo with scope email: %v", info)
	}
	plain := issuedTokens(t, p, "openid")
	if id := accessClaims(t, p, plain.Extra("id_token").(string)); id["email_rule"] != nil {
		t.Errorf("ID token without scope email: %v", id)
	}
	if _, info := userinfo(t, p, plain.AccessToken); info["plan"] != nil {
		t.Errorf("userinfo without scope email: %v", info)
	}
	refreshed, err := refreshOnce(clientContext(p), oauthConfig(p, "openid", "email"), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if at := accessClaims(t, p, refreshed.AccessToken); at["refreshed"] != float64(1) || at["tenant"] != "acme" {
		t.Errorf("refreshed access token: %v", at)
	}
	if _, info := userinfo(t, p, refreshed.AccessToken); info["plan"] != "gold" {
		t.Errorf("userinfo of a refreshed token: %v", info)
	}
	svc := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret", TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
	cc, err := svc.Token(clientContext(p))
	if err != nil {
		t.Fatal(err)
	}
	if at := accessClaims(t, p, cc.AccessToken); fmt.Sprint(at["roles"]) != "[reader]" || at["who"] != "svc" || at["display"] != nil {
		t.Errorf("client credentials access token: %v", at)
	}
}

// TestClaimRulesOrder: a later rule overrides an earlier one, and the Go
// hooks run after the rules, seeing and overriding their claims; minted
// tokens get the rules too.
func TestClaimRulesOrder(t *testing.T) {
	t.Parallel()
	var hookSaw any
	p := oauthtest.NewTestProvider(t,
		oauthtest.WithClaimRules(
			oauthtest.ClaimRule{AccessToken: map[string]any{"level": "low", "keep": "first"}, IDToken: map[string]any{"level": "low"}},
			oauthtest.ClaimRule{When: oauthtest.ClaimWhen{Scope: "openid"}, AccessToken: map[string]any{"level": "high"}}),
		oauthtest.WithAccessTokenClaims(func(_ oauthtest.TokenContext, claims map[string]any) {
			hookSaw = claims["level"]
			claims["keep"] = "hook"
		}))
	at := accessClaims(t, p, issuedTokens(t, p, "openid").AccessToken)
	if at["level"] != "high" || at["keep"] != "hook" || hookSaw != "high" {
		t.Errorf("access token %v; the hook saw level %v", at, hookSaw)
	}
	if minted := accessClaims(t, p, p.MintIDToken()); minted["level"] != "low" {
		t.Errorf("minted ID token: %v", minted)
	}
}

// TestSetClaimRules: rules set at run time replace the configured ones,
// none clears them, Reset brings the configured ones back, and a refused
// set changes nothing.
func TestSetClaimRules(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"from": "config"}}))
	from := func() any { return accessClaims(t, p, p.MintAccessToken())["from"] }
	if err := p.SetClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"from": "run time"}}); err != nil || from() != "run time" {
		t.Fatalf("after SetClaimRules: %v, %v", err, from())
	}
	if err := p.SetClaimRules(oauthtest.ClaimRule{AccessToken: map[string]any{"sub": "x"}}); err == nil || from() != "run time" {
		t.Errorf("a refused set: %v; from %v", err, from())
	}
	if err := p.SetClaimRules(); err != nil || from() != nil {
		t.Errorf("after clearing: %v, %v", err, from())
	}
	p.Reset()
	if from() != "config" {
		t.Errorf("after Reset: %v", from())
	}
}

// TestClaimRulesRefused: rules that could not work are refused with
// their place and key.
func TestClaimRulesRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		rule oauthtest.ClaimRule
		want string
	}{
		{"reserved claim", oauthtest.ClaimRule{AccessToken: map[string]any{"iss": "x"}}, `claim_rules[0].access_token: claim "iss" is set by the provider`},
		{"reserved in userinfo", oauthtest.ClaimRule{Userinfo: map[string]any{"sub": "x"}}, `claim_rules[0].userinfo: claim "sub" is set by the provider`},
		{"no claims", oauthtest.ClaimRule{When: oauthtest.ClaimWhen{Scope: "email"}}, "claim_rules[0]: adds no claims"},
		{"unknown grant", oauthtest.ClaimRule{When: oauthtest.ClaimWhen{GrantType: "client_credential"}, AccessToken: map[string]any{"a": 1}},
			`claim_rules[0].when.grant_type: "client_credential" is not a grant type of this provider; did you mean "client_credentials"?`},
		{"unknown client", oauthtest.ClaimRule{When: oauthtest.ClaimWhen{ClientID: "nope"}, AccessToken: map[string]any{"a": 1}},
			`claim_rules[0].when.client_id: client "nope" is not registered`},
		{"bad template", oauthtest.ClaimRule{IDToken: map[string]any{"a": "${na me}"}}, `claim_rules[0].id_token.a: "${na me}" is not a template`},
		{"not JSON", oauthtest.ClaimRule{IDToken: map[string]any{"a": make(chan int)}}, "claim_rules[0].id_token.a: is not a JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("http://127.0.0.1:1"), oauthtest.WithClaimRules(tc.rule))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v; want %q", err, tc.want)
			}
		})
	}
}

// TestControlClaimRules: POST /claim-rules replaces the rules and answers
// them, GET reads them, [] clears them; a wrong rule is refused with its
// place and key, without Go's names, and changes nothing.
func TestControlClaimRules(t *testing.T) {
	t.Parallel()
	p := controlProvider(t, oauthtest.WithClient(serviceClient))
	set := control(t, p, "POST", "/claim-rules", `{"claim_rules": [{"when": {"client_id": "svc"}, "access_token": {"roles": ["reader"]}}, {"userinfo": {"tier": 2}}]}`)
	if got := text(t, set); got != text(t, control(t, p, "GET", "/claim-rules", "")) || !strings.Contains(got, `"client_id":"svc"`) {
		t.Errorf("POST answered %s", got)
	}
	svc := oauthtest.ClientScope(p.ForClient("svc"))
	if at := accessClaims(t, p, svc.MintAccessToken()); fmt.Sprint(at["roles"]) != "[reader]" {
		t.Errorf("svc's token: %v", at)
	}
	if at := accessClaims(t, p, p.MintAccessToken()); at["roles"] != nil {
		t.Errorf("the default client's token: %v", at)
	}
	for body, want := range map[string]string{
		`{}`:                  "claim_rules is required",
		`{"claim_rules": {}}`: "claim_rules must be an array of claim rule objects, not an object",
		`{"claim_rules": [{"acces_token": {"a": 1}}]}`:                            `claim_rules[0]: unknown key "acces_token"; did you mean "access_token"?`,
		`{"claim_rules": [{"access_token": {"exp": 1}}]}`:                         `claim_rules[0].access_token: claim "exp" is set by the provider`,
		`{"claim_rules": [{"when": {"client_id": "web"}, "id_token": {"a": 1}}]}`: `claim_rules[0].when.client_id: client "web" is not registered`,
		`{"claim_rules": [{"when": {"grant_type": 3}}]}`:                          "claim_rules[0].when.grant_type: must be a string, not a number",
		`{"claim_rules": [1]}`:                                                    "claim_rules[0]: must be a JSON object, not a number",
		`{"claim_rules": [{"when": {"client": "web"}}]}`:                          `claim_rules[0].when: unknown key "client"`,
		`{"claim_rules": [{"when": []}]}`:                                         "claim_rules[0].when: must be a JSON object, not an array",
		`{"claim_rules": [{}, {"id_token": "x"}]}`:                                "claim_rules[1].id_token: must be a JSON object of claims, not a string",
		`{"claim_rules": [{"userinfo": {"a": 1}}, {}]}`:                           "claim_rules[1]: adds no claims",
	} {
		status, out := raw(t, p, "POST", "/claim-rules", body, map[string]string{"Content-Type": "application/json"})
		wantRefusal(t, body, status, out, 400, want)
		if strings.Contains(out, "oauthtest.") || strings.Contains(out, "map[") {
			t.Errorf("%s: the refusal shows Go: %s", body, out)
		}
	}
	if rules := control(t, p, "GET", "/claim-rules", "")["claim_rules"].([]any); len(rules) != 2 {
		t.Errorf("after refusals: %v", rules)
	}
	if rules := control(t, p, "POST", "/claim-rules", `{"claim_rules": []}`)["claim_rules"].([]any); len(rules) != 0 {
		t.Errorf("after clearing: %v", rules)
	}
}
