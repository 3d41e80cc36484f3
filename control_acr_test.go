package oauthtest_test

import (
	"slices"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestControlUserACR: the control API stages a user's acr and amr, as
// QueueUser with User.ACR and User.AMR does: a test in any language can
// stage the stronger login a step-up needs, and a bad amr is refused.
func TestControlUserACR(t *testing.T) {
	t.Parallel()
	p := controlProvider(t)
	control(t, p, "POST", "/users/queue", `{"subject": "ann", "acr": "phrh", "amr": ["hwk", "pin"]}`)
	tok := issuedTokens(t, p, "openid")
	id, _ := tok.Extra("id_token").(string)
	claims := accessClaims(t, p, id)
	amr, _ := claims["amr"].([]any)
	if claims["sub"] != "ann" || claims["acr"] != "phrh" || !slices.Equal(amr, []any{"hwk", "pin"}) {
		t.Errorf("ID token sub %v acr %v amr %v, want ann, phrh, [hwk pin]", claims["sub"], claims["acr"], claims["amr"])
	}
	if status, out := ctl(t, p, "POST", "/user", `{"subject": "bob", "amr": "pwd"}`); status != 400 {
		t.Errorf("an amr that is not a list: HTTP %d %v", status, out)
	}
}

// TestControlSessionACR: a browser signed in through POST /sessions with a
// subject, an acr and an amr logs in as the known user with that subject,
// its claims kept, at that acr and amr.
func TestControlSessionACR(t *testing.T) {
	t.Parallel()
	p := controlProvider(t, oauthtest.WithUsers(alice))
	cookie := control(t, p, "POST", "/sessions", `{"subject": "alice", "acr": "phr", "amr": ["hwk"]}`)["cookie"].(map[string]any)
	tok := silentLogin(t, p, cookie)
	id, _ := tok.Extra("id_token").(string)
	claims := accessClaims(t, p, id)
	amr, _ := claims["amr"].([]any)
	if claims["sub"] != "alice" || claims["acr"] != "phr" || !slices.Equal(amr, []any{"hwk"}) {
		t.Errorf("ID token sub %v acr %v amr %v, want alice, phr, [hwk]", claims["sub"], claims["acr"], claims["amr"])
	}
	if _, info := userinfo(t, p, tok.AccessToken); info["email"] != "alice@example.com" {
		t.Errorf("userinfo %v: the known user's claims are lost", info)
	}
}
