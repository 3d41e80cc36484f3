package oauthtest

import (
	"html/template"
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
		req.loginHint = sub
		return false
	}
	var users []User
	p.users.do(func(s *userStore) { users = append([]User{s.current}, s.known...) })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = loginPage.Execute(w, struct {
		Action string
		Client string
		Params url.Values
		Users  []User
		Param  string
		Deny   string
	}{p.AuthURL(), req.client.ID, params, users, loginParam, denyParam})
	return true
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>oauthtest: sign in</title>
<style>body{font-family:sans-serif;max-width:32em;margin:3em auto}button{display:block;width:100%;margin:.5em 0;padding:.7em;text-align:left}</style>
</head><body>
<h1>Sign in to {{.Client}}</h1>
<p>oauthtest, a provider for tests and local development: pick a user.</p>
<form method="post" action="{{.Action}}">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}{{range .Users}}<button type="submit" name="{{$.Param}}" value="{{.Subject}}"><b>{{.Subject}}</b>{{with index .Claims "name"}} · {{.}}{{end}}{{with index .Claims "email"}} · {{.}}{{end}}</button>
{{end}}<button type="submit" name="{{.Deny}}" value="1">Deny</button>
</form>
</body></html>
`))
