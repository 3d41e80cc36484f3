package oauthtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// The login page's answers to the authorize endpoint: the subject of the
// user picked (oauthtest_login=SUBJECT), a recent user (oauthtest_recent=
// SUBJECT), a user typed (oauthtest_any=1 with oauthtest_subject and
// oauthtest_claims), or a refusal (oauthtest_deny=1); with any of them
// but the refusal, the acr chosen (oauthtest_acr).
const (
	loginParam   = "oauthtest_login"
	denyParam    = "oauthtest_deny"
	recentParam  = "oauthtest_recent"
	anyParam     = "oauthtest_any"
	subjectParam = "oauthtest_subject"
	claimsParam  = "oauthtest_claims"
	acrParam     = "oauthtest_acr"
)

// answerParams are the person's answer, which the form token does not cover.
var answerParams = []string{loginParam, denyParam, recentParam, anyParam, subjectParam, claimsParam, acrParam}

// pageAnswer is what the login page's answer says beyond the user picked.
type pageAnswer struct {
	typed  *User  // the user typed, validated
	recent string // the subject of the recent user picked
	acr    string // the acr chosen, one of those offered
}

// loginForm is what the page shows in its fields for a user typed, and
// what was wrong with them.
type loginForm struct {
	Subject, Claims string
	Problem         string // shown on the page; "" when all is well
	Field           string // "subject" or "claims": the field at fault
}

// pickUser shows the login page (WithLoginPage) unless it was answered
// already; it reports whether it answered the request itself: with the
// page, or refusing a forged answer. A pick becomes the login_hint that
// selects the user; a refusal, the user's denial. Answers count only when
// posted from the page this browser was shown (see checkForm).
func (p *Provider) pickUser(x *call, req *authorizeRequest, params url.Values) bool {
	if !p.cfg.loginPage || req.promptNone {
		return false
	}
	answered := slices.ContainsFunc(answerParams, func(k string) bool { return params.Get(k) != "" })
	if _, ok := p.ssoSession(x, req, p.Now()); ok && !answered {
		return false // SignIn's session answers without the page
	}
	if !answered {
		p.showLoginPage(x, req, params, loginForm{})
		return true
	}
	if why := p.checkForm(x.r, "login", params); why != "" {
		refuseForm(x, why)
		return true
	}
	if f := p.readAnswer(req, params); f.Problem != "" {
		x.noteError(ErrInvalidRequest.WithDescription("%s", f.Problem))
		p.showLoginPage(x, req, params, f)
		return true
	}
	req.denied = params.Has(denyParam)
	if sub := params.Get(loginParam); sub != "" {
		req.loginHint, req.picked = sub, true
	}
	return false
}

// readAnswer reads the page's answer into req.answer; the form it returns
// has a Problem when the answer cannot be used.
func (p *Provider) readAnswer(req *authorizeRequest, params url.Values) loginForm {
	f := loginForm{Subject: params.Get(subjectParam), Claims: params.Get(claimsParam)}
	if params.Has(denyParam) {
		return f
	}
	if acr := params.Get(acrParam); acr != "" {
		if offered := p.offeredACRs(req.auth); !slices.Contains(offered, acr) {
			f.Problem = fmt.Sprintf("acr %q is not one this request offers; offered: %s", acr, quoteList(offered))
			return f
		}
		req.answer.acr = acr
	}
	switch {
	case params.Get(anyParam) != "":
		u, field, problem := typedUser(f.Subject, f.Claims)
		f.Field, f.Problem = field, problem
		req.answer.typed = &u
	case params.Get(recentParam) != "":
		req.answer.recent = params.Get(recentParam)
	}
	return f
}

// typedUser reads the user typed on the login page: a subject and a JSON
// object of claims. It returns the field at fault and why, if any.
func typedUser(subject, claims string) (u User, field, problem string) {
	u.Subject = strings.TrimSpace(subject)
	if u.Subject == "" {
		return u, "subject", "Type a subject (the sub claim) to sign in as any user."
	}
	if strings.TrimSpace(claims) != "" {
		if err := json.Unmarshal([]byte(claims), &u.Claims); err != nil || u.Claims == nil {
			return u, "claims", `Claims must be a JSON object, such as {"email": "ann@example.com", "roles": ["admin"]}: ` + jsonProblem(err) + "."
		}
	}
	if err := u.validate(); err != nil {
		return u, "claims", err.Error() + "."
	}
	return u, "", ""
}

// showLoginPage shows the page: a button per user and per recent user, a
// form for any user, the acr to choose when the request asks for some,
// and Deny, in a form that posts the authorization request back with the
// answer and a form token. f fills the fields for a user typed, with what
// was wrong with them: then the page answers 400.
func (p *Provider) showLoginPage(x *call, req *authorizeRequest, params url.Values, f loginForm) {
	params = maps.Clone(params)
	for _, k := range append(answerParams, formParam) {
		delete(params, k)
	}
	token := p.formToken(x.w, x.r, "login", params)
	var users, recent []User
	p.users.do(func(s *userStore) { users, recent = s.selectable(), slices.Clone(s.recent) })
	status := http.StatusOK
	if f.Problem != "" {
		status = http.StatusBadRequest
	}
	setPageHeaders(x.w.Header())
	x.w.WriteHeader(status)
	_ = loginPage.Execute(x.w, loginPageData{
		Action: p.AuthURL(), Client: req.client.ID, Params: params, Scopes: req.scopes,
		Users: users, Recent: recent, ACRs: p.offeredACRs(req.auth), Form: f,
		Param: loginParam, Deny: denyParam, RecentParam: recentParam, Any: anyParam,
		SubjectParam: subjectParam, ClaimsParam: claimsParam, ACRParam: acrParam,
		FormParam: formParam, Token: token,
	})
}

// loginPageData is what the login page template shows.
type loginPageData struct {
	Action, Client                      string
	Params                              url.Values
	Scopes                              []string
	Users, Recent                       []User
	ACRs                                []string
	Form                                loginForm
	Param, Deny, RecentParam, Any       string
	SubjectParam, ClaimsParam, ACRParam string
	FormParam, Token                    string
}
