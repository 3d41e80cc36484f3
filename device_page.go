package oauthtest

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
)

// handleDeviceVerification serves the verification URI of the device flow
// (RFC 8628 §3.3): GET shows a page to enter the user code (filled in from
// verification_uri_complete) and pick the user who approves, or deny;
// POST with user_code and oauthtest_login=SUBJECT (or oauthtest_deny=1)
// decides, when posted from that page (see checkForm). The page then says
// what happened: approved, denied, expired or unknown.
func (p *Provider) handleDeviceVerification(x *call) {
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
		p.showDevicePage(x, code, deviceMessage{})
		return
	}
	if why := p.checkForm(r, "device", url.Values{formParam: r.Form[formParam]}); why != "" {
		refuseForm(x, why)
		return
	}
	how := denyParam
	if sub := r.Form.Get(loginParam); sub != "" && !r.Form.Has(denyParam) {
		how = "sub:" + sub
	}
	state, err := p.decideDevice(code, how)
	msg := deviceOutcome(state, err)
	if msg.Outcome != "approved" && msg.Outcome != "denied" {
		x.noteError(ErrInvalidRequest.WithDescription("%v", err))
	}
	p.showDevicePage(x, code, msg)
}

// deviceMessage is what the page says happened: Outcome is "approved",
// "denied", "expired", "unknown" or "decided" (before), for automation.
type deviceMessage struct {
	Outcome, Text string
}

// deviceOutcome says what a decision did, truthfully: an approval that a
// queued denial or an unknown user turned into a denial says denied.
func deviceOutcome(state deviceState, err error) deviceMessage {
	var e *Error
	errors.As(err, &e)
	switch {
	case err == nil && state == deviceApproved:
		return deviceMessage{"approved", "Device approved: return to your device."}
	case state == deviceDenied && (err == nil || e.Is(ErrAccessDenied) || e.Is(ErrConsentRequired)):
		text := "Device denied: the device will not sign in."
		if e != nil {
			text = "Device denied: " + e.ErrorDescription + ". The device will not sign in."
		}
		return deviceMessage{"denied", text}
	case e != nil && e.Is(ErrExpiredToken):
		return deviceMessage{"expired", "This code has expired: " + e.ErrorDescription + ". Start again on your device."}
	case state != devicePending:
		return deviceMessage{"decided", "Nothing changed: " + e.ErrorDescription + "."}
	case e != nil:
		return deviceMessage{"unknown", "Unknown code: " + e.ErrorDescription + ". Check the code your device shows."}
	}
	return deviceMessage{"unknown", "Nothing was decided: " + err.Error()}
}

func (p *Provider) showDevicePage(x *call, code string, msg deviceMessage) {
	var users []User
	p.users.do(func(s *userStore) { users = s.selectable() })
	status := http.StatusOK
	if x.rec.Error != "" {
		status = http.StatusBadRequest
	}
	token := p.formToken(x.w, x.r, "device", nil)
	setPageHeaders(x.w.Header())
	x.w.WriteHeader(status)
	_ = devicePage.Execute(x.w, struct {
		Action, Code, Param, Deny, FormParam, Token string
		Message                                     deviceMessage
		Users                                       []User
	}{p.url(EndpointDeviceVerification), code, loginParam, denyParam, formParam, token, msg, users})
}

var devicePage = template.Must(template.New("device").Parse(pageHead + `<title>oauthtest: connect a device</title></head><body>
<h1>Connect a device</h1>
{{with .Message}}{{if .Outcome}}<p id="message" data-outcome="{{.Outcome}}">{{.Text}}</p>{{end}}{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="{{.FormParam}}" value="{{.Token}}">
<p><label>Code shown on the device: <input name="user_code" value="{{.Code}}" autocomplete="off"></label></p>
{{range .Users}}<button type="submit" name="{{$.Param}}" value="{{.Subject}}">Approve as <b>{{.Subject}}</b>{{with index .Claims "name"}} · {{.}}{{end}}</button>
{{end}}<button type="submit" name="{{.Deny}}" value="1" class="deny">Deny</button>
</form>
</body></html>
`))
