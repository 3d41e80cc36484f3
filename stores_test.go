package oauthtest

import (
	"crypto"
	"crypto/ed25519"
	"go/token"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"
)

// notState are the fields of stores that hold no state of their own:
// locks, sweep schedules, change logs and caches.
var notState = map[string]bool{"mu": true, "sweeper": true, "changed": true, "jwks": true, "encoded": true}

// storeOptions configure the providers of the store tests: a fixed clock,
// so that times round-trip exactly, and non-default keys.
func storeOptions() []Option {
	return []Option{WithInMemoryTransport(), WithTime(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)), WithAlgorithm(EdDSA), WithKeySeed(3)}
}

// fillEveryStore gives every field of every store, and of the records in
// them, a value that is not zero somewhere. A field added to a store or a
// record must be filled here, and then round-trip through its snapshot.
func fillEveryStore(t *testing.T, p *Provider) {
	t.Helper()
	p.FastForward(time.Minute)
	now := p.Now()
	// A set clock has no offset (one following the wall clock has), but
	// the field must round-trip all the same.
	p.clock.offset = time.Second
	alice := User{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}, ACR: "phr", AMR: []string{"pwd", "otp"}}
	must(t, p.AddUser(alice))
	typed := User{Subject: "typed", ACR: "phrh", AMR: []string{"hwk"}}
	if _, err := p.users.approve(approveOpts{typed: &typed}); err != nil {
		t.Fatal(err)
	}
	p.ForClient("app").QueueDenial()
	must(t, p.QueueUser(alice))
	p.SignOut()
	p.RotateKey()
	p.PublishNextKey()

	p.codes.add(&authCode{code: "c1", clientID: "app", redirectURI: "http://127.0.0.1/cb", redirectGiven: true, scopes: []string{"openid"},
		nonce: "n", challenge: "ch", method: PKCES256, user: alice, authTime: now, issuedAt: now, sid: "s1", expiresAt: now.Add(time.Hour),
		resources: []string{"https://api.example"}, dpopJKT: "jkt1", claims: requestedClaims{idToken: []string{"email"}, userinfo: []string{"acr"}}}, now)
	p.codes.add(&authCode{code: "c2", clientID: "other", expiresAt: now.Add(time.Hour)}, now)
	p.codes.redeem("c1", "fam1", now, func(*authCode) *Error { return nil })
	p.InvalidateCode("c2")

	g := grant{family: "fam1", clientID: "app", user: alice, scopes: []string{"openid"}, authTime: now, audience: []string{"api"}, actor: map[string]any{"sub": "svc"}, sid: "s1",
		jkt: "jkt1", claims: requestedClaims{idToken: []string{"email"}, userinfo: []string{"acr"}}}
	p.tokens.record(g, issued{grantType: GrantAuthorizationCode, jti: "j1", access: "at1", refresh: "r1", idToken: "id1", scopes: []string{"openid"}, audience: []string{"https://api.example"},
		accessExpires: now.Add(time.Hour), refreshExpires: now.Add(2 * time.Hour), idExpires: now.Add(time.Hour)}, now)
	g2 := grant{family: "fam2", clientID: "app", user: alice}
	p.tokens.record(g2, issued{grantType: GrantRefreshToken, jti: "j2", refresh: "r2", idToken: "id2", accessExpires: now.Add(time.Hour), refreshExpires: now.Add(time.Hour)}, now)
	if _, _, err := p.tokens.rotate("r1", now, rotation{next: "r1b", lifetime: time.Hour, reuse: time.Minute}, func(grant) *Error { return nil }); err != nil {
		t.Fatal(err)
	}
	p.tokens.record(g, issued{grantType: GrantRefreshToken, jti: "j3", access: "at3", rotated: "r1b", accessExpires: now.Add(time.Hour)}, now)
	p.RevokeToken("id2")
	p.RevokeToken("r2")
	p.tokens.revokeRefreshFamily("r2")
	p.tokens.access["j2"].revoked = true

	p.sessions.start("s1", alice, now, time.Hour)
	p.sessions.join("s1", "app")
	p.sessions.sessions["s1"].sso = true

	p.devices.add(&deviceAuth{deviceCode: "d1", userCode: "BCDF-GHJK", clientID: "app", scopes: []string{"openid"},
		issuedAt: now, expiresAt: now.Add(time.Hour), interval: deviceInterval}, now)
	if _, err := p.devices.decide("BCDF-GHJK", now, func() (User, *Error) { return alice, nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := p.devices.poll("d1", "app", now); err != nil {
		t.Fatal(err)
	}
	p.assertions.first("https://issuer.example", "a1", now.Add(time.Hour), now)
	p.dpop.first("jkt1", "proof1", now)
	p.RequireDPoPNonce()

	p.pars.add(requestURIPrefix+"p1", &pushedRequest{clientID: "app", params: url.Values{"scope": {"openid"}}, expiresAt: now.Add(time.Minute)}, now)
	p.pars.add(requestURIPrefix+"p2", &pushedRequest{clientID: "app", expiresAt: now.Add(time.Minute)}, now)
	if _, err := p.pars.lookup(requestURIPrefix+"p2", "app", now, true); err != nil {
		t.Fatal(err)
	}

	edKey := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	registered := Client{ID: "dyn-1", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1/cb"}, Scopes: []string{"openid"},
		AuthMethods: []string{AuthMethodPrivateKeyJWT}, PublicKeys: []crypto.PublicKey{edKey.Public()}, GrantTypes: []string{GrantAuthorizationCode},
		DPoPBoundAccessTokens: true, RequirePushedAuthorizationRequests: true, RequestObjectSigningAlg: EdDSA, RequireSignedRequestObject: true}
	p.clients.register(registered, registration{Token: "rat", IssuedAt: now, Metadata: clientMetadata{
		RedirectURIs: []string{"http://127.0.0.1/cb"}, TokenEndpointAuthMethod: AuthMethodPrivateKeyJWT, GrantTypes: []string{GrantAuthorizationCode},
		ResponseTypes: []string{"code"}, ClientName: "n", ClientURI: "https://c.example", LogoURI: "https://c.example/l.png", Scope: "openid",
		Contacts: []string{"a@c.example"}, TosURI: "https://c.example/tos", PolicyURI: "https://c.example/policy", JWKSURI: "https://c.example/jwks",
		JWKS: []byte(`{"keys":[]}`), SoftwareID: "sw", SoftwareVersion: "1", ApplicationType: "web", IDTokenSignedResponseAlg: EdDSA,
		PostLogoutRedirectURIs: []string{"http://127.0.0.1/bye"}, BackchannelLogoutURI: "http://127.0.0.1/bcl", BackchannelLogoutSessionRequired: true,
		DPoPBoundAccessTokens: true, RequirePushedAuthorization: true, RequestObjectSigningAlg: EdDSA, RequireSignedRequestObject: true,
	}})
	must(t, p.SetClaimRules(ClaimRule{When: ClaimWhen{ClientID: DefaultClientID, Scope: "openid", GrantType: GrantAuthorizationCode},
		AccessToken: map[string]any{"tenant": "acme"}, IDToken: map[string]any{"groups": "${groups}"}, Userinfo: map[string]any{"plan": "gold"}}))
	p.documents.put(Client{ID: "https://c.example/client.json", Public: true, PublicKeys: []crypto.PublicKey{edKey.Public()}}, now, now.Add(time.Hour))
	p.forms.get()

	p.FailNext(EndpointToken, 2, FaultError((&Error{ErrorCode: "e", ErrorDescription: "d", ErrorURI: "https://u.example"}).withStatus(503)))
	p.ForClient("app").Fail(EndpointUserinfo, FaultStatus(502).After(time.Second))
	p.Fail(EndpointJWKS, FaultContentType("text/html"))
	p.TakeDown()
	for i := range maxRequests + 1 {
		p.requests.add(Request{Endpoint: EndpointToken, Time: now.Add(time.Duration(i)), Method: "POST", ClientID: "app", Status: 200, Params: url.Values{"grant_type": {"refresh_token"}}})
	}
	p.backchannel.deliveries = append(p.backchannel.deliveries, LogoutDelivery{ClientID: "app", Time: now, Status: 200})
}

func must[E error](t *testing.T, err E) {
	t.Helper()
	if !reflect.ValueOf(&err).Elem().IsZero() {
		t.Fatal(err)
	}
}

// TestEveryStoreRoundTrips: every store of the list, filled, snapshots to
// records that restore into a fresh provider's store an equal store. A
// store in the list without a snapshot, or a field of a store or record
// that fillEveryStore leaves zero or that the snapshot loses, fails it.
func TestEveryStoreRoundTrips(t *testing.T) {
	t.Parallel()
	p, err := NewProvider(storeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	fillEveryStore(t, p)
	fresh, err := NewProvider(storeOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	freshStores := fresh.storeList()
	for i, s := range p.storeList() {
		checkFilled(t, s.name, reflect.ValueOf(s.store).Elem())
		recs := s.store.snapshot(nil)
		if len(recs) == 0 {
			t.Errorf("store %s: its snapshot is empty", s.name)
			continue
		}
		if err := freshStores[i].store.restore(recs); err != nil {
			t.Errorf("store %s: restore: %v", s.name, err)
			continue
		}
		compareStores(t, s.name, reflect.ValueOf(s.store).Elem(), reflect.ValueOf(freshStores[i].store).Elem())
	}
}

// checkFilled fails the test for each field of store v, or of the records
// it holds (the package's unexported types; exported ones are encoded
// whole), that is zero everywhere.
func checkFilled(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	seen := map[string]bool{}
	walkFields(v, seen)
	for _, f := range slices.Sorted(maps.Keys(seen)) {
		if !seen[f] {
			t.Errorf("store %s: %s is zero in every record: fill it in fillEveryStore and keep it in the store's snapshot", name, f)
		}
	}
}

func walkFields(v reflect.Value, seen map[string]bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			walkFields(v.Elem(), seen)
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			walkFields(it.Value(), seen)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkFields(v.Index(i), seen)
		}
	case reflect.Struct:
		typ := v.Type()
		if typ.PkgPath() != reflect.TypeFor[Provider]().PkgPath() || token.IsExported(typ.Name()) || typ == reflect.TypeFor[signingKey]() {
			return
		}
		for i := range typ.NumField() {
			if f := typ.Field(i); !notState[f.Name] {
				key := typ.Name() + "." + f.Name
				seen[key] = seen[key] || !v.Field(i).IsZero()
				walkFields(v.Field(i), seen)
			}
		}
	}
}

// compareStores fails the test for each field of stores a and b that
// differs. Keys compare by kid: their hash functions never compare equal.
func compareStores(t *testing.T, name string, a, b reflect.Value) {
	t.Helper()
	for i := range a.NumField() {
		f := a.Type().Field(i)
		if notState[f.Name] {
			continue
		}
		if f.Anonymous && f.Type.Kind() == reflect.Struct { // an embedded part of the store, such as usedOnce
			compareStores(t, name, a.Field(i), b.Field(i))
			continue
		}
		x, y := exposed(a.Field(i)), exposed(b.Field(i))
		switch f.Type {
		case reflect.TypeFor[*signingKey](), reflect.TypeFor[[]*signingKey](), reflect.TypeFor[map[string]*signingKey]():
			x, y = kidsOf(a.Field(i)), kidsOf(b.Field(i))
		}
		if !reflect.DeepEqual(x, y) {
			t.Errorf("store %s: %s differs after the round trip:\n was %#v\n now %#v", name, f.Name, x, y)
		}
	}
}

// exposed returns the value of a field, exported or not.
func exposed(v reflect.Value) any {
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem().Interface()
}

// kidsOf lists the kids of a key, a slice of keys or a map of keys.
func kidsOf(v reflect.Value) []string {
	var out []string
	switch k := exposed(v).(type) {
	case *signingKey:
		if k != nil {
			out = append(out, k.kid)
		}
	case []*signingKey:
		for _, key := range k {
			out = append(out, key.kid)
		}
	case map[string]*signingKey:
		out = slices.Sorted(maps.Keys(k))
	}
	return out
}
