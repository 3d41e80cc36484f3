package oauthtest

import (
	"crypto"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Default lifetimes.
const (
	// DefaultCodeLifetime is how long an authorization code can be redeemed
	// (RFC 6749 §4.1.2 recommends at most 10 minutes).
	DefaultCodeLifetime = 10 * time.Minute
	// DefaultAccessTokenLifetime is the access token's validity: one hour,
	// as most providers issue them.
	DefaultAccessTokenLifetime = time.Hour
	// DefaultIDTokenLifetime is the ID token's validity.
	DefaultIDTokenLifetime = time.Hour
	// DefaultRefreshTokenLifetime is how long a refresh token can be used.
	DefaultRefreshTokenLifetime = 30 * 24 * time.Hour
)

// An Option configures a provider at construction.
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// config is what the options set; it does not change once the provider runs.
type config struct {
	clients    []Client // the default client first
	noDefault  bool     // WithoutDefaultClient: clients[0] is not registered
	user       User
	customUser bool   // user was set by an option
	users      []User // selectable by login_hint
	issuer     string // empty: the server's URL
	addr       string // empty: a free loopback port
	tls        bool
	serve      bool
	inMemory   bool        // WithInMemoryTransport
	key        *signingKey // WithSigningKey; nil: the seeded sequence of alg
	alg        string
	keySeed    uint64
	seed       *uint64
	start      time.Time

	lifetimes Lifetimes

	accessClaims, idClaims ClaimsHook
	claimRules             []ClaimRule // WithClaimRules: claim_rules.go

	observer  func(Request)
	loginPage bool
	acrValues []string // WithACRValues; nil: defaultACRValues

	trusted map[string][]crypto.PublicKey // WithTrustedIssuer: keys by issuer
	origins []string                      // WithAllowedOrigins, lower case
	control bool                          // WithControlAPI
	// controlToken and controlHosts are of WithControlToken and WithControlHosts.
	controlToken string
	controlHosts []string
	stateFile    string      // WithStateFile
	onError      func(error) // WithErrorHandler

	dpopRequired, dpopNonces bool               // WithDPoPRequired, WithDPoPNonces
	registration             registrationConfig // WithDynamicRegistration, WithClientIDMetadataDocuments
	par                      parConfig          // PAR and request objects: par.go
	fapi                     bool               // WithFAPI2: fapi.go
}

func newConfig(opts []Option) (*config, error) {
	c := &config{
		clients: []Client{defaultClient()},
		user:    defaultUser(),
		serve:   true,
		lifetimes: Lifetimes{
			Code:         DefaultCodeLifetime,
			AccessToken:  DefaultAccessTokenLifetime,
			IDToken:      DefaultIDTokenLifetime,
			RefreshToken: DefaultRefreshTokenLifetime,
		},
	}
	for _, o := range opts {
		if err := o.apply(c); err != nil {
			return nil, fmt.Errorf("oauthtest: %w", err)
		}
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("oauthtest: %w", err)
	}
	if err := c.settleFAPI(); err != nil { // also the default algorithm
		return nil, fmt.Errorf("oauthtest: %w", err)
	}
	switch {
	case !c.serve && c.issuer == "":
		return nil, fmt.Errorf("oauthtest: WithoutServer needs WithIssuer: the provider must know its URL")
	case c.inMemory && !c.serve:
		return nil, fmt.Errorf("oauthtest: WithInMemoryTransport and WithoutServer: the first serves in memory, the second not at all")
	case c.inMemory && c.addr != "":
		return nil, fmt.Errorf("oauthtest: WithInMemoryTransport and WithAddr: a provider in memory listens on no address")
	case !c.control && (c.controlToken != "" || len(c.controlHosts) > 0):
		return nil, fmt.Errorf("oauthtest: WithControlToken and WithControlHosts guard the control API: give WithControlAPI too")
	case c.inMemory && c.tls:
		return nil, fmt.Errorf("oauthtest: WithInMemoryTransport and WithTLS: nothing is encrypted in memory; for https URLs, give WithIssuer an https issuer")
	}
	return c, nil
}

// validate checks the clients and users the options gave and fills their
// defaults. The default client and user were checked once per process.
func (c *config) validate() error {
	for i := range c.clients[1:] {
		if err := c.clients[i+1].validate(); err != nil {
			return err
		}
	}
	for i := range c.users {
		if err := c.users[i].validate(); err != nil {
			return err
		}
	}
	if c.customUser {
		return c.user.validate()
	}
	return nil
}

// defaultClient and defaultUser are validated once per process and shared
// by every provider, which never modifies them.
var (
	defaultClient = sync.OnceValue(func() Client {
		c := Client{ID: DefaultClientID, Secret: DefaultClientSecret,
			GrantTypes: grantNames(), AuthMethods: []string{AuthMethodBasic, AuthMethodPost, AuthMethodSecretJWT}}
		if err := c.validate(); err != nil {
			panic("oauthtest: the default client: " + err.Error())
		}
		return c
	})
	defaultUser = sync.OnceValue(func() User {
		u := DefaultUser()
		if err := u.validate(); err != nil {
			panic("oauthtest: the default user: " + err.Error())
		}
		return u
	})
)

// WithClient registers a client. Several can be registered; one with the ID
// of the default client (DefaultClientID) replaces it.
func WithClient(cl Client) Option {
	return optionFunc(func(c *config) error {
		c.clients = append(c.clients, cl)
		return nil
	})
}

// WithoutDefaultClient registers only the clients of WithClient, not the
// default one (DefaultClientID, which accepts any loopback redirect URI
// with a well-known secret): for a provider that must know exactly its
// clients, as cmd/oauthtest with a config file. ClientID and ClientSecret
// then return "".
func WithoutDefaultClient() Option {
	return optionFunc(func(c *config) error { c.noDefault = true; return nil })
}

// WithUser sets the user the authorize endpoint approves (DefaultUser()
// otherwise).
func WithUser(u User) Option {
	return optionFunc(func(c *config) error { c.user, c.customUser = u, true; return nil })
}

// WithUsers adds users that an authorization request can select with
// login_hint (their subject, email or preferred_username). Without a
// login_hint the user of WithUser is approved.
func WithUsers(users ...User) Option {
	return optionFunc(func(c *config) error { c.users = append(c.users, users...); return nil })
}

// ClaimsHook adds, changes or deletes claims of a token about to be
// signed. It runs after the provider set its own claims, so it can also
// spoil them for a negative test. It must be safe for concurrent use.
type ClaimsHook func(tc TokenContext, claims map[string]any)

// TokenContext tells a ClaimsHook what the token is for.
type TokenContext struct {
	ClientID  string   // the client the token is for
	User      User     // the approved user; its Claims must not be modified
	Scopes    []string // the token's scopes
	GrantType string   // "authorization_code", "refresh_token", or "" at the authorize endpoint
}

// WithAccessTokenClaims calls hook for every access token the provider signs.
func WithAccessTokenClaims(hook ClaimsHook) Option {
	return optionFunc(func(c *config) error { c.accessClaims = hook; return nil })
}

// WithIDTokenClaims calls hook for every ID token the provider signs.
func WithIDTokenClaims(hook ClaimsHook) Option {
	return optionFunc(func(c *config) error { c.idClaims = hook; return nil })
}

// WithRequestObserver calls observe after each request the provider
// served, with what Requests would list; cmd/oauthtest logs with it. It
// runs on the request's goroutine and must be safe for concurrent use.
func WithRequestObserver(observe func(Request)) Option {
	return optionFunc(func(c *config) error { c.observer = observe; return nil })
}

// WithLoginPage makes the authorize endpoint show a page on which to pick
// which user signs in, among WithUser and WithUsers, instead of approving
// at once: for trying several roles by hand. prompt=none never shows it.
func WithLoginPage() Option {
	return optionFunc(func(c *config) error { c.loginPage = true; return nil })
}

// WithIssuer sets the issuer URL the provider advertises and puts in its
// tokens, for a provider behind a proxy, in a container network or mounted
// in another server's mux. Endpoints are served below the issuer's path.
// Without it, the issuer is the URL of the provider's own server.
func WithIssuer(issuer string) Option {
	return optionFunc(func(c *config) error {
		u, err := url.Parse(issuer)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("issuer %q must be an http or https URL without query or fragment (OIDC Discovery §3)", issuer)
		}
		c.issuer = strings.TrimSuffix(issuer, "/")
		return nil
	})
}

