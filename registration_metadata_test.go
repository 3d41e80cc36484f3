package oauthtest_test

import (
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestRegistrationSenderConstraints: the client metadata of RFC 9449 §5.2,
// RFC 9126 §6 and RFC 9101 §10.5 registers what it says and comes back in
// the answer: a client registered with dpop_bound_access_tokens gets no
// token without a DPoP proof, as a statically registered one does.
func TestRegistrationSenderConstraints(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithDynamicRegistration(""))
	md := webClient()
	md["dpop_bound_access_tokens"] = true
	md["require_pushed_authorization_requests"] = true
	md["require_signed_request_object"] = true
	md["request_object_signing_alg"] = "HS256"
	info := register(t, p, md)
	for _, k := range []string{"dpop_bound_access_tokens", "require_pushed_authorization_requests", "require_signed_request_object"} {
		if info[k] != true {
			t.Errorf("%s: the answer says %v", k, info[k])
		}
	}
	if info["request_object_signing_alg"] != "HS256" {
		t.Errorf("request_object_signing_alg: the answer says %v", info["request_object_signing_alg"])
	}
	var registered oauthtest.Client
	for _, c := range p.Clients() {
		if c.ID == info["client_id"] {
			registered = c
		}
	}
	if !registered.DPoPBoundAccessTokens || !registered.RequirePushedAuthorizationRequests ||
		!registered.RequireSignedRequestObject || registered.RequestObjectSigningAlg != "HS256" {
		t.Errorf("registered as %+v", registered)
	}

	svc := register(t, p, map[string]any{"grant_types": []string{"client_credentials"}, "dpop_bound_access_tokens": true})
	cc := clientcredentials.Config{ClientID: svc["client_id"].(string), ClientSecret: svc["client_secret"].(string), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader}
	_, err := cc.Token(clientContext(p))
	wantRetrieveError(t, err, "invalid_dpop_proof", 400)
}
