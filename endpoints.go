package oauthtest

import (
	"fmt"
	"net/http"
	"strings"
)

// Endpoint paths, below the issuer URL.
const (
	AuthorizePath           = "/oauth/authorize"
	TokenPath               = "/oauth/token"
	UserinfoPath            = "/oauth/userinfo"
	JWKSPath                = "/.well-known/jwks.json"
	DiscoveryPath           = "/.well-known/openid-configuration"
	OAuthMetadataPath       = "/.well-known/oauth-authorization-server"
	IntrospectionPath       = "/oauth/introspect"
	RevocationPath          = "/oauth/revoke"
	DeviceAuthorizationPath = "/oauth/device_authorization"
	DeviceVerificationPath  = "/oauth/device"
	TokeninfoPath           = "/oauth/tokeninfo"
)

// endpointSpec declares an endpoint once: the router, the discovery
// document, Endpoints (the CLI's banner) and the request log read it.
type endpointSpec struct {
	endpoint  Endpoint
	paths     []string // the first is its URL; the others serve it too
	methods   []string // the HTTP methods it accepts; others get 405
	page      bool     // a browser's page: errors are HTML pages, not JSON
	cors      bool     // browser apps call it with fetch: CORS for allowed origins
	discovery string   // the metadata field that names its URL; "" for none
	serve     func(*Provider, *exchange)
}

// endpointTable lists the endpoints in the order Endpoints gives them. Each
// handler validates its request, then lets a fault staged for it answer
// (Provider.fault), then does its work.
var endpointTable = []endpointSpec{
	{EndpointDiscovery, []string{DiscoveryPath, OAuthMetadataPath}, readOnly, false, true, "", (*Provider).handleDiscovery},
	{EndpointAuthorize, []string{AuthorizePath}, getOrPost, true, false, "authorization_endpoint", (*Provider).handleAuthorize},
	{EndpointToken, []string{TokenPath}, postOnly, false, true, "token_endpoint", (*Provider).handleToken},
	{EndpointUserinfo, []string{UserinfoPath}, getOrPost, false, true, "userinfo_endpoint", (*Provider).handleUserinfo},
	{EndpointJWKS, []string{JWKSPath}, readOnly, false, true, "jwks_uri", (*Provider).handleJWKS},
	{EndpointIntrospection, []string{IntrospectionPath}, postOnly, false, true, "introspection_endpoint", (*Provider).handleIntrospect},
	{EndpointRevocation, []string{RevocationPath}, postOnly, false, true, "revocation_endpoint", (*Provider).handleRevoke},
	{EndpointDeviceAuthorization, []string{DeviceAuthorizationPath}, postOnly, false, true, "device_authorization_endpoint", (*Provider).handleDeviceAuthorization},
	{EndpointDeviceVerification, []string{DeviceVerificationPath}, getOrPost, true, false, "", (*Provider).handleDeviceVerification},
	{EndpointLogout, []string{LogoutPath}, getOrPost, true, false, "end_session_endpoint", (*Provider).handleLogout},
	{EndpointTokeninfo, []string{TokeninfoPath}, getOrPost, false, true, "", (*Provider).handleTokeninfo},
	{EndpointRegistration, []string{RegistrationPath}, registrationMethods, false, true, "registration_endpoint", (*Provider).handleRegistration},
	{EndpointPushedAuthorization, []string{PushedAuthorizationPath}, postOnly, false, true, "pushed_authorization_request_endpoint", (*Provider).handlePAR}, // par.go
}

// The methods of the endpoints.
var (
	readOnly  = []string{http.MethodGet, http.MethodHead}
	getOrPost = []string{http.MethodGet, http.MethodPost}
	postOnly  = []string{http.MethodPost}
	// registrationMethods register (POST) and manage a registration (RFC 7592 §2).
	registrationMethods = []string{http.MethodPost, http.MethodGet, http.MethodPut, http.MethodDelete}
)

// refuseMethod answers a request whose method e does not accept: 405 with
// Allow, as an error page or JSON, as e answers its errors.
func (e *endpointSpec) refuseMethod(x *exchange) {
	x.w.Header().Set("Allow", strings.Join(e.methods, ", "))
	msg := fmt.Sprintf("the %s endpoint accepts %s, not %s", e.endpoint, strings.Join(e.methods, " and "), x.r.Method)
	if e.page {
		x.errorPage(http.StatusMethodNotAllowed, msg)
		return
	}
	x.jsonError(ErrInvalidRequest.WithDescription("%s", msg).withStatus(http.StatusMethodNotAllowed))
}

// routeTable maps each path below the issuer to its endpoint.
var routeTable = func() map[string]*endpointSpec {
	m := make(map[string]*endpointSpec)
	for i := range endpointTable {
		for _, path := range endpointTable[i].paths {
			m[path] = &endpointTable[i]
		}
	}
	return m
}()

// EndpointURL is an endpoint and where it is served.
type EndpointURL struct {
	Endpoint Endpoint
	URL      string
}

// Endpoints lists every endpoint the provider serves with its URL,
// discovery first: what cmd/oauthtest prints at start.
func (p *Provider) Endpoints() []EndpointURL {
	var out []EndpointURL
	for _, e := range endpointTable {
		if p.serves(e.endpoint) {
			out = append(out, EndpointURL{e.endpoint, p.issuer + e.paths[0]})
		}
	}
	return out
}
