// Package stepup shows step-up authentication (RFC 9470) against oauthtest:
// an API that asks for a stronger or fresher login with a
// WWW-Authenticate challenge, and a client that answers it by authorizing
// again with the acr_values and max_age the challenge names.
//
// Its tests run against oauthtest.NewTestProvider; from the repository's
// root:
//
//	go test ./examples/stepup
package stepup

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config says whose tokens the API accepts and what login it requires.
type Config struct {
	Issuer   string
	Audience string           // the aud its tokens must carry
	ACR      []string         // the acr values /transfer accepts, most preferred first
	MaxAge   time.Duration    // how long ago the login may be; 0 for any time
	Now      func() time.Time // the clock; time.Now if nil
	Client   *http.Client     // reaches the provider's JWKS
}

// API serves GET /transfer to bearers of a token from a strong enough login.
type API struct {
	cfg      Config
	verifier *oidc.IDTokenVerifier // checks any JWT's signature, iss, aud and exp
}

// New returns the API; keys are fetched on first use.
func New(ctx context.Context, cfg Config) *API {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	ctx = oidc.ClientContext(ctx, cfg.Client)
	keys := oidc.NewRemoteKeySet(ctx, strings.TrimSuffix(cfg.Issuer, "/")+"/.well-known/jwks.json")
	return &API{cfg: cfg, verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
		ClientID: cfg.Audience, Now: cfg.Now, SupportedSigningAlgs: []string{oidc.RS256, oidc.ES256, oidc.EdDSA},
	})}
}

// tokenClaims are the authentication claims of an access token (RFC 9068
// §2.2.1).
type tokenClaims struct {
	Subject  string `json:"sub"`
	ACR      string `json:"acr"`
	AuthTime int64  `json:"auth_time"`
}

// Handler serves /transfer: 401 invalid_token for a bad token, 401
// insufficient_user_authentication (RFC 9470 §3) for a weak or old login.
func (a *API) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		tok, err := a.verifier.Verify(r.Context(), raw)
		var c tokenClaims
		if err == nil {
			err = tok.Claims(&c)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error="invalid_token", error_description=%q`, err.Error()))
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		if why := a.insufficient(c); why != "" {
			w.Header().Set("WWW-Authenticate", a.challenge(why))
			http.Error(w, why, http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "transferred for %s (acr %s)\n", c.Subject, c.ACR)
	})
}

// insufficient says what is wrong with the token's login, or "".
func (a *API) insufficient(c tokenClaims) string {
	switch age := a.cfg.Now().Sub(time.Unix(c.AuthTime, 0)); {
	case !slices.Contains(a.cfg.ACR, c.ACR):
		return fmt.Sprintf("a login with acr %q is not enough", c.ACR)
	case a.cfg.MaxAge > 0 && age > a.cfg.MaxAge:
		return fmt.Sprintf("the login was %s ago, more than %s", age.Truncate(time.Second), a.cfg.MaxAge)
	}
	return ""
}

// challenge is the RFC 9470 §3 challenge: the acr values and max_age the
// API requires.
func (a *API) challenge(why string) string {
	h := fmt.Sprintf(`Bearer error="insufficient_user_authentication", error_description=%q, acr_values=%q`, why, strings.Join(a.cfg.ACR, " "))
	if a.cfg.MaxAge > 0 {
		h += fmt.Sprintf(`, max_age="%d"`, int(a.cfg.MaxAge/time.Second))
	}
	return h
}

// challengeParam matches one auth-param of a challenge (RFC 9110 §11.2).
var challengeParam = regexp.MustCompile(`([a-z_]+)="((?:[^"\\]|\\.)*)"`)

// StepUp reads an RFC 9470 challenge from an API's 401 answer and returns
// the options of the authorization request that answers it: acr_values
// and max_age (RFC 9470 §4). ok is false for any other answer.
func StepUp(resp *http.Response) (opts []oauth2.AuthCodeOption, ok bool) {
	h := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(h, "Bearer ") {
		return nil, false
	}
	params := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(h, -1) {
		params[m[1]] = strings.ReplaceAll(m[2], `\"`, `"`)
	}
	if params["error"] != "insufficient_user_authentication" {
		return nil, false
	}
	if v := params["acr_values"]; v != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", v))
	}
	if v := params["max_age"]; v != "" {
		if _, err := strconv.Atoi(v); err == nil {
			opts = append(opts, oauth2.SetAuthURLParam("max_age", v))
		}
	}
	return opts, true
}
