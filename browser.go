package oauthtest

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// Browser plays the user agent's part of a flow in a test: it visits an
// authorization URL, follows the provider's redirects with a cookie jar,
// answers the login page (WithLoginPage) and stops at the client's redirect
// URI, without requesting it, returning what arrived there. It reaches the
// provider through HTTPClient, so it works in memory too. A Browser is for
// one goroutine at a time.
type Browser struct {
	p      *Provider
	client *http.Client
	pick   string // the subject to pick on the login page; "" for the current user
	typed  *User  // the user to type on the login page; nil to pick one
	deny   bool   // decline on the login page
}

// Browser returns a new browser with an empty cookie jar.
func (p *Provider) Browser() *Browser {
	jar, _ := cookiejar.New(nil) // never fails without options
	c := *p.HTTPClient()
	c.Jar = loopbackSecure{jar}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Browser{p: p, client: &c}
}

// loopbackSecure sends Secure cookies to loopback hosts over http, as
// browsers do (and net/http/cookiejar from Go 1.26 on).
type loopbackSecure struct{ http.CookieJar }

func (j loopbackSecure) Cookies(u *url.URL) []*http.Cookie {
	if u.Scheme == "http" && isLoopbackURI(u.String()) {
		s := *u
		s.Scheme = "https"
		u = &s
	}
	return j.CookieJar.Cookies(u)
}

// PickUser makes the browser choose the user with this subject on the
// login page, instead of the provider's current user. It returns b.
func (b *Browser) PickUser(subject string) *Browser {
	b.pick, b.typed, b.deny = subject, nil, false
	return b
}

// LogInAs makes the browser type u on the login page, as a person signs in
// as any user there: its subject, and its claims as a JSON object, with
// its ACR and AMR as the claims acr and amr. The provider then remembers u
// as a recent user (Users().Recent). It returns b.
func (b *Browser) LogInAs(u User) *Browser {
	u = u.clone()
	b.pick, b.typed, b.deny = "", &u, false
	return b
}

// Deny makes the browser decline on the login page: the client gets
// access_denied. It returns b.
func (b *Browser) Deny() *Browser {
	b.deny = true
	return b
}

// Callback is the authorization response as it arrived at the redirect URI
// (RFC 6749 §4.1.2): from its query, its fragment or a form_post form.
type Callback struct {
	URL              string     // where the browser was sent: the redirect URI with the parameters, or the form's action
	ResponseMode     string     // "query", "fragment" or "form_post"
	Params           url.Values // every parameter of the response
	Code             string     // code
	State            string     // state
	Issuer           string     // iss (RFC 9207)
	IDToken          string     // id_token, with response_type "code id_token"
	Error            string     // error, such as "access_denied"
	ErrorDescription string     // error_description
}

// maxHops bounds the redirects a visit follows, as browsers do.
const maxHops = 10

// Visit starts at authURL and returns what arrives at the redirect URI. An
// error means nothing did: the provider answered with its error page (an
// unknown client or redirect URI), or something other than a flow.
func (b *Browser) Visit(authURL string) (*Callback, error) {
	req, err := http.NewRequest(http.MethodGet, authURL, nil)
	if err != nil {
		return nil, fmt.Errorf("oauthtest: browser: %w", err)
	}
	for range maxHops {
		resp, err := b.client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("oauthtest: browser: %w", err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("oauthtest: browser: %w", err)
		}
		cb, next, err := b.step(req, resp, body)
		if cb != nil || err != nil {
			return cb, err
		}
		req = next
	}
	return nil, fmt.Errorf("oauthtest: browser: more than %d redirects from %s", maxHops, authURL)
}

// step reads one answer: a callback, or the next request to make.
func (b *Browser) step(req *http.Request, resp *http.Response, body []byte) (*Callback, *http.Request, error) {
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		loc, err := req.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			return nil, nil, fmt.Errorf("oauthtest: browser: a redirect to %q: %w", resp.Header.Get("Location"), err)
		}
		if b.atProvider(loc) {
			next, err := http.NewRequest(http.MethodGet, loc.String(), nil)
			return nil, next, err
		}
		return redirectCallback(loc)
	case resp.StatusCode == http.StatusOK && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"):
		action, params := readForm(body)
		if action == "" {
			return nil, nil, fmt.Errorf("oauthtest: browser: %s answered a page without a form", req.URL.Redacted())
		}
		switch action {
		case b.p.AuthURL():
			next, err := b.answerLogin(params)
			return nil, next, err
		case b.p.url(EndpointLogout): // the person confirms the logout
			params.Set(logoutParam, "1")
			next, err := http.NewRequest(http.MethodPost, action, strings.NewReader(params.Encode()))
			if next != nil {
				next.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			return nil, next, err
		}
		return newCallback(action, "form_post", params), nil, nil
	}
	return nil, nil, fmt.Errorf("oauthtest: browser: %s answered %d: %s", withoutQuery(req.URL), resp.StatusCode, pageText(body))
}