// WithAddr makes the provider listen on addr (host:port) instead of a free
// loopback port; for NewProvider in local development.
func WithAddr(addr string) Option {
	return optionFunc(func(c *config) error { c.addr = addr; return nil })
}

// WithTLS serves HTTPS with a certificate that HTTPClient trusts.
func WithTLS() Option {
	return optionFunc(func(c *config) error { c.tls = true; return nil })
}

// WithoutServer starts no server: serve Handler yourself, at the URL given
// with WithIssuer (required).
func WithoutServer() Option {
	return optionFunc(func(c *config) error { c.serve = false; return nil })
}

// WithSigningKey signs tokens with key instead of InsecureTestKey: an
// *rsa.PrivateKey of at least 2048 bits (RS256), an *ecdsa.PrivateKey on
// P-256 (ES256) or an ed25519.PrivateKey (EdDSA). Its kid is its RFC 7638
// thumbprint. Parse the key once and share it: it is not copied. RotateKey
// moves on to the keys of the provider's sequence (WithKeySeed).
func WithSigningKey(key crypto.Signer) Option {
	return optionFunc(func(c *config) error {
		k, err := newSigningKey(key)
		if err != nil {
			return err
		}
		k.configured = true
		c.key, c.alg = k, k.method.Alg()
		return nil
	})
}

