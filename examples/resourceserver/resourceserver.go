// Package resourceserver is an API that accepts JWT access tokens (RFC
// 9068) from an OpenID Connect provider, checked against the provider's
// JWKS: signature, issuer, audience, expiry and the at+jwt type.
//
// Its tests send it every kind of bad token, minted by oauthtest, and a key
// rotation; run them from the repository's root:
//
//	go test ./examples/resourceserver
package resourceserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Config says whose tokens the API accepts.
type Config struct {
	Issuer   string
	Audience string           // the API's identifier, the aud its tokens must carry
	Now      func() time.Time // the clock to judge expiry by; time.Now if nil
	Client   *http.Client     // reaches the provider's JWKS
}

// API serves GET /me to bearers of a valid access token.
type API struct {
	verifier *oidc.IDTokenVerifier // checks any JWT's signature, iss, aud and exp
}

// New fetches nothing yet: keys are fetched, and refetched on an unknown
// kid, by the remote key set.
func New(ctx context.Context, cfg Config) *API {
	ctx = oidc.ClientContext(ctx, cfg.Client)
	keys := oidc.NewRemoteKeySet(ctx, strings.TrimSuffix(cfg.Issuer, "/")+"/.well-known/jwks.json")
	return &API{verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
		ClientID: cfg.Audience, Now: cfg.Now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA},
	})}
}

// Handler serves /me.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		claims, err := a.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, err.Error()))
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(claims)
	})
}

// Claims are what the API reads from an access token.
type Claims struct {
	Subject string   `json:"sub"`
	Scope   string   `json:"scope"`
	Roles   []string `json:"roles,omitempty"`
}

func (a *API) authenticate(r *http.Request) (*Claims, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil, fmt.Errorf("no bearer token")
	}
	if typ, err := header(raw, "typ"); err != nil || typ != "at+jwt" {
		return nil, fmt.Errorf("not an access token (typ %q)", typ) // an ID token, say
	}
	tok, err := a.verifier.Verify(r.Context(), raw)
	if err != nil {
		return nil, err
	}
	var c Claims
	if err := tok.Claims(&c); err != nil {
		return nil, err
	}
	return &c, nil
}

// header reads one member of a JWT's header, unverified (the signature is
// verified next).
func header(raw, name string) (string, error) {
	h, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return "", err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return "", err
	}
	v, _ := m[name].(string)
	return v, nil
}
