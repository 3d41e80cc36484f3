package oauthtest

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// User is the end user the authorize endpoint approves.
type User struct {
	// Subject is the sub claim: a stable identifier of the user. Required.
	Subject string `json:"subject"`
	// Claims are the user's other claims: the standard ones of OIDC Core
	// §5.1 (name, email, email_verified, ...) and any custom ones (roles,
	// groups, tenant, ...). Standard claims reach the ID token and userinfo
	// when the scope of OIDC Core §5.4 that covers them was granted; custom
	// claims always do. Values must encode as JSON.
	Claims map[string]any `json:"claims"`
	// ACR is the authentication context class reference of the user's
	// logins: the acr claim (OIDC Core §2), such as "phr". Empty: a login
	// gets the first value the request asks for (acr_values, or the claims
	// parameter) that the provider supports (WithACRValues), or no acr.
	// The login page may choose another among those the request asks for.
	// A claim "acr" in Claims is read as ACR.
	ACR string `json:"acr,omitempty"`
	// AMR are the authentication methods of the user's logins: the amr
	// claim (OIDC Core §2), with values of RFC 8176 such as "pwd", "otp",
	// "hwk". Empty: no amr. A claim "amr" in Claims is read as AMR.
	AMR []string `json:"amr,omitempty"`
}

// DefaultUser returns the user a provider approves unless configured
// otherwise. Each call returns a new value, whose Claims the caller may change.
func DefaultUser() User {
	return User{
		Subject: "test-user",
		Claims: map[string]any{
			"name":               "Test User",
			"given_name":         "Test",
			"family_name":        "User",
			"preferred_username": "test.user",
			"email":              "test.user@example.com",
			"email_verified":     true,
		},
	}
}

// scopeClaims maps each OpenID Connect scope to the standard claims it
// grants (OIDC Core §5.4).
var scopeClaims = map[string][]string{
	"profile": {"name", "family_name", "given_name", "middle_name", "nickname", "preferred_username",
		"profile", "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"},
	"email":   {"email", "email_verified"},
	"address": {"address"},
	"phone":   {"phone_number", "phone_number_verified"},
}

// claimScope maps each standard claim to the scope that grants it.
var claimScope = func() map[string]string {
	m := make(map[string]string)
	for scope, claims := range scopeClaims {
		for _, c := range claims {
			m[c] = scope
		}
	}
	return m
}()

// reservedClaims are set by the provider and cannot be user claims.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time",
	"nonce", "at_hash", "c_hash", "azp", "scope", "client_id", "typ"}

func (u *User) validate() error {
	if u.Subject == "" {
		return fmt.Errorf("user has no Subject")
	}
	for _, c := range reservedClaims {
		if _, ok := u.Claims[c]; ok {
			return fmt.Errorf("user %q: claim %q is set by the provider and cannot be configured", u.Subject, c)
		}
	}
	u.Claims = maps.Clone(u.Claims)
	return u.takeAuthClaims()
}

// authClaims adds the acr and amr of u's login, if it set them, to dst
// (OIDC Core §2, RFC 9068 §2.2.1).
func (u *User) authClaims(dst map[string]any) {
	if u.ACR != "" {
		dst["acr"] = u.ACR
	}
	if len(u.AMR) > 0 {
		dst["amr"] = slices.Clone(u.AMR)
	}
}

// takeAuthClaims moves the claims acr and amr, which the provider sets from
// the login, into ACR and AMR; u.Claims must be u's own copy.
func (u *User) takeAuthClaims() error {
	if v, ok := u.Claims["acr"]; ok {
		s, isString := v.(string)
		if !isString || u.ACR != "" && u.ACR != s {
			return fmt.Errorf("user %q: claim acr must be a string, and agree with ACR", u.Subject)
		}
		u.ACR = s
		delete(u.Claims, "acr")
	}
	if v, ok := u.Claims["amr"]; ok {
		amr, isList := stringList(v)
		if !isList || u.AMR != nil && !slices.Equal(u.AMR, amr) {
			return fmt.Errorf("user %q: claim amr must be a list of strings (RFC 8176), and agree with AMR", u.Subject)
		}
		u.AMR = amr
		delete(u.Claims, "amr")
	}
	u.AMR = slices.Clone(u.AMR)
	return nil
}