// WithAlgorithm signs with a deterministic key of alg: RS256 (the default,
// RSA-2048), ES256 (ECDSA P-256) or EdDSA (Ed25519). ES256 and EdDSA sign
// and verify far faster than RS256: the fastest configuration for large
// suites. Its first key is the same on every run; WithKeySeed picks other
// ones.
func WithAlgorithm(alg string) Option {
	return optionFunc(func(c *config) error {
		if alg != RS256 && alg != ES256 && alg != EdDSA {
			return fmt.Errorf("algorithm %q is not supported; supported: RS256, ES256, EdDSA", alg)
		}
		c.alg = alg
		return nil
	})
}

// WithKeySeed picks the provider's key sequence: providers with different
// seeds never share a key, so a test can stage "a token signed by another
// issuer", and no key comes twice in a sequence. ES256 and EdDSA keys are
// derived from the seed and the rotation, the same on every run. RS256
// seeds 0 to 7 sign with shipped key s, the same on every run; rotated
// RS256 keys, and the keys of seeds from 8 on, are generated from
// crypto/rand (some 100 ms each), so their kids differ from run to run.
func WithKeySeed(seed uint64) Option {
	return optionFunc(func(c *config) error { c.keySeed = seed; return nil })
}

// WithSeed makes the provider's codes, refresh tokens and token IDs a
// repeatable sequence. Without it each provider draws its own from
// crypto/rand. Together with WithTime, whole token responses repeat.
func WithSeed(seed uint64) Option {
	return optionFunc(func(c *config) error { c.seed = &seed; return nil })
}

// WithTime starts the provider's clock stopped at t (see SetTime): from
// 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
func WithTime(t time.Time) Option {
	return optionFunc(func(c *config) error {
		if err := checkTime(t); err != nil {
			return fmt.Errorf("WithTime: %w", err)
		}
		c.start = t
		return nil
	})
}

