package oauthtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/c95d6557/oauthtest"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// browse plays the browser: it visits the authorization URL and returns
// what the provider sent back to the redirect URI.
func browse(p *oauthtest.Provider, authURL string) *oauthtest.Callback {
	cb, err := p.Browser().Visit(authURL)
	if err != nil {
		panic(err)
	}
	return cb
}

// A whole login: discovery, authorization, code exchange, ID token
// verification and userinfo, with golang.org/x/oauth2 and go-oidc. In a
// test, oauthtest.NewTestProvider(t) starts the provider and closes it at
// cleanup.
func Example() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())

	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    op.Endpoint(),
		RedirectURL: "http://127.0.0.1:8080/callback", // any loopback URI works for the default client
		Scopes:      []string{oidc.ScopeOpenID, "email"},
	}
	callback := browse(p, cfg.AuthCodeURL("state-1", oidc.Nonce("nonce-1")))

	tok, err := cfg.Exchange(ctx, callback.Code)
	if err != nil {
		panic(err)
	}
	idToken, err := op.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		panic(err)
	}
	info, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		panic(err)
	}
	fmt.Println("state:", callback.State)
	fmt.Println("sub:", idToken.Subject, "nonce:", idToken.Nonce)
	fmt.Println("email:", info.Email)
	fmt.Println("expires in:", tok.ExpiresIn, "seconds")
	// Output:
	// state: state-1
	// sub: test-user nonce: nonce-1
	// email: test.user@example.com
	// expires in: 3600 seconds
}

// A public client (a single-page or native app) must use PKCE.
func ExampleWithClient_public() {
	p, err := oauthtest.NewProvider(oauthtest.WithClient(oauthtest.Client{
		ID:           "spa",
		Public:       true,
		RedirectURIs: []string{"http://localhost:5173/callback"},
	}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cfg := oauth2.Config{
		ClientID: "spa",
		// A public client has no secret: it sends client_id in the body.
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://localhost:5173/callback",
		Scopes:      []string{"openid"},
	}

	fmt.Println("without PKCE:", browse(p, cfg.AuthCodeURL("s")).Error)

	verifier := oauth2.GenerateVerifier()
	code := browse(p, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier))).Code
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	fmt.Println("with PKCE:", err == nil && tok.RefreshToken != "")
	// Output:
	// without PKCE: invalid_request
	// with PKCE: true
}

// Moving the provider's clock expires what it issued: here a code that was
// not redeemed within its ten minutes.
func ExampleProvider_FastForward() {
	p, err := oauthtest.NewProvider(oauthtest.WithTime(time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid"},
	}
	code := browse(p, cfg.AuthCodeURL("s")).Code

	p.FastForward(11 * time.Minute)
	_, err = cfg.Exchange(ctx, code)

	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		fmt.Println(re.Response.StatusCode, re.ErrorCode)
		fmt.Println(re.ErrorDescription)
	}
	// Output:
	// 400 invalid_grant
	// code expired at 2030-01-01T09:10:00Z, 10m after it was issued; it is now 2030-01-01T09:11:00Z (a test's ExpireCodes and SetCodeLifetime shorten a code's life)
}

// The provider's handler can be mounted in an application's own server,
// below the issuer's path.
func ExampleWithoutServer() {
	p, err := oauthtest.NewProvider(oauthtest.WithoutServer(), oauthtest.WithIssuer("http://localhost:8080/idp"))
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/idp/", p.Handler())
	fmt.Println(p.TokenURL())
	fmt.Println(p.DiscoveryURL())
	// Output:
	// http://localhost:8080/idp/oauth/token
	// http://localhost:8080/idp/.well-known/openid-configuration
}

// Errors carry the RFC 6749 code; errors.Is compares codes.
func ExampleError() {
	err := oauthtest.ErrInvalidGrant.WithDescription("code was issued to client %q, not %q", "web", "cli")
	fmt.Println(errors.Is(err, oauthtest.ErrInvalidGrant), err.StatusCode())
	fmt.Println(err)
	// Output:
	// true 400
	// oauthtest: invalid_grant: code was issued to client "web", not "cli"
}

