package oauthtest

// TB is the part of testing.TB that NewTestProvider uses. *testing.T and
// *testing.B satisfy it, and so can other frameworks' test values.
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
// that accepts any loopback redirect URI, and approves DefaultUser().
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
	t.Cleanup(p.Close)
	return p
}
