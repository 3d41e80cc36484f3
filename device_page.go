package oauthtest

import (
	"html/template"
	"net/http"
)

// handleDeviceVerification serves the verification URI of the device flow
// (RFC 8628 §3.3): GET shows a page to enter the user code (filled in from
// verification_uri_complete) and pick the user who approves, or deny;
// POST with user_code and oauthtest_login=SUBJECT (or oauthtest_deny=1)
// decides.
func (p *Provider) handleDeviceVerification(x *exchange) {
	r := x.r
	if err := parseForm(x.w, r); err != nil {
		x.errorPage(err.StatusCode(), err.ErrorDescription)
		return
	}
	x.rec.Params = r.Form
	code := r.Form.Get("user_code")
	x.rec.ClientID = p.devices.client(code)
	if p.fault(x, func(e *Error) { x.errorPage(e.StatusCode(), e.ErrorDescription) }) {
		return
	}
	if r.Method == http.MethodGet {
		p.showDevicePage(x, code, "")
		return
	}
	how := denyParam
	if sub := r.Form.Get(loginParam); sub != "" && !r.Form.Has(denyParam) {
		how = "sub:" + sub
	}
	if err := p.decideDevice(code, how); err != nil {
		x.noteError(ErrInvalidRequest.WithDescription("%v", err))
		p.showDevicePage(x, code, err.Error())
		return
	}
	result := "approved: return to your device"
	if how == denyParam {
		result = "denied: the device will not sign in"
	}
	p.showDevicePage(x, code, "Device "+result)
}

func (p *Provider) showDevicePage(x *exchange, code, message string) {
	var users []User
	p.users.do(func(s *userStore) { users = s.selectable() })
	status := http.StatusOK
	if x.rec.Error != "" {
		status = http.StatusBadRequest
	}
	x.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(status)
	_ = devicePage.Execute(x.w, struct {
		Action, Code, Message, Param, Deny string
		Users                              []User
	}{p.issuer + DeviceVerificationPath, code, message, loginParam, denyParam, users})
}

var devicePage = template.Must(template.New("device").Parse(pageHead + `<title>oauthtest: connect a device</title></head><body>
<h1>Connect a device</h1>
{{with .Message}}<p id="message">{{.}}</p>{{end}}
<form method="post" action="{{.Action}}">
<p><label>Code shown on the device: <input name="user_code" value="{{.Code}}" autocomplete="off"></label></p>
{{range .Users}}<button type="submit" name="{{$.Param}}" value="{{.Subject}}">Approve as <b>{{.Subject}}</b>{{with index .Claims "name"}} · {{.}}{{end}}</button>
{{end}}<button type="submit" name="{{.Deny}}" value="1" class="deny">Deny</button>
</form>
</body></html>
`))
