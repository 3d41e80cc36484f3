// Package webapp is a small web application that logs its users in with
// OpenID Connect: /login sends them to the provider, /callback exchanges the
// code and verifies the ID token, / greets the logged-in user, /logout logs
// out of the app and the provider (RP-Initiated Logout), and
// /backchannel-logout ends the sessions the provider says have ended
// (Back-Channel Logout). Its test runs it against
// oauthtest.NewTestProvider, as your own app's tests can.
//
// Run the test from the repository's root, or the app itself against
// cmd/oauthtest (see cmd/webapp and examples/localdev):
//
//	go test ./examples/webapp
package webapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config is what the app needs to know about its provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string       // this app's /callback; its / is where logout returns
	HTTPClient   *http.Client // reaches the provider; http.DefaultClient if nil
}

// App is the web application.
type App struct {
	oauth      oauth2.Config
	verifier   *oidc.IDTokenVerifier
	client     *http.Client
	endSession string // the provider's end_session_endpoint
	home       string // where the provider sends the browser after logout

	mu       sync.Mutex          // guards sessions
	sessions map[string]*session // by the app's session ID
}

// session is a logged-in user of the app.
type session struct {
	name    string
	sub     string
	sid     string // the provider's session, from the ID token
	idToken string // sent back as id_token_hint at logout
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
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&meta); err != nil {
		return nil, err
	}
	return &App{
		endSession: meta.EndSession,
		home:       strings.TrimSuffix(cfg.RedirectURL, "/callback") + "/",
		oauth: oauth2.Config{
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			Endpoint: op.Endpoint(), RedirectURL: cfg.RedirectURL,
			Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: op.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		client:   client,
		sessions: make(map[string]*session),
	}, nil
}

// Handler serves /, /login, /callback, /logout and /backchannel-logout.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.homePage)
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /callback", a.callback)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("POST /backchannel-logout", a.backchannelLogout)
	return mux
}

var homePage = template.Must(template.New("home").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>webapp</title></head><body>
{{if .}}<p id="greeting">Hello, {{.}}!</p><form method="post" action="/logout"><button type="submit">Log out</button></form>
{{else}}<p id="greeting">Not logged in.</p><p><a href="/login">Log in</a></p>{{end}}
</body></html>
`))

func (a *App) homePage(w http.ResponseWriter, r *http.Request) {
	name := ""
	if s := a.session(r); s != nil {
		name = s.name
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = homePage.Execute(w, name)
}

// session returns the request's session, or nil.
func (a *App) session(r *http.Request) *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.sessions[cookie(r, "session")]
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
		SID  string `json:"sid"`
	}
	if err := idToken.Claims(&claims); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	a.startSession(w, &session{name: claims.Name, sub: idToken.Subject, sid: claims.SID, idToken: raw})
	http.Redirect(w, r, "/", http.StatusFound)
}

func (a *App) startSession(w http.ResponseWriter, s *session) {
	id := random()
	a.mu.Lock()
	a.sessions[id] = s
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "session", Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// logout ends the app's session and sends the browser to the provider's
// end_session_endpoint, which sends it back to /.
func (a *App) logout(w http.ResponseWriter, r *http.Request) {
	s := a.session(r)
	a.mu.Lock()
	delete(a.sessions, cookie(r, "session"))
	a.mu.Unlock()
	if s == nil || a.endSession == "" {
		http.Redirect(w, r, "/", http.StatusFound)
		return
	}
	q := url.Values{"id_token_hint": {s.idToken}, "post_logout_redirect_uri": {a.home}}
	http.Redirect(w, r, a.endSession+"?"+q.Encode(), http.StatusFound)
}

// backchannelLogout ends the app's sessions of the provider session a
// logout token names (Back-Channel Logout 1.0 §2.6): the token is verified
// as an ID token is, must carry the logout event and must not carry a
// nonce.
func (a *App) backchannelLogout(w http.ResponseWriter, r *http.Request) {
	tok, err := a.verifier.Verify(oidc.ClientContext(r.Context(), a.client), r.PostFormValue("logout_token"))
	var claims struct {
		SID    string         `json:"sid"`
		Nonce  *string        `json:"nonce"`
		Events map[string]any `json:"events"`
	}
	if err == nil {
		err = tok.Claims(&claims)
	}
	if err != nil || claims.Nonce != nil || claims.Events["http://schemas.openid.net/event/backchannel-logout"] == nil {
		http.Error(w, "invalid logout token", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	for id, s := range a.sessions {
		if claims.SID != "" && s.sid == claims.SID || claims.SID == "" && s.sub == tok.Subject {
			delete(a.sessions, id)
		}
	}
	a.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
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