// stringList reads a JSON array of strings, as decoded or as built in Go.
func stringList(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return slices.Clone(l), true
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// claimsFor adds to dst the claims of u that the granted scopes allow:
// custom claims always, standard claims by their scope or when the claims
// parameter asked for them by name (OIDC Core §5.5), and acr and amr if
// the login set them and authClaims holds (the ID token, access tokens) or
// the claims parameter asked for them.
func (u *User) claimsFor(scopes, requested []string, authClaims bool, dst map[string]any) {
	for name, v := range u.Claims {
		scope, standard := claimScope[name]
		if !standard || slices.Contains(scopes, scope) || slices.Contains(requested, name) {
			dst[name] = v
		}
	}
	if authClaims || slices.Contains(requested, "acr") || slices.Contains(requested, "amr") {
		u.authClaims(dst)
	}
}

// userStore decides who the authorize endpoint approves.
type userStore struct {
	mu        sync.Mutex // guards current, known, recent, queue and signedOut
	current   User       // approved unless the queue or login_hint says otherwise
	known     []User     // selectable by login_hint
	recent    []User     // typed on the login page, newest first; at most maxRecent
	queue     []login    // the next logins, in order
	signedOut bool       // no session: prompt=none fails with login_required
	encoded   []byte     // the state file's record of the store, built on demand; nil after a change
}

// maxRecent bounds the users typed on the login page that it offers again.
const maxRecent = 5

// login is a queued outcome of one authorization.
type login struct {
	clientID string // "" for any client
	user     User
	deny     bool // the user declines
}

// approveOpts is what the authorization request says about the login.
type approveOpts struct {
	clientID   string
	loginHint  string
	picked     bool // loginHint is a subject picked on the login page or the device page, not a login_hint sent
	promptNone bool
	typed      *User  // typed on the login page
	recent     string // the subject of a recent user picked on the login page
}

// approve decides the outcome of an authorization: the first queued login
// for the client, else the user login_hint names, else the current user.
func (s *userStore) approve(o approveOpts) (User, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.promptNone && s.signedOut {
		return User{}, ErrLoginRequired.WithDescription("no user is signed in (SignOut) and prompt=none rules out a login page")
	}
	if l, ok := s.dequeue(o.clientID); ok {
		switch {
		case l.deny && o.promptNone:
			return User{}, ErrConsentRequired.WithDescription("the user has not consented (QueueDenial) and prompt=none rules out asking")
		case l.deny:
			return User{}, ErrAccessDenied.WithDescription("the user declined the authorization (QueueDenial)")
		}
		return s.signIn(l.user), nil
	}
	if u, ok, err := s.fromPage(o); ok {
		return s.signIn(u), err
	}
	if o.loginHint == "" {
		return s.signIn(s.current), nil
	}
	if u, ok := s.byHint(o.loginHint); ok {
		return s.signIn(u), nil
	}
	if o.picked {
		return User{}, ErrAccessDenied.WithDescription("the user picked, %q, is not one of the provider's users: %s", o.loginHint, s.subjects())
	}
	return User{}, ErrAccessDenied.WithDescription("login_hint %q matches no user's subject, email or preferred_username; known users: %s", o.loginHint, s.subjects())
}

// fromPage returns the user typed or picked among the recent ones on the
// login page, remembering it as the most recent; ok reports an answer of
// that kind. s.mu must be held.
func (s *userStore) fromPage(o approveOpts) (u User, ok bool, err *Error) {
	switch {
	case o.typed != nil:
		u = o.typed.clone()
	case o.recent == "":
		return User{}, false, nil
	default:
		i := slices.IndexFunc(s.recent, func(r User) bool { return r.Subject == o.recent })
		if i < 0 {
			return User{}, true, ErrAccessDenied.WithDescription("recent user %q is no longer offered; recent users: %s", o.recent, quoteList(subjectsOf(s.recent)))
		}
		u = s.recent[i]
	}
	s.recent = slices.DeleteFunc(s.recent, func(r User) bool { return r.Subject == u.Subject })
	s.recent = slices.Insert(s.recent, 0, u)
	s.recent = s.recent[:min(len(s.recent), maxRecent)]
	s.encoded = nil
	return u.clone(), true, nil
}

// dequeue removes and returns the first login queued for clientID, else
// the first queued for any client; s.mu must be held.
func (s *userStore) dequeue(clientID string) (login, bool) {
	i := slices.IndexFunc(s.queue, func(l login) bool { return l.clientID == clientID })
	if i < 0 {
		i = slices.IndexFunc(s.queue, func(l login) bool { return l.clientID == "" })
	}
	if i < 0 {
		return login{}, false
	}
	l := s.queue[i]
	s.queue = slices.Delete(s.queue, i, i+1)
	s.encoded = nil
	return l, true
}

// signIn records that u has a session; s.mu must be held.
func (s *userStore) signIn(u User) User {
	if s.signedOut {
		s.signedOut, s.encoded = false, nil
	}
	return u
}

// byHint finds the user whose subject, email or preferred_username is
// hint; s.mu must be held.
func (s *userStore) byHint(hint string) (User, bool) {
	for _, u := range s.selectable() {
		if u.Subject == hint || u.Claims["email"] == hint || u.Claims["preferred_username"] == hint {
			return u, true
		}
	}
	return User{}, false
}

// selectable lists the current user and the known ones; s.mu must be held.
func (s *userStore) selectable() []User {
	return append([]User{s.current}, s.known...)
}

// bySubject returns the current or a known user with this subject, or a
// user with the subject alone.
func (s *userStore) bySubject(sub string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.selectable() {
		if u.Subject == sub {
			return u
		}
	}
	return User{Subject: sub}
}

// subjects lists the selectable users for error messages; s.mu must be held.
func (s *userStore) subjects() string {
	return quoteList(subjectsOf(s.selectable()))
}

// subjectsOf lists the subjects of users.
func subjectsOf(users []User) []string {
	subs := make([]string, 0, len(users))
	for _, u := range users {
		subs = append(subs, u.Subject)
	}
	return subs
}

// do runs f on the store, which it may change.
func (s *userStore) do(f func(s *userStore)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.encoded = nil
	f(s)
}

// SetUser makes u the user the authorize endpoint approves from now on,
// when no login is queued and no login_hint names another.
func (p *Provider) SetUser(u User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("oauthtest: %w", err)
	}
	p.users.do(func(s *userStore) { s.current = u })
	return nil
}

