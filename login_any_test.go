package oauthtest_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/c95d6557/oauthtest"
	"golang.org/x/oauth2"
)

// typed is the login page's answer for a user typed there.
func typed(form url.Values, subject, claims string) url.Values {
	f := url.Values{}
	for k, vs := range form {
		f[k] = slices.Clone(vs)
	}
	f.Set("oauthtest_any", "1")
	f.Set("oauthtest_subject", subject)
	f.Set("oauthtest_claims", claims)
	return f
}

// TestLoginPageMarkup: the form for any user is labelled, reachable by
// keyboard, lays out on a phone, and pressing Enter in its fields signs in
// the user typed: the first submit button, the form's default, is theirs.
func TestLoginPageMarkup(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage(), oauthtest.WithUsers(alice))
	_, page := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st", acrValues("phr phrh")), nil, nil, nil)
	for _, want := range []string{
		`<html lang="en">`, `<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`<label for="subject">`, `id="subject" name="oauthtest_subject"`,
		`<label for="claims">`, `<textarea id="claims" name="oauthtest_claims"`, `aria-describedby="claims-hint"`,
		`<label for="acr">`, `<select id="acr" name="oauthtest_acr"><option value="phr">phr</option><option value="phrh">phrh</option></select>`,
		`<fieldset class="pick"><legend>Any user</legend>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	buttons := regexp.MustCompile(`<button type="submit" name="([^"]*)"[^>]*>`).FindAllStringSubmatch(page, -1)
	if len(buttons) < 2 || buttons[0][1] != "oauthtest_any" || !strings.Contains(buttons[0][0], `tabindex="-1"`) {
		t.Errorf("the first submit button is %v, want the typed user's, out of the tab order", buttons[0])
	}
	if strings.Count(page, `name="oauthtest_any"`) != 2 {
		t.Error("the visible button for the typed user is missing")
	}
	// No acr asked for: no select.
	if _, page := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st"), nil, nil, nil); strings.Contains(page, "<select") {
		t.Error("a select without acr_values")
	}
}

// TestLoginPageAnyUser: a person types a subject and claims; the client
// gets that user, claims and all, and the next page offers it again as a
// recent user, which signs in the same way.
func TestLoginPageAnyUser(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage())
	form, cookies := loginPageForm(t, p, acrValues("phr phrh"))
	answer := typed(form, "  carol ", `{"email": "carol@example.com", "roles": ["admin", "ops"], "amr": ["pwd", "otp"]}`)
	answer.Set("oauthtest_acr", "phrh")
	q, _ := redirected(t, respOf(send(t, p, http.MethodPost, p.AuthURL(), answer, cookies, sameOrigin(p))), redirectURI)
	c := redeemAndVerify(t, p, q.Get("code"))
	if c.Subject != "carol" || c.Email != "carol@example.com" || !slices.Equal(c.Roles, []string{"admin", "ops"}) || c.ACR != "phrh" || !slices.Equal(c.AMR, []string{"pwd", "otp"}) {
		t.Errorf("ID token %+v", c)
	}
	recent := p.Users().Recent
	if len(recent) != 1 || recent[0].Subject != "carol" || recent[0].Claims["roles"] == nil {
		t.Fatalf("recent %+v", recent)
	}
	form, cookies = loginPageForm(t, p)
	_, page := send(t, p, http.MethodGet, oauthConfig(p).AuthCodeURL("st"), nil, cookies, nil)
	if !strings.Contains(page, "<h2>Recent users</h2>") || !strings.Contains(page, `name="oauthtest_recent" value="carol"`) {
		t.Fatalf("the next page offers no recent user:\n%s", page)
	}
	form.Set("oauthtest_recent", "carol")
	q, _ = redirected(t, respOf(send(t, p, http.MethodPost, p.AuthURL(), form, cookies, sameOrigin(p))), redirectURI)
	if c := redeemAndVerify(t, p, q.Get("code")); c.Subject != "carol" || len(c.Roles) != 2 {
		t.Errorf("the recent user: %+v", c)
	}
	form.Set("oauthtest_recent", "nobody")
	q, _ = redirected(t, respOf(send(t, p, http.MethodPost, p.AuthURL(), form, cookies, sameOrigin(p))), redirectURI)
	if q.Get("error") != "access_denied" || !strings.Contains(q.Get("error_description"), `"nobody"`) {
		t.Errorf("a recent user not offered: %v", q)
	}
}

