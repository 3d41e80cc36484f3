package oauthtest

import (
	"html/template"
	"maps"
	"net/http"
)

// logoutParam is the confirmation page's answer: sign out.
const logoutParam = "oauthtest_logout"

// confirmLogout asks the person before a logout that proves nothing about
// who sent it: one from a browser with a live session but without an
// id_token_hint of that session, which any web page can make a browser
// send (RP-Initiated Logout 1.0 §2: the OP SHOULD ask the End-User whether
// to log out). It reports whether it answered the request itself: with the
// question, or refusing a forged answer. A confirmed answer goes on to end
// the session.
func (p *Provider) confirmLogout(x *call, req *logoutRequest) bool {
	ses, live, _ := p.browserSession(x.r)
	if !live || (req.hint != nil && hintSession(req.hint)(&ses)) {
		return false
	}
	params := x.r.Form
	if params.Get(logoutParam) == "" {
		p.showLogoutPage(x, req)
		return true
	}
	if why := p.checkForm(x.r, "logout", params); why != "" {
		refuseForm(x, why)
		return true
	}
	return false
}

// showLogoutPage asks whether to sign out, in a form that posts the logout
// request back with the answer and a form token.
func (p *Provider) showLogoutPage(x *call, req *logoutRequest) {
	params := maps.Clone(x.r.Form)
	delete(params, formParam)
	token := p.formToken(x.w, x.r, "logout", params)
	setPageHeaders(x.w.Header())
	x.w.WriteHeader(http.StatusOK)
	_ = logoutPage.Execute(x.w, struct {
		Action, Client, FormParam, Token, Param string
		Params                                  map[string][]string
	}{p.url(EndpointLogout), req.client.ID, formParam, token, logoutParam, params})
}

var logoutPage = template.Must(template.New("logout").Parse(pageHead + `<title>oauthtest: sign out?</title></head><body>
<h1>Sign out of oauthtest?</h1>
<p>{{with .Client}}<b>{{.}}</b> asks{{else}}A page asks{{end}} to end this browser's oauthtest session. The request does not name it (no <code>id_token_hint</code> of this session), so oauthtest asks you first (RP-Initiated Logout 1.0 §2).</p>
<form method="post" action="{{.Action}}">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<input type="hidden" name="{{.FormParam}}" value="{{.Token}}">
<button type="submit" name="{{.Param}}" value="1">Sign out</button>
</form>
<p><small>To stay signed in, close this page.</small></p>
</body></html>
`))
