package oauthtest

import (
	"crypto"
	"crypto/subtle"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Token endpoint client authentication methods (RFC 8414 §2, RFC 7591 §2,
// OIDC Core §9).
const (
	AuthMethodBasic         = "client_secret_basic" // HTTP Basic with client_id and client_secret
	AuthMethodPost          = "client_secret_post"  // client_id and client_secret in the form body
	AuthMethodNone          = "none"                // public client: client_id only, PKCE required
	AuthMethodPrivateKeyJWT = "private_key_jwt"     // a JWT signed with the client's private key (RFC 7523 §2.2)
	AuthMethodSecretJWT     = "client_secret_jwt"   // a JWT signed with HS256 and the client's secret
)

// authMethodNames lists every client authentication method, for discovery.
func authMethodNames() []string {
	return []string{AuthMethodBasic, AuthMethodPost, AuthMethodNone, AuthMethodPrivateKeyJWT, AuthMethodSecretJWT}
}

// confidentialAuthMethods are the methods that prove a client's identity.
func confidentialAuthMethods() []string {
	return []string{AuthMethodBasic, AuthMethodPost, AuthMethodPrivateKeyJWT, AuthMethodSecretJWT}
}

// The default client of a provider built without options (WithoutDefaultClient removes it).
const (
	DefaultClientID     = "oauthtest-client"
	DefaultClientSecret = "oauthtest-secret"
)

// DefaultScopes returns the scopes a client may request when its Scopes
// are not set: the OpenID Connect scopes of OIDC Core §5.4 plus
// offline_access. Each call returns a new slice.
func DefaultScopes() []string {
	return []string{"openid", "profile", "email", "address", "phone", "offline_access"}
}

// Client is an OAuth 2.0 client registered with the provider.
type Client struct {
	// ID is the client_id. Required.
	ID string
	// Secret is the client_secret of a confidential client. Required unless
	// Public is set (then forbidden) or the client authenticates with
	// PublicKeys alone.
	Secret string
	// Public marks a client that cannot keep a secret (RFC 6749 §2.1): it
	// authenticates with client_id only and must use PKCE.
	Public bool
	// RedirectURIs are matched exactly, as strings (RFC 9700 §4.1.3): https
	// or http URIs, or a native app's private-use URI scheme such as
	// com.example.app:/oauth2redirect (RFC 8252 §7.1). javascript:, data:,
	// vbscript: and file: URIs are refused. When empty, any loopback URI is
	// accepted: http or https on 127.0.0.1, [::1] or localhost, any port and
	// path (RFC 8252 §7.3).
	RedirectURIs []string
	// Scopes the client may request; DefaultScopes() when empty.
	Scopes []string
	// AuthMethods are the token endpoint authentication methods the client
	// may use. When empty: AuthMethodBasic and AuthMethodPost for a
	// confidential client (and AuthMethodPrivateKeyJWT when it has
	// PublicKeys), AuthMethodNone for a public one.
	AuthMethods []string
	// PublicKeys verify the client's assertions for AuthMethodPrivateKeyJWT:
	// *rsa.PublicKey (RS256), *ecdsa.PublicKey on P-256 (ES256) or
	// ed25519.PublicKey (EdDSA).
	PublicKeys []crypto.PublicKey
	// PostLogoutRedirectURIs are where the end_session_endpoint may send
	// the browser after logout (RP-Initiated Logout 1.0), matched exactly.
	// When empty, a client that registers no RedirectURIs accepts any
	// loopback URI; others none.
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI receives a logout token when a session the
	// client logged in to ends (Back-Channel Logout 1.0); its ID tokens
	// then carry sid.
	BackchannelLogoutURI string
	// ExchangeFrom lists the clients whose tokens this client may exchange
	// (GrantTokenExchange) though it is not their audience, as a real
	// deployment permits a gateway to exchange its front end's tokens
	// (Keycloak's token-exchange permission). A client may always exchange
	// a token issued to it or naming it in its aud; any other is refused
	// with invalid_request (RFC 8693 §2.2.2).
	ExchangeFrom []string
	// Resources are the resource indicators (RFC 8707) the client may ask
	// tokens for with the resource parameter, at the authorization and
	// token endpoints: absolute URIs without a fragment. Any other is
	// refused with invalid_target. When empty, any absolute URI is
	// accepted. The audience parameter of token exchange and client
	// credentials is a name, not a resource, and is not restricted.
	Resources []string
	// GrantTypes are the grant types the client may use at the token
	// endpoint (GrantAuthorizationCode, GrantClientCredentials...); others
	// get unauthorized_client. When empty: GrantAuthorizationCode and
	// GrantRefreshToken. Public clients may not use GrantClientCredentials
	// or GrantTokenExchange.
	GrantTypes []string
	// Lifetimes override the provider's for this client where not zero.
	Lifetimes Lifetimes
	// SigningAlg is how the client's tokens are signed: "" with the
	// provider's key; RS256 with an RSA key of the provider's JWKS even
	// when its algorithm is ES256 or EdDSA (OIDC requires RS256 of every
	// provider); or HS256 with the client's Secret, which the client then
	// verifies them with (OIDC Core §10.1), for confidential clients only.
	// go-oidc verifies ID tokens with the provider's published keys only
	// and refuses HS256: verify such tokens with golang-jwt and the secret
	// (see the Client example).
	SigningAlg string
	// DPoPBoundAccessTokens requires a DPoP proof with each of the client's
	// token requests, as the client metadata dpop_bound_access_tokens
	// does (RFC 9449 §5.2): a request without one gets invalid_dpop_proof.
	// WithDPoPRequired requires it of every client.
	DPoPBoundAccessTokens bool
	// RequirePushedAuthorizationRequests makes the client push its
	// authorization requests (RFC 9126 §5): the authorization endpoint
	// refuses its requests without a request_uri of PushedAuthorizationURL.
	RequirePushedAuthorizationRequests bool
	// RequestObjectSigningAlg is the only algorithm the client's request
	// objects (RFC 9101) may be signed with: RS256, PS256, ES256 or EdDSA
	// with a key of PublicKeys, HS256 with Secret, or "none" for unsigned
	// ones, refused otherwise. When empty, any of them but "none".
	RequestObjectSigningAlg string
	// RequireSignedRequestObject makes the client send its authorization
	// parameters in a signed request object, by value or pushed
	// (require_signed_request_object, RFC 9101 §10.5).
	RequireSignedRequestObject bool
}

// validate fills the defaults of c and reports what is wrong with it.
func (c *Client) validate() error {
	if c.ID == "" {
		return fmt.Errorf("client has no ID")
	}
	switch {
	case c.Public && c.Secret != "":
		return fmt.Errorf("client %q is public and must not have a secret", c.ID)
	case !c.Public && c.Secret == "" && len(c.PublicKeys) == 0:
		return fmt.Errorf("client %q is confidential and needs a Secret or PublicKeys (or set Public)", c.ID)
	}
	for _, u := range append(slices.Clone(c.RedirectURIs), c.PostLogoutRedirectURIs...) {
		if err := checkRedirectURI(u); err != nil {
			return fmt.Errorf("client %q: %v", c.ID, err)
		}
	}
	if c.BackchannelLogoutURI != "" {
		if err := checkBackchannelURI(c.BackchannelLogoutURI); err != nil {
			return fmt.Errorf("client %q: %v", c.ID, err)
		}
	}
	switch {
	case c.SigningAlg != "" && c.SigningAlg != HS256 && c.SigningAlg != RS256:
		return fmt.Errorf("client %q: SigningAlg %q is not supported; use HS256 or RS256, or leave it empty for the provider's algorithm", c.ID, c.SigningAlg)
	case c.SigningAlg == HS256 && c.Public:
		return fmt.Errorf("client %q is public: it has no secret to sign HS256 tokens with", c.ID)
	case c.SigningAlg == HS256 && c.Secret == "":
		return fmt.Errorf("client %q has no Secret to sign HS256 tokens with: signed with an empty key, anyone could forge them (OIDC Core §10.1)", c.ID)
	}
	if err := c.Lifetimes.validate(); err != nil {
		return fmt.Errorf("client %q: %v", c.ID, err)
	}
	if err := c.validateRequestObjects(); err != nil { // request_object.go
		return err
	}
	for _, r := range c.Resources {
		if err := checkResourceURI(r); err != nil {
			return fmt.Errorf("client %q: %s", c.ID, err.ErrorDescription)
		}
	}
	c.Scopes = cloneOr(c.Scopes, DefaultScopes())
	c.RedirectURIs, c.PostLogoutRedirectURIs = slices.Clone(c.RedirectURIs), slices.Clone(c.PostLogoutRedirectURIs)
	c.ExchangeFrom, c.Resources = slices.Clone(c.ExchangeFrom), slices.Clone(c.Resources)
	if err := c.validateGrantTypes(); err != nil {
		return err
	}
	return c.validateAuthMethods()
}

func (c *Client) validateGrantTypes() error {
	c.GrantTypes = cloneOr(c.GrantTypes, defaultGrantTypes())
	for _, name := range c.GrantTypes {
		gt := findGrant(name)
		switch {
		case gt == nil:
			return fmt.Errorf("client %q: grant type %q is not supported; supported: %s", c.ID, name, strings.Join(grantNames(), ", "))
		case c.Public && !gt.public:
			return fmt.Errorf("client %q is public and cannot use grant type %q, which needs a confidential client", c.ID, name)
		}
	}
	return nil
}

func (c *Client) validateAuthMethods() error {
	switch {
	case c.Public:
		c.AuthMethods = cloneOr(c.AuthMethods, []string{AuthMethodNone})
	case c.Secret == "":
		c.AuthMethods = cloneOr(c.AuthMethods, []string{AuthMethodPrivateKeyJWT})
	case len(c.PublicKeys) > 0:
		c.AuthMethods = cloneOr(c.AuthMethods, []string{AuthMethodBasic, AuthMethodPost, AuthMethodPrivateKeyJWT})
	default:
		c.AuthMethods = cloneOr(c.AuthMethods, []string{AuthMethodBasic, AuthMethodPost})
	}
	for _, m := range c.AuthMethods {
		switch {
		case !slices.Contains(authMethodNames(), m):
			return fmt.Errorf("client %q: auth method %q is not one of %s", c.ID, m, strings.Join(authMethodNames(), ", "))
		case c.Public != (m == AuthMethodNone):
			return fmt.Errorf("client %q: auth method %q does not fit a %s client", c.ID, m, c.kind())
		case m == AuthMethodPrivateKeyJWT && len(c.PublicKeys) == 0:
			return fmt.Errorf("client %q: auth method %q needs PublicKeys to verify the client's assertions", c.ID, m)
		case m != AuthMethodNone && m != AuthMethodPrivateKeyJWT && c.Secret == "":
			return fmt.Errorf("client %q: auth method %q needs a Secret", c.ID, m)
		}
	}
	for _, k := range c.PublicKeys {
		if _, err := assertionAlg(k); err != nil {
			return fmt.Errorf("client %q: %v", c.ID, err)
		}
	}
	return nil
}

func (c *Client) kind() string {
	if c.Public {
		return "public"
	}
	return "confidential"
}

// refusedSchemes run code or read local files where a browser is sent:
// never a redirect URI (RFC 9700 §4.1).
var refusedSchemes = []string{"javascript", "data", "vbscript", "file"}

// checkRedirectURI checks a redirect URI at registration: absolute, without
// a fragment (RFC 6749 §3.1.2), of URI characters only, http(s) with a
// host, or a private-use scheme of a native app (RFC 8252 §7.1), but never a
// scheme that runs code or reads files. Each error names the rule broken.
func checkRedirectURI(raw string) error {
	if !isURIText(raw) {
		return fmt.Errorf("redirect URI %q holds characters a URI cannot (spaces, quotes, non-ASCII...): percent-encode them (RFC 3986 §2)", raw)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("redirect URI %q does not parse: %v", raw, err)
	case !u.IsAbs():
		return fmt.Errorf("redirect URI %q is not absolute: it needs a scheme such as https: (RFC 6749 §3.1.2)", raw)
	case strings.Contains(raw, "#"):
		return fmt.Errorf("redirect URI %q has a fragment (RFC 6749 §3.1.2)", raw)
	case slices.Contains(refusedSchemes, strings.ToLower(u.Scheme)):
		return fmt.Errorf("redirect URI %q uses the %s: scheme, which runs code or reads local files in the browser; register an https, loopback or private-use (com.example.app:/callback) URI", raw, u.Scheme)
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host == "":
		return fmt.Errorf("redirect URI %q has no host: write %s://HOST/PATH", raw, u.Scheme)
	case u.Host == "" && u.Opaque == "" && u.Path == "":
		return fmt.Errorf("redirect URI %q has nothing after its scheme: a native app's is like com.example.app:/oauth2redirect (RFC 8252 §7.1)", raw)
	}
	return nil
}

// allowsRedirect reports whether uri is one of c's redirect URIs: an exact
// string match, or any loopback URI when c registers none.
func (c *Client) allowsRedirect(uri string) bool {
	if len(c.RedirectURIs) == 0 {
		return isLoopbackURI(uri)
	}
	return slices.Contains(c.RedirectURIs, uri)
}

// registeredRedirects describes c's redirect URIs for error messages.
func (c *Client) registeredRedirects() string {
	if len(c.RedirectURIs) == 0 {
		return "any loopback URI (http://127.0.0.1:PORT/PATH, http://[::1]:PORT/PATH or http://localhost:PORT/PATH)"
	}
	return quoteList(c.RedirectURIs)
}

// isLoopbackURI accepts http(s) URIs on a loopback host with no fragment
// and no user information (RFC 8252 §7.3).
func isLoopbackURI(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || !isURIText(raw) || strings.Contains(raw, "#") || u.User != nil || u.Opaque != "" {
		return false
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isURIText reports whether s holds only the characters RFC 3986 allows in
// a URI: unreserved, reserved and '%'. Anything else (spaces, quotes,
// non-ASCII) would be re-encoded on the way out, to a URI other than the
// one checked.
func isURIText(s string) bool {
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}", c) >= 0 {
			return false
		}
	}
	return true
}

// checkScopes refuses the first scope c may not request.
func (c *Client) checkScopes(scopes []string) *Error {
	for _, s := range scopes {
		if !c.allowsScope(s) {
			return ErrInvalidScope.WithDescription("scope %q is not allowed for client %q; allowed: %s", s, c.ID, strings.Join(c.Scopes, " "))
		}
	}
	return nil
}

// allowsScope reports whether c may request scope.
func (c *Client) allowsScope(scope string) bool { return slices.Contains(c.Scopes, scope) }

// checkSecret compares secret with c's in constant time.
func (c *Client) checkSecret(secret string) bool {
	return subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) == 1
}

