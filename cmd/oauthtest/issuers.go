package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/c95d6557/oauthtest"
)

// issuer is one issuer the command serves.
type issuer struct {
	name       string // "" for the root issuer
	p          *oauthtest.Provider
	controlAPI bool
	loginPage  bool
	stateFile  string // "" for none
	existed    bool   // whether the state file was there to load at start
}

// serveIssuers serves the issuers of the file (version 1 files and none
// are one issuer at the root: see asIssuers) on one server, prints the
// banner, and serves until signalled. A named issuer is served below its
// own path: http://ADDR/NAME, with the OpenID discovery document below that
// path and the RFC 8414 one at /.well-known/oauth-authorization-server/NAME.
// Each has its own clients, users, keys, clock and control API; tokens of
// one are refused by another.
func (s *settings) serveIssuers(signals <-chan os.Signal, f *fileConfig, stdout, stderr io.Writer) int {
	l, base, code := s.listen(f, stderr)
	if l == nil {
		return code
	}
	https := s.httpsSettings
	if https.on {
		base = "https://" + l.Addr().String()
	}
	if b := s.choose("issuer", s.issuer, f.Issuer); b != "" {
		base = b
	}
	var tlsConfig *tls.Config
	caFile := ""
	if https.on {
		hosts := slices.Clone(s.controlHosts)
		for _, is := range f.Issuers {
			hosts = append(hosts, is.ControlHosts...)
		}
		var code int
		var err error
		if tlsConfig, caFile, code, err = https.tlsConfig(l, base, hosts); err != nil {
			l.Close()
			fmt.Fprintf(stderr, "oauthtest: %v\n", err)
			return code
		}
	}
	logger := newLogger(s.logFormat, stderr)
	handlers := map[string]http.Handler{}
	var issuers []*issuer
	defer func() { // once the server has stopped: writes what Go calls changed, closes the state files
		for _, is := range issuers {
			is.p.Close()
		}
	}()
	for i := range f.Issuers {
		is, err := s.newIssuer(f, i, base, logger)
		if err != nil {
			l.Close()
			fmt.Fprintf(stderr, "oauthtest: %v\n", err)
			return exitUsage
		}
		if is.name == "" {
			handlers["/"] = is.p.Handler()
		} else {
			handlers["/"+is.name+"/"] = is.p.Handler()
			handlers[oauthtest.OAuthMetadataPath+"/"+is.name] = is.p.Handler() // RFC 8414 §3
		}
		issuers = append(issuers, is)
	}
	var handler http.Handler = newMux(handlers)
	var onDemand *onDemand
	if s.issuersOnDemand || f.IssuersOnDemand {
		var err error
		if onDemand, err = s.newOnDemand(f, base, issuers, logger); err != nil {
			l.Close()
			fmt.Fprintf(stderr, "oauthtest: %v\n", err)
			return exitUsage
		}
		handler = onDemand.handler(handler)
	}
	srv := serve(l, handler, tlsConfig)
	printBanner(stdout, issuers, func(w io.Writer) {
		if onDemand != nil {
			onDemand.printBanner(w, f.Issuers[0].Name == "")
		}
		if https.on {
			printTLS(w, https, caFile)
		}
	})
	return serveUntilSignalled(signals, logger, func() { _ = srv.Shutdown(context.Background()) }, func() { _ = srv.Close() })
}

// newIssuer makes the provider of issuer i of the file, served below base.
func (s *settings) newIssuer(f *fileConfig, i int, base string, logger *slog.Logger) (*issuer, error) {
	fi := &f.Issuers[i]
	is := &issuer{name: fi.Name, controlAPI: s.controlAPI || fi.ControlAPI, loginPage: s.loginPage || fi.LoginPage}
	url, at := base, issuerAt(f, i)
	if fi.Name != "" {
		url = issuerURL(base, fi.Name)
		logger = logger.With("issuer", fi.Name)
	}
	switch {
	case fi.Name == "" && s.stateFile != "":
		is.stateFile = s.stateFile
	case fi.StateFile != "":
		is.stateFile = f.statePath(fi.StateFile)
	}
	is.existed = fileExists(is.stateFile)
	opts, err := s.issuerOptions(f, fi, at, url, uint64(i)) // keys of their own
	if err != nil {
		return nil, err
	}
	is.p, err = oauthtest.NewProvider(append(opts, oauthtest.WithRequestObserver(logRequest(logger)), oauthtest.WithErrorHandler(logError(logger)))...)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "oauthtest: ")
		if fi.Name == "" {
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("%s: issuers[%d] (%q): %s", s.configFile, i, fi.Name, msg)
	}
	return is, nil
}

// issuerAt is where issuer i is in the file, for errors: "issuers[1]."
// for a named one, "" for the root issuer, whose fields are at the top.
func issuerAt(f *fileConfig, i int) string {
	if f.Issuers[i].Name == "" {
		return ""
	}
	return fmt.Sprintf("issuers[%d].", i)
}

// issuerURL is the URL of the issuer named name below base.
func issuerURL(base, name string) string { return strings.TrimSuffix(base, "/") + "/" + name }

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

// newMux routes to handlers (by net/http.ServeMux pattern), and serves
// /healthz, which answers 200 while the command runs, for container health
// checks.
func newMux(handlers map[string]http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	for pattern, h := range handlers {
		mux.Handle(pattern, h)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// serve serves h on l: HTTPS (HTTP/2 too) with tlsConfig, else HTTP.
func serve(l net.Listener, h http.Handler, tlsConfig *tls.Config) *http.Server {
	srv := &http.Server{Handler: h, MaxHeaderBytes: 64 << 10, TLSConfig: tlsConfig}
	if tlsConfig != nil {
		go func() { _ = srv.ServeTLS(l, "", "") }()
	} else {
		go func() { _ = srv.Serve(l) }()
	}
	return srv
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
