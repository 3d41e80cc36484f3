package oauthtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// clientMetadata is what a client says about itself when it registers
// (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2,
// RP-Initiated and Back-Channel Logout) or publishes at its client_id URL
// (a client ID metadata document). Members the provider does not know are
// ignored (RFC 7591 §2). Once registered, it holds the values in force,
// defaults filled in, as the Client Information Response returns them.
type clientMetadata struct {
	RedirectURIs                     []string        `json:"redirect_uris,omitempty"`
	TokenEndpointAuthMethod          string          `json:"token_endpoint_auth_method,omitempty"`
	GrantTypes                       []string        `json:"grant_types,omitempty"`
	ResponseTypes                    []string        `json:"response_types,omitempty"`
	ClientName                       string          `json:"client_name,omitempty"`
	ClientURI                        string          `json:"client_uri,omitempty"`
	LogoURI                          string          `json:"logo_uri,omitempty"`
	Scope                            string          `json:"scope,omitempty"`
	Contacts                         []string        `json:"contacts,omitempty"`
	TosURI                           string          `json:"tos_uri,omitempty"`
	PolicyURI                        string          `json:"policy_uri,omitempty"`
	JWKSURI                          string          `json:"jwks_uri,omitempty"`
	JWKS                             json.RawMessage `json:"jwks,omitempty"`
	SoftwareID                       string          `json:"software_id,omitempty"`
	SoftwareVersion                  string          `json:"software_version,omitempty"`
	ApplicationType                  string          `json:"application_type,omitempty"`
	IDTokenSignedResponseAlg         string          `json:"id_token_signed_response_alg,omitempty"`
	PostLogoutRedirectURIs           []string        `json:"post_logout_redirect_uris,omitempty"`
	BackchannelLogoutURI             string          `json:"backchannel_logout_uri,omitempty"`
	BackchannelLogoutSessionRequired bool            `json:"backchannel_logout_session_required,omitempty"`
}

// metadataRequest is the JSON body of a registration or update request, or
// a client ID metadata document: the metadata, and the members that are
// not metadata, read to check them. The raw members are nil when absent.
type metadataRequest struct {
	clientMetadata
	SoftwareStatement       string          `json:"software_statement"`
	ClientID                string          `json:"client_id"`
	ClientSecret            string          `json:"client_secret"`
	ClientSecretExpiresAt   json.RawMessage `json:"client_secret_expires_at"`
	ClientIDIssuedAt        json.RawMessage `json:"client_id_issued_at"`
	RegistrationAccessToken json.RawMessage `json:"registration_access_token"`
	RegistrationClientURI   json.RawMessage `json:"registration_client_uri"`
}

// decodeMetadata reads a JSON object of client metadata. A member of the
// wrong JSON type is refused, naming the member; a software statement's
// claims replace the members they name (RFC 7591 §2.3, §3.1.1).
func (p *Provider) decodeMetadata(body []byte) (metadataRequest, *Error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return metadataRequest{}, ErrInvalidClientMetadata.WithDescription("the body is not a JSON object of client metadata (RFC 7591 §3.1): %s", jsonProblem(err))
	}
	if raw, ok := members["software_statement"]; ok {
		if err := p.applySoftwareStatement(raw, members); err != nil {
			return metadataRequest{}, err
		}
		body, _ = json.Marshal(members) // decoded JSON values: cannot fail
	}
	var req metadataRequest
	if err := json.Unmarshal(body, &req); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			code := ErrInvalidClientMetadata
			if strings.Contains(te.Field, "redirect_uris") {
				code = ErrInvalidRedirectURI
			}
			return metadataRequest{}, code.WithDescription("%s must be a JSON %s, not %s (RFC 7591 §2)", te.Field, goKindInJSON(te.Type.Kind().String()), te.Value)
		}
		return metadataRequest{}, ErrInvalidClientMetadata.WithDescription("the client metadata does not parse: %v", err)
	}
	return req, nil
}

func jsonProblem(err error) string {
	if err == nil {
		return "it is not an object"
	}
	return err.Error()
}

// goKindInJSON names a Go kind as JSON does.
func goKindInJSON(kind string) string {
	switch kind {
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	case "int64", "int", "float64":
		return "number"
	}
	return kind
}