// A user queued for the next login, a staged outage at the token endpoint,
// and what the provider observed.
func ExampleProvider_QueueUser() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid"},
	}
	if err := p.QueueUser(oauthtest.User{Subject: "ada", Claims: map[string]any{"roles": []string{"admin"}}}); err != nil {
		panic(err) // an invalid user, such as one without a Subject
	}
	p.FailNext(oauthtest.EndpointToken, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))

	browse(p, cfg.AuthCodeURL("s"))
	_, err = cfg.Exchange(ctx, p.LastCode())
	fmt.Println("first exchange:", err.(*oauth2.RetrieveError).ErrorCode)
	tok, _ := cfg.Exchange(ctx, p.LastCode()) // the code survived the outage
	fmt.Println("user:", p.Tokens()[0].Subject, "token:", tok.AccessToken != "")
	for _, r := range p.RequestsTo(oauthtest.EndpointToken) {
		fmt.Println(r.GrantType, r.AuthMethod, r.Status, r.Error)
	}
	// Output:
	// first exchange: temporarily_unavailable
	// user: ada token: true
	// authorization_code client_secret_basic 503 temporarily_unavailable
	// authorization_code client_secret_basic 200
}

// Tokens for negative tests, straight from the running provider.
func ExampleProvider_MintIDToken() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})

	_, err = verifier.Verify(ctx, p.MintIDToken(oauthtest.SetClaims(map[string]any{"nonce": "n"})))
	fmt.Println("valid:", err == nil)
	_, err = verifier.Verify(ctx, p.MintIDToken(oauthtest.Expired()))
	var expired *oidc.TokenExpiredError
	fmt.Println("expired:", errors.As(err, &expired))
	_, err = verifier.Verify(ctx, p.MintIDToken(oauthtest.ForeignKey()))
	fmt.Println("foreign key:", err != nil)
	// Output:
	// valid: true
	// expired: true
	// foreign key: true
}

// A key rotation as real providers do it: the next key is published ahead,
// so a verifier that cached the key set already holds it when signing
// switches. go-oidc's RemoteKeySet may answer a fetch that follows its
// previous one at once with that earlier result, so a test that rotates
// right after a verification must publish the next key first, as here.
func ExampleProvider_RotateKey() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	verifier := op.Verifier(&oidc.Config{ClientID: p.ClientID(), Now: p.Now})

	old := p.SigningKeyID()
	p.PublishNextKey()
	_, err = verifier.Verify(ctx, p.MintIDToken()) // caches both keys
	fmt.Println("old key verifies:", err == nil)
	p.RotateKey()
	_, err = verifier.Verify(ctx, p.MintIDToken())
	fmt.Println("new key verifies:", err == nil)
	fmt.Println("published:", len(p.KeyIDs()), "old still there:", p.KeyIDs()[0] == old)
	p.RetireOldKeys()
	fmt.Println("after retiring:", len(p.KeyIDs()))
	// Output:
	// old key verifies: true
	// new key verifies: true
	// published: 2 old still there: true
	// after retiring: 1
}

