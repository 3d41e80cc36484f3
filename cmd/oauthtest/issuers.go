package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
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
	existed := make([]bool, len(f.Issuers)) // whether each state file was there to load
	for i, is := range f.Issuers {
		existed[i] = is.StateFile != "" && fileExists(f.statePath(is.StateFile))
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
		is := f.Issuers[i]
		fmt.Fprintf(stdout, "issuer %q:\n", is.Name)
		stateFile := ""
		if is.StateFile != "" {
			stateFile = f.statePath(is.StateFile)
		}
		printEndpoints(stdout, p, s.controlAPI || is.ControlAPI, s.loginPage || is.LoginPage, stateFile, existed[i])
	}
	fmt.Fprintf(stdout, "  started %s; Ctrl-C stops\n", time.Now().Format(time.TimeOnly))
	return serveUntilSignalled(signals, logger, func() { _ = srv.Shutdown(context.Background()) }, func() { _ = srv.Close() })
}

// listen listens on the address of the flags or the file, and returns the
// listener and the URL it is reached at; or nil and the exit code: 2 for an
// address that is wrong (not host:port, a host this machine does not have),
// 1 for one that is taken or forbidden.
func (s *settings) listen(f *fileConfig, stderr io.Writer) (net.Listener, string, int) {
	addr, where := s.addr, "-addr"
	if !s.set["addr"] && f.Addr != "" {
		addr, where = f.Addr, s.configFile+": addr"
	}
	if err := checkAddr(addr); err != nil {
		fmt.Fprintf(stderr, "oauthtest: %s %q: %v\n", where, addr, err)
		return nil, "", exitUsage
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		code := exitUsage
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) {
			code = exitFail
		}
		fmt.Fprintf(stderr, "oauthtest: listen on %s: %v\n", addr, err)
		return nil, "", code
	}
	return l, "http://" + l.Addr().String(), 0
}

// checkAddr checks that addr is host:port with a numeric port.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, err := strconv.ParseUint(addr, 10, 16); err == nil {
			return fmt.Errorf("want host:port, such as 127.0.0.1:%s", addr)
		}
		return fmt.Errorf("want host:port, such as 127.0.0.1:9090")
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("the port must be a number from 0 to 65535")
	}
	return nil
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
	if s.fapi2 {
		opts = append(opts, oauthtest.WithFAPI2())
	}
	control, err := s.controlOptions(s.controlAPI || is.ControlAPI, &is.fileIssuerSettings)
	if err != nil {
		return nil, err
	}
	opts = append(opts, control...)
	if len(s.origins) > 0 {
		opts = append(opts, oauthtest.WithAllowedOrigins(s.origins...))
	}
	reg, err := s.registrationOptions(&is.fileIssuerSettings)
	if err != nil {
		return nil, err
	}
	opts = append(opts, reg...)
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