// applySoftwareStatement verifies a software statement (RFC 7591 §2.3): a
// JWT signed by an issuer the provider trusts (WithTrustedIssuer), whose
// claims then take precedence over the plain metadata (§3.1.1).
func (p *Provider) applySoftwareStatement(raw json.RawMessage, members map[string]json.RawMessage) *Error {
	var stmt string
	if err := json.Unmarshal(raw, &stmt); err != nil {
		return ErrInvalidSoftwareStatement.WithDescription("software_statement must be a JWT in a JSON string (RFC 7591 §2.3)")
	}
	var unverified jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(stmt, &unverified); err != nil {
		return ErrInvalidSoftwareStatement.WithDescription("software_statement is not a JWT (RFC 7591 §2.3): %v", err)
	}
	iss, _ := unverified["iss"].(string)
	if _, ok := p.cfg.trusted[iss]; !ok {
		return ErrUnapprovedSoftwareStatement.WithDescription("the software statement's issuer %q is not trusted here; trust it with WithTrustedIssuer (RFC 7591 §2.3)", iss)
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(stmt, claims, func(t *jwt.Token) (any, error) {
		return jwt.VerificationKeySet{Keys: p.trustedKeys(iss)(t.Method.Alg())}, nil
	}, jwt.WithValidMethods(assertionAlgs), jwt.WithTimeFunc(p.Now))
	if err != nil {
		return ErrInvalidSoftwareStatement.WithDescription("the software statement does not verify with the keys of %q: %v", iss, err)
	}
	for k, v := range claims {
		if k != "iss" && k != "iat" && k != "exp" && k != "nbf" && k != "jti" && k != "aud" {
			members[k], _ = json.Marshal(v) // decoded JSON values: cannot fail
		}
	}
	return nil
}

// Response types a client may register (RFC 7591 §2, OIDC Core §3).
var registrableResponseTypes = []string{responseCode, responseCodeIDToken}

// grantImplicit is the grant type RFC 7591 §2.1 pairs with response types
// that return tokens from the authorization endpoint.
const grantImplicit = "implicit"

// metadataClient checks md as static registration checks a Client (the
// rules of Client.validate, each error with its RFC 7591 §3.2.2 code) and
// returns the client it describes, with this id and secret, and md with
// its defaults filled in. keys come from md.JWKS or md.JWKSURI.
func (p *Provider) metadataClient(md clientMetadata, id, secret string) (Client, clientMetadata, *Error) {
	md.TokenEndpointAuthMethod = cmpOr(md.TokenEndpointAuthMethod, AuthMethodBasic) // RFC 7591 §2
	md.GrantTypes = cloneOr(md.GrantTypes, []string{GrantAuthorizationCode})
	if len(md.ResponseTypes) == 0 && slices.Contains(md.GrantTypes, GrantAuthorizationCode) {
		md.ResponseTypes = []string{responseCode}
	}
	for _, check := range []func(clientMetadata) *Error{checkMetadataRedirects, checkMetadataTypes, checkMetadataURLs, checkMetadataMisc} {
		if err := check(md); err != nil {
			return Client{}, md, err
		}
	}
	c := Client{
		ID: id, Secret: secret, Public: md.TokenEndpointAuthMethod == AuthMethodNone,
		RedirectURIs: md.RedirectURIs, Scopes: strings.Fields(md.Scope), AuthMethods: []string{md.TokenEndpointAuthMethod},
		PostLogoutRedirectURIs: md.PostLogoutRedirectURIs, BackchannelLogoutURI: md.BackchannelLogoutURI,
		GrantTypes: slices.DeleteFunc(slices.Clone(md.GrantTypes), func(g string) bool { return g == grantImplicit }),
	}
	var err *Error
	if c.PublicKeys, err = p.metadataKeys(md); err != nil {
		return Client{}, md, err
	}
	if c.SigningAlg, err = p.signingAlgFor(md.IDTokenSignedResponseAlg); err != nil {
		return Client{}, md, err
	}
	if err := c.validate(); err != nil {
		return Client{}, md, ErrInvalidClientMetadata.WithDescription("%v", err)
	}
	md.Scope = strings.Join(c.Scopes, " ")
	return c, md, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkMetadataRedirects applies the redirect URI rules of static clients
// to redirect_uris and post_logout_redirect_uris, and requires redirect
// URIs of a client that uses the authorization endpoint (OIDC Dynamic
// Client Registration §2; RFC 9700 §4.1.3 wants them registered).
func checkMetadataRedirects(md clientMetadata) *Error {
	for _, u := range append(slices.Clone(md.RedirectURIs), md.PostLogoutRedirectURIs...) {
		if err := checkRedirectURI(u); err != nil {
			return ErrInvalidRedirectURI.WithDescription("%v", err)
		}
	}
	if len(md.RedirectURIs) == 0 && slices.Contains(md.GrantTypes, GrantAuthorizationCode) {
		return ErrInvalidRedirectURI.WithDescription("redirect_uris is required with the authorization_code grant: the provider matches redirect URIs exactly (OIDC Dynamic Client Registration §2, RFC 9700 §4.1.3)")
	}
	return nil
}

// checkMetadataTypes checks the auth method and the agreement of
// grant_types with response_types (RFC 7591 §2.1).
func checkMetadataTypes(md clientMetadata) *Error {
	if !slices.Contains(authMethodNames(), md.TokenEndpointAuthMethod) {
		return ErrInvalidClientMetadata.WithDescription("token_endpoint_auth_method %q is not supported; supported: %s", md.TokenEndpointAuthMethod, strings.Join(authMethodNames(), ", "))
	}
	for _, g := range md.GrantTypes {
		if g != grantImplicit && findGrant(g) == nil {
			return ErrInvalidClientMetadata.WithDescription("grant type %q is not supported; supported: %s", g, strings.Join(grantNames(), ", "))
		}
	}
	needs := map[string]bool{}
	for _, rt := range md.ResponseTypes {
		if !slices.Contains(registrableResponseTypes, normalizeResponseType(rt)) {
			return ErrInvalidClientMetadata.WithDescription("response type %q is not supported; supported: %s", rt, quoteList(registrableResponseTypes))
		}
		for _, part := range strings.Fields(rt) {
			g := map[string]string{"code": GrantAuthorizationCode, "id_token": grantImplicit}[part]
			needs[g] = true
			if !slices.Contains(md.GrantTypes, g) {
				return ErrInvalidClientMetadata.WithDescription("response type %q needs grant type %q in grant_types (RFC 7591 §2.1)", rt, g)
			}
		}
	}
	for _, g := range []string{GrantAuthorizationCode, grantImplicit} {
		if slices.Contains(md.GrantTypes, g) && !needs[g] {
			return ErrInvalidClientMetadata.WithDescription("grant type %q needs a response type that uses it in response_types (RFC 7591 §2.1)", g)
		}
	}
	return nil
}

// checkMetadataURLs checks the URLs a provider would show or link to: http
// or https, absolute, never javascript: or data: (draft-ietf-oauth-client-
// id-metadata-document §8.6 warns of such schemes).
func checkMetadataURLs(md clientMetadata) *Error {
	for _, f := range [...]struct{ name, value string }{
		{"client_uri", md.ClientURI}, {"logo_uri", md.LogoURI}, {"tos_uri", md.TosURI}, {"policy_uri", md.PolicyURI},
	} {
		if f.value == "" {
			continue
		}
		if u, err := url.Parse(f.value); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !isURIText(f.value) {
			return ErrInvalidClientMetadata.WithDescription("%s %q must be an absolute http or https URL (RFC 7591 §2)", f.name, f.value)
		}
	}
	if md.BackchannelLogoutURI != "" {
		if err := checkBackchannelURI(md.BackchannelLogoutURI); err != nil {
			return ErrInvalidClientMetadata.WithDescription("%v (Back-Channel Logout 1.0 §2.2)", err)
		}
	}
	return nil
}

// checkMetadataMisc checks contacts, scope, application_type and keys.
func checkMetadataMisc(md clientMetadata) *Error {
	for _, c := range md.Contacts {
		if strings.TrimSpace(c) == "" || strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return ErrInvalidClientMetadata.WithDescription("contacts holds %q: each contact is a non-empty string, typically an email address (RFC 7591 §2)", c)
		}
	}
	for _, s := range strings.Fields(md.Scope) {
		if strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r == '"' || r == '\\' || r > 0x7e }) {
			return ErrInvalidClientMetadata.WithDescription("scope %q holds a character a scope token cannot (RFC 6749 §3.3)", s)
		}
	}
	switch {
	case md.ApplicationType != "" && md.ApplicationType != "web" && md.ApplicationType != "native":
		return ErrInvalidClientMetadata.WithDescription("application_type %q is neither web nor native (OIDC Dynamic Client Registration §2)", md.ApplicationType)
	case len(md.JWKS) > 0 && md.JWKSURI != "":
		return ErrInvalidClientMetadata.WithDescription("jwks and jwks_uri are both present; send one (RFC 7591 §2)")
	case md.TokenEndpointAuthMethod == AuthMethodPrivateKeyJWT && len(md.JWKS) == 0 && md.JWKSURI == "":
		return ErrInvalidClientMetadata.WithDescription("token_endpoint_auth_method private_key_jwt needs the client's public keys in jwks or jwks_uri (RFC 7591 §2)")
	}
	return nil
}

