package oauthtest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"github.com/golang-jwt/jwt/v5"
)

// LogoutPath is the end_session_endpoint (OpenID Connect RP-Initiated
// Logout 1.0), below the issuer URL.
const LogoutPath = "/oauth/logout"

// logoutRequest is a logout request as far as it was validated.
type logoutRequest struct {
	client   Client // zero when neither id_token_hint nor client_id names one
	hint     *idClaims
	redirect string // the post_logout_redirect_uri to send the browser to; "" for the page
	state    string
}

// handleLogout serves RP-Initiated Logout: it ends the browser's session
// (the cookie's; without one, the hint's user's sessions, or every session),
// delivers back-channel logout tokens to the clients that session had
// logged in to, and sends the browser to a registered
// post_logout_redirect_uri with state, or shows a "signed out" page. A
// foreign or tampered id_token_hint, or a redirect URI not registered, is
// refused with an error page: it never redirects anywhere unregistered.
func (p *Provider) handleLogout(x *exchange) {
	req, err := p.readLogout(x)
	if err != nil {
		x.errorPage(http.StatusBadRequest, err.ErrorDescription)
		return
	}
	if p.fault(x, func(e *Error) { x.errorPage(e.StatusCode(), e.ErrorDescription) }) {
		return
	}
	p.endSessions(p.sessionsToEnd(x, req))
	x.w.Header().Set("Cache-Control", "no-store")
	if req.redirect != "" {
		params := url.Values{}
		if req.state != "" {
			params.Set("state", req.state)
		}
		target := req.redirect
		if len(params) > 0 {
			target = withQuery(target, params)
		}
		redirect(x.w, target)
		return
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	x.w.WriteHeader(http.StatusOK)
	_ = signedOutPage.Execute(x.w, nil)
}

// readLogout reads and checks the logout request's parameters.
func (p *Provider) readLogout(x *exchange) (*logoutRequest, *Error) {
	if err := parseForm(x.w, x.r); err != nil {
		return nil, err
	}
	params := x.r.Form
	x.rec.Params = params
	if err := checkDuplicates(params); err != nil {
		return nil, err
	}
	req := &logoutRequest{state: params.Get("state")}
	if raw := params.Get("id_token_hint"); raw != "" {
		hint, err := p.verifyHint(raw)
		if err != nil {
			return nil, ErrInvalidRequest.WithDescription("id_token_hint is not an ID token of this provider: %v", err)
		}
		req.hint = hint
	}
	if err := p.logoutClient(params, req); err != nil {
		return nil, err
	}
	x.rec.ClientID = req.client.ID
	return req, p.logoutRedirect(params.Get("post_logout_redirect_uri"), req)
}

// verifyHint checks that raw is an ID token this provider signed; expired
// ones are welcome (RP-Initiated Logout §2).
func (p *Provider) verifyHint(raw string) (*idClaims, error) {
	claims := &idClaims{}
	tok, err := jwt.ParseWithClaims(raw, claims, p.verificationKey,
		jwt.WithValidMethods([]string{RS256, ES256, EdDSA, HS256}), jwt.WithIssuer(p.issuer), jwt.WithoutClaimsValidation())
	if err != nil {
		return nil, err
	}
	if typ := tok.Header["typ"]; typ != typIDToken {
		return nil, errNotIDToken
	}
	if iss, _ := claims.GetIssuer(); iss != p.issuer {
		return nil, jwt.ErrTokenInvalidIssuer
	}
	return claims, nil
}

// logoutClient finds the client: client_id, or the hint's audience; both
// must agree.
func (p *Provider) logoutClient(params url.Values, req *logoutRequest) *Error {
	id := params.Get("client_id")
	if req.hint != nil {
		aud := tokenClient(req.hint)
		if id != "" && id != aud {
			return ErrInvalidRequest.WithDescription("client_id %q is not the audience of id_token_hint, %q", id, aud)
		}
		id = aud
	}
	if id == "" {
		return nil
	}
	c, ok := p.clients.get(id)
	if !ok {
		return ErrInvalidRequest.WithDescription("client %q is not registered; registered clients: %s", id, quoteList(p.clients.ids()))
	}
	req.client = c
	return nil
}

// logoutRedirect checks post_logout_redirect_uri: registered for the client
// and matched exactly, or any loopback URI for a client that registers no
// redirect URIs at all (the default client).
func (p *Provider) logoutRedirect(uri string, req *logoutRequest) *Error {
	c := req.client
	switch {
	case uri == "":
		return nil
	case c.ID == "":
		return ErrInvalidRequest.WithDescription("post_logout_redirect_uri %q needs id_token_hint or client_id, to know whose registered URIs to match", uri)
	case slices.Contains(c.PostLogoutRedirectURIs, uri),
		len(c.PostLogoutRedirectURIs) == 0 && len(c.RedirectURIs) == 0 && isLoopbackURI(uri):
		req.redirect = uri
		return nil
	case len(c.PostLogoutRedirectURIs) == 0 && len(c.RedirectURIs) == 0:
		return ErrInvalidRequest.WithDescription("post_logout_redirect_uri %q is not registered: client %q registers no post_logout_redirect_uris, so only a loopback URI (http://127.0.0.1:PORT/PATH, http://localhost:PORT/PATH) is accepted", uri, c.ID)
	case len(c.PostLogoutRedirectURIs) == 0:
		return ErrInvalidRequest.WithDescription("post_logout_redirect_uri %q is not registered: client %q registers no post_logout_redirect_uris", uri, c.ID)
	}
	return ErrInvalidRequest.WithDescription("post_logout_redirect_uri %q is not registered for client %q; registered: %s", uri, c.ID, quoteList(c.PostLogoutRedirectURIs))
}

// sessionsToEnd picks the sessions a logout ends: the browser's, else the
// hint's session or user, else all; then prompt=none without a cookie
// fails too.
func (p *Provider) sessionsToEnd(x *exchange, req *logoutRequest) func(*session) bool {
	if ses, _, cookie := p.browserSession(x.r); cookie {
		return func(s *session) bool { return s.id == ses.id }
	}
	p.users.do(func(s *userStore) { s.signedOut = true })
	if req.hint != nil {
		sub, _ := req.hint.GetSubject()
		return func(s *session) bool { return s.user.Subject == sub }
	}
	return func(*session) bool { return true }
}

var signedOutPage = template.Must(template.New("signed-out").Parse(pageHead + `<title>oauthtest: signed out</title></head><body>
<h1>Signed out</h1>
<p>You are signed out of oauthtest. You may close this page.</p>
</body></html>
`))
