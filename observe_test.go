package oauthtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// recordingT records what the Check helpers report.
type recordingT struct{ errors []string }

func (r *recordingT) Helper() {}
func (r *recordingT) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestRequestsAreObserved(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	cfg := oauthConfig(p)
	ctx := clientContext(p)
	verifier := oauth2.GenerateVerifier()
	tok, err := cfg.Exchange(ctx, authorizeCode(t, p, cfg, oauth2.S256ChallengeOption(verifier)), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := refreshOnce(ctx, cfg, tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	_, _ = refreshOnce(ctx, cfg, tok.RefreshToken) // a replay: invalid_grant
	userinfo(t, p, tok.AccessToken)

	reqs := p.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests:\n%s", len(reqs), p.Dump())
	}
	auth, exchange, refresh, replay, ui := reqs[0], reqs[1], reqs[2], reqs[3], reqs[4]
	if auth.Endpoint != oauthtest.EndpointAuthorize || auth.PKCEMethod != "S256" || auth.ResponseType != "code" ||
		auth.ClientID != cfg.ClientID || strings.Join(auth.Scopes, " ") != "openid profile email" || auth.Status != 302 || auth.Params.Get("state") != "st" {
		t.Errorf("authorize %+v", auth)
	}
	if exchange.Endpoint != oauthtest.EndpointToken || exchange.GrantType != "authorization_code" || exchange.AuthMethod != oauthtest.AuthMethodBasic ||
		!exchange.PKCEVerifier || exchange.Status != 200 || exchange.Error != "" {
		t.Errorf("exchange %+v", exchange)
	}
	if refresh.Endpoint != oauthtest.EndpointToken || refresh.GrantType != "refresh_token" || replay.Error != "invalid_grant" || replay.Status != 400 {
		t.Errorf("refreshes %+v %+v", refresh, replay)
	}
	if ui.Endpoint != oauthtest.EndpointUserinfo || ui.ClientID != cfg.ClientID || ui.Status != 401 || ui.Error != "invalid_token" {
		t.Errorf("userinfo after the replay revoked the family: %+v", ui)
	}
	if len(p.RequestsTo(oauthtest.EndpointToken)) != 3 || len(p.RequestsTo(oauthtest.EndpointRefresh)) != 2 {
		t.Error("RequestsTo does not count refreshes as token requests")
	}
	// Filtering Requests by Endpoint counts as RequestsTo and CheckRequests do.
	n := 0
	for _, r := range p.Requests() {
		if r.Endpoint == oauthtest.EndpointToken {
			n++
		}
	}
	if n != len(p.RequestsTo(oauthtest.EndpointToken)) || !p.CheckRequests(t, oauthtest.EndpointToken, n) {
		t.Errorf("%d requests have Endpoint token; RequestsTo says %d", n, len(p.RequestsTo(oauthtest.EndpointToken)))
	}
	reqs[0].Params.Set("state", "changed")
	if p.Requests()[0].Params.Get("state") != "st" {
		t.Error("Requests returned the provider's own parameters")
	}
}

func TestObservedErrorsAndDrops(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	authorizeError(t, p, oauth2.SetAuthURLParam("response_type", "token"))
	visit(t, p, "GET", p.AuthURL()+"?client_id=nope", nil)
	p.FailNext(oauthtest.EndpointDiscovery, 1, oauthtest.FaultDrop())
	_, _ = p.HTTPClient().Get(p.DiscoveryURL())
	reqs := p.Requests()
	if reqs[0].Error != "unsupported_response_type" || reqs[1].Error != "invalid_request" || reqs[1].Status != 400 {
		t.Errorf("errors %q %q", reqs[0].Error, reqs[1].Error)
	}
	if last := reqs[len(reqs)-1]; last.Endpoint != oauthtest.EndpointDiscovery || last.Status != 0 {
		t.Errorf("a dropped request %+v", last)
	}
}

func TestCheckHelpers(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t)
	var rt recordingT
	if p.CheckAuthMethod(&rt, oauthtest.AuthMethodBasic) || p.CheckPKCE(&rt, oauthtest.PKCES256) || len(rt.errors) != 2 {
		t.Errorf("checks passed without requests: %v", rt.errors)
	}
	cfg := oauthConfig(p)
	if _, err := cfg.Exchange(clientContext(p), authorizeCode(t, p, cfg)); err != nil {
		t.Fatal(err)
	}
	if !p.CheckRequests(t, oauthtest.EndpointToken, 1) || !p.CheckRequests(t, oauthtest.EndpointRefresh, 0) || !p.CheckAuthMethod(t, oauthtest.AuthMethodBasic) {
		t.Error("a check failed")
	}
	rt = recordingT{}
	if p.CheckRequests(&rt, oauthtest.EndpointToken, 2) || p.CheckAuthMethod(&rt, oauthtest.AuthMethodPost) || p.CheckPKCE(&rt, oauthtest.PKCES256) {
		t.Error("a wrong check passed")
	}
	if len(rt.errors) != 3 || !strings.Contains(rt.errors[0], "1 requests to the token endpoint, want 2") || !strings.Contains(rt.errors[0], "POST token     client=\"oauthtest-client\" grant=authorization_code auth=client_secret_basic -> 200") {
		t.Errorf("messages:\n%s", strings.Join(rt.errors, "\n"))
	}
}

