package oauthtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// backchannelTimeout bounds one delivery of a logout token.
const backchannelTimeout = 5 * time.Second

// backchannelEvent is the events member of a logout token (Back-Channel
// Logout 1.0 §2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// LogoutDelivery is one logout token the provider POSTed to a client's
// BackchannelLogoutURI (OpenID Connect Back-Channel Logout 1.0), and what
// came of it: a copy, for assertions.
type LogoutDelivery struct {
	ClientID  string    `json:"client_id"`  // the client told
	URI       string    `json:"uri"`        // its BackchannelLogoutURI
	Subject   string    `json:"subject"`    // the sub of the logout token
	SessionID string    `json:"session_id"` // its sid
	Token     string    `json:"token"`      // the logout token
	Time      time.Time `json:"time"`       // by the provider's clock
	Status    int       `json:"status"`     // the HTTP status the client answered; 0 if none
	Error     string    `json:"error"`      // why the delivery failed; "" when the client answered 2xx
}

// backchannelLog keeps every delivery; there is one per client per ended
// session, and none is retried.
type backchannelLog struct {
	mu         sync.Mutex // guards deliveries
	deliveries []LogoutDelivery
}

// BackchannelLogouts returns the logout tokens delivered so far, oldest
// first.
func (p *Provider) BackchannelLogouts() []LogoutDelivery {
	p.backchannel.mu.Lock()
	defer p.backchannel.mu.Unlock()
	return slices.Clone(p.backchannel.deliveries)
}

// endSessions ends the sessions match picks and tells each client they had
// logged in to that registered a BackchannelLogoutURI, all at once, each
// within backchannelTimeout. It returns when every delivery is done.
func (p *Provider) endSessions(match func(*session) bool) {
	var wg sync.WaitGroup
	for _, ses := range p.sessions.end(match) {
		for _, id := range ses.clients {
			c, ok := p.clients.get(id)
			if ok && c.BackchannelLogoutURI != "" {
				wg.Go(func() { p.deliverLogout(c, ses) })
			}
		}
	}
	wg.Wait()
}

// deliverLogout POSTs a logout token for ses to c and records the outcome.
func (p *Provider) deliverLogout(c Client, ses session) {
	now := p.Now()
	d := LogoutDelivery{ClientID: c.ID, URI: c.BackchannelLogoutURI, Subject: ses.user.Subject, SessionID: ses.id, Time: now}
	d.Token, d.Status, d.Error = p.postLogoutToken(c, ses, now)
	p.backchannel.mu.Lock()
	defer p.backchannel.mu.Unlock()
	p.backchannel.deliveries = append(p.backchannel.deliveries, d)
}

func (p *Provider) postLogoutToken(c Client, ses session, now time.Time) (tok string, status int, problem string) {
	tok, err := p.signerFor(c).sign(jwt.MapClaims{
		"iss": p.issuer, "aud": c.ID, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": p.ids.uuid(),
		"sub": ses.user.Subject, "sid": ses.id, "events": map[string]any{backchannelEvent: map[string]any{}},
	}, typLogoutToken)
	if err != nil {
		return "", 0, "signing the logout token failed: " + err.Error()
	}
	client := &http.Client{Timeout: backchannelTimeout}
	resp, err := client.PostForm(c.BackchannelLogoutURI, url.Values{"logout_token": {tok}})
	if err != nil {
		return tok, 0, err.Error()
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return tok, resp.StatusCode, fmt.Sprintf("the client answered %s", resp.Status)
	}
	return tok, resp.StatusCode, ""
}

// typLogoutToken is the typ header of a logout token (Back-Channel Logout
// 1.0 §2.4).
const typLogoutToken = "logout+jwt"

// checkBackchannelURI applies Back-Channel Logout 1.0 §2.2: an absolute
// http(s) URI without a fragment.
func checkBackchannelURI(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(raw, "#") {
		return fmt.Errorf("backchannel logout URI %q must be an absolute http or https URI without a fragment", raw)
	}
	return nil
}

// deliveryState is a back-channel delivery as a snapshot keeps it.
type deliveryState struct {
	LogoutDelivery
	Time stime
}

func (l *backchannelLog) reset(*config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliveries = nil
}

func (l *backchannelLog) snapshot(dst []record) []record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var st []deliveryState
	for _, d := range l.deliveries {
		st = append(st, deliveryState{LogoutDelivery: d, Time: stime(d.Time)})
	}
	return append(dst, newRecord("", st))
}

func (l *backchannelLog) restore(recs []record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range recs {
		var st []deliveryState
		if err := r.decode(&st); err != nil {
			return err
		}
		l.deliveries = nil
		for _, d := range st {
			d.LogoutDelivery.Time = d.Time.time()
			l.deliveries = append(l.deliveries, d.LogoutDelivery)
		}
	}
	return nil
}
