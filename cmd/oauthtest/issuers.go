package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/c95d6557/oauthtest"
)

// runIssuers serves the issuers of a version 2 config file, each below its
// own path of one server: http://ADDR/NAME, with the OpenID discovery
// document below that path and the RFC 8414 one at
// /.well-known/oauth-authorization-server/NAME. Each has its own clients,
// users, keys, clock and control API; tokens of one are refused by another.
func runIssuers(signals <-chan os.Signal, s *settings, f *fileConfig, stdout, stderr io.Writer) int {
	if s.logFormat != "text" && s.logFormat != "json" {
		fmt.Fprintf(stderr, "oauthtest: -log-format %q: use text or json\n", s.logFormat)
		return exitUsage
	}
	if s.stateFile != "" {
		fmt.Fprintf(stderr, "oauthtest: -state keeps one issuer's state, and %s has several: give each issuer a \"state_file\"\n", s.configFile)
		return exitUsage
	}
	l, base, code := s.listen(f, stderr)
	if l == nil {
		return code
	}
	if issuer := strings.TrimSuffix(s.choose("issuer", s.issuer, f.Issuer), "/"); issuer != "" {
		base = issuer
	}
	logger := newLogger(s.logFormat, stderr)
	handlers := map[string]http.Handler{}
	var providers []*oauthtest.Provider
	for i, is := range f.Issuers {
		opts, err := s.issuerOptions(f, is, i, base)
		var p *oauthtest.Provider
		if err == nil {
			il := logger.With("issuer", is.Name)
			p, err = oauthtest.NewProvider(append(opts, oauthtest.WithRequestObserver(logRequest(il)), oauthtest.WithErrorHandler(logError(il)))...)
		}
		if err != nil {
			l.Close()
			fmt.Fprintf(stderr, "oauthtest: %s: issuer %q: %v\n", s.configFile, is.Name, strings.TrimPrefix(err.Error(), "oauthtest: "))
			return exitUsage
		}
		handlers["/"+is.Name+"/"] = p.Handler()
		handlers[oauthtest.OAuthMetadataPath+"/"+is.Name] = p.Handler() // RFC 8414 §3
		providers = append(providers, p)
	}
	srv := serve(l, handlers)
	defer func() {
		for _, p := range providers {
			p.Close()
		}
	}()
	fmt.Fprintln(stdout, "oauthtest: a fake OpenID Connect provider; its keys are public, for tests and local development only.")
	for i, p := range providers {
		fmt.Fprintf(stdout, "issuer %q:\n", f.Issuers[i].Name)
		printEndpoints(stdout, p, s.controlAPI || f.Issuers[i].ControlAPI)
	}
	fmt.Fprintf(stdout, "  started %s; Ctrl-C stops\n", time.Now().Format(time.TimeOnly))
	return serveUntilSignalled(signals, logger, func() { _ = srv.Shutdown(context.Background()) }, func() { _ = srv.Close() })
}

// listen listens on the address of the flags or the file, and returns the
// listener and the URL it is reached at; or nil and the exit code.
func (s *settings) listen(f *fileConfig, stderr io.Writer) (net.Listener, string, int) {
	addr := s.choose("addr", s.addr, f.Addr)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintf(stderr, "oauthtest: listen on %s: %v\n", addr, err)
		return nil, "", exitFail
	}
	return l, "http://" + l.Addr().String(), 0
}

// serve serves handlers (by net/http.ServeMux pattern) on l, and /healthz,
// which answers 200 while the command runs, for container health checks.
func serve(l net.Listener, handlers map[string]http.Handler) *http.Server {
	mux := http.NewServeMux()
	for pattern, h := range handlers {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	srv := &http.Server{Handler: mux, MaxHeaderBytes: 64 << 10}
	go func() { _ = srv.Serve(l) }()
	return srv
}

// issuerOptions are the options of issuer i of a version 2 file: its own
// settings, then the flags that apply to every issuer, served below base.
func (s *settings) issuerOptions(f *fileConfig, is fileIssuer, i int, base string) ([]oauthtest.Option, error) {
	opts, err := is.options(f.dir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, oauthtest.WithoutServer(), oauthtest.WithIssuer(base+"/"+is.Name),
		oauthtest.WithKeySeed(uint64(i)), oauthtest.WithLifetimes(s.lifetimes)) // keys of their own
	if s.loginPage {
		opts = append(opts, oauthtest.WithLoginPage())
	}
	if s.controlAPI || is.ControlAPI {
		opts = append(opts, oauthtest.WithControlAPI())
	}
	if len(s.origins) > 0 {
		opts = append(opts, oauthtest.WithAllowedOrigins(s.origins...))
	}
	return s.keyOptions(opts, s.choose("key", s.keyFile, is.KeyFile), s.choose("alg", s.alg, is.Algorithm))
}

// serveUntilSignalled waits for a signal, then stops gracefully, or at once
// on a second signal.
func serveUntilSignalled(signals <-chan os.Signal, logger interface {
	Info(string, ...any)
	Warn(string, ...any)
}, stop, kill func()) int {
	<-signals
	logger.Info("shutting down once the requests in flight are answered; interrupt again to stop at once")
	closed := make(chan struct{})
	go func() { stop(); close(closed) }()
	select {
	case <-closed:
		return exitOK
	case <-signals:
		kill()
		logger.Warn("stopped at once; requests in flight were cut off")
		return exitFail
	}
}
