package oauthtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// defaultACRValues are the authentication context classes a provider
// supports unless WithACRValues says otherwise: "0", the level below ISO/IEC
// 29115 level 1 (OIDC Core §2), the two classes of the examples of OIDC
// Core §5.5, and the phishing-resistant classes of OpenID EAP ACR Values
// 1.0 §2 (without and with hardware-protected keys).
var defaultACRValues = []string{"0", "urn:mace:incommon:iap:bronze", "urn:mace:incommon:iap:silver", "phr", "phrh"}

// WithACRValues sets the authentication context classes the provider
// supports (acr_values_supported in discovery), most preferred first: the
// values of acr_values and of the claims parameter that a login can
// satisfy. Without it: "0", "urn:mace:incommon:iap:bronze",
// "urn:mace:incommon:iap:silver", "phr" and "phrh".
func WithACRValues(values ...string) Option {
	return optionFunc(func(c *config) error {
		if len(values) == 0 || slices.Contains(values, "") {
			return fmt.Errorf("oauthtest: WithACRValues needs at least one value, and no empty one")
		}
		c.acrValues = slices.Clone(values)
		return nil
	})
}

// authContext is what an authorization request asks of the user's
// authentication (OIDC Core §3.1.2.1, §5.5).
type authContext struct {
	acrValues []string        // acr_values, then the claims parameter's acr values: preferred first
	essential []string        // the acr values the claims parameter makes essential (OIDC Core §5.5.1.1)
	subject   string          // the sub value the claims parameter asks for (OIDC Core §5.5.1)
	claims    requestedClaims // what the claims parameter asks for by name
}

// requestedClaims are the names of the claims the claims parameter asks
// for (OIDC Core §5.5), returned whatever the scope.
type requestedClaims struct {
	idToken  []string // in the ID token
	userinfo []string // at the userinfo endpoint
}

// claimRequest is one claim of the claims parameter (OIDC Core §5.5.1).
type claimRequest struct {
	Essential bool  `json:"essential"`
	Value     any   `json:"value"`
	Values    []any `json:"values"`
}

// parseAuthContext reads acr_values (OIDC Core §3.1.2.1) and the claims
// parameter (OIDC Core §5.5).
func (req *authorizeRequest) parseAuthContext(params url.Values) *Error {
	req.auth.acrValues = strings.Fields(params.Get("acr_values"))
	raw := params.Get("claims")
	if raw == "" {
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &members); err != nil || members == nil {
		return ErrInvalidRequest.WithDescription("claims must be a JSON object with id_token and userinfo members (OIDC Core §5.5): %s", jsonProblem(err))
	}
	for _, m := range []struct {
		name string
		dst  *[]string
	}{{"id_token", &req.auth.claims.idToken}, {"userinfo", &req.auth.claims.userinfo}} {
		if err := req.auth.readMember(m.name, members[m.name], m.dst); err != nil {
			return err
		}
	}
	return nil
}

// readMember reads the id_token or userinfo member of the claims
// parameter: an object whose members are claims, each null or a request.
// Other members are ignored, as OIDC Core §5.5 says.
func (a *authContext) readMember(name string, raw json.RawMessage, dst *[]string) *Error {
	if raw == nil || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var claims map[string]*claimRequest
	if err := json.Unmarshal(raw, &claims); err != nil {
		return ErrInvalidRequest.WithDescription("the claims parameter's %s member must be an object of claim names, each null or an object with essential (a boolean), value or values (an array) (OIDC Core §5.5.1): %v", name, err)
	}
	for claim, r := range claims {
		*dst = append(*dst, claim)
		if r != nil && name == "id_token" {
			if err := a.readIDTokenClaim(claim, r); err != nil {
				return err
			}
		}
	}
	slices.Sort(*dst)
	return nil
}

// readIDTokenClaim reads the requests for the ID token's acr and sub,
// which bind the login (OIDC Core §5.5.1, §5.5.1.1).
func (a *authContext) readIDTokenClaim(claim string, r *claimRequest) *Error {
	values := r.Values
	if r.Value != nil {
		values = append([]any{r.Value}, values...)
	}
	switch claim {
	case "acr":
		acrs, ok := stringList(values)
		if !ok {
			return ErrInvalidRequest.WithDescription("the claims parameter's acr value and values must be strings (OIDC Core §5.5.1.1)")
		}
		a.acrValues = append(a.acrValues, acrs...)
		if r.Essential {
			a.essential = acrs
		}
	case "sub":
		if r.Value != nil {
			s, ok := r.Value.(string)
			if !ok {
				return ErrInvalidRequest.WithDescription("the claims parameter's sub value must be a string (OIDC Core §5.5.1)")
			}
			a.subject = s
		}
	}
	return nil
}

// offeredACRs are the classes a login for this request may choose among:
// the essential ones if any, else those requested, that the provider
// supports, most preferred first.
func (p *Provider) offeredACRs(a authContext) []string {
	wanted := a.acrValues
	if len(a.essential) > 0 {
		wanted = a.essential
	}
	var offered []string
	for _, v := range wanted {
		if slices.Contains(p.acrValues(), v) && !slices.Contains(offered, v) {
			offered = append(offered, v)
		}
	}
	return offered
}

// acrValues are the classes the provider supports.
func (p *Provider) acrValues() []string {
	if p.cfg.acrValues == nil {
		return defaultACRValues
	}
	return p.cfg.acrValues
}

// settleAuthContext gives u, who just logged in, the acr of this login:
// the one chosen on the login page, else the user's own (User.ACR), else
// the most preferred one requested that the provider supports. It fails
// as OIDC Core §5.5.1.1 and §5.5.1 say when an essential acr, or the sub
// asked for, is not met.
func (p *Provider) settleAuthContext(u User, req *authorizeRequest) (User, *Error) {
	switch offered := p.offeredACRs(req.auth); {
	case req.answer.acr != "":
		u.ACR = req.answer.acr // one of offered: pickUser checked
	case u.ACR == "" && len(offered) > 0:
		u.ACR = offered[0]
	}
	return u, p.checkAuthContext(req.auth, u, "login")
}

// check reports an unmet essential acr or another sub than the one asked
// for: how names the login ("login", or "session" for prompt=none).
func (p *Provider) checkAuthContext(a authContext, u User, how string) *Error {
	switch {
	case a.subject != "" && u.Subject != a.subject:
		return ErrAccessDenied.WithDescription("the claims parameter asks for sub %q, but %q signed in; no tokens are issued for another user (OIDC Core §5.5.1)", a.subject, u.Subject)
	case len(a.essential) == 0 || slices.Contains(a.essential, u.ACR):
		return nil
	case how == "session":
		return ErrLoginRequired.WithDescription("the session's acr is %q, and the claims parameter requires one of %s as an essential claim; prompt=none rules out a new login (OIDC Core §5.5.1.1)", u.ACR, quoteList(a.essential))
	}
	return ErrUnmetAuthenticationRequirements.WithDescription("the login's acr is %q (User.ACR, or the first supported value requested), and the claims parameter requires one of %s as an essential claim (OIDC Core §5.5.1.1); the provider supports %s (WithACRValues)",
		u.ACR, quoteList(a.essential), quoteList(p.acrValues()))
}
