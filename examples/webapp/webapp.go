// Package webapp is a small web application that logs its users in with
// OpenID Connect: /login sends them to the provider, /callback exchanges the
// code and verifies the ID token, / greets the logged-in user. Its test runs
// it against oauthtest.NewTestProvider, as your own app's tests can.
package webapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is what the app needs to know about its provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string       // this app's /callback
	HTTPClient   *http.Client // reaches the provider; http.DefaultClient if nil
}

// App is the web application.
type App struct {
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client

	mu       sync.Mutex        // guards sessions
	sessions map[string]string // session ID -> user's name
}

// New discovers the provider and returns the app.
func New(ctx context.Context, cfg Config) (*App, error) {
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", cfg.Issuer, err)
	}
	return &App{
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Endpoint: op.Endpoint(), RedirectURL: cfg.RedirectURL,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
		sessions: make(map[string]string),
	}, nil
}

// Handler serves /, /login and /callback.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.home)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	return mux
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("session")
	a.mu.Lock()
	name, ok := "", false
	if err == nil {
		name, ok = a.sessions[c.Value]
	}
	a.mu.Unlock()
	if !ok {
		fmt.Fprintln(w, `Not logged in. <a href="/login">Log in</a>`)
		return
	}
	fmt.Fprintf(w, "Hello, %s!\n", name)
}

// login sends the browser to the provider with a fresh state, nonce and
// PKCE verifier, remembered in short-lived cookies.
func (a *App) login(w http.ResponseWriter, r *http.Request) {
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	for name, v := range map[string]string{"state": state, "nonce": nonce, "verifier": verifier} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/", MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, a.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback checks the state, exchanges the code, verifies the ID token and
// its nonce, and opens a session.
func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	if e := r.URL.Query().Get("error"); e != "" {
		http.Error(w, "login failed: "+e+": "+r.URL.Query().Get("error_description"), http.StatusUnauthorized)
		return
	}
	if r.URL.Query().Get("state") != cookie(r, "state") {
		http.Error(w, "state does not match", http.StatusBadRequest)
		return
	}
	ctx := oidc.ClientContext(r.Context(), a.client)
	tok, err := a.oauth.Exchange(ctx, r.URL.Query().Get("code"), oauth2.VerifierOption(cookie(r, "verifier")))
	if err != nil {
		http.Error(w, "code exchange failed: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idToken, err := a.verifier.Verify(ctx, raw)
	if err != nil || idToken.Nonce != cookie(r, "nonce") {
		http.Error(w, "ID token rejected", http.StatusUnauthorized)
		return
	}
	var claims struct {
		Name string `json:"name"`
	}
	if err := idToken.Claims(&claims); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	a.startSession(w, claims.Name)
	http.Redirect(w, r, "/", http.StatusFound)
}

func (a *App) startSession(w http.ResponseWriter, name string) {
	id := random()
	a.mu.Lock()
	a.sessions[id] = name
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
