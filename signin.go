package oauthtest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// SignIn logs u in for a browser, as a login at the authorization endpoint
// would, with auth_time now, and returns the provider's session cookie for
// the browser to carry: a browser test that starts with it (Playwright's
// storageState, Cypress's cy.setCookie, puppeteer's setCookie, a Browser's
// SignIn) is signed in at the provider, and the app's login is one
// redirect. A u given by subject alone, without claims, is the known user
// with that subject, claims included.
//
// The session answers every authorization request from that browser, as a
// real provider's single sign-on does: for its user, without the login
// page (WithLoginPage), prompt=none included. A request that asks for a
// new login (prompt=login or select_account, a max_age the session is
// older than, a login_hint naming another user) gets one, as any browser
// does. The session ends as others do: logout, SignOut, RevokeUser, Reset,
// or after the refresh token lifetime, the time the cookie expires.
func (p *Provider) SignIn(u User) (*http.Cookie, error) { return p.signIn(u, "") }

// SignIn logs u in for a browser as Provider.SignIn does, for a session
// that lasts this client's refresh token lifetime.
func (s ClientScope) SignIn(u User) (*http.Cookie, error) { return s.p.signIn(u, s.clientID) }

// SignIn logs u in at the provider for this browser (Provider.SignIn): the
// next Visit is approved for u without the login page, or the error that
// refused u.
func (b *Browser) SignIn(u User) error {
	c, err := b.p.SignIn(u)
	if err != nil {
		return err
	}
	issuer, _ := url.Parse(b.p.issuer + "/")
	host := *c
	host.Domain = "" // a host-only cookie, as the provider sets it
	b.client.Jar.SetCookies(issuer, []*http.Cookie{&host})
	return nil
}

// signIn starts a single sign-on session for u, lasting clientID's refresh
// token lifetime, or the provider's without a client.
func (p *Provider) signIn(u User, clientID string) (*http.Cookie, error) {
	if u.Claims == nil && u.Subject != "" { // the known user's claims, with the acr and amr given
		known := p.users.bySubject(u.Subject)
		known.ACR = cmp.Or(u.ACR, known.ACR)
		if u.AMR != nil {
			known.AMR = u.AMR
		}
		u = known
	}
	if err := u.validate(); err != nil {
		return nil, fmt.Errorf("oauthtest: %w", err)
	}
	life := p.cfg.lifetimes
	if clientID != "" {
		c, ok := p.clients.get(clientID)
		if !ok {
			return nil, fmt.Errorf("oauthtest: client_id %q is not registered; registered clients: %s", clientID, quoteList(p.clients.ids()))
		}
		life = c.Lifetimes.or(life)
	}
	now := p.Now()
	expires := now.Add(life.RefreshToken)
	secret := p.sessions.start(p.ids.uuid(), u, now, life.RefreshToken)
	p.sessions.markSSO(secret)
	c := p.sessionCookie(secret)
	c.Domain, c.Expires = cmp.Or(issuerURL(p.issuer).Hostname(), "localhost"), expires.Truncate(time.Second)
	return c, nil
}

// markSSO makes the session of this secret answer authorization requests
// for its user.
func (s *sessionStore) markSSO(secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ses := s.bySecret[secret]; ses != nil {
		ses.sso = true
	}
}

// ssoSession is the SignIn session of the request's browser that answers
// req without a login, if any.
func (p *Provider) ssoSession(x *call, req *authorizeRequest, now time.Time) (session, bool) {
	ses, live, _ := p.browserSession(x.r)
	if !live || !ses.sso || req.promptNone || req.promptLogin || req.picked {
		return session{}, false
	}
	if req.maxAge >= 0 && now.Sub(ses.authTime) > time.Duration(req.maxAge)*time.Second {
		return session{}, false
	}
	u := ses.user
	if h := req.loginHint; h != "" && h != u.Subject && h != u.Claims["email"] && h != u.Claims["preferred_username"] {
		return session{}, false
	}
	if a := req.auth; (a.subject != "" && a.subject != u.Subject) || (len(a.essential) > 0 && !slices.Contains(a.essential, u.ACR)) {
		return session{}, false // the claims parameter asks for another user, or a stronger login (OIDC Core §5.5.1)
	}
	return ses, true
}

// issuerURL parses the provider's issuer, which WithIssuer or the listener
// made valid.
func issuerURL(issuer string) *url.URL {
	u, _ := url.Parse(issuer)
	return u
}

// Answers of POST /sessions: the cookie, and Playwright's storageState.
type (
	browserCookie struct {
		Name     string `json:"name"`
		Value    string `json:"value"`
		Domain   string `json:"domain"`
		Path     string `json:"path"`
		Expires  int64  `json:"expires"` // Unix seconds
		HTTPOnly bool   `json:"httpOnly"`
		Secure   bool   `json:"secure"`
		SameSite string `json:"sameSite"` // Lax or None
	}
	storageState struct {
		Cookies []browserCookie  `json:"cookies"`
		Origins []map[string]any `json:"origins"` // always empty: the provider keeps no local storage
	}
	sessionAnswer struct {
		Cookie       browserCookie `json:"cookie"`        // for puppeteer's setCookie, Cypress's cy.setCookie, Selenium's add_cookie
		StorageState storageState  `json:"storage_state"` // for Playwright's storageState
	}
)

// startSession answers POST /sessions.
func startSession(p *Provider, in controlInput) (any, error) {
	c, err := p.signIn(in.user(), in.str("client_id")) // without claims, the known user's

	if err != nil {
		return nil, err
	}
	bc := browserCookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Expires: c.Expires.Unix(),
		HTTPOnly: c.HttpOnly, Secure: c.Secure, SameSite: map[http.SameSite]string{http.SameSiteNoneMode: "None"}[c.SameSite]}
	bc.SameSite = cmp.Or(bc.SameSite, "Lax")
	return sessionAnswer{Cookie: bc, StorageState: storageState{Cookies: []browserCookie{bc}}}, nil
}
