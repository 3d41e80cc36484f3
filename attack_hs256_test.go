package oauthtest_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// TestAttackHS256WithoutSecret: a client without a secret (private_key_jwt
// only) cannot have its tokens signed with HS256: the key would be empty,
// and anyone could sign tokens its relying party accepts. Registration
// refuses id_token_signed_response_alg HS256 for it, as WithClient does.
func TestAttackHS256WithoutSecret(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	resp, body := sendJSON(t, p, http.MethodPost, registrationURL(p), "", map[string]any{"token_endpoint_auth_method": "private_key_jwt",
		"grant_types": []string{"client_credentials"}, "jwks": ed25519JWKS(key), "id_token_signed_response_alg": "HS256"})
	wantJSONError(t, resp, body, "invalid_client_metadata", http.StatusBadRequest)

	p2, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithClient(oauthtest.Client{ID: "keys-only", PublicKeys: []crypto.PublicKey{key.Public()}, SigningAlg: oauthtest.HS256}))
	if err == nil {
		p2.Close()
		t.Error("WithClient accepted SigningAlg HS256 for a client without a Secret")
	}
}
