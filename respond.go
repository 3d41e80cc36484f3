package oauthtest

import (
	"html"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// deliver sends an authorization response (success or error) to the
// client's redirect URI in the response mode it asked for: query or
// fragment in a 302 redirect, or form_post as a self-submitting HTML form
// (OAuth 2.0 Form Post Response Mode).
func (p *Provider) deliver(w http.ResponseWriter, req *authorizeRequest, params url.Values) {
	w.Header().Set("Cache-Control", "no-store")
	switch req.responseMode {
	case "form_post":
		writeFormPost(w, req.redirectURI, params)
	case "fragment":
		redirect(w, req.redirectURI+"#"+params.Encode())
	default:
		redirect(w, withQuery(req.redirectURI, params))
	}
}

// withQuery adds params to uri, keeping any query it already has
// (RFC 6749 §3.1.2).
func withQuery(uri string, params url.Values) string {
	switch {
	case !strings.Contains(uri, "?"):
		return uri + "?" + params.Encode()
	case strings.HasSuffix(uri, "?") || strings.HasSuffix(uri, "&"):
		return uri + params.Encode()
	default:
		return uri + "&" + params.Encode()
	}
}

func redirect(w http.ResponseWriter, location string) {
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusFound)
}

var formPostPage = template.Must(template.New("form_post").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Submit this form</title></head>
<body onload="document.forms[0].submit()">
<form method="post" {{.Action}}>
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<noscript><button type="submit">Continue</button></noscript>
</form></body></html>
`))

// writeFormPost answers with a form that posts params to action. The
// action attribute is written HTML-escaped but not URL-normalised, as
// html/template would do (turning ' into %27): the browser must post to
// exactly the redirect URI that was checked.
func writeFormPost(w http.ResponseWriter, action string, params url.Values) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = formPostPage.Execute(w, struct {
		Action template.HTMLAttr
		Params url.Values
	}{template.HTMLAttr(`action="` + html.EscapeString(action) + `"`), params})
}

// writeErrorPage answers an authorization request that cannot be redirected.
// registered lists what would have matched, one a line.
func writeErrorPage(w http.ResponseWriter, status int, msg, note string, registered []string) {
	setPageHeaders(w.Header())
	w.WriteHeader(status)
	_ = errorPage.Execute(w, struct {
		Description, Note string
		Registered        []string
	}{msg, note, registered})
}
