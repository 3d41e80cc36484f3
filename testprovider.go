package oauthtest

// TB is the part of testing.TB that NewTestProvider uses: pass your *testing.T
// (or *testing.B, *testing.F). It is an interface of three methods rather
// than testing.TB itself because testing.TB cannot be implemented outside
// the testing package: the test values of other frameworks (Ginkgo's
// GinkgoT(), a testify suite's T()) and your own wrappers satisfy TB.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// NewTestProvider starts a provider on a free loopback port and closes it
// when the test and its subtests end. Invalid options fail the test, and
// so does a state file (WithStateFile) that cannot be written, if t has an
// Errorf method as *testing.T has.
//
// With no options it has one confidential client (ClientID, ClientSecret)
// that accepts any loopback redirect URI, and approves DefaultUser(). The
// methods that take an Endpoint fail t at once when given an unknown name.
func NewTestProvider(t TB, opts ...Option) *Provider {
	t.Helper()
	if r, ok := t.(interface{ Errorf(string, ...any) }); ok {
		opts = append([]Option{WithErrorHandler(func(err error) { r.Errorf("%v", err) })}, opts...)
	}
	p, err := NewProvider(opts...)
	if err != nil {
		t.Fatalf("%v", err)
		return nil // for a TB whose Fatalf returns
	}
	p.tb = t // fails the test when an API is given an unknown Endpoint
	t.Cleanup(p.Close)
	return p
}
