package oauthtest

import (
	"cmp"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Anti-forgery for the forms a person submits (the login and device
// pages), RFC 9700 §4.4.1.8: each form carries a token, an HMAC under a
// per-provider key from crypto/rand over a per-browser cookie, the form's
// purpose and the request it answers. A form posted from another site has
// neither the cookie's value nor the token, and a browser's Origin and
// Sec-Fetch-Site headers name the other site.
const (
	formCookie = "oauthtest_browser" // the browser's random value
	formParam  = "oauthtest_form"    // the form's token
)

// formKeyStore holds a provider's key for form tokens: from crypto/rand
// on first use, never from WithSeed. The state file keeps it, so that a
// page shown before a restart can still be submitted after it; Reset
// keeps it too, as a browser's open page outlives a test's Reset.
type formKeyStore struct {
	mu  sync.Mutex // guards key
	key []byte
}

// get returns the key, drawing it on first use.
func (s *formKeyStore) get() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key == nil {
		s.key = []byte(rand.Text())
	}
	return s.key
}

// reset keeps the key: see formKeyStore.
func (s *formKeyStore) reset(*config) {}

func (s *formKeyStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(dst, newRecord("", string(s.key)))
}

func (s *formKeyStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range recs {
		var key string
		if err := r.decode(&key); err != nil {
			return err
		}
		if key != "" {
			s.key = []byte(key)
		}
	}
	return nil
}

// formToken returns the token of a form for purpose answering params,
// giving the browser its cookie first if it has none.
func (p *Provider) formToken(w http.ResponseWriter, r *http.Request, purpose string, params url.Values) string {
	value := browserValue(r)
	if value == "" {
		value = rand.Text()
		p.setFormCookie(w, value)
	}
	return p.formMAC(value, purpose, params)
}

// browserValue is the value of the browser's form cookie, or "".
func browserValue(r *http.Request) string {
	c, err := r.Cookie(formCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// formMAC binds a form to the browser, its purpose and its request: the
// parameters but the person's answer and the token, in a canonical order.
func (p *Provider) formMAC(browser, purpose string, params url.Values) string {
	bound := url.Values{}
	for k, vs := range params {
		if k != formParam && k != logoutParam && !slices.Contains(answerParams, k) {
			bound[k] = vs
		}
	}
	m := hmac.New(sha256.New, p.forms.get())
	m.Write([]byte(purpose + "\x00" + browser + "\x00" + bound.Encode()))
	return b64(m.Sum(nil))
}

// setFormCookie gives the browser its value. SameSite=Lax: sent when the
// browser arrives from the app's site, and with the page's own POST.
func (p *Provider) setFormCookie(w http.ResponseWriter, value string) {
	u, _ := url.Parse(p.issuer)
	http.SetCookie(w, &http.Cookie{Name: formCookie, Value: value, Path: cmp.Or(u.Path, "/"),
		HttpOnly: true, Secure: u.Scheme == "https", SameSite: http.SameSiteLaxMode})
}

// checkForm returns why a submitted form is refused, or "": it must be a
// POST from the provider's own page, with the token that page gave this
// browser for purpose and params.
func (p *Provider) checkForm(r *http.Request, purpose string, params url.Values) string {
	switch site := r.Header.Get("Sec-Fetch-Site"); {
	case r.Method != http.MethodPost:
		return "the form must be posted, not sent in a " + r.Method + " request"
	case site == "cross-site" || site == "same-site":
		return "the form was posted from another site (Sec-Fetch-Site: " + site + ")"
	case r.Header.Get("Origin") != "" && r.Header.Get("Origin") != p.origin():
		return "the form was posted from " + r.Header.Get("Origin") + ", not from " + p.origin()
	}
	browser, token := browserValue(r), params.Get(formParam)
	switch {
	case browser == "" || token == "":
		return "the form carries no anti-forgery token, or the browser no oauthtest cookie"
	case !hmac.Equal([]byte(token), []byte(p.formMAC(browser, purpose, params))):
		return "the form's anti-forgery token is not the one this page gave this browser"
	}
	return ""
}

// origin is the issuer's origin (RFC 6454), as browsers send it.
func (p *Provider) origin() string {
	u, err := url.Parse(p.issuer)
	if err != nil {
		return p.issuer
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// refuseForm answers a refused form with a page that says what to do.
func refuseForm(x *call, why string) {
	x.noteError(ErrInvalidRequest.WithDescription("%s", why))
	writeErrorPage(x.w, http.StatusForbidden, "This form was refused: "+why+".",
		"Forms are accepted only from the page oauthtest showed in this browser (RFC 9700 §4.4.1.8). Go back to the application and start again.", nil)
}