func TestDump(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithClient(tvClient))
	tok := issuedTokens(t, p)
	p.QueueDenial()
	p.FailNext(oauthtest.EndpointJWKS, 2, oauthtest.FaultStatus(500))
	p.RevokeToken(tok.AccessToken)
	if _, err := p.Browser().Visit(oauthConfig(p).AuthCodeURL("st")); err != nil {
		t.Fatal(err)
	}
	postForm(t, p, p.Issuer()+oauthtest.DeviceAuthorizationPath, map[string][]string{"client_id": {"tv"}}, "", "")
	dump := p.Dump()
	for _, want := range []string{
		p.Issuer(), `"oauthtest-client" confidential`, `user: "test-user"`, "redeemed=true",
		"access_token", "refresh_token", "revoked=true", "jwks client=\"\" left=2", "keys: signing " + p.SigningKeyID(), "POST token",
		"browser sessions: 1", `client="tv" approved`,
	} {
		if !strings.Contains(dump, want) {
			t.Errorf("Dump lacks %q:\n%s", want, dump)
		}
	}
}

func TestRequestObserver(t *testing.T) {
	t.Parallel()
	seen := make(chan oauthtest.Request, 10)
	p := oauthtest.NewTestProvider(t, oauthtest.WithRequestObserver(func(r oauthtest.Request) { seen <- r }))
	authorizeError(t, p, oauth2.SetAuthURLParam("scope", "openid admin"))
	visit(t, p, "GET", p.AuthURL()+"?client_id=nope", nil)
	_, err := oauthConfig(p).Exchange(clientContext(p), "made-up")
	wantRetrieveError(t, err, "invalid_grant", 400)
	for _, want := range []string{`scope "admin" is not allowed`, `client_id "nope" is not registered`, `code "made-up" was not issued`} {
		r := <-seen
		if !strings.Contains(r.ErrorDescription, want) {
			t.Errorf("observed %s %q, want a description with %q", r.Error, r.ErrorDescription, want)
		}
	}
}

// TestRequestLogKeepsTheLast1000: older requests are forgotten, the rest
// stay in order.
func TestRequestLogKeepsTheLast1000(t *testing.T) {
	t.Parallel()
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("https://op.example"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1005 {
		serve(p, "GET", fmt.Sprintf("https://op.example/.well-known/jwks.json?n=%d", i), nil)
	}
	reqs := p.Requests()
	if len(reqs) != 1000 || reqs[0].Params.Get("n") != "5" || reqs[999].Params.Get("n") != "1004" {
		t.Errorf("%d requests, first n=%s, last n=%s; want 1000 from 5 to 1004", len(reqs), reqs[0].Params.Get("n"), reqs[len(reqs)-1].Params.Get("n"))
	}
}
