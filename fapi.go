package oauthtest

// The FAPI 2.0 Security Profile (OpenID Foundation, final, 2025) as one
// switch, WithFAPI2. Each refusal names the item it enforces: "§5.3.2.1
// item 8" is the eighth requirement of the profile's general requirements
// for authorization servers.

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fapiAlgs are the JWS algorithms the profile allows (FAPI 2.0 Security
// Profile §5.4.1 item 1): PS256, ES256 and EdDSA with Ed25519.
var fapiAlgs = []string{PS256, ES256, EdDSA}

// Limits of the profile.
const (
	// fapiCodeLifetime is the longest an authorization code may live
	// (§5.3.2.1 item 11).
	fapiCodeLifetime = 60 * time.Second
	// fapiPushedLifetime bounds the expires_in of a request_uri, which
	// must be less than it (§5.3.2.2 item 12).
	fapiPushedLifetime = 600 * time.Second
	// fapiLeeway is how far in the future a JWT's iat or nbf may be: the
	// profile requires accepting 10 s (§5.3.2.1 item 13).
	fapiLeeway = 10 * time.Second
	// fapiRequestObjectWindow bounds exp - nbf of a request object and
	// the age of its nbf (FAPI 2.0 Message Signing §5.3).
	fapiRequestObjectWindow = 60 * time.Minute
)

// WithFAPI2 makes the provider an authorization server of the FAPI 2.0
// Security Profile (OpenID Foundation, final, 2025). Every request then
// must follow the profile, and each refusal names the item it enforces:
//
//   - only confidential clients, authenticated with private_key_jwt whose
//     assertion's aud is the issuer, as a string (§5.3.2.1 items 3, 6, 8);
//     mutual TLS client authentication is not supported;
//   - DPoP proofs at the token endpoint for every grant: every access
//     token is DPoP-bound (§5.3.2.1 items 4, 5); mutual TLS
//     certificate-bound tokens are not supported;
//   - pushed authorization requests for every client, with a redirect_uri
//     (§5.3.2.2 items 3, 6), whose request_uri lives less than 600 s
//     (item 12);
//   - response_type code alone, PKCE with S256 (§5.3.2.2 items 1, 5), and
//     http redirect URIs only on loopback (item 8);
//   - authorization codes live at most 60 s: the provider's default code
//     lifetime becomes 60 s, and a longer one is refused (§5.3.2.1 item 11);
//   - refresh tokens are not rotated: a refresh returns no new one, and
//     the one used stays valid (§5.3.2.1 item 9);
//   - JWTs signed with PS256, ES256 or EdDSA only (§5.4.1): client
//     assertions, request objects, DPoP proofs, and the provider's own
//     tokens, which it signs with ES256 unless WithAlgorithm or
//     WithSigningKey chose EdDSA or ES256 (RS256 is refused);
//   - JWTs whose iat or nbf is up to 10 s ahead are accepted (§5.3.2.1
//     item 13); request objects need nbf, at most 60 minutes old, and an
//     exp at most 60 minutes after it (FAPI 2.0 Message Signing §5.3).
//
// Discovery says all of this. The default client, which authenticates
// with a secret, stays registered but cannot be used: register clients
// with PublicKeys.
func WithFAPI2() Option {
	return optionFunc(func(c *config) error { c.fapi = true; return nil })
}

// settleFAPI completes a configuration for the profile once every option
// was applied: the provider's algorithm, and the lifetimes of codes and
// request_uris.
func (c *config) settleFAPI() error {
	if !c.fapi {
		c.alg = cmp.Or(c.alg, RS256)
		return nil
	}
	c.alg = cmp.Or(c.alg, ES256)
	if c.lifetimes.Code == DefaultCodeLifetime {
		c.lifetimes.Code = fapiCodeLifetime
	}
	switch {
	case !slices.Contains(fapiAlgs, c.alg):
		return fmt.Errorf("WithFAPI2: the provider would sign its tokens with %s; FAPI 2.0 allows %s: use WithAlgorithm(ES256) or (EdDSA), or an ECDSA P-256 or Ed25519 key (FAPI 2.0 Security Profile §5.4.1)", c.alg, strings.Join(fapiAlgs, ", "))
	case c.lifetimes.Code > fapiCodeLifetime:
		return fmt.Errorf("WithFAPI2: code lifetime %v is longer than 60s (FAPI 2.0 Security Profile §5.3.2.1 item 11)", c.lifetimes.Code)
	case c.par.lifetime >= fapiPushedLifetime:
		return fmt.Errorf("WithFAPI2: pushed request lifetime %v is not less than 600s (FAPI 2.0 Security Profile §5.3.2.2 item 12)", c.par.lifetime)
	}
	for _, cl := range c.clients[1:] {
		if err := cl.checkFAPI(); err != nil {
			return err
		}
	}
	return nil
}

// checkFAPI refuses client settings the profile forbids.
func (c *Client) checkFAPI() error {
	switch {
	case c.Lifetimes.Code > fapiCodeLifetime:
		return fmt.Errorf("WithFAPI2: client %q: code lifetime %v is longer than 60s (FAPI 2.0 Security Profile §5.3.2.1 item 11)", c.ID, c.Lifetimes.Code)
	case c.SigningAlg != "":
		return fmt.Errorf("WithFAPI2: client %q: SigningAlg %s is not one of %s (FAPI 2.0 Security Profile §5.4.1)", c.ID, c.SigningAlg, strings.Join(fapiAlgs, ", "))
	}
	return nil
}

// fapiClientAuth refuses a client that does not authenticate with
// private_key_jwt: public clients, and secrets of any kind.
func (p *Provider) fapiClientAuth(c Client, method string) *Error {
	switch {
	case !p.cfg.fapi || method == AuthMethodPrivateKeyJWT:
		return nil
	case c.Public:
		return ErrInvalidClient.WithDescription("client %q is public: FAPI 2.0 serves confidential clients only, authenticated with private_key_jwt (FAPI 2.0 Security Profile §5.3.2.1 item 3)", c.ID)
	}
	return ErrInvalidClient.WithDescription("client %q authenticated with %s: FAPI 2.0 requires private_key_jwt (this provider does not do mutual TLS client authentication) (FAPI 2.0 Security Profile §5.3.2.1 item 6)", c.ID, method)
}

// fapiAssertion checks what the profile adds to a client assertion before
// it is verified: an allowed algorithm, and aud the issuer as a string.
func (p *Provider) fapiAssertion(raw string) *Error {
	claims := jwt.MapClaims{}
	tok, _, err := jwt.NewParser().ParseUnverified(raw, claims)
	if err != nil {
		return nil // verifyAssertion says what is wrong
	}
	aud, isString := claims["aud"].(string)
	switch alg := tok.Method.Alg(); {
	case !slices.Contains(fapiAlgs, alg):
		return ErrInvalidClient.WithDescription("the client assertion is signed with %s; FAPI 2.0 allows %s (FAPI 2.0 Security Profile §5.4.1)", alg, strings.Join(fapiAlgs, ", "))
	case !isString || aud != p.issuer:
		return ErrInvalidClient.WithDescription("the client assertion's aud is %v; FAPI 2.0 accepts only the issuer identifier %q, as a string (FAPI 2.0 Security Profile §5.3.2.1 item 8)", jsonText(claims["aud"]), p.issuer)
	}
	return nil
}

// jsonText writes v as JSON for a message.
func jsonText(v any) string {
	if v == nil {
		return "missing"
	}
	return fmt.Sprintf("%#v", v)
}

// checkFAPIResponseType refuses any response_type but code (§5.3.2.2
// item 1).
func (req *authorizeRequest) checkFAPIResponseType(url.Values) *Error {
	if req.fapi && req.responseType != responseCode {
		return ErrUnsupportedResponseType.WithDescription(`response_type %q is not allowed: FAPI 2.0 requires "code" (FAPI 2.0 Security Profile §5.3.2.2 item 1)`, req.responseType)
	}
	return nil
}

// checkFAPIPKCE requires PKCE with S256 (§5.3.2.2 item 5).
func (req *authorizeRequest) checkFAPIPKCE(url.Values) *Error {
	switch {
	case !req.fapi:
		return nil
	case req.challenge == "":
		return ErrInvalidRequest.WithDescription("code_challenge is missing: FAPI 2.0 requires PKCE with S256 (FAPI 2.0 Security Profile §5.3.2.2 item 5)")
	case req.method != PKCES256:
		return ErrInvalidRequest.WithDescription("code_challenge_method is %s: FAPI 2.0 requires S256 (FAPI 2.0 Security Profile §5.3.2.2 item 5)", req.method)
	}
	return nil
}

// checkFAPIRedirect requires a pushed request to name its redirect_uri
// (§5.3.2.2 item 6), and refuses http redirect URIs but loopback ones
// (item 8).
func (p *Provider) checkFAPIRedirect(params url.Values) *Error {
	uri := params.Get("redirect_uri")
	switch {
	case !p.cfg.fapi:
		return nil
	case uri == "":
		return ErrInvalidRequest.WithDescription("redirect_uri is missing: FAPI 2.0 requires it in every pushed authorization request (FAPI 2.0 Security Profile §5.3.2.2 item 6)")
	case strings.HasPrefix(strings.ToLower(uri), "http:") && !isLoopbackURI(uri):
		return ErrInvalidRequest.WithDescription("redirect_uri %q uses http: FAPI 2.0 allows it only for loopback redirection (FAPI 2.0 Security Profile §5.3.2.2 item 8)", uri)
	}
	return nil
}

// fapiProofAlg refuses a DPoP proof algorithm the profile does not allow.
func (d dpopRequest) fapiProofAlg(alg string) *Error {
	if d.fapi && !slices.Contains(fapiAlgs, alg) {
		return d.proofError("the proof is signed with %s; FAPI 2.0 allows %s (FAPI 2.0 Security Profile §5.4.1)", alg, strings.Join(fapiAlgs, ", "))
	}
	return nil
}

// fapiRequestObjectAlg refuses a request object algorithm the profile does
// not allow, none included.
func (p *Provider) fapiRequestObjectAlg(alg string) *Error {
	if p.cfg.fapi && !slices.Contains(fapiAlgs, alg) {
		return ErrInvalidRequestObject.WithDescription("the request object is signed with alg %q; FAPI 2.0 allows %s (FAPI 2.0 Security Profile §5.4.1)", alg, strings.Join(fapiAlgs, ", "))
	}
	return nil
}

// fapiRequestObjectTimes requires a request object's nbf, at most 60
// minutes old, and its exp at most 60 minutes after it.
func (p *Provider) fapiRequestObjectTimes(claims jwt.MapClaims) *Error {
	if !p.cfg.fapi {
		return nil
	}
	nbf, _ := claims.GetNotBefore()
	exp, _ := claims.GetExpirationTime()
	switch {
	case nbf == nil:
		return ErrInvalidRequestObject.WithDescription("the request object has no nbf, which FAPI 2.0 requires (FAPI 2.0 Message Signing §5.3)")
	case nbf.Before(p.Now().Add(-fapiRequestObjectWindow)):
		return ErrInvalidRequestObject.WithDescription("the request object's nbf %s is more than 60 minutes before the provider's time %s (FAPI 2.0 Message Signing §5.3)", nbf.UTC().Format(time.RFC3339), p.Now().UTC().Format(time.RFC3339))
	case exp.Sub(nbf.Time) > fapiRequestObjectWindow:
		return ErrInvalidRequestObject.WithDescription("the request object's exp is %v after its nbf; FAPI 2.0 allows at most 60 minutes (FAPI 2.0 Message Signing §5.3)", exp.Sub(nbf.Time))
	}
	return nil
}

// jwtTimeOptions adds to opts the provider's clock and, with the profile,
// a leeway of 10 s for nbf and iat, which must not be further ahead
// (§5.3.2.1 item 13).
func (p *Provider) jwtTimeOptions(opts ...jwt.ParserOption) []jwt.ParserOption {
	opts = append(opts, jwt.WithTimeFunc(p.Now))
	if p.cfg.fapi {
		opts = append(opts, jwt.WithLeeway(fapiLeeway), jwt.WithIssuedAt())
	}
	return opts
}

// fapiRule names item of the profile, for a refusal that the profile
// adds to another rule: "" without it.
func (p *Provider) fapiRule(item string) string {
	if !p.cfg.fapi {
		return ""
	}
	return "; FAPI 2.0 Security Profile " + item
}

// fapiMetadata makes discovery say what the profile allows (§5.3.2.1
// item 1).
func (p *Provider) fapiMetadata(m map[string]any) {
	if !p.cfg.fapi {
		return
	}
	m["response_types_supported"] = []string{responseCode}
	m["code_challenge_methods_supported"] = []string{PKCES256}
	m["require_pushed_authorization_requests"] = true
	for _, k := range []string{"token_endpoint", "revocation_endpoint", "introspection_endpoint"} {
		m[k+"_auth_methods_supported"] = []string{AuthMethodPrivateKeyJWT}
		m[k+"_auth_signing_alg_values_supported"] = fapiAlgs
	}
	m["request_object_signing_alg_values_supported"] = fapiAlgs
	m["dpop_signing_alg_values_supported"] = fapiAlgs
	m["id_token_signing_alg_values_supported"] = []string{p.keys.alg}
}