// AddUser makes u selectable by login_hint (its subject, email or
// preferred_username), as WithUsers does.
func (p *Provider) AddUser(u User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("oauthtest: %w", err)
	}
	p.users.do(func(s *userStore) { s.known = append(s.known, u) })
	return nil
}

// QueueUser makes u the user the next authorization approves, whatever
// its login_hint; queued users are approved in order, then the current
// user again.
func (p *Provider) QueueUser(u User) error { return p.queueLogin("", u) }

// QueueDenial makes the next authorization fail as if the user declined:
// access_denied, or consent_required with prompt=none.
func (p *Provider) QueueDenial() {
	p.users.do(func(s *userStore) { s.queue = append(s.queue, login{deny: true}) })
}

func (p *Provider) queueLogin(clientID string, u User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("oauthtest: %w", err)
	}
	p.users.do(func(s *userStore) { s.queue = append(s.queue, login{clientID: clientID, user: u}) })
	return nil
}

// SignOut ends every session at the provider, as if each browser logged
// out: an authorization with prompt=none now fails with login_required,
// until an authorization without it signs a user in again (the provider
// approves at once, as ever). Clients with a BackchannelLogoutURI are
// told, before SignOut returns (see BackchannelLogouts).
func (p *Provider) SignOut() {
	p.users.do(func(s *userStore) { s.signedOut = true })
	p.endSessions(func(*session) bool { return true })
}

// Users is who the authorization endpoint may approve: copies, for
// assertions and failure messages.
type Users struct {
	Current   User          `json:"current"`    // approved when no login is queued and no login_hint names another
	Known     []User        `json:"known"`      // selectable by login_hint or on the login page (WithUsers, AddUser)
	Recent    []User        `json:"recent"`     // typed on the login page (or Browser.LogInAs), newest first, offered again there
	Queued    []QueuedLogin `json:"queued"`     // the next logins, in order (QueueUser, QueueDenial)
	SignedOut bool          `json:"signed_out"` // SignOut was called: prompt=none gets login_required
}

// QueuedLogin is the outcome staged for one coming authorization.
type QueuedLogin struct {
	ClientID string `json:"client_id"` // "" for any client; set through ForClient
	User     User   `json:"user"`      // the user approved, unless Deny
	Deny     bool   `json:"deny"`      // the user declines
}

// Users returns the current, known and queued users.
func (p *Provider) Users() Users {
	var us Users
	p.users.do(func(s *userStore) {
		us = Users{Current: s.current.clone(), SignedOut: s.signedOut}
		for _, u := range s.known {
			us.Known = append(us.Known, u.clone())
		}
		for _, u := range s.recent {
			us.Recent = append(us.Recent, u.clone())
		}
		for _, l := range s.queue {
			us.Queued = append(us.Queued, QueuedLogin{ClientID: l.clientID, User: l.user.clone(), Deny: l.deny})
		}
	})
	return us
}

// clone copies u, its claims (not the values inside them) and its AMR.
func (u User) clone() User {
	u.Claims, u.AMR = maps.Clone(u.Claims), slices.Clone(u.AMR)
	return u
}

// userState is the user store as the state file keeps it.
type userState struct {
	Current   User          `json:"current"`
	Known     []User        `json:"known"`
	Recent    []User        `json:"recent,omitempty"`
	Queue     []QueuedLogin `json:"queue"`
	SignedOut bool          `json:"signed_out"`
}

func (s *userStore) reset(c *config) {
	s.do(func(s *userStore) {
		s.current, s.known, s.recent, s.queue, s.signedOut = c.user, slices.Clone(c.users), nil, nil, false
	})
}

func (s *userStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.encoded != nil {
		return append(dst, record{Value: s.encoded})
	}
	st := userState{Current: s.current, Known: s.known, Recent: s.recent, SignedOut: s.signedOut}
	for _, l := range s.queue {
		st.Queue = append(st.Queue, QueuedLogin{ClientID: l.clientID, User: l.user, Deny: l.deny})
	}
	r := newRecord("", st)
	if r.err == nil {
		s.encoded = r.Value // kept until the store changes: the journal compares it on every commit
	}
	return append(dst, r)
}

func (s *userStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		var st userState
		if err := r.decode(&st); err != nil {
			return err
		}
		s.current, s.known, s.recent, s.queue, s.signedOut, s.encoded = st.Current, st.Known, st.Recent, nil, st.SignedOut, nil
		for _, l := range st.Queue {
			s.queue = append(s.queue, login{clientID: l.ClientID, user: l.User, deny: l.Deny})
		}
	}
	return nil
}
