// Command oauthtest runs a fake OpenID Connect provider for local
// development: the provider of github.com/c95d6557/oauthtest on a fixed
// port, approving a configured user at once (or on a login page), with keys
// that stay the same across restarts.
//
//	go run github.com/c95d6557/oauthtest/cmd/oauthtest@latest
//	oauthtest -addr 127.0.0.1:9090 -client-id web -client-secret s3cret -redirect-uri http://localhost:8080/callback
//	oauthtest -config oauthtest.json
//
// Its keys are published with the package: use it for tests and local
// development only.
package main

import (
	"errors"
	"flag"
	"fmt"
	"github.com/c95d6557/oauthtest/internal/words"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/c95d6557/oauthtest"
)

func main() {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	os.Exit(run(signals, os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1 // the provider could not run, e.g. its address is taken
	exitUsage = 2 // a wrong flag or config file
)

// run starts the provider, prints how to reach it, logs each request and
// stops on the first signal, once the requests in flight are answered, or at
// once on a second. Errors are one line on stderr.
func run(signals <-chan os.Signal, args []string, stdout, stderr io.Writer) int {
	s, err := parseFlags(args, stdout)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		fmt.Fprintf(stderr, "oauthtest: %v\n", err)
		return exitUsage
	case s.version:
		fmt.Fprintln(stdout, "oauthtest", version())
		return exitOK
	case s.health != "":
		return checkHealth(s.health, s.healthCA, stderr)
	}
	f, err := s.config()
	if err == nil {
		err = s.check(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "oauthtest: %v\n", err)
		return exitUsage
	}
	return s.serveIssuers(signals, f, stdout, stderr)
}

// check refuses wrong settings before the command listens, so that a
// wrong flag is told as such even when the address is taken: those of the
// command itself, and the issuers' options (but what NewProvider checks).
func (s *settings) check(f *fileConfig) error {
	if s.logFormat != "text" && s.logFormat != "json" {
		return fmt.Errorf("-log-format %q: use text or json", s.logFormat)
	}
	if s.stateFile != "" && f.Issuers[0].Name != "" {
		return fmt.Errorf("-state keeps one issuer's state, and %s has several: give each issuer a \"state_file\"", s.configFile)
	}
	for i := range f.Issuers {
		if _, err := s.issuerOptions(f, &f.Issuers[i], issuerAt(f, i), "http://127.0.0.1", uint64(i)); err != nil {
			return err
		}
	}
	var err error
	s.httpsSettings, err = s.https(f)
	return err
}

// settings are what the flags and the config file say.
type settings struct {
	addr, issuer, configFile, keyFile, alg, logFormat   string
	health, stateFile, initialToken, controlToken       string
	clientID, clientSecret, sub                         string
	redirectURIs, claims, origins, controlHosts, grants list
	public, loginPage, version, controlAPI              bool
	registration, metadataDocuments, issuersOnDemand    bool
	fapi2                                               bool
	tls                                                 bool
	tlsCert, tlsKey, tlsCAOut, healthCA                 string
	httpsSettings                                       httpsSettings // of the flags and the file, once checked
	dpopNonces, dpopRequired                            bool
	lifetimes                                           oauthtest.Lifetimes
	set                                                 map[string]bool // flags given explicitly
	file                                                *fileConfig     // the config file, once read
}

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func parseFlags(args []string, stdout io.Writer) (*settings, error) {
	s := &settings{set: map[string]bool{}}
	fs := flag.NewFlagSet("oauthtest", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by run
	fs.StringVar(&s.addr, "addr", "127.0.0.1:9090", "`host:port` to listen on")
	fs.StringVar(&s.issuer, "issuer", os.Getenv("OAUTHTEST_ISSUER"), "issuer `URL` to advertise, behind a proxy or in a container network (default $OAUTHTEST_ISSUER, else http://ADDR)")
	fs.StringVar(&s.clientID, "client-id", oauthtest.DefaultClientID, "the client's `id`")
	fs.StringVar(&s.clientSecret, "client-secret", oauthtest.DefaultClientSecret, "the client's `secret`")
	fs.Var(&s.redirectURIs, "redirect-uri", "a redirect `URI` of the client, matched exactly; repeatable (default: any loopback URI)")
	fs.BoolVar(&s.public, "public", false, "the client is public: no secret, PKCE required")
	fs.Var(&s.grants, "grant", "a grant `type` the client may use (authorization_code, refresh_token, client_credentials...); repeatable (default: authorization_code and refresh_token; without any client flag, the default client may use every grant)")
	fs.StringVar(&s.sub, "sub", oauthtest.DefaultUser().Subject, "the `subject` of the user approved")
	fs.Var(&s.origins, "allowed-origin", "an `origin` (scheme://host:port) whose browser apps may call the provider (CORS); repeatable")
	fs.Var(&s.claims, "claim", "a claim of the user, `name=value`; a JSON value (true, 42, [\"admin\"]) is decoded; repeatable")
	fs.Var((*lifetimeFlag)(&s.lifetimes.Code), "code-lifetime", "authorization code `lifetime` (default "+words.Duration(oauthtest.DefaultCodeLifetime)+")")
	fs.Var((*lifetimeFlag)(&s.lifetimes.AccessToken), "access-token-lifetime", "access token `lifetime` (default "+words.Duration(oauthtest.DefaultAccessTokenLifetime)+")")
	fs.Var((*lifetimeFlag)(&s.lifetimes.IDToken), "id-token-lifetime", "ID token `lifetime` (default "+words.Duration(oauthtest.DefaultIDTokenLifetime)+")")
	fs.Var((*lifetimeFlag)(&s.lifetimes.RefreshToken), "refresh-token-lifetime", "refresh token `lifetime` (default "+words.Duration(oauthtest.DefaultRefreshTokenLifetime)+")")
	fs.StringVar(&s.configFile, "config", "", "JSON config `file` for several clients and users (see docs/cli.md)")
	fs.StringVar(&s.keyFile, "key", "", "PEM private key `file` to sign with, instead of the built-in insecure key")
	fs.StringVar(&s.alg, "alg", "", "signing algorithm of the built-in keys: RS256 (default), ES256 or EdDSA")
	fs.StringVar(&s.logFormat, "log-format", "text", "request log format: text or json")
	fs.BoolVar(&s.controlAPI, "control-api", false, "serve the control API below /_oauthtest, to stage users, faults, time... over HTTP (see docs/control-api.md)")
	fs.BoolVar(&s.fapi2, "fapi2", false, "follow the FAPI 2.0 Security Profile: PAR, PKCE S256, private_key_jwt and DPoP required, ES256 tokens (every issuer of a config file)")
	fs.BoolVar(&s.registration, "registration", false, "serve dynamic client registration (RFC 7591, RFC 7592) at /oauth/register")
	fs.StringVar(&s.initialToken, "initial-access-token", "", "with -registration, require this `token` as a Bearer token to register")
	fs.BoolVar(&s.metadataDocuments, "client-id-metadata-documents", false, "accept the URL of a client ID metadata document as client_id, and fetch it")
	fs.BoolVar(&s.dpopNonces, "dpop-nonces", false, "demand a nonce of the provider's in every DPoP proof (RFC 9449 §8, §9)")
	fs.BoolVar(&s.dpopRequired, "dpop-required", false, "require a DPoP proof (RFC 9449) of every client at the token endpoint")
	fs.StringVar(&s.controlToken, "control-token", os.Getenv("OAUTHTEST_CONTROL_TOKEN"), "require `token` of the control API: Authorization: Bearer TOKEN (default $OAUTHTEST_CONTROL_TOKEN); for a provider that listens on every interface")
	fs.Var(&s.controlHosts, "control-host", "a `host[:port]` the control API also answers at, besides the issuer's and loopback names (such as a container's name); repeatable")
	fs.BoolVar(&s.issuersOnDemand, "issuers-on-demand", false, "serve any first path segment NAME as an issuer of its own, http://ADDR/NAME, made at its first request (see docs/cli.md)")
	fs.BoolVar(&s.loginPage, "login-page", false, "show a page to pick the user instead of approving at once")
	fs.BoolVar(&s.version, "version", false, "print the version and exit")
	fs.StringVar(&s.stateFile, "state", "", "keep codes, tokens, sessions, users, the clock and key rotations in `file` across restarts: each change is synced before its answer is sent")
	fs.StringVar(&s.health, "health", "", "check `URL` (a running oauthtest's /healthz) and exit 0 if it answers 200, else 1: a container health check without a shell")
	fs.StringVar(&s.healthCA, "health-ca", "", "with -health of an https URL, trust the CA certificate of PEM `file` (default: the one -tls wrote to its default place for the URL's port, if there, else the system's)")
	fs.BoolVar(&s.tls, "tls", false, "serve HTTPS, with a certificate made at start for localhost, 127.0.0.1, [::1] and the issuer's host; its CA certificate is written to -tls-ca-out")
	fs.StringVar(&s.tlsCAOut, "tls-ca-out", "", "with -tls, write the CA certificate clients must trust to PEM `file` (default $TMPDIR/oauthtest-PORT-ca.pem)")
	fs.StringVar(&s.tlsCert, "tls-cert", "", "serve HTTPS with the certificate (chain) of PEM `file` instead of making one; with -tls-key")
	fs.StringVar(&s.tlsKey, "tls-key", "", "the private key of -tls-cert, PEM `file`")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: oauthtest [flags]\n\nA fake OpenID Connect provider for local development. Its keys are public: never use it in production.")
			fs.PrintDefaults()
			return nil, err
		}
		return nil, fmt.Errorf("%v (oauthtest -h lists the flags)", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (oauthtest -h lists the flags)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	return s, nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// newLogger logs to w in the given format.
func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// logRequest logs each request on one line; errors with their description.
func logRequest(l *slog.Logger) func(oauthtest.Request) {
	return func(r oauthtest.Request) {
		attrs := []any{"method", r.Method, "endpoint", string(r.Endpoint), "status", r.Status}
		for _, kv := range [][2]string{{"client", r.ClientID}, {"grant_type", r.GrantType}, {"auth", r.AuthMethod}, {"pkce", r.PKCEMethod}} {
			if kv[1] != "" {
				attrs = append(attrs, kv[0], kv[1])
			}
		}
		if r.Error != "" {
			l.Warn("request", append(attrs, "error", r.Error, "error_description", r.ErrorDescription)...)
			return
		}
		l.Info("request", attrs...)
	}
}

// printEndpoints lists the issuer, its endpoints, its clients, who logs in
// and its state file ("" for none; existed says whether it was there to
// load at start).
func printEndpoints(w io.Writer, p *oauthtest.Provider, controlAPI, loginPage bool, stateFile string, existed bool) {
	fmt.Fprintf(w, "  %-21s %s\n", "issuer:", p.Issuer())
	for _, e := range p.Endpoints() {
		fmt.Fprintf(w, "  %-21s %s\n", string(e.Endpoint)+":", e.URL)
	}
	if controlAPI {
		fmt.Fprintf(w, "  %-21s %s (GET %[2]s/openapi.json describes it)\n", "control API:", p.Issuer()+oauthtest.ControlPath)
	}
	for _, c := range p.Clients() {
		cred := fmt.Sprintf("secret %q", c.Secret)
		if c.Public {
			cred = "public (PKCE required)"
		}
		redirects := "any loopback URI"
		if len(c.RedirectURIs) > 0 {
			redirects = strings.Join(c.RedirectURIs, " ")
		}
		grants := ""
		if slices.Equal(slices.Sorted(slices.Values(c.GrantTypes)), everyGrant) {
			grants = "; every grant"
		} else if len(c.GrantTypes) > 0 {
			grants = "; grants: " + strings.Join(c.GrantTypes, " ")
		}
		fmt.Fprintf(w, "  client %q: %s; redirect URIs: %s%s\n", c.ID, cred, redirects, grants)
	}
	printUsers(w, p.Users(), loginPage)
	if stateFile != "" {
		loaded := "not there yet: it is written after the first request"
		if existed {
			loaded = "restored " + count(len(p.Codes()), "code") + " and " + count(len(p.Tokens()), "token")
		}
		fmt.Fprintf(w, "  %-21s %s (%s)\n", "state file:", stateFile, loaded)
	}
}

// everyGrant lists every grant the provider serves, sorted.
var everyGrant = slices.Sorted(slices.Values([]string{oauthtest.GrantAuthorizationCode, oauthtest.GrantRefreshToken,
	oauthtest.GrantClientCredentials, oauthtest.GrantDeviceCode, oauthtest.GrantTokenExchange, oauthtest.GrantJWTBearer}))

// printUsers says who logs in: the user approved at once, or the users of
// the login page.
func printUsers(w io.Writer, us oauthtest.Users, loginPage bool) {
	var others []string
	for _, u := range us.Known {
		others = append(others, describeUser(u))
	}
	if loginPage {
		fmt.Fprintf(w, "  users (login page):   %s\n", strings.Join(append([]string{describeUser(us.Current)}, others...), ", "))
		return
	}
	fmt.Fprintf(w, "  %-21s %s\n", "user approved:", describeUser(us.Current))
	if len(others) > 0 {
		fmt.Fprintf(w, "  %-21s %s\n", "by login_hint:", strings.Join(others, ", "))
	}
}

// describeUser writes a user as "sub" (Name, email).
func describeUser(u oauthtest.User) string {
	var about []string
	for _, claim := range []string{"name", "email"} {
		if v, ok := u.Claims[claim].(string); ok && v != "" {
			about = append(about, v)
		}
	}
	if len(about) == 0 {
		return fmt.Sprintf("%q", u.Subject)
	}
	return fmt.Sprintf("%q (%s)", u.Subject, strings.Join(about, ", "))
}

// printBanner says where the issuers are and how to use them: a named
// issuer under its name, the root one alone; more says what else is served.
func printBanner(w io.Writer, issuers []*issuer, more func(io.Writer)) {
	fmt.Fprintln(w, "oauthtest: a fake OpenID Connect provider; its keys are public, for tests and local development only.")
	for _, is := range issuers {
		if is.name != "" {
			fmt.Fprintf(w, "issuer %q:\n", is.name)
		}
		printEndpoints(w, is.p, is.controlAPI, is.loginPage, is.stateFile, is.existed)
		if is.loginPage {
			fmt.Fprintln(w, "  the authorization endpoint shows a login page to pick the user")
		}
	}
	more(w)
	fmt.Fprintf(w, "  started %s; Ctrl-C stops\n", time.Now().Format(time.TimeOnly))
}

// count writes n things: 1 code, 2 codes.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// fileExists reports whether path names a file that is there.
func fileExists(path string) bool {
	if path == "" {
		return false
	}
	_, err := os.Stat(path)
	return err == nil
}

// logError logs the errors no answer carries whole: a state file that
// could not be written.
func logError(l *slog.Logger) func(error) {
	return func(err error) { l.Error("state file", "error", err.Error()) }
}

// lifetimeFlag is a lifetime flag: a duration whose error says what to write.
type lifetimeFlag time.Duration

func (f *lifetimeFlag) String() string { return time.Duration(*f).String() }

func (f *lifetimeFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as 10m, 1h or 720h")
	}
	*f = lifetimeFlag(d)
	return nil
}
