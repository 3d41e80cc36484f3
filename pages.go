package oauthtest

import (
	"html/template"
	"net/http"
)

// setPageHeaders sets the headers of a page a person reads or acts on: HTML,
// never cached, and never shown in a frame of another site, where a hidden
// overlay could trick the person into a click (RFC 9700 §4.16). Redirects,
// such as silent renew's answers in an iframe, do not get them.
func setPageHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY") // for browsers without CSP frame-ancestors
}

// pageHead opens every page the provider shows a person: the login page,
// the error page, the device and signed-out pages. It lays out on a phone
// as on a desktop.
const pageHead = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,sans-serif;max-width:34em;margin:3em auto;padding:0 1em;line-height:1.4}
button{display:block;width:100%;margin:.5em 0;padding:.7em;text-align:left;font-size:1em}
.deny{text-align:center}code,li{overflow-wrap:anywhere}small{color:#555}
.pick label,.pick small{display:block;margin-top:.5em}.pick input,.pick textarea,.pick select{box-sizing:border-box;width:100%;font:inherit;padding:.4em}
.pick textarea{font-family:ui-monospace,monospace}fieldset{margin:1em 0;min-width:0}.problem{color:#a00;font-weight:bold}
.default{position:absolute;width:1px;height:1px;margin:0;padding:0;border:0;overflow:hidden;clip:rect(0 0 0 0)}</style>
`

var errorPage = template.Must(template.New("error").Parse(pageHead + `<title>oauthtest: invalid request</title></head><body>
<h1>invalid_request</h1>
<p id="error_description">{{.Description}}</p>
{{with .Registered}}<p>Registered:</p><ul id="registered">{{range .}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
{{with .Note}}<p><small>{{.}}</small></p>{{end}}
</body></html>
`))

var loginPage = template.Must(template.New("login").Parse(pageHead + `<title>oauthtest: sign in</title></head><body>
<h1>Sign in to {{.Client}}</h1>
<p><b>{{.Client}}</b> asks for: {{range $i, $s := .Scopes}}{{if $i}}, {{end}}<code>{{$s}}</code>{{end}}.</p>
<p><small>oauthtest, a provider for tests and local development: pick a user, type any user, or deny.</small></p>
{{with .Form.Problem}}<p id="problem" class="problem" role="alert">{{.}}</p>
{{end}}<form method="post" action="{{.Action}}">
{{range $k, $vs := .Params}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<input type="hidden" name="{{.FormParam}}" value="{{.Token}}">
<button type="submit" name="{{.Any}}" value="1" class="default" tabindex="-1" aria-hidden="true">Sign in as the user typed</button>
{{with .ACRs}}<div class="pick"><label for="acr">Authentication context (acr) of this login</label>
<select id="acr" name="{{$.ACRParam}}">{{range .}}<option value="{{.}}">{{.}}</option>{{end}}</select></div>
{{end}}<h2>Users</h2>
{{range .Users}}<button type="submit" name="{{$.Param}}" value="{{.Subject}}"><b>{{.Subject}}</b>{{with index .Claims "name"}} · {{.}}{{end}}{{with index .Claims "email"}} · {{.}}{{end}}</button>
{{end}}{{with .Recent}}<h2>Recent users</h2>
{{range .}}<button type="submit" name="{{$.RecentParam}}" value="{{.Subject}}"><b>{{.Subject}}</b>{{with index .Claims "name"}} · {{.}}{{end}}{{with index .Claims "email"}} · {{.}}{{end}}{{with .ACR}} · acr {{.}}{{end}}</button>
{{end}}{{end}}<fieldset class="pick"><legend>Any user</legend>
<label for="subject">Subject (sub)</label>
<input type="text" id="subject" name="{{.SubjectParam}}" value="{{.Form.Subject}}" autocomplete="off" autocapitalize="none" spellcheck="false"{{if eq .Form.Field "subject"}} aria-invalid="true" aria-describedby="problem" autofocus{{end}}>
<label for="claims">Claims, a JSON object (optional)</label>
<textarea id="claims" name="{{.ClaimsParam}}" rows="4" spellcheck="false" aria-describedby="claims-hint{{if eq .Form.Field "claims"}} problem{{end}}"{{if eq .Form.Field "claims"}} aria-invalid="true" autofocus{{end}}>{{.Form.Claims}}</textarea>
<small id="claims-hint">For example {"email": "ann@example.com", "roles": ["admin"]}. acr and amr set the login's (OIDC Core §2).</small>
<button type="submit" name="{{.Any}}" value="1">Sign in as this user</button>
</fieldset>
<button type="submit" name="{{.Deny}}" value="1" class="deny">Deny</button>
</form>
</body></html>
`))