// TestLoginPageAnyUserProblems: what cannot be a user is shown on the
// page, as an alert tied to the field at fault, keeping what was typed;
// nobody signs in and nothing is remembered. An acr the request did not
// offer is refused likewise.
func TestLoginPageAnyUserProblems(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage())
	form, cookies := loginPageForm(t, p, acrValues("phr"))
	withACR := typed(form, "dave", "")
	withACR.Set("oauthtest_acr", "phrh")
	for _, tc := range []struct {
		name   string
		answer url.Values
		field  string
		says   string
	}{
		{"no subject", typed(form, "  ", `{}`), "subject", "Type a subject"},
		{"not JSON", typed(form, "dave", `{"roles": [admin]}`), "claims", "must be a JSON object"},
		{"an array", typed(form, "dave", `["admin"]`), "claims", "must be a JSON object"},
		{"null", typed(form, "dave", `null`), "claims", "must be a JSON object"},
		{"a claim the provider sets", typed(form, "dave", `{"iss": "https://evil.example"}`), "claims", `claim "iss" is set by the provider`},
		{"amr not a list", typed(form, "dave", `{"amr": "pwd"}`), "claims", "amr must be a list of strings"},
		{"an acr not offered", withACR, "", `acr "phrh" is not one this request offers`},
	} {
		resp, page := send(t, p, http.MethodPost, p.AuthURL(), tc.answer, cookies, sameOrigin(p))
		if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(page, `role="alert"`) || !strings.Contains(html.UnescapeString(page), tc.says) {
			t.Errorf("%s: HTTP %d\n%s", tc.name, resp.StatusCode, page)
			continue
		}
		if tc.field != "" && !regexp.MustCompile(`id="`+tc.field+`"[^>]*aria-invalid="true"`).MatchString(page) {
			t.Errorf("%s: the %s field is not marked invalid", tc.name, tc.field)
		}
		if claims := tc.answer.Get("oauthtest_claims"); !strings.Contains(page, ">"+html.EscapeString(claims)+"</textarea>") {
			t.Errorf("%s: the claims typed are not kept", tc.name)
		}
		// The page posts again: its hidden fields are the request's, not the answer.
		again := url.Values{}
		for _, m := range hiddenField.FindAllStringSubmatch(page, -1) {
			again.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
		}
		if again.Has("oauthtest_any") || again.Has("oauthtest_claims") || again.Get("oauthtest_form") != form.Get("oauthtest_form") {
			t.Errorf("%s: the page posts %v", tc.name, again)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "oauthtest_session" {
				t.Errorf("%s: a session started", tc.name)
			}
		}
	}
	if us := p.Users(); len(us.Recent) != 0 {
		t.Errorf("remembered %+v", us.Recent)
	}
	// A typed answer needs the page's token like any other.
	forged := typed(form, "mallory", "")
	forged.Del("oauthtest_form")
	if resp, _ := send(t, p, http.MethodPost, p.AuthURL(), forged, cookies, sameOrigin(p)); resp.StatusCode != 403 {
		t.Errorf("a typed answer without the form token: HTTP %d", resp.StatusCode)
	}
}

// TestBrowserLogInAs: the Browser types a user on the login page; recent
// users are a bounded list, newest first, each subject once.
func TestBrowserLogInAs(t *testing.T) {
	t.Parallel()
	p := oauthtest.NewTestProvider(t, oauthtest.WithLoginPage())
	erin := oauthtest.User{Subject: "erin", Claims: map[string]any{"tenant": "t1"}, ACR: "phr", AMR: []string{"hwk"}}
	c, _, err := signIn(t, p, p.Browser().LogInAs(erin), nil)
	if err != nil || c.Subject != "erin" || c.ACR != "phr" || !slices.Equal(c.AMR, []string{"hwk"}) {
		t.Fatalf("LogInAs: %+v, %v", c, err)
	}
	for i := range 6 {
		if sub := browserLogin(t, p, p.Browser().LogInAs(oauthtest.User{Subject: fmt.Sprint("u", i)})); sub != fmt.Sprint("u", i) {
			t.Fatalf("signed in %s", sub)
		}
	}
	browserLogin(t, p, p.Browser().LogInAs(oauthtest.User{Subject: "u3"}))
	var subs []string
	for _, u := range p.Users().Recent {
		subs = append(subs, u.Subject)
	}
	if want := []string{"u3", "u5", "u4", "u2", "u1"}; !slices.Equal(subs, want) {
		t.Errorf("recent %v, want %v", subs, want)
	}
	// A user the provider cannot sign in is an error that says why.
	_, err = p.Browser().LogInAs(oauthtest.User{Subject: "x", Claims: map[string]any{"aud": "y"}}).Visit(oauthConfig(p).AuthCodeURL("st"))
	if err == nil || !strings.Contains(err.Error(), `claim "aud" is set by the provider`) {
		t.Errorf("a reserved claim: %v", err)
	}
	// A queued login still comes first, as for a user picked.
	if err := p.QueueUser(alice); err != nil {
		t.Fatal(err)
	}
	if sub := browserLogin(t, p, p.Browser().LogInAs(erin), oauth2.AccessTypeOnline); sub != "alice" {
		t.Errorf("with a queued login: %s", sub)
	}
	if d := p.Dump(); !strings.Contains(d, `recent on the login page: "u3", "u5"`) {
		t.Errorf("Dump:\n%s", d)
	}
	p.Reset()
	if n := len(p.Users().Recent); n != 0 {
		t.Errorf("%d recent users after Reset", n)
	}
}

// redeemAndVerify redeems code for the default client and returns the
// verified ID token's claims.
func redeemAndVerify(t *testing.T, p *oauthtest.Provider, code string) idClaims {
	t.Helper()
	ctx, cfg := clientContext(p), oauthConfig(p)
	tok, err := cfg.Exchange(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	return verifyIDToken(t, p, tok)
}
