package oauthtest

import (
	"cmp"
	"crypto/rand"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// sessionCookie names the cookie that ties a browser to its session.
const sessionCookie = "oauthtest_session"

// session is one browser's login: who, since when, and the clients it
// signed in to (for back-channel logout).
type session struct {
	id       string // the sid claim, which every client sees
	secret   string // the cookie's value, which no client sees
	user     User
	authTime time.Time
	expires  time.Time
	clients  []string
	sso      bool // started by SignIn: answers authorization requests without a login (signin.go)
}

// sessionStore holds the live sessions; ended ones are forgotten, and so
// are those older than the refresh token lifetime, swept as codes are.
type sessionStore struct {
	mu       sync.Mutex          // guards every field below
	sessions map[string]*session // by sid
	bySecret map[string]*session // by cookie value
	sweeper  sweeper
	changed  changeLog
}

// start records a new session, which lasts at most lifetime, and returns
// the secret its cookie carries: from crypto/rand, never from WithSeed, so
// that neither its sid nor the provider's seed tells it.
func (s *sessionStore) start(id string, u User, now time.Time, lifetime time.Duration) (secret string) {
	secret = rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions, s.bySecret = make(map[string]*session), make(map[string]*session)
	}
	if s.sweeper.due(len(s.sessions), now) {
		s.sweep(now)
	}
	s.put(&session{id: id, secret: secret, user: u, authTime: now, expires: now.Add(lifetime)})
	s.changed.note(id)
	return secret
}

// put records ses, found by its cookie if it has a secret; s.mu must be held.
func (s *sessionStore) put(ses *session) {
	s.sessions[ses.id] = ses
	if ses.secret != "" {
		s.bySecret[ses.secret] = ses
	}
}

// sweep forgets expired sessions; s.mu must be held.
func (s *sessionStore) sweep(now time.Time) {
	before := len(s.sessions)
	for k, ses := range s.sessions {
		if now.After(ses.expires) {
			delete(s.sessions, k)
			delete(s.bySecret, ses.secret)
			s.changed.note(k)
		}
	}
	if s.sweeper.swept(before, len(s.sessions), now) {
		s.sessions, s.bySecret = rebuilt(s.sessions), rebuilt(s.bySecret)
	}
}

// get returns a copy of the live session whose cookie carries secret.
func (s *sessionStore) get(secret string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ses, ok := s.bySecret[secret]
	if !ok {
		return session{}, false
	}
	return *ses, true // expired sessions go at the next sweep; until then they serve
}

// join records that the session signed in to client.
func (s *sessionStore) join(id, clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses := s.sessions[id]; ses != nil && !slices.Contains(ses.clients, clientID) {
		ses.clients = append(ses.clients, clientID)
		s.changed.note(id)
	}
}

// end ends the sessions match accepts and returns them.
func (s *sessionStore) end(match func(*session) bool) []session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ended []session
	for id, ses := range s.sessions {
		if match(ses) {
			ended = append(ended, *ses)
			delete(s.sessions, id)
			delete(s.bySecret, ses.secret)
			s.changed.note(id)
		}
	}
	return ended
}

// browserSession is the session the request's cookie names: ok reports a
// live one, cookie whether the request carried the cookie at all.
func (p *Provider) browserSession(r *http.Request) (ses session, ok, cookie bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return session{}, false, false
	}
	ses, ok = p.sessions.get(c.Value)
	return ses, ok, true
}

// setSessionCookie ties the browser to the session whose secret is value.
// After a logout the cookie stays, naming a session that has ended.
// Silent renew loads the provider in an iframe of the app's site, where
// only SameSite=None cookies, which must be Secure, are sent; browsers
// store Secure cookies from https and loopback origins.
func (p *Provider) setSessionCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, p.sessionCookie(value))
}