// atProvider reports whether u is one of the provider's own pages.
func (b *Browser) atProvider(u *url.URL) bool {
	return strings.HasPrefix(u.String(), b.p.Issuer()+"/")
}

// answerLogin submits the login page: the chosen user, or a refusal.
func (b *Browser) answerLogin(params url.Values) (*http.Request, error) {
	switch {
	case b.deny:
		params.Set(denyParam, "1")
	case b.typed != nil:
		params.Set(anyParam, "1")
		params.Set(subjectParam, b.typed.Subject)
		params.Set(claimsParam, b.typed.claimsJSON())
	case b.pick != "":
		params.Set(loginParam, b.pick)
	default:
		var sub string
		b.p.users.do(func(s *userStore) { sub = s.current.Subject })
		params.Set(loginParam, sub)
	}
	req, err := http.NewRequest(http.MethodPost, b.p.AuthURL(), strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// claimsJSON is u's claims as typed on the login page: a JSON object, with
// ACR and AMR as acr and amr.
func (u User) claimsJSON() string {
	claims := maps.Clone(u.Claims)
	if claims == nil {
		claims = map[string]any{}
	}
	if u.ACR != "" {
		claims["acr"] = u.ACR
	}
	if u.AMR != nil {
		claims["amr"] = u.AMR
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return fmt.Sprintf("claims that do not encode as JSON: %v", err) // the page says what is wrong
	}
	return string(b)
}

// redirectCallback reads a response redirected in the query or fragment.
func redirectCallback(loc *url.URL) (*Callback, *http.Request, error) {
	mode, params := "query", loc.Query()
	if loc.Fragment != "" || loc.RawFragment != "" {
		frag, err := url.ParseQuery(loc.EscapedFragment())
		if err != nil {
			return nil, nil, fmt.Errorf("oauthtest: browser: the fragment of %s: %w", loc.Redacted(), err)
		}
		mode, params = "fragment", frag
	}
	return newCallback(loc.String(), mode, params), nil, nil
}

func newCallback(uri, mode string, params url.Values) *Callback {
	return &Callback{
		URL: uri, ResponseMode: mode, Params: params,
		Code: params.Get("code"), State: params.Get("state"), Issuer: params.Get("iss"), IDToken: params.Get("id_token"),
		Error: params.Get("error"), ErrorDescription: params.Get("error_description"),
	}
}

// The provider's own pages, as its templates write them.
var (
	formTag     = regexp.MustCompile(`<form method="post" action="([^"]*)">`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	tags        = regexp.MustCompile(`<[^>]*>`)
	styles      = regexp.MustCompile(`(?s)<(style|title)>.*?</(style|title)>`)
	description = regexp.MustCompile(`(?s)<p id="error_description">(.*?)</p>`)
)

// readForm reads the action and hidden fields of the provider's form_post
// or login page.
func readForm(page []byte) (action string, params url.Values) {
	m := formTag.FindSubmatch(page)
	if m == nil {
		return "", nil
	}
	params = url.Values{}
	for _, in := range hiddenInput.FindAllSubmatch(page, -1) {
		params.Add(html.UnescapeString(string(in[1])), html.UnescapeString(string(in[2])))
	}
	return html.UnescapeString(string(m[1])), params
}

// pageText is what a page says, for error messages: an error page's
// description, else its text without styles and tags.
func pageText(page []byte) string {
	text := string(page)
	if m := description.FindStringSubmatch(text); m != nil {
		text = m[1]
	}
	text = tags.ReplaceAllString(styles.ReplaceAllString(text, " "), " ")
	return strings.Join(strings.Fields(html.UnescapeString(text)), " ")
}

// withoutQuery is u without its query: the page's own message says what
// was wrong with the request.
func withoutQuery(u *url.URL) string {
	v := *u
	v.RawQuery, v.Fragment, v.User = "", "", nil
	return v.String()
}
