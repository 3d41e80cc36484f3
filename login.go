package oauthtest

import (
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
// already; it reports whether the page was shown. A pick becomes the
// login_hint that selects the user; a refusal, the user's denial.
func (p *Provider) pickUser(w http.ResponseWriter, req *authorizeRequest, params url.Values) bool {
	if !p.cfg.loginPage || req.promptNone {
		return false
	}
	if params.Has(denyParam) {
		req.denied = true
		return false
	}
	if sub := params.Get(loginParam); sub != "" {
		req.loginHint, req.picked = sub, true
		return false
	}
	var users []User
	p.users.do(func(s *userStore) { users = s.selectable() })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = loginPage.Execute(w, struct {
		Action string
		Client string
		Params url.Values
		Scopes []string
		Users  []User
		Param  string
		Deny   string
	}{p.AuthURL(), req.client.ID, params, req.scopes, users, loginParam, denyParam})
	return true
}