// sessionCookie is the cookie of the session whose secret is value.
func (p *Provider) sessionCookie(value string) *http.Cookie {
	u, _ := url.Parse(p.issuer)
	c := &http.Cookie{Name: sessionCookie, Value: value, Path: cmp.Or(u.Path, "/"), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	if u.Scheme == "https" || isLoopbackURI(p.issuer+"/") {
		c.SameSite, c.Secure = http.SameSiteNoneMode, true
	}
	return c
}

// parseMaxAge reads max_age (OIDC Core §3.1.2.1): seconds, or -1 when absent.
func parseMaxAge(params url.Values) (int64, *Error) {
	v := params.Get("max_age")
	if v == "" {
		return -1, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, ErrInvalidRequest.WithDescription("max_age %q is not a number of seconds (OIDC Core §3.1.2.1)", v)
	}
	return n, nil
}

// silentLogin answers prompt=none from a browser with a session cookie:
// the session's user, unless it ended or is older than max_age.
func (p *Provider) silentLogin(ses session, live bool, maxAge int64, now time.Time) (User, time.Time, *Error) {
	switch {
	case !live:
		return User{}, time.Time{}, ErrLoginRequired.WithDescription("the browser's session has ended (logout) and prompt=none rules out a login page")
	case maxAge >= 0 && maxAge <= int64(math.MaxInt64/time.Second) && now.Sub(ses.authTime) > time.Duration(maxAge)*time.Second: // a larger max_age is no limit, not an overflow
		return User{}, time.Time{}, ErrLoginRequired.WithDescription("the user logged in %s ago, longer than max_age=%d seconds, and prompt=none rules out a new login", humanDuration(now.Sub(ses.authTime)), maxAge)
	}
	return ses.user, ses.authTime, nil
}

// authenticate decides who signs in at the authorization endpoint. A
// silent request (prompt=none) from a browser with a session cookie gets
// the session's user; any other request is a login, approved at once for
// the next queued, typed, hinted or current user, which starts a new
// session and ties the browser to it. Either must meet the request's
// authentication context (acr_values, the claims parameter).
func (p *Provider) authenticate(x *call, req *authorizeRequest, now time.Time) (u User, authTime time.Time, sid string, err *Error) {
	ses, live, cookie := p.browserSession(x.r)
	if req.promptNone && cookie {
		u, authTime, err = p.silentLogin(ses, live, req.maxAge, now)
		if err == nil {
			err = p.checkAuthContext(req.auth, u, "session")
		}
		return u, authTime, ses.id, err
	}
	if sso, ok := p.ssoSession(x, req, now); ok { // SignIn's session: no login
		return sso.user, sso.authTime, sso.id, nil
	}
	u, err = p.users.approve(approveOpts{clientID: req.client.ID, loginHint: req.loginHint, picked: req.picked, promptNone: req.promptNone,
		typed: req.answer.typed, recent: req.answer.recent})
	if err == nil {
		u, err = p.settleAuthContext(u, req)
	}
	if err != nil || req.promptNone {
		return u, now, "", err // no browser to remember it
	}
	if live && ses.user.Subject == u.Subject {
		p.sessions.renew(ses.id, u, now) // the same user logged in again (perhaps stepping up): one session, many clients
		return u, now, ses.id, nil
	}
	sid = p.ids.uuid()
	secret := p.sessions.start(sid, u, now, req.client.Lifetimes.or(p.cfg.lifetimes).RefreshToken)
	if live { // another user in this browser: the last one is logged out
		p.endSessions(func(s *session) bool { return s.id == ses.id })
	}
	p.setSessionCookie(x.w, secret)
	return u, now, sid, nil
}

// renew records a new login of u in session id: its time, and its
// authentication context (ACR, AMR).
func (s *sessionStore) renew(id string, u User, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses := s.sessions[id]; ses != nil {
		ses.authTime, ses.user = now, u
		s.changed.note(id)
	}
}

// sessionState is a browser session as the state file keeps it.
type sessionState struct {
	Secret   string   `json:"secret"` // the cookie's value
	User     User     `json:"user"`
	AuthTime stime    `json:"auth_time"`
	Expires  stime    `json:"expires"`
	Clients  []string `json:"clients"`
	SSO      bool     `json:"sso,omitempty"` // started by SignIn
}

func (s *sessionStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions, s.bySecret, s.sweeper = nil, nil, sweeper{}
	clear(s.changed.keys)
}

func (s *sessionStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *sessionStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id := range s.sessions {
		dst = append(dst, s.current(id))
	}
	return dst
}

func (s *sessionStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of session id now; s.mu must be held.
func (s *sessionStore) current(id string) record {
	ses := s.sessions[id]
	if ses == nil {
		return deleted(id)
	}
	return newRecord(id, sessionState{Secret: ses.secret, User: ses.user, AuthTime: stime(ses.authTime), Expires: stime(ses.expires), Clients: ses.clients, SSO: ses.sso})
}

func (s *sessionStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sessions == nil {
		s.sessions, s.bySecret = make(map[string]*session), make(map[string]*session)
	}
	for _, r := range recs {
		if r.Value == nil {
			if ses := s.sessions[r.Key]; ses != nil {
				delete(s.bySecret, ses.secret)
			}
			delete(s.sessions, r.Key)
			continue
		}
		var st sessionState
		if err := r.decode(&st); err != nil {
			return err
		}
		if old := s.sessions[r.Key]; old != nil {
			delete(s.bySecret, old.secret)
		}
		s.put(&session{id: r.Key, secret: st.Secret, user: st.User, authTime: st.AuthTime.time(), expires: st.Expires.time(), clients: st.Clients, sso: st.SSO})
	}
	return nil
}