// metadataKeys reads the client's public keys from jwks, or fetches them
// from jwks_uri.
func (p *Provider) metadataKeys(md clientMetadata) ([]crypto.PublicKey, *Error) {
	raw, what := []byte(md.JWKS), "jwks"
	if md.JWKSURI != "" {
		b, err := p.fetchDocument(md.JWKSURI, maxJWKSBytes, "application/jwk-set+json")
		if err != nil {
			return nil, ErrInvalidClientMetadata.WithDescription("jwks_uri %q: %v", md.JWKSURI, err)
		}
		raw, what = b, "the JWK Set at jwks_uri"
	}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	keys, err := parseJWKS(raw)
	if err != nil {
		return nil, ErrInvalidClientMetadata.WithDescription("%s: %v", what, err)
	}
	return keys, nil
}

// signingAlgFor maps id_token_signed_response_alg to Client.SigningAlg.
func (p *Provider) signingAlgFor(alg string) (string, *Error) {
	switch alg {
	case "", p.keys.alg:
		return "", nil
	case RS256, HS256:
		return alg, nil
	}
	supported := slices.Compact([]string{p.keys.alg, RS256, HS256})
	return "", ErrInvalidClientMetadata.WithDescription("id_token_signed_response_alg %q is not supported; supported: %s (OIDC Dynamic Client Registration §2)", alg, strings.Join(supported, ", "))
}

