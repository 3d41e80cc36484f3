package oauthtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
)

// everyEndpointName is what an unknown name's failure lists: the
// endpoints, and refresh.
var everyEndpointName = []oauthtest.Endpoint{
	oauthtest.EndpointAuthorize, oauthtest.EndpointToken, oauthtest.EndpointRefresh, oauthtest.EndpointUserinfo,
	oauthtest.EndpointJWKS, oauthtest.EndpointDiscovery, oauthtest.EndpointIntrospection, oauthtest.EndpointRevocation,
	oauthtest.EndpointDeviceAuthorization, oauthtest.EndpointDeviceVerification, oauthtest.EndpointLogout,
	oauthtest.EndpointTokeninfo, oauthtest.EndpointRegistration, oauthtest.EndpointPushedAuthorization,
}

// endpointAPIs call each method that takes an Endpoint with e.
var endpointAPIs = map[string]func(p *oauthtest.Provider, e oauthtest.Endpoint){
	"Fail":     func(p *oauthtest.Provider, e oauthtest.Endpoint) { p.Fail(e, oauthtest.FaultDrop()) },
	"FailNext": func(p *oauthtest.Provider, e oauthtest.Endpoint) { p.FailNext(e, 1, oauthtest.FaultDrop()) },
	"ForClient.Fail": func(p *oauthtest.Provider, e oauthtest.Endpoint) {
		p.ForClient(p.ClientID()).Fail(e, oauthtest.FaultDrop())
	},
	"ForClient.FailNext": func(p *oauthtest.Provider, e oauthtest.Endpoint) {
		p.ForClient(p.ClientID()).FailNext(e, 1, oauthtest.FaultDrop())
	},
	"RequestsTo":    func(p *oauthtest.Provider, e oauthtest.Endpoint) { p.RequestsTo(e) },
	"URL":           func(p *oauthtest.Provider, e oauthtest.Endpoint) { p.URL(e) },
	"CheckRequests": func(p *oauthtest.Provider, e oauthtest.Endpoint) { p.CheckRequests(&recordingT{}, e, 0) },
}

// wantUnknownEndpoint checks the failure of method given "tokn".
func wantUnknownEndpoint(t *testing.T, what, method, msg string) {
	t.Helper()
	want := fmt.Sprintf("oauthtest: %s: endpoint %q is not one of ", strings.TrimPrefix(method, "ForClient."), "tokn")
	if !strings.HasPrefix(msg, want) || !strings.Contains(msg, "refresh is the token endpoint's refresh_token grant") ||
		!strings.HasSuffix(msg, `did you mean "token"?`) {
		t.Errorf("%s %s: %q", what, method, msg)
	}
	for _, name := range everyEndpointName {
		if !strings.Contains(msg, string(name)) {
			t.Errorf("%s %s: %q does not list %s", what, method, msg, name)
		}
	}
}

// TestUnknownEndpointFailsTheTest: every method that takes an Endpoint
// fails the test of NewTestProvider at once through its Fatalf, listing the
// names, and does nothing more (the fake's Fatalf returns).
func TestUnknownEndpointFailsTheTest(t *testing.T) {
	t.Parallel()
	for method, call := range endpointAPIs {
		var tb fakeTB
		p := oauthtest.NewTestProvider(&tb, oauthtest.WithInMemoryTransport())
		call(p, "tokn")
		wantUnknownEndpoint(t, "NewTestProvider", method, tb.fatal)
		p.Close()
	}
	var tb fakeTB
	p := oauthtest.NewTestProvider(&tb, oauthtest.WithInMemoryTransport())
	defer p.Close()
	if got := p.URL("tokn"); got != "" {
		t.Errorf("URL of an unknown name: %q", got)
	}
	if got := p.RequestsTo("tokn"); got != nil {
		t.Errorf("RequestsTo an unknown name: %v", got)
	}
	if p.CheckRequests(&recordingT{}, "tokn", 0) {
		t.Error("CheckRequests of an unknown name passed")
	}
}

// fatalReporter is a Reporter that can also fail at once, as *testing.T.
type fatalReporter struct {
	recordingT
	fatal string
}

func (r *fatalReporter) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

// TestCheckRequestsFailsItsOwnTest: CheckRequests fails the test it
// reports to, when that can fail at once, rather than the provider's.
func TestCheckRequestsFailsItsOwnTest(t *testing.T) {
	t.Parallel()
	var tb fakeTB
	p := oauthtest.NewTestProvider(&tb, oauthtest.WithInMemoryTransport())
	defer p.Close()
	var r fatalReporter
	if p.CheckRequests(&r, "tokn", 0) {
		t.Error("CheckRequests of an unknown name passed")
	}
	wantUnknownEndpoint(t, "its own test", "CheckRequests", r.fatal)
	if tb.fatal != "" || len(r.errors) != 0 {
		t.Errorf("the provider's test: %q; errors reported: %q", tb.fatal, r.errors)
	}
}

// TestUnknownEndpointPanicsWithoutATest: a provider made by NewProvider has
// no test to fail, so the same methods panic with the same message.
func TestUnknownEndpointPanicsWithoutATest(t *testing.T) {
	t.Parallel()
	p, err := oauthtest.NewProvider(oauthtest.WithInMemoryTransport())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for method, call := range endpointAPIs {
		func() {
			defer func() {
				msg, _ := recover().(string)
				wantUnknownEndpoint(t, "NewProvider", method, msg)
			}()
			call(p, "tokn")
		}()
	}
}

