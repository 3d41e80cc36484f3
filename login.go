package oauthtest

import (
	"maps"
	"net/http"
	"net/url"
)

// The login page's answers to the authorize endpoint: the subject of the
// user picked (oauthtest_login=SUBJECT), or a refusal (oauthtest_deny=1).
const (
	loginParam = "oauthtest_login"
	denyParam  = "oauthtest_deny"
)

// pickUser shows the login page (WithLoginPage) unless it was answered
// already; it reports whether it answered the request itself: with the
// page, or refusing a forged answer. A pick becomes the login_hint that
// selects the user; a refusal, the user's denial. Answers count only when
// posted from the page this browser was shown (see checkForm).
func (p *Provider) pickUser(x *exchange, req *authorizeRequest, params url.Values) bool {
	if !p.cfg.loginPage || req.promptNone {
		return false
	}
	if params.Has(denyParam) || params.Get(loginParam) != "" {
		if why := p.checkForm(x.r, "login", params); why != "" {
			refuseForm(x, why)
			return true
		}
		req.denied = params.Has(denyParam)
		if sub := params.Get(loginParam); sub != "" {
			req.loginHint, req.picked = sub, true
		}
		return false
	}
	p.showLoginPage(x, req, params)
	return true
}

// showLoginPage shows the page: a button per user, and Deny, in a form that
// posts the authorization request back with the answer and a form token.
func (p *Provider) showLoginPage(x *exchange, req *authorizeRequest, params url.Values) {
	params = maps.Clone(params)
	delete(params, formParam)
	token := p.formToken(x.w, x.r, "login", params)
	var users []User
	p.users.do(func(s *userStore) { users = s.selectable() })
	setPageHeaders(x.w.Header())
	x.w.WriteHeader(http.StatusOK)
	_ = loginPage.Execute(x.w, struct {
		Action           string
		Client           string
		Params           url.Values
		Scopes           []string
		Users            []User
		Param, Deny      string
		FormParam, Token string
	}{p.AuthURL(), req.client.ID, params, req.scopes, users, loginParam, denyParam, formParam, token})
}