// A client whose tokens are signed with its secret (HS256), for apps that
// verify tokens with their client secret. go-oidc verifies ID tokens with the
// provider's published keys only and refuses HS256 ones: verify them with
// golang-jwt and the secret.
func ExampleClient_hs256() {
	p, err := oauthtest.NewProvider(oauthtest.WithClient(oauthtest.Client{
		ID: "connect-app", Secret: "connect-secret", SigningAlg: oauthtest.HS256,
	}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cfg := oauth2.Config{
		ClientID: "connect-app", ClientSecret: "connect-secret",
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid", "email"},
	}
	tok, err := cfg.Exchange(ctx, browse(p, cfg.AuthCodeURL("s")).Code)
	if err != nil {
		panic(err)
	}
	var claims struct {
		Email string `json:"email"`
		jwt.RegisteredClaims
	}
	_, err = jwt.ParseWithClaims(tok.AccessToken, &claims, func(*jwt.Token) (any, error) { return []byte("connect-secret"), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(p.Issuer()), jwt.WithAudience("connect-app"), jwt.WithTimeFunc(p.Now))
	fmt.Println("access token verified with the secret:", err == nil, claims.Subject)
	_, err = jwt.ParseWithClaims(tok.Extra("id_token").(string), &claims, func(*jwt.Token) (any, error) { return []byte("connect-secret"), nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithIssuer(p.Issuer()), jwt.WithAudience("connect-app"), jwt.WithTimeFunc(p.Now))
	fmt.Println("ID token verified with the secret:", err == nil, claims.Email)
	// Output:
	// access token verified with the secret: true test-user
	// ID token verified with the secret: true test.user@example.com
}

// A provider served in memory, without a socket: HTTPClient reaches it.
// Inside testing/synctest, this is what lets its clock follow the bubble's.
func ExampleWithInMemoryTransport() {
	p, err := oauthtest.NewProvider(oauthtest.WithInMemoryTransport())
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	op, err := oidc.NewProvider(ctx, p.Issuer())
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Issuer())
	fmt.Println(op.Endpoint().TokenURL)
	// Output:
	// http://oauthtest.test
	// http://oauthtest.test/oauth/token
}

// The user agent's part of a flow: the browser follows the provider's
// redirects, answers the login page and stops at the redirect URI.
func ExampleBrowser() {
	p, err := oauthtest.NewProvider(oauthtest.WithLoginPage(),
		oauthtest.WithUsers(oauthtest.User{Subject: "bob", Claims: map[string]any{"name": "Bob"}}))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(),
		Endpoint:    oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL()},
		RedirectURL: "http://127.0.0.1:8080/callback",
		Scopes:      []string{"openid"},
	}
	cb, err := p.Browser().PickUser("bob").Visit(cfg.AuthCodeURL("st", oauth2.SetAuthURLParam("response_mode", "form_post")))
	if err != nil {
		panic(err)
	}
	fmt.Println(cb.ResponseMode, cb.URL, cb.State, cb.Code != "")
	fmt.Println("logged in:", p.Codes()[0].Subject)
	cb, _ = p.Browser().Deny().Visit(cfg.AuthCodeURL("st"))
	fmt.Println(cb.Error)
	// Output:
	// form_post http://127.0.0.1:8080/callback st true
	// logged in: bob
	// access_denied
}

// A refresh that fails once, as when the provider has a bad moment:
// EndpointRefresh is the token endpoint serving grant_type=refresh_token,
// so the code exchange goes through and the first refresh gets the fault.
func ExampleProvider_FailNext() {
	p, err := oauthtest.NewProvider()
	if err != nil {
		panic(err)
	}
	defer p.Close()
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
	cfg := oauth2.Config{
		ClientID: p.ClientID(), ClientSecret: p.ClientSecret(), RedirectURL: "http://127.0.0.1:8080/callback", Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), AuthStyle: oauth2.AuthStyleInHeader},
	}
	p.FailNext(oauthtest.EndpointRefresh, 1, oauthtest.FaultError(oauthtest.ErrTemporarilyUnavailable))
	tok, err := cfg.Exchange(ctx, browse(p, cfg.AuthCodeURL("st")).Code)
	if err != nil {
		panic(err)
	}
	refresh := func() error {
		_, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		return err
	}
	var re *oauth2.RetrieveError
	if err := refresh(); errors.As(err, &re) {
		fmt.Println("first refresh:", re.Response.StatusCode, re.ErrorCode)
	}
	fmt.Println("second refresh fails:", refresh() != nil)
	fmt.Println("refresh requests:", len(p.RequestsTo(oauthtest.EndpointRefresh)))
	// Output:
	// first refresh: 503 temporarily_unavailable
	// second refresh fails: false
	// refresh requests: 2
}

// The control API stages over HTTP what Go tests do with the provider's
// methods, for tests written in other languages or run against
// cmd/oauthtest -control-api: here, moving the provider's clock.
func ExampleWithControlAPI() {
	p, err := oauthtest.NewProvider(oauthtest.WithControlAPI(), oauthtest.WithTime(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	defer p.Close()
	resp, err := p.HTTPClient().Post(p.Issuer()+oauthtest.ControlPath+"/clock", "application/json", strings.NewReader(`{"advance": "61m"}`))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.StatusCode, p.Now().Format(time.RFC3339))
	// Output:
	// 200 2030-01-01T01:01:00Z
}
