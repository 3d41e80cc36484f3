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
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
		return checkHealth(s.health, stderr)
	}
	if s.configFile != "" {
		if f, err := s.config(); err != nil {
			fmt.Fprintf(stderr, "oauthtest: %v\n", err)
			return exitUsage
		} else if f.Version == configVersionMulti {
			return runIssuers(signals, s, f, stdout, stderr)
		}
	}
	opts, err := s.options()
	if err != nil {
		fmt.Fprintf(stderr, "oauthtest: %v\n", err)
		return exitUsage
	}
	file := s.file
	if file == nil {
		file = &fileConfig{}
	}
	l, base, code := s.listen(file, stderr)
	if l == nil {
		return code
	}
	issuer := s.choose("issuer", s.issuer, file.Issuer)
	if issuer == "" {
		issuer = base
	}
	logger := newLogger(s.logFormat, stderr)
	stateFile := s.stateFile
	if stateFile == "" && file.StateFile != "" {
		stateFile = file.statePath(file.StateFile)
	}
	existed := fileExists(stateFile)
	p, err := oauthtest.NewProvider(append(opts, oauthtest.WithoutServer(), oauthtest.WithIssuer(issuer),
		oauthtest.WithRequestObserver(logRequest(logger)), oauthtest.WithErrorHandler(logError(logger)))...)
	if err != nil {
		l.Close()
		fmt.Fprintln(stderr, err) // already "oauthtest: ..."
		return exitUsage
	}
	defer p.Close() // once the server has stopped: writes what Go calls changed, closes the state file
	srv := serve(l, map[string]http.Handler{"/": p.Handler()})
	printBanner(stdout, p, s.loginPage || file.LoginPage, s.controlAPI, stateFile, existed)
	return serveUntilSignalled(signals, logger, func() { _ = srv.Shutdown(context.Background()) }, func() { _ = srv.Close() })
}

// settings are what the flags and the config file say.
type settings struct {
	addr, issuer, configFile, keyFile, alg, logFormat   string
	health, stateFile, initialToken, controlToken       string
	clientID, clientSecret, sub                         string
	redirectURIs, claims, origins, controlHosts, grants list
	public, loginPage, version, controlAPI              bool
	registration, metadataDocuments, fapi2              bool
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
	fs.DurationVar(&s.lifetimes.Code, "code-lifetime", 0, "authorization code lifetime (default 10m)")
	fs.DurationVar(&s.lifetimes.AccessToken, "access-token-lifetime", 0, "access token lifetime (default 1h)")
	fs.DurationVar(&s.lifetimes.IDToken, "id-token-lifetime", 0, "ID token lifetime (default 1h)")
	fs.DurationVar(&s.lifetimes.RefreshToken, "refresh-token-lifetime", 0, "refresh token lifetime (default 720h)")
	fs.StringVar(&s.configFile, "config", "", "JSON config `file` for several clients and users (see docs/cli.md)")
	fs.StringVar(&s.keyFile, "key", "", "PEM private key `file` to sign with, instead of the built-in insecure key")
	fs.StringVar(&s.alg, "alg", "", "signing algorithm of the built-in keys: RS256 (default), ES256 or EdDSA")
	fs.StringVar(&s.logFormat, "log-format", "text", "request log format: text or json")
	fs.BoolVar(&s.controlAPI, "control-api", false, "serve the control API below /_oauthtest, to stage users, faults, time... over HTTP (see docs/control-api.md)")
	fs.BoolVar(&s.fapi2, "fapi2", false, "follow the FAPI 2.0 Security Profile: PAR, PKCE S256, private_key_jwt and DPoP required, ES256 tokens (every issuer of a config file)")
	fs.BoolVar(&s.registration, "registration", false, "serve dynamic client registration (RFC 7591, RFC 7592) at /oauth/register")
	fs.StringVar(&s.initialToken, "initial-access-token", "", "with -registration, require this `token` as a Bearer token to register")
	fs.BoolVar(&s.metadataDocuments, "client-id-metadata-documents", false, "accept the URL of a client ID metadata document as client_id, and fetch it")
	fs.StringVar(&s.controlToken, "control-token", os.Getenv("OAUTHTEST_CONTROL_TOKEN"), "require `token` of the control API: Authorization: Bearer TOKEN (default $OAUTHTEST_CONTROL_TOKEN); for a provider that listens on every interface")
	fs.Var(&s.controlHosts, "control-host", "a `host[:port]` the control API also answers at, besides the issuer's and loopback names (such as a container's name); repeatable")
	fs.BoolVar(&s.loginPage, "login-page", false, "show a page to pick the user instead of approving at once")
	fs.BoolVar(&s.version, "version", false, "print the version and exit")
	fs.StringVar(&s.stateFile, "state", "", "keep codes, tokens, sessions, users, the clock and key rotations in `file` across restarts: each change is synced before its answer is sent")
	fs.StringVar(&s.health, "health", "", "check `URL` (a running oauthtest's /healthz) and exit 0 if it answers 200, else 1: a container health check without a shell")
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

// logError logs the errors no answer carries whole: a state file that
// could not be written.
func logError(l *slog.Logger) func(error) {
	return func(err error) { l.Error("state file", "error", err.Error()) }
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

// printBanner says where the provider is and how to use it.
func printBanner(w io.Writer, p *oauthtest.Provider, loginPage, controlAPI bool, stateFile string, existed bool) {
	fmt.Fprintln(w, "oauthtest: a fake OpenID Connect provider; its keys are public, for tests and local development only.")
	printEndpoints(w, p, controlAPI, loginPage, stateFile, existed)
	if loginPage {
		fmt.Fprintln(w, "  the authorization endpoint shows a login page to pick the user")
	}
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

// checkHealth GETs url and reports whether it answered 200.
func checkHealth(url string, stderr io.Writer) int {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "oauthtest: health: %v\n", err)
		return exitFail
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "oauthtest: health: %s answered %s\n", url, resp.Status)
		return exitFail
	}
	return exitOK
}