// clientJWK is a JSON Web Key as a client publishes it (RFC 7517 §4,
// RFC 7518 §6): the public members read, the private ones to refuse.
type clientJWK struct {
	Kty, Use, Crv, N, E, X, Y string
	D, P, Q, DP, DQ, QI, K    string
}

// parseJWKS reads the signing keys of a JWK Set (RFC 7517 §5): RSA of at
// least 2048 bits, EC P-256 or Ed25519, as assertionAlg accepts them. Keys
// marked "use": "enc" are skipped; private key material is refused.
func parseJWKS(raw []byte) ([]crypto.PublicKey, error) {
	var set struct {
		Keys []clientJWK `json:"keys"`
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("not a JWK Set, a JSON object with a \"keys\" array (RFC 7517 §5): %v", err)
	}
	var keys []crypto.PublicKey
	for i, j := range set.Keys {
		if j.Use == "enc" {
			continue
		}
		k, err := j.publicKey()
		if err == nil {
			_, err = assertionAlg(k)
		}
		if err != nil {
			return nil, fmt.Errorf("key %d: %v", i, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("holds no signing key (RFC 7517 §5)")
	}
	return keys, nil
}

// publicKey decodes j. Nothing is computed: the members are the key.
func (j clientJWK) publicKey() (crypto.PublicKey, error) {
	if j.D != "" || j.P != "" || j.Q != "" || j.DP != "" || j.DQ != "" || j.QI != "" || j.K != "" {
		return nil, errors.New("holds private or symmetric key material; publish public keys only (RFC 7591 §2, draft-ietf-oauth-client-id-metadata-document §4.1)")
	}
	switch {
	case j.Kty == "RSA":
		n, err1 := base64.RawURLEncoding.DecodeString(j.N)
		e, err2 := base64.RawURLEncoding.DecodeString(j.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("an RSA key needs n and e in unpadded base64url (RFC 7518 §6.3.1)")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	case j.Kty == "EC" && j.Crv == "P-256":
		x, err1 := base64.RawURLEncoding.DecodeString(j.X)
		y, err2 := base64.RawURLEncoding.DecodeString(j.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("a P-256 key needs x and y of 32 bytes each in unpadded base64url (RFC 7518 §6.2.1)")
		}
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, fmt.Errorf("the P-256 key is not a point of the curve: %v", err)
		}
		return k, nil
	case j.Kty == "OKP" && j.Crv == "Ed25519":
		x, err := base64.RawURLEncoding.DecodeString(j.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("an Ed25519 key needs x of 32 bytes in unpadded base64url (RFC 8037 §2)")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, fmt.Errorf("kty %q (crv %q) is not supported; use RSA, EC with P-256 or OKP with Ed25519", j.Kty, j.Crv)
}