// Lifetimes are how long codes and tokens are valid. As a Client's field,
// a zero duration means the provider's.
type Lifetimes struct {
	Code         time.Duration // authorization codes; DefaultCodeLifetime
	AccessToken  time.Duration // access tokens, also their expires_in; DefaultAccessTokenLifetime
	IDToken      time.Duration // ID tokens; DefaultIDTokenLifetime
	RefreshToken time.Duration // refresh tokens; DefaultRefreshTokenLifetime
	// RefreshReuse is how long a refresh token, once rotated, may be
	// presented again and get the same successor refresh token with a
	// newly signed access token, instead of being a replay that revokes
	// its family: for apps whose tabs refresh at once. Auth0's reuse
	// interval, Keycloak's refresh token max reuse. Only the token rotated
	// last may be reused. 0: strict rotation, the default.
	RefreshReuse time.Duration
}

// or returns l with its zero durations taken from def.
func (l Lifetimes) or(def Lifetimes) Lifetimes {
	pick := func(a, b time.Duration) time.Duration {
		if a == 0 {
			return b
		}
		return a
	}
	return Lifetimes{pick(l.Code, def.Code), pick(l.AccessToken, def.AccessToken), pick(l.IDToken, def.IDToken), pick(l.RefreshToken, def.RefreshToken),
		pick(l.RefreshReuse, def.RefreshReuse)}
}

// validate refuses lifetimes under a second, the resolution of JWT times;
// zero is allowed and means the default. RefreshReuse is no JWT time: any
// duration but a negative one.
func (l Lifetimes) validate() error {
	if l.RefreshReuse < 0 {
		return fmt.Errorf("refresh reuse interval %v is negative", l.RefreshReuse)
	}
	for _, f := range [...]struct {
		what string
		d    time.Duration
	}{{"code", l.Code}, {"access token", l.AccessToken}, {"ID token", l.IDToken}, {"refresh token", l.RefreshToken}} {
		if f.d != 0 && f.d < time.Second {
			return fmt.Errorf("%s lifetime %s is shorter than one second, the resolution of JWT times", f.what, humanDuration(f.d))
		}
	}
	return nil
}

// WithLifetimes sets the provider's lifetimes; its zero fields keep the
// defaults. A Client's Lifetimes override them for that client.
func WithLifetimes(l Lifetimes) Option {
	return optionFunc(func(c *config) error {
		if err := l.validate(); err != nil {
			return err
		}
		c.lifetimes = l.or(c.lifetimes)
		return nil
	})
}

// WithCodeLifetime sets how long authorization codes can be redeemed.
func WithCodeLifetime(d time.Duration) Option {
	return lifetime(d, func(l *Lifetimes) *time.Duration { return &l.Code })
}

// WithAccessTokenLifetime sets the validity of access tokens (expires_in).
func WithAccessTokenLifetime(d time.Duration) Option {
	return lifetime(d, func(l *Lifetimes) *time.Duration { return &l.AccessToken })
}

// WithIDTokenLifetime sets the validity of ID tokens.
func WithIDTokenLifetime(d time.Duration) Option {
	return lifetime(d, func(l *Lifetimes) *time.Duration { return &l.IDToken })
}

// WithRefreshTokenLifetime sets how long refresh tokens can be used.
func WithRefreshTokenLifetime(d time.Duration) Option {
	return lifetime(d, func(l *Lifetimes) *time.Duration { return &l.RefreshToken })
}

// WithRefreshReuseInterval lets a rotated refresh token be presented again
// for d after its rotation and get the same successor, instead of being a
// replay that revokes its family (Lifetimes.RefreshReuse). 0, the default,
// is strict rotation.
func WithRefreshReuseInterval(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if err := (Lifetimes{RefreshReuse: d}).validate(); err != nil {
			return err
		}
		c.lifetimes.RefreshReuse = d
		return nil
	})
}

func lifetime(d time.Duration, field func(*Lifetimes) *time.Duration) Option {
	return optionFunc(func(c *config) error {
		var l Lifetimes
		*field(&l) = max(d, time.Nanosecond) // zero is no default here: refuse it as too short
		if err := l.validate(); err != nil {
			return err
		}
		*field(&c.lifetimes) = d
		return nil
	})
}