// TestEveryEndpointNameIsKnown: each Endpoint constant, EndpointRefresh
// included, is taken by every method.
func TestEveryEndpointNameIsKnown(t *testing.T) {
	t.Parallel()
	var tb fakeTB
	p := oauthtest.NewTestProvider(&tb, oauthtest.WithInMemoryTransport())
	defer p.Close()
	for method, call := range endpointAPIs {
		for _, e := range everyEndpointName {
			call(p, e)
			if tb.fatal != "" {
				t.Fatalf("%s(%s): %s", method, e, tb.fatal)
			}
		}
	}
}

// TestURLIsTheTable: URL gives every endpoint the URL that Endpoints (the
// banner) and discovery give it, below the issuer at its path constant;
// the getters give the same; EndpointRefresh is at the token endpoint.
func TestURLIsTheTable(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithInMemoryTransport(), oauthtest.WithDynamicRegistration(""))
	paths := map[oauthtest.Endpoint]string{
		oauthtest.EndpointAuthorize: oauthtest.AuthorizePath, oauthtest.EndpointToken: oauthtest.TokenPath,
		oauthtest.EndpointRefresh: oauthtest.TokenPath, oauthtest.EndpointUserinfo: oauthtest.UserinfoPath,
		oauthtest.EndpointJWKS: oauthtest.JWKSPath, oauthtest.EndpointDiscovery: oauthtest.DiscoveryPath,
		oauthtest.EndpointIntrospection: oauthtest.IntrospectionPath, oauthtest.EndpointRevocation: oauthtest.RevocationPath,
		oauthtest.EndpointDeviceAuthorization: oauthtest.DeviceAuthorizationPath,
		oauthtest.EndpointDeviceVerification:  oauthtest.DeviceVerificationPath,
		oauthtest.EndpointLogout:              oauthtest.LogoutPath, oauthtest.EndpointTokeninfo: oauthtest.TokeninfoPath,
		oauthtest.EndpointRegistration:        oauthtest.RegistrationPath,
		oauthtest.EndpointPushedAuthorization: oauthtest.PushedAuthorizationPath,
	}
	for _, e := range everyEndpointName {
		if got, want := p.URL(e), p.Issuer()+paths[e]; got != want {
			t.Errorf("URL(%s) = %q, want %q", e, got, want)
		}
	}
	listed := p.Endpoints()
	if len(listed) != len(everyEndpointName)-1 { // all but refresh
		t.Errorf("Endpoints lists %d, want %d: %v", len(listed), len(everyEndpointName)-1, listed)
	}
	for _, e := range listed {
		if got := p.URL(e.Endpoint); got != e.URL {
			t.Errorf("URL(%s) = %q; Endpoints says %q", e.Endpoint, got, e.URL)
		}
	}
	for _, g := range []struct {
		name string
		got  string
		is   oauthtest.Endpoint
	}{
		{"AuthURL", p.AuthURL(), oauthtest.EndpointAuthorize}, {"TokenURL", p.TokenURL(), oauthtest.EndpointToken},
		{"UserinfoURL", p.UserinfoURL(), oauthtest.EndpointUserinfo}, {"JWKSURL", p.JWKSURL(), oauthtest.EndpointJWKS},
		{"IntrospectionURL", p.IntrospectionURL(), oauthtest.EndpointIntrospection},
		{"RevocationURL", p.RevocationURL(), oauthtest.EndpointRevocation},
		{"DiscoveryURL", p.DiscoveryURL(), oauthtest.EndpointDiscovery},
		{"PushedAuthorizationURL", p.PushedAuthorizationURL(), oauthtest.EndpointPushedAuthorization},
	} {
		if want := p.URL(g.is); g.got != want {
			t.Errorf("%s() = %q, URL(%s) = %q", g.name, g.got, g.is, want)
		}
	}
	wantDiscoveryURLs(t, p)
}

// wantDiscoveryURLs checks that discovery advertises URL's URLs.
func wantDiscoveryURLs(t *testing.T, p *oauthtest.Provider) {
	t.Helper()
	resp, err := p.HTTPClient().Get(p.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery: HTTP %d, %v", resp.StatusCode, err)
	}
	for field, e := range map[string]oauthtest.Endpoint{
		"authorization_endpoint": oauthtest.EndpointAuthorize, "token_endpoint": oauthtest.EndpointToken,
		"userinfo_endpoint": oauthtest.EndpointUserinfo, "jwks_uri": oauthtest.EndpointJWKS,
		"introspection_endpoint": oauthtest.EndpointIntrospection, "revocation_endpoint": oauthtest.EndpointRevocation,
		"device_authorization_endpoint": oauthtest.EndpointDeviceAuthorization, "end_session_endpoint": oauthtest.EndpointLogout,
		"registration_endpoint":                 oauthtest.EndpointRegistration,
		"pushed_authorization_request_endpoint": oauthtest.EndpointPushedAuthorization,
	} {
		if doc[field] != p.URL(e) {
			t.Errorf("discovery's %s is %v, URL(%s) is %q", field, doc[field], e, p.URL(e))
		}
	}
}
