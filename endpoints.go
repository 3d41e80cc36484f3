package oauthtest

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Endpoint names an endpoint, to aim faults at (Fail, FailNext), filter
// the request log by (RequestsTo, CheckRequests) and look its URL up (URL).
// The names are the constants below; any other fails the test at once.
type Endpoint string

// The endpoints, as endpointTable serves them, and EndpointRefresh.
const (
	EndpointAuthorize Endpoint = "authorize"
	EndpointToken     Endpoint = "token" // every token request, whatever its grant
	// EndpointRefresh is not an endpoint of its own: it is the token
	// endpoint (/oauth/token) serving grant_type=refresh_token. Aim a fault
	// at it to fail refreshes alone while code exchanges go through, or
	// count refreshes with CheckRequests(t, EndpointRefresh, n). A refresh's
	// Request.Endpoint is EndpointToken, with GrantType "refresh_token";
	// its URL is the token endpoint's.
	EndpointRefresh       Endpoint = "refresh"
	EndpointUserinfo      Endpoint = "userinfo"
	EndpointJWKS          Endpoint = "jwks"
	EndpointDiscovery     Endpoint = "discovery" // both well-known metadata documents
	EndpointIntrospection Endpoint = "introspection"
	EndpointRevocation    Endpoint = "revocation"
	// EndpointDeviceAuthorization starts a device flow (RFC 8628 §3.1).
	EndpointDeviceAuthorization Endpoint = "device_authorization"
	// EndpointDeviceVerification is the page where the user approves a
	// device (RFC 8628 §3.3).
	EndpointDeviceVerification Endpoint = "device_verification"
	// EndpointLogout ends a browser's session (RP-Initiated Logout 1.0).
	EndpointLogout Endpoint = "logout"
	// EndpointTokeninfo describes a token (GET or POST /oauth/tokeninfo),
	// for client libraries that ask the provider about a token rather than
	// verify it themselves.
	EndpointTokeninfo Endpoint = "tokeninfo"
	// EndpointRegistration is the client registration and configuration
	// endpoint (RFC 7591 §3, RFC 7592 §2), served with
	// WithDynamicRegistration.
	EndpointRegistration Endpoint = "registration"
	// EndpointPushedAuthorization receives pushed authorization requests
	// (RFC 9126 §2).
	EndpointPushedAuthorization Endpoint = "pushed_authorization"
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
	// LogoutPath is the end_session_endpoint (OpenID Connect RP-Initiated
	// Logout 1.0).
	LogoutPath = "/oauth/logout"
	// RegistrationPath is where clients register (RFC 7591 §3) and, with
	// ?client_id=ID, read, update and delete their registration (RFC 7592
	// §2): the registration_client_uri the provider returns.
	RegistrationPath = "/oauth/register"
	// PushedAuthorizationPath is where the pushed authorization request
	// endpoint is served (RFC 9126 §2).
	PushedAuthorizationPath = "/oauth/par"
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
	serve     func(*Provider, *call)
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
func (e *endpointSpec) refuseMethod(x *call) {
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

// specByEndpoint maps each endpoint to its line of endpointTable. init
// fills it: the table's handlers reach url, which reads it, so an
// initializer that read the table would be an initialization cycle.
var specByEndpoint = make(map[Endpoint]*endpointSpec)

func init() {
	for i := range endpointTable {
		specByEndpoint[endpointTable[i].endpoint] = &endpointTable[i]
	}
}

// url is where e is served: the issuer and the first of its paths. It is
// the one place that turns the table's paths into URLs. e is a known name;
// EndpointRefresh is served by the token endpoint.
func (p *Provider) url(e Endpoint) string {
	if e == EndpointRefresh {
		e = EndpointToken
	}
	return p.issuer + specByEndpoint[e].paths[0]
}

// URL returns the URL of endpoint e: URL(EndpointToken) is TokenURL(),
// and so for every endpoint, those without a getter of their own too
// (EndpointDeviceAuthorization, EndpointRegistration...). EndpointRefresh
// has the token endpoint's URL. It is where the endpoint is, whether or not
// the provider serves it: Endpoints lists those it serves. An unknown name
// fails the test at once, as Fail says.
func (p *Provider) URL(e Endpoint) string {
	if p.tb != nil {
		p.tb.Helper()
	}
	if !knowsEndpoint(p.tb, "URL", e) {
		return ""
	}
	return p.url(e)
}

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
			out = append(out, EndpointURL{e.endpoint, p.url(e.endpoint)})
		}
	}
	return out
}

// failer fails a test at once: a TB, or a Reporter that can (*testing.T).
type failer interface {
	Helper()
	Fatalf(format string, args ...any)
}

// knowsEndpoint reports whether e is one of the Endpoint constants. If not,
// it fails the test at once through t, or panics when t is nil, with a
// message that names the method called and lists the names.
func knowsEndpoint(t failer, method string, e Endpoint) bool {
	names := endpointNames()
	if slices.Contains(names, string(e)) {
		return true
	}
	msg := fmt.Sprintf("oauthtest: %s: endpoint %q is not one of %s (refresh is the token endpoint's refresh_token grant)%s",
		method, e, strings.Join(names, ", "), suggestFrom(string(e), names))
	if t == nil {
		panic(msg)
	}
	t.Helper()
	t.Fatalf("%s", msg)
	return false // a TB whose Fatalf returns
}

// endpointNames lists what faults and the request log can name, sorted:
// the endpoints and EndpointRefresh.
var endpointNames = sync.OnceValue(func() []string {
	names := []string{string(EndpointRefresh)}
	for _, e := range endpointTable {
		names = append(names, string(e.endpoint))
	}
	slices.Sort(names)
	return names
})
