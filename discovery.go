package oauthtest

import (
	"encoding/json"
	"net/http"
)

// metadata is the discovery document of OIDC Discovery §3 and RFC 8414 §2.
// It advertises exactly what the provider serves.
type metadata struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	IntrospectionEndpoint             string   `json:"introspection_endpoint"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	RevocationAuthMethodsSupported    []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionAuthMethodsSupported []string `json:"introspection_endpoint_auth_methods_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClaimsParameterSupported          bool     `json:"claims_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
}

// discoveryJSON builds the document once per provider, on first request.
func (p *Provider) discoveryJSON() []byte {
	authMethods := []string{AuthMethodBasic, AuthMethodPost, AuthMethodNone}
	m := metadata{
		Issuer:                            p.issuer,
		AuthorizationEndpoint:             p.AuthURL(),
		TokenEndpoint:                     p.TokenURL(),
		UserinfoEndpoint:                  p.UserinfoURL(),
		JWKSURI:                           p.JWKSURL(),
		RevocationEndpoint:                p.RevocationURL(),
		IntrospectionEndpoint:             p.IntrospectionURL(),
		ScopesSupported:                   p.clients.scopes(),
		ResponseTypesSupported:            []string{responseCode, responseCodeIDToken},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		GrantTypesSupported:               grantNames(),
		SubjectTypesSupported:             []string{"public"},
		IDTokenSigningAlgValuesSupported:  p.signingAlgs(),
		TokenEndpointAuthMethodsSupported: authMethods,
		RevocationAuthMethodsSupported:    authMethods,
		IntrospectionAuthMethodsSupported: []string{AuthMethodBasic, AuthMethodPost}, // confidential clients only
		ClaimsSupported:                   supportedClaims(),
		CodeChallengeMethodsSupported:     []string{PKCES256, PKCEPlain},
		AuthorizationResponseIssParameter: true,
	}
	b, _ := json.MarshalIndent(m, "", "  ") // only strings and bools: cannot fail
	return b
}

// signingAlgs lists the algorithms ID tokens are signed with.
func (p *Provider) signingAlgs() []string {
	if p.clients.usesHS256() {
		return []string{p.keys.alg, HS256}
	}
	return []string{p.keys.alg}
}

// supportedClaims lists the claims an ID token or userinfo may carry.
func supportedClaims() []string {
	claims := []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash"}
	for _, scope := range []string{"profile", "email", "address", "phone"} {
		claims = append(claims, scopeClaims[scope]...)
	}
	return claims
}

// handleDiscovery serves the discovery document at both well-known paths.
func (p *Provider) handleDiscovery(x *exchange) { p.serveDocument(x, p.discovery()) }

// handleJWKS serves the keys that verify the provider's tokens.
func (p *Provider) handleJWKS(x *exchange) { p.serveDocument(x, p.keys.document()) }

// serveDocument answers GET and HEAD with a JSON document.
func (p *Provider) serveDocument(x *exchange, doc []byte) {
	if x.r.Method != http.MethodGet && x.r.Method != http.MethodHead {
		x.w.Header().Set("Allow", "GET, HEAD")
		x.jsonError(ErrInvalidRequest.WithDescription("this document is read with GET, not %s", x.r.Method).withStatus(http.StatusMethodNotAllowed))
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(doc)
}
