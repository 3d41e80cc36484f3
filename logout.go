package oauthtest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
)

// logoutRequest is a logout request as far as it was validated.
type logoutRequest struct {
	client   Client // zero when neither id_token_hint nor client_id names one
	hint     *idClaims
	redirect string // the post_logout_redirect_uri to send the browser to; "" for the page
	state    string
}

// handleLogout serves RP-Initiated Logout: it ends the browser's session
// (the cookie's; without one, the session of the id_token_hint; with
// neither, none), delivers back-channel logout tokens to the clients that
// session had logged in to, and sends the browser to a registered
// post_logout_redirect_uri with state, or shows a page saying whether a
// session ended. A logout that does not name the browser's live session
// asks the person first (confirmLogout). A foreign or tampered id_token_hint, or a redirect URI not registered, is
// refused with an error page: it never redirects anywhere unregistered.
func (p *Provider) handleLogout(x *call) {
	req, err := p.readLogout(x)
	if err != nil {
		x.errorPage(http.StatusBadRequest, err.ErrorDescription)
		return
	}
	if p.fault(x, func(e *Error) { x.errorPage(e.StatusCode(), e.ErrorDescription) }) {
		return
	}
	if p.confirmLogout(x, req) {
		return
	}
	match, ended := p.sessionsToEnd(x, req)
	if ended {
		p.endSessions(match)
	}
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
	setPageHeaders(x.w.Header())
	x.w.WriteHeader(http.StatusOK)
	_ = signedOutPage.Execute(x.w, ended)
}

// readLogout reads and checks the logout request's parameters.
func (p *Provider) readLogout(x *call) (*logoutRequest, *Error) {
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
			return nil, ErrInvalidRequest.WithDescription("id_token_hint is not an ID token of this provider: %s (RP-Initiated Logout 1.0 §2)", err.ErrorDescription)
		}
		req.hint = hint
	}
	if err := p.logoutClient(params, req); err != nil {
		return nil, err
	}
	x.rec.ClientID = req.client.ID
	return req, p.logoutRedirect(params.Get("post_logout_redirect_uri"), req)
}

// verifyHint checks that raw is an ID token this provider issued; expired
// or revoked ones are welcome (RP-Initiated Logout §2), but one it never
// issued, though signed with a key it trusts (an HS256 client's own
// secret), names no one.
func (p *Provider) verifyHint(raw string) (*idClaims, *Error) {
	claims, _, _, err := p.verifyIDToken(raw, false)
	return claims, err
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

// sessionsToEnd picks the sessions a logout ends: the browser's (its
// cookie's), else the one a verified id_token_hint belongs to, else none:
// a request with neither proves no session, and ending every one would let
// any page log every browser out. ok reports whether there was one to pick.
func (p *Provider) sessionsToEnd(x *call, req *logoutRequest) (match func(*session) bool, ok bool) {
	if ses, _, cookie := p.browserSession(x.r); cookie {
		return func(s *session) bool { return s.id == ses.id }, true
	}
	if req.hint == nil {
		return nil, false
	}
	p.users.do(func(s *userStore) { s.signedOut = true })
	return hintSession(req.hint), true
}

// hintSession matches the session a verified ID token belongs to: its sid,
// or without one (a client without back-channel logout gets none) the
// sessions in which its subject signed in to its client.
func hintSession(hint *idClaims) func(*session) bool {
	sub, _ := hint.GetSubject()
	if hint.SID != "" {
		return func(s *session) bool { return s.id == hint.SID && s.user.Subject == sub }
	}
	client := tokenClient(hint)
	return func(s *session) bool { return s.user.Subject == sub && slices.Contains(s.clients, client) }
}

var signedOutPage = template.Must(template.New("signed-out").Parse(pageHead + `<title>oauthtest: signed out</title></head><body>
{{if .}}<h1>Signed out</h1>
<p>You are signed out of oauthtest. You may close this page.</p>
{{else}}<h1>No session ended</h1>
<p id="nothing-ended">This browser has no oauthtest session, and the request named none (no <code>id_token_hint</code>), so nobody was signed out.</p>{{end}}
</body></html>
`))
