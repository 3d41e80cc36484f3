package oauthtest

import (
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
var notState = map[string]bool{"mu": true, "sweeper": true, "changed": true, "jwks": true}

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
	alice := User{Subject: "alice", Claims: map[string]any{"email": "alice@example.com", "email_verified": true}}
	must(t, p.AddUser(alice))
	p.ForClient("app").QueueDenial()
	must(t, p.QueueUser(alice))
	p.SignOut()
	p.RotateKey()
	p.PublishNextKey()

	p.codes.add(&authCode{code: "c1", clientID: "app", redirectURI: "http://127.0.0.1/cb", redirectGiven: true, scopes: []string{"openid"},
		nonce: "n", challenge: "ch", method: PKCES256, user: alice, authTime: now, issuedAt: now, sid: "s1", expiresAt: now.Add(time.Hour)}, now)
	p.codes.add(&authCode{code: "c2", clientID: "other", expiresAt: now.Add(time.Hour)}, now)
	p.codes.redeem("c1", "fam1", now, func(*authCode) *Error { return nil })
	p.InvalidateCode("c2")

	g := grant{family: "fam1", clientID: "app", user: alice, scopes: []string{"openid"}, authTime: now, audience: []string{"api"}, actor: map[string]any{"sub": "svc"}, sid: "s1"}
	p.tokens.record(g, issued{grantType: GrantAuthorizationCode, jti: "j1", refresh: "r1", scopes: []string{"openid"}, accessExpires: now.Add(time.Hour), refreshExpires: now.Add(2 * time.Hour)}, now)
	g2 := grant{family: "fam2", clientID: "app", user: alice}
	p.tokens.record(g2, issued{grantType: GrantRefreshToken, jti: "j2", refresh: "r2", accessExpires: now.Add(time.Hour), refreshExpires: now.Add(time.Hour)}, now)
	p.tokens.rotate("r1", now, func(grant) *Error { return nil })
	p.RevokeToken("r2")
	p.tokens.revokeRefreshFamily("r2")
	p.tokens.access["j2"].revoked = true

	p.sessions.start("s1", alice, now, time.Hour)
	p.sessions.join("s1", "app")

	p.devices.add(&deviceAuth{deviceCode: "d1", userCode: "BCDF-GHJK", clientID: "app", scopes: []string{"openid"},
		issuedAt: now, expiresAt: now.Add(time.Hour), interval: deviceInterval}, now)
	must(t, p.devices.decide("BCDF-GHJK", now, func() (User, *Error) { return alice, nil }))
	if _, err := p.devices.poll("d1", "app", now); err != nil {
		t.Fatal(err)
	}
	p.assertions.first("https://issuer.example", "a1", now.Add(time.Hour), now)

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
	for i, s := range p.storeList {
		checkFilled(t, s.name, reflect.ValueOf(s.store).Elem())
		recs := s.store.snapshot(nil)
		if len(recs) == 0 {
			t.Errorf("store %s: its snapshot is empty", s.name)
			continue
		}
		if err := fresh.storeList[i].store.restore(recs); err != nil {
			t.Errorf("store %s: restore: %v", s.name, err)
			continue
		}
		compareStores(t, s.name, reflect.ValueOf(s.store).Elem(), reflect.ValueOf(fresh.storeList[i].store).Elem())
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
