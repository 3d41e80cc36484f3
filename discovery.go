package oauthtest

import (
	"encoding/json"
	"net/http"
)

// discoveryJSON builds the discovery document of OIDC Discovery §3 and
// RFC 8414 §2 once per provider, on first request. It advertises exactly
// what the provider serves: endpoints, grants and auth methods come from
// their tables.
func (p *Provider) discoveryJSON() []byte {
	m := map[string]any{
		"issuer":                                           p.issuer,
		"scopes_supported":                                 p.clients.scopes(),
		"response_types_supported":                         []string{responseCode, responseCodeIDToken},
		"response_modes_supported":                         []string{"query", "fragment", "form_post"},
		"grant_types_supported":                            grantNames(),
		"subject_types_supported":                          []string{"public"},
		"id_token_signing_alg_values_supported":            p.signingAlgs(),
		"token_endpoint_auth_methods_supported":            authMethodNames(),
		"token_endpoint_auth_signing_alg_values_supported": assertionAlgs,
		"revocation_endpoint_auth_methods_supported":       authMethodNames(),
		"introspection_endpoint_auth_methods_supported":    confidentialAuthMethods(), // RFC 7662 §2.1
		"claims_supported":                                 supportedClaims(),
		"code_challenge_methods_supported":                 []string{PKCES256, PKCEPlain},
		"claims_parameter_supported":                       true, // OIDC Core §5.5
		"acr_values_supported":                             p.acrValues(),
		"authorization_response_iss_parameter_supported":   true,
		"backchannel_logout_supported":                     true,
		"backchannel_logout_session_supported":             true,
		"dpop_signing_alg_values_supported":                dpopAlgs, // RFC 9449 §5.1
	}
	p.requestMetadata(m) // PAR and request objects: par.go
	if rs := p.clients.resources(); rs != nil {
		m["protected_resources"] = rs // RFC 9728 §4
	}
	for _, e := range endpointTable {
		if e.discovery != "" && p.serves(e.endpoint) {
			m[e.discovery] = p.url(e.endpoint)
		}
	}
	p.discoverRegistration(m)
	p.fapiMetadata(m)                       // fapi.go
	b, _ := json.MarshalIndent(m, "", "  ") // strings, bools and string slices: cannot fail
	return b
}

// signingAlgs lists the algorithms ID tokens are signed with: the
// provider's, RS256, which OIDC Discovery §3 requires of every provider,
// and HS256 when a client uses it.
func (p *Provider) signingAlgs() []string {
	algs := []string{p.keys.alg}
	if p.keys.alg != RS256 {
		algs = append(algs, RS256)
	}
	if p.clients.usesHS256() {
		algs = append(algs, HS256)
	}
	return algs
}

// supportedClaims lists the claims an ID token or userinfo may carry.
func supportedClaims() []string {
	claims := []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "c_hash", "acr", "amr"}
	for _, scope := range []string{"profile", "email", "address", "phone"} {
		claims = append(claims, scopeClaims[scope]...)
	}
	return claims
}

// handleDiscovery serves the discovery document at both well-known paths.
func (p *Provider) handleDiscovery(x *call) { p.serveDocument(x, p.discovery.get(p, buildDiscovery)) }

// handleJWKS serves the keys that verify the provider's tokens.
func (p *Provider) handleJWKS(x *call) { p.serveDocument(x, p.keys.document()) }

// serveDocument answers GET and HEAD with a JSON document.
func (p *Provider) serveDocument(x *call, doc []byte) {
	if p.fault(x, x.jsonError) {
		return
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.WriteHeader(http.StatusOK)
	_, _ = x.w.Write(doc)
}

// buildDiscovery is discoveryJSON, set by init: the endpoint table names
// handleDiscovery, and discoveryJSON reads the table.
var buildDiscovery func(*Provider) []byte

func init() { buildDiscovery = (*Provider).discoveryJSON }
