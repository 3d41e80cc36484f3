package oauthtest_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// idClaims are the claims of a verified ID token, as a relying party reads
// them with go-oidc.
type idClaims struct {
	Subject  string   `json:"sub"`
	ACR      string   `json:"acr"`
	AMR      []string `json:"amr"`
	AuthTime int64    `json:"auth_time"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
}

// signIn authorizes the default client in browser b (a new one if nil),
// redeems the code with golang.org/x/oauth2, verifies the ID token with
// go-oidc and returns its claims with the token response. A flow that
// ends in an error returns that error, a *oauthtest.Error.
func signIn(t *testing.T, p *oauthtest.Provider, b *oauthtest.Browser, scopes []string, opts ...oauth2.AuthCodeOption) (idClaims, *oauth2.Token, error) {
	t.Helper()
	if b == nil {
		b = p.Browser()
	}
	ctx, cfg := clientContext(p), oauthConfig(p, scopes...)
	cb, err := b.Visit(cfg.AuthCodeURL("st", opts...))
	if err != nil {
		return idClaims{}, nil, err
	}
	if cb.Error != "" {
		return idClaims{}, nil, &oauthtest.Error{ErrorCode: cb.Error, ErrorDescription: cb.ErrorDescription}
	}
	tok, err := cfg.Exchange(ctx, cb.Code)
	if err != nil {
		t.Fatal(err)
	}
	return verifyIDToken(t, p, tok), tok, nil
}

// verifyIDToken verifies the ID token of tok, for the default client,
// with go-oidc and returns its claims.
func verifyIDToken(t *testing.T, p *oauthtest.Provider, tok *oauth2.Token) idClaims {
	t.Helper()
	ctx := clientContext(p)
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// jwtPayload decodes a JWT's claims without verifying it: for access
// tokens, whose signature other tests check.
func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// errCode is the error code of an *oauthtest.Error, or err's text.
func errCode(err error) string {
	var e *oauthtest.Error
	if errors.As(err, &e) {
		return e.ErrorCode
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

var (
	acrValues   = func(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("acr_values", v) }
	claimsParam = func(v string) oauth2.AuthCodeOption { return oauth2.SetAuthURLParam("claims", v) }
	openid      = []string{"openid"}
)

// TestACRValues: acr_values chooses the login's acr among those the
// provider supports, most preferred first; a user's own ACR wins over a
// voluntary request (OIDC Core §3.1.2.1); without either no acr is
// claimed, as before. acr, amr and auth_time reach the access token too
// (RFC 9068 §2.2.1).
func TestACRValues(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	c, tok, err := signIn(t, p, nil, nil, acrValues("urn:example:unknown phr urn:mace:incommon:iap:silver"))
	if err != nil || c.ACR != "phr" || c.AMR != nil {
		t.Fatalf("acr_values: %+v, %v", c, err)
	}
	if at := jwtPayload(t, tok.AccessToken); at["acr"] != "phr" || at["auth_time"] == nil {
		t.Errorf("access token: %v", at)
	}
	if c, tok, _ := signIn(t, p, nil, nil); c.ACR != "" || jwtPayload(t, tok.AccessToken)["acr"] != nil {
		t.Errorf("without acr_values: %+v", c)
	}
	if c, _, _ := signIn(t, p, nil, nil, acrValues("urn:example:unknown")); c.ACR != "" {
		t.Errorf("only unsupported values: acr %q", c.ACR)
	}
	mfa := oauthtest.User{Subject: "mfa", ACR: "urn:mace:incommon:iap:silver", AMR: []string{"pwd", "otp"}}
	if err := p.QueueUser(mfa); err != nil {
		t.Fatal(err)
	}
	c, tok, _ = signIn(t, p, nil, nil, acrValues("phr"))
	if c.ACR != mfa.ACR || !slices.Equal(c.AMR, mfa.AMR) {
		t.Errorf("the queued user's own: %+v", c)
	}
	if at := jwtPayload(t, tok.AccessToken); at["acr"] != mfa.ACR || len(at["amr"].([]any)) != 2 {
		t.Errorf("access token: %v", at)
	}
	// A refresh keeps the login's authentication context.
	fresh, err := oauthConfig(p).TokenSource(clientContext(p), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if at := jwtPayload(t, fresh.AccessToken); at["acr"] != mfa.ACR {
		t.Errorf("refreshed access token: %v", at)
	}
	if id := jwtPayload(t, fresh.Extra("id_token").(string)); id["acr"] != mfa.ACR {
		t.Errorf("refreshed ID token: %v", id)
	}
}

// TestWithACRValues: the provider advertises and satisfies its own list;
// an empty list is a configuration error.
func TestWithACRValues(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithACRValues("Level3", "Level4"))
	op, err := oidc.NewProvider(clientContext(p), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		ACRs   []string `json:"acr_values_supported"`
		Claims bool     `json:"claims_parameter_supported"`
		Names  []string `json:"claims_supported"`
	}
	if err := op.Claims(&doc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(doc.ACRs, []string{"Level3", "Level4"}) || !doc.Claims || !slices.Contains(doc.Names, "acr") || !slices.Contains(doc.Names, "amr") {
		t.Errorf("discovery: %+v", doc)
	}
	if c, _, _ := signIn(t, p, nil, nil, acrValues("phr Level4")); c.ACR != "Level4" {
		t.Errorf("acr %q, want Level4", c.ACR)
	}
	for _, values := range [][]string{nil, {"Level3", ""}} {
		if _, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithACRValues(values...)); err == nil {
			t.Errorf("WithACRValues(%q) was accepted", values)
		}
	}
}

// TestClaimsParameter: claims asked for by name come back whatever the
// scope, in the ID token and at userinfo as asked (OIDC Core §5.5).
func TestClaimsParameter(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	c, tok, err := signIn(t, p, nil, openid, claimsParam(`{"id_token":{"email":null,"acr":null},"userinfo":{"name":{"essential":true},"given_name":null},"other":{}}`))
	if err != nil || c.Email != "test.user@example.com" || c.Name != "" {
		t.Fatalf("ID token with scope openid: %+v, %v", c, err)
	}
	_, info := userinfo(t, p, tok.AccessToken)
	if info["name"] != "Test User" || info["given_name"] != "Test" || info["email"] != nil {
		t.Errorf("userinfo: %v", info)
	}
	// Without the parameter, scope openid gives neither.
	c, tok, _ = signIn(t, p, nil, openid)
	if _, info := userinfo(t, p, tok.AccessToken); c.Email != "" || info["name"] != nil {
		t.Errorf("without claims: %+v, %v", c, info)
	}
	// acr at userinfo, when asked for there.
	if err := p.QueueUser(oauthtest.User{Subject: "u", ACR: "phr", AMR: []string{"hwk"}}); err != nil {
		t.Fatal(err)
	}
	_, tok, _ = signIn(t, p, nil, openid, claimsParam(`{"userinfo":{"acr":null}}`))
	if _, info := userinfo(t, p, tok.AccessToken); info["acr"] != "phr" {
		t.Errorf("userinfo acr: %v", info)
	}
}

// TestEssentialACR: an essential acr with values must be met (OIDC Core
// §5.5.1.1): the provider satisfies the first it supports; a user whose
// own ACR is not among them, or values none of which it supports, fail
// with unmet_authentication_requirements; under prompt=none, a session
// below them needs a login.
func TestEssentialACR(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	essential := claimsParam(`{"id_token":{"acr":{"essential":true,"values":["urn:example:none","phrh","phr"]}}}`)
	b := p.Browser()
	if c, _, err := signIn(t, p, b, nil, acrValues("phr"), essential); err != nil || c.ACR != "phrh" {
		t.Fatalf("essential: %+v, %v", c, err)
	}
	if err := p.QueueUser(oauthtest.User{Subject: "weak", ACR: "0"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := signIn(t, p, b, nil, essential); errCode(err) != "unmet_authentication_requirements" || !strings.Contains(err.Error(), "§5.5.1.1") {
		t.Errorf("a weaker user: %v", err)
	}
	if _, _, err := signIn(t, p, nil, nil, claimsParam(`{"id_token":{"acr":{"essential":true,"value":"urn:example:none"}}}`)); errCode(err) != "unmet_authentication_requirements" {
		t.Errorf("only unsupported values: %v", err)
	}
	// Not essential: a preference, never an error.
	if c, _, err := signIn(t, p, nil, nil, claimsParam(`{"id_token":{"acr":{"values":["urn:example:none","phr"]}}}`)); err != nil || c.ACR != "phr" {
		t.Errorf("voluntary: %+v, %v", c, err)
	}
	// The browser's session is at phrh: prompt=none meets phrh, not 0 alone.
	none := oauth2.SetAuthURLParam("prompt", "none")
	if c, _, err := signIn(t, p, b, nil, none, essential); err != nil || c.ACR != "phrh" {
		t.Errorf("silent, met: %+v, %v", c, err)
	}
	if _, _, err := signIn(t, p, b, nil, none, claimsParam(`{"id_token":{"acr":{"essential":true,"values":["0"]}}}`)); errCode(err) != "login_required" {
		t.Errorf("silent, unmet: %v", err)
	}
}

// TestClaimsParameterSub: asking for a sub value binds the login to that
// user: no tokens for another (OIDC Core §5.5.1).
func TestClaimsParameterSub(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	if c, _, err := signIn(t, p, nil, nil, claimsParam(`{"id_token":{"sub":{"value":"test-user"}}}`)); err != nil || c.Subject != "test-user" {
		t.Errorf("the same user: %+v, %v", c, err)
	}
	if _, _, err := signIn(t, p, nil, nil, claimsParam(`{"id_token":{"sub":{"value":"alice"}}}`)); errCode(err) != "access_denied" || !strings.Contains(err.Error(), "§5.5.1") {
		t.Errorf("another user: %v", err)
	}
}

// TestClaimsParameterInvalid: a claims parameter that is not the object
// of OIDC Core §5.5 is an invalid_request at the redirect URI, saying so.
func TestClaimsParameterInvalid(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	for _, claims := range []string{
		`not json`, `[]`, `null`, `{"id_token":[]}`, `{"userinfo":{"name":true}}`,
		`{"id_token":{"acr":{"essential":"yes"}}}`, `{"id_token":{"acr":{"values":[1]}}}`,
		`{"id_token":{"acr":{"values":"phr"}}}`, `{"id_token":{"sub":{"value":7}}}`,
	} {
		_, _, err := signIn(t, p, nil, nil, claimsParam(claims))
		if errCode(err) != "invalid_request" || !strings.Contains(err.Error(), "OIDC Core §5.5") {
			t.Errorf("claims %s: %v", claims, err)
		}
	}
	if n := len(p.Codes()); n != 0 {
		t.Errorf("%d codes issued", n)
	}
}

// TestUserACR: the claims acr and amr of a user are read as ACR and AMR,
// so users configured before keep their claims; values of another type,
// or that disagree with the fields, are refused.
func TestUserACR(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithUser(oauthtest.User{Subject: "old", Claims: map[string]any{"acr": "phr", "amr": []any{"pwd"}}}))
	if u := p.Users().Current; u.ACR != "phr" || !slices.Equal(u.AMR, []string{"pwd"}) || u.Claims["acr"] != nil {
		t.Errorf("current user %+v", u)
	}
	if c, _, _ := signIn(t, p, nil, nil); c.ACR != "phr" || !slices.Equal(c.AMR, []string{"pwd"}) {
		t.Errorf("ID token %+v", c)
	}
	for _, u := range []oauthtest.User{
		{Subject: "x", Claims: map[string]any{"acr": 2}},
		{Subject: "x", Claims: map[string]any{"amr": "pwd"}},
		{Subject: "x", Claims: map[string]any{"amr": []any{"pwd", 1}}},
		{Subject: "x", ACR: "0", Claims: map[string]any{"acr": "phr"}},
	} {
		if err := p.SetUser(u); err == nil {
			t.Errorf("SetUser(%+v) was accepted", u)
		}
	}
}

// TestMaxAgeStepUp: max_age forces a fresh login (auth_time), which an RFC
// 9470 challenge may ask for besides acr_values.
func TestMaxAgeStepUp(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	b := p.Browser()
	first, _, _ := signIn(t, p, b, nil)
	p.FastForward(10 * time.Minute)
	again, _, err := signIn(t, p, b, nil, oauth2.SetAuthURLParam("max_age", "60"), acrValues("phr"))
	if err != nil || again.AuthTime-first.AuthTime < 600 || again.ACR != "phr" {
		t.Errorf("first %+v, then %+v, %v", first, again, err)
	}
}