// clientStore holds the registered clients.
type clientStore struct {
	mu            sync.RWMutex // guards clients and registrations
	clients       map[string]Client
	registrations map[string]registration // the clients registered dynamically (registration.go)
	changed       changeLog               // of registrations; the write lock guards it
}

// get returns the client with the given ID. Its slices are shared and must
// not be modified.
func (s *clientStore) get(id string) (Client, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.clients[id]
	return c, ok
}

// ids returns the registered client IDs, sorted, for error messages.
func (s *clientStore) ids() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.clients))
	for id := range s.clients {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Clients returns the registered clients, sorted by ID: copies.
func (p *Provider) Clients() []Client {
	var out []Client
	for _, id := range p.clients.ids() {
		c, _ := p.clients.get(id)
		c.RedirectURIs, c.Scopes, c.AuthMethods = slices.Clone(c.RedirectURIs), slices.Clone(c.Scopes), slices.Clone(c.AuthMethods)
		c.GrantTypes, c.PublicKeys = slices.Clone(c.GrantTypes), slices.Clone(c.PublicKeys)
		c.PostLogoutRedirectURIs, c.ExchangeFrom, c.Resources = slices.Clone(c.PostLogoutRedirectURIs), slices.Clone(c.ExchangeFrom), slices.Clone(c.Resources)
		out = append(out, c)
	}
	return out
}

// usesHS256 reports whether some client's tokens are signed with HS256.
func (s *clientStore) usesHS256() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.clients {
		if c.SigningAlg == HS256 {
			return true
		}
	}
	return false
}

// scopes returns every scope some client may request: DefaultScopes first,
// then the others in sorted order.
func (s *clientStore) scopes() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	defaults := DefaultScopes()
	var extra []string
	for _, c := range s.clients {
		for _, sc := range c.Scopes {
			if !slices.Contains(defaults, sc) && !slices.Contains(extra, sc) {
				extra = append(extra, sc)
			}
		}
	}
	slices.Sort(extra)
	return append(defaults, extra...)
}

// resources returns the resources the clients list in their Resources,
// sorted: the protected_resources of discovery (RFC 9728 §4). It is nil
// when some client lists none, and so may ask for any: then the set is
// not enumerable.
func (s *clientStore) resources() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var all []string
	for _, c := range s.clients {
		if len(c.Resources) == 0 {
			return nil
		}
		for _, r := range c.Resources {
			if !slices.Contains(all, r) {
				all = append(all, r)
			}
		}
	}
	slices.Sort(all)
	return all
}

func cloneOr(s, def []string) []string {
	if len(s) == 0 {
		return slices.Clone(def)
	}
	return slices.Clone(s)
}

// quoteList writes ss as "a", "b", "c".
func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
