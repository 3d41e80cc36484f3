package oauthtest_test

import (
	"slices"
	"testing"
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
