// Package oauthtest is a real OAuth 2.0 and OpenID Connect provider that runs
// in process, for the tests of code that logs users in, and for local
// development (the command cmd/oauthtest serves the same provider).
//
// One call starts it on a loopback port and closes it when the test ends;
// it approves a test user at once, issues signed tokens, and says no
// exactly where a real provider would:
//
//	func TestLogin(t *testing.T) {
//		p := oauthtest.NewTestProvider(t) // started now, closed when the test ends
//		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, p.HTTPClient())
//
//		op, err := oidc.NewProvider(ctx, p.Issuer()) // discovery works
//		if err != nil {
//			t.Fatal(err)
//		}
//		cfg := oauth2.Config{
//			ClientID:     p.ClientID(),
//			ClientSecret: p.ClientSecret(),
//			Endpoint:     op.Endpoint(),
//			RedirectURL:  "http://127.0.0.1:8080/callback", // any loopback URI, for the default client
//			Scopes:       []string{oidc.ScopeOpenID, "email"},
//		}
//		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader // one request per token call (auto-detect retries a failure)
//
//		// The browser's part: the provider approves at once and redirects back.
//		callback, err := p.Browser().Visit(cfg.AuthCodeURL("state", oidc.Nonce("nonce")))
//		if err != nil || callback.Error != "" {
//			t.Fatal(err, callback.Error, callback.ErrorDescription) // the provider says why
//		}
//
//		// Your app's part.
//		tok, err := cfg.Exchange(ctx, callback.Code)
//		if err != nil {
//			t.Fatal(err)
//		}
//		// ... verify the ID token, as examples/quickstart does
//	}
//
// Without options the provider has one confidential client (ClientID,
// ClientSecret) that accepts any loopback redirect URI and may use every
// grant, and one user, DefaultUser. Its tokens are signed with keys shipped
// with the package (InsecureTestKey), so its JWKS is the same on every run:
// never use it in production.
//
// # A map
//
//   - Configure: WithClient, WithUser and WithUsers, the lifetimes
//     (WithLifetimes), the keys (WithAlgorithm, WithSigningKey), a login page
//     (WithLoginPage), no socket (WithInMemoryTransport).
//   - Stage what real providers do, on command and without waiting: time
//     (WithTime, FastForward, Now for oidc.Config{Now: p.Now}); users
//     (QueueUser, QueueDenial, SignOut); codes and tokens (ExpireCodes,
//     RevokeToken, RevokeUser); keys (PublishNextKey, RotateKey,
//     RetireOldKeys); faults (FailNext and Fail with FaultError, FaultStatus,
//     FaultDrop; TakeDown); bad tokens (MintIDToken and MintAccessToken with
//     Expired, WrongAudience, ForeignKey...).
//   - See what the app did: Requests, RequestsTo, CheckRequests,
//     CheckAuthMethod, CheckPKCE, Dump.
//   - Play the browser: Browser, with PickUser and Deny on the login page.
//   - Share a provider between parallel subtests: ForClient.
//   - Serve tests in other languages: WithControlAPI, the control API over
//     HTTP.
//
// The reference is in the repository's docs directory:
// https://github.com/c95d6557/oauthtest/tree/main/docs.
package oauthtest
