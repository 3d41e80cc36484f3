package oauthtest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// User is the end user the authorize endpoint approves.
type User struct {
	// Subject is the sub claim: a stable identifier of the user. Required.
	Subject string
	// Claims are the user's other claims: the standard ones of OIDC Core
	// §5.1 (name, email, email_verified, ...) and any custom ones (roles,
	// groups, tenant, ...). Standard claims reach the ID token and userinfo
	// when the scope of OIDC Core §5.4 that covers them was granted; custom
	// claims always do. Values must encode as JSON.
	Claims map[string]any
}

// DefaultUser is the user a provider approves unless configured otherwise.
var DefaultUser = User{
	Subject: "test-user",
	Claims: map[string]any{
		"name":               "Test User",
		"given_name":         "Test",
		"family_name":        "User",
		"preferred_username": "test.user",
		"email":              "test.user@example.com",
		"email_verified":     true,
	},
}

// scopeClaims maps each OpenID Connect scope to the standard claims it
// grants (OIDC Core §5.4).
var scopeClaims = map[string][]string{
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"address": {"address"},
	"phone":   {"phone_number", "phone_number_verified"},
}

// claimScope maps each standard claim to the scope that grants it.
var claimScope = func() map[string]string {
	m := make(map[string]string)
	for scope, claims := range scopeClaims {
		for _, c := range claims {
			m[c] = scope
		}
	}
	return m
}()

// reservedClaims are set by the provider and cannot be user claims.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time",
	"nonce", "at_hash", "c_hash", "azp", "scope", "client_id", "typ"}

func (u *User) validate() error {
	if u.Subject == "" {
		return fmt.Errorf("user has no Subject")
	}
	for _, c := range reservedClaims {
		if _, ok := u.Claims[c]; ok {
			return fmt.Errorf("user %q: claim %q is set by the provider and cannot be configured", u.Subject, c)
		}
	}
	u.Claims = maps.Clone(u.Claims)
	return nil
}

// claimsFor adds to dst the claims of u that the granted scopes allow:
// custom claims always, standard claims by their scope.
func (u *User) claimsFor(scopes []string, dst map[string]any) {
	for name, v := range u.Claims {
		scope, standard := claimScope[name]
		if !standard || slices.Contains(scopes, scope) {
			dst[name] = v
		}
	}
}

// userStore holds the user the authorize endpoint approves.
type userStore struct {
	mu      sync.Mutex // guards current
	current User
}

// approve returns the user to approve now. Its Claims are shared and must
// not be modified.
func (s *userStore) approve() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

func (s *userStore) set(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.current = u
}
