package oauthtest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// deviceInterval is how long a device waits between polls (RFC 8628 §3.2);
// slow_down adds as much again (§3.5).
const deviceInterval = 5 * time.Second

// deviceState is where a device authorization stands.
type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
	deviceRedeemed
)

// deviceAuth is a device authorization (RFC 8628 §3.1) and its state.
type deviceAuth struct {
	deviceCode, userCode string
	clientID             string
	scopes               []string
	issuedAt, expiresAt  time.Time
	interval             time.Duration
	lastPoll             time.Time
	state                deviceState
	user                 User
	authTime             time.Time
	seq                  uint64
}

// deviceStore holds the device authorizations.
type deviceStore struct {
	mu       sync.Mutex // guards every field below
	byDevice map[string]*deviceAuth
	byUser   map[string]*deviceAuth
	sweeper  sweeper
	seq      uint64
	changed  changeLog
}

func (s *deviceStore) add(d *deviceAuth, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byDevice == nil {
		s.byDevice, s.byUser = make(map[string]*deviceAuth), make(map[string]*deviceAuth)
	}
	if s.sweeper.due(len(s.byDevice), now) {
		s.sweep(now)
	}
	s.seq++
	d.seq = s.seq
	s.byDevice[d.deviceCode], s.byUser[d.userCode] = d, d
	s.changed.note(d.deviceCode)
	s.changed.note(devicesMeta)
}

// sweep forgets authorizations that expired; s.mu must be held.
func (s *deviceStore) sweep(now time.Time) {
	before := len(s.byDevice)
	for k, d := range s.byDevice {
		if now.After(d.expiresAt) {
			delete(s.byDevice, k)
			delete(s.byUser, d.userCode)
			s.changed.note(k)
		}
	}
	if s.sweeper.swept(before, len(s.byDevice), now) {
		s.byDevice, s.byUser = rebuilt(s.byDevice), rebuilt(s.byUser)
	}
}

// String names the state as DeviceInfo.State does.
func (st deviceState) String() string {
	return [...]string{"pending", "approved", "denied", "redeemed"}[st]
}

// decide approves (for u) or denies the pending authorization of userCode
// and returns the state it ends in: denied, with the reason, when approve
// fails with access_denied or consent_required. Without an authorization
// to decide, the error says why (unknown, expired, decided before).
func (s *deviceStore) decide(userCode string, now time.Time, approve func() (User, *Error)) (deviceState, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.byUser[normalizeUserCode(userCode)]
	switch {
	case d == nil:
		return devicePending, ErrInvalidRequest.WithDescription("user code %q was not issued by this provider, or has been forgotten", userCode)
	case !now.Before(d.expiresAt):
		return devicePending, ErrExpiredToken.WithDescription("user code %q expired at %s", userCode, d.expiresAt.UTC().Format(time.RFC3339))
	case d.state != devicePending:
		return d.state, ErrInvalidRequest.WithDescription("user code %q was already %s", userCode, d.state)
	}
	u, err := approve()
	s.changed.note(d.deviceCode)
	switch {
	case err != nil && (err.Is(ErrAccessDenied) || err.Is(ErrConsentRequired)):
		d.state = deviceDenied
		return deviceDenied, err
	case err != nil:
		return devicePending, err
	}
	d.state, d.user, d.authTime = deviceApproved, u, now
	return deviceApproved, nil
}

// poll is one poll of the device's token request (RFC 8628 §3.4, §3.5): it
// returns the approved authorization, consumed, or why there is none.
func (s *deviceStore) poll(deviceCode, clientID string, now time.Time) (deviceAuth, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.byDevice[deviceCode]
	switch {
	case d == nil:
		return deviceAuth{}, ErrInvalidGrant.WithDescription("device_code %q was not issued by this provider, or has expired and been forgotten", abbreviate(deviceCode))
	case d.clientID != clientID:
		return deviceAuth{}, ErrInvalidGrant.WithDescription("device_code was issued to client %q, not %q", d.clientID, clientID)
	case !now.Before(d.expiresAt):
		return deviceAuth{}, ErrExpiredToken.WithDescription("device_code expired at %s; it is now %s", d.expiresAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case d.state == deviceRedeemed:
		return deviceAuth{}, ErrInvalidGrant.WithDescription("device_code was already redeemed")
	}
	last := d.lastPoll
	d.lastPoll = now
	s.changed.note(deviceCode)
	switch {
	case !last.IsZero() && now.Sub(last) < d.interval:
		d.interval += deviceInterval
		return deviceAuth{}, ErrSlowDown.WithDescription("polled %s after the last poll; wait %s between polls from now on (RFC 8628 §3.5)", humanDuration(now.Sub(last)), humanDuration(d.interval))
	case d.state == devicePending:
		return deviceAuth{}, ErrAuthorizationPending.WithDescription("the user has not yet approved user code %s", d.userCode)
	case d.state == deviceDenied:
		return deviceAuth{}, ErrAccessDenied.WithDescription("the user denied user code %s", d.userCode)
	}
	d.state = deviceRedeemed
	return *d, nil
}

// deviceResponse is the device authorization response (RFC 8628 §3.2).
type deviceResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

// handleDeviceAuthorization starts a device flow (RFC 8628 §3.1) for a
// client allowed GrantDeviceCode. Without WithLoginPage the provider
// approves at once, as the authorization endpoint does, for the user the
// next login would get (a queued denial denies); with it, the user
// approves at the verification URI, or the test with ApproveDevice.
func (p *Provider) handleDeviceAuthorization(x *call) {
	c, scopes, err := p.readDeviceRequest(x)
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	now := p.Now()
	d := &deviceAuth{
		deviceCode: p.ids.secret(), userCode: p.userCode(), clientID: c.ID, scopes: scopes,
		issuedAt: now, expiresAt: now.Add(c.Lifetimes.or(p.cfg.lifetimes).Code), interval: deviceInterval,
	}
	p.devices.add(d, now)
	if !p.cfg.loginPage {
		_, _ = p.devices.decide(d.userCode, now, func() (User, *Error) { return p.users.approve(approveOpts{clientID: c.ID}) })
	}
	verify := p.url(EndpointDeviceVerification)
	writeJSON(x.w, http.StatusOK, deviceResponse{
		DeviceCode: d.deviceCode, UserCode: d.userCode, VerificationURI: verify,
		VerificationURIComplete: verify + "?user_code=" + d.userCode,
		ExpiresIn:               int64(d.expiresAt.Sub(now) / time.Second), Interval: int64(deviceInterval / time.Second),
	})
}

// readDeviceRequest authenticates the client and checks its scopes.
func (p *Provider) readDeviceRequest(x *call) (Client, []string, *Error) {
	form, err := readPostForm(x)
	if err != nil {
		return Client{}, nil, err
	}
	c, err := p.authenticateClient(x, form)
	if err == nil {
		err = c.mayUseGrant(GrantDeviceCode) // the grant that redeems the device code
	}
	if err != nil {
		return Client{}, nil, err
	}
	scopes := splitScope(form.Get("scope"))
	if err := c.checkScopes(scopes); err != nil {
		return Client{}, nil, err
	}
	if len(scopes) == 0 {
		scopes = []string{"openid"}
	}
	return c, scopes, nil
}

// userCodeAlphabet has no vowels, so no word is spelled, and no letters
// that look alike (RFC 8628 §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

// userCode returns a user code such as WDJB-MJHT: eight letters of
// userCodeAlphabet, about 34 bits.
func (p *Provider) userCode() string {
	var b [8]byte
	_, _ = p.ids.Read(b[:])
	code := make([]byte, 0, 9)
	for i, v := range b {
		if i == 4 {
			code = append(code, '-')
		}
		code = append(code, userCodeAlphabet[int(v)%len(userCodeAlphabet)])
	}
	return string(code)
}

// normalizeUserCode accepts a user code as a person types it: any case,
// with or without the dash or spaces (RFC 8628 §6.1).
func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
	if len(s) != 8 {
		return s
	}
	return s[:4] + "-" + s[4:]
}

// redeemDeviceCode serves the device's polls (RFC 8628 §3.4): tokens once
// the user approved, else authorization_pending, slow_down, access_denied
// or expired_token, all by the provider's clock. The resources asked for,
// checked before the poll uses the code up, are those of the grant
// (RFC 8707 §2.2).
func (p *Provider) redeemDeviceCode(c Client, form url.Values, gt *grantType, jkt string) (*tokenResponse, *Error) {
	resources, err := requestedResources(c, form)
	if err != nil {
		return nil, err
	}
	d, err := p.devices.poll(form.Get("device_code"), c.ID, p.Now())
	if err != nil {
		return nil, err
	}
	g := grant{family: p.ids.uuid(), clientID: c.ID, user: d.user, scopes: d.scopes, authTime: d.authTime, audience: resources, jkt: jkt}
	return p.issue(g, d.scopes, "", gt)
}

// ApproveDevice approves the device authorization with this user code, as
// the user would at the verification URI, for the user the next login
// would get (QueueUser, else the current user). It is needed only with
// WithLoginPage; without, devices are approved at once. When a queued
// denial (QueueDenial) turns the approval into a denial, the device gets
// access_denied and the error wraps ErrAccessDenied.
func (p *Provider) ApproveDevice(userCode string) error {
	_, err := p.decideDevice(userCode, "")
	return err
}

// DenyDevice denies the device authorization with this user code: the
// device's next poll gets access_denied.
func (p *Provider) DenyDevice(userCode string) error {
	_, err := p.decideDevice(userCode, denyParam)
	return err
}

// decideDevice denies (how is denyParam), approves for a chosen user (how is
// "sub:SUBJECT") or approves for the next login's user, and returns the
// state the authorization ends in. An approval that ends denied is an
// error; a denial that does is not.
func (p *Provider) decideDevice(userCode, how string) (deviceState, error) {
	clientID := p.devices.client(userCode)
	state, err := p.devices.decide(userCode, p.Now(), func() (User, *Error) {
		switch {
		case how == denyParam:
			return User{}, ErrAccessDenied
		case strings.HasPrefix(how, "sub:"):
			return p.users.approve(approveOpts{clientID: clientID, loginHint: strings.TrimPrefix(how, "sub:"), picked: true})
		}
		return p.users.approve(approveOpts{clientID: clientID})
	})
	if err != nil && !(how == denyParam && err == ErrAccessDenied) { // but the denial asked for
		return state, err // an *Error, whose text starts with "oauthtest: " already
	}
	return state, nil
}

// client is the client of the authorization with this user code.
func (s *deviceStore) client(userCode string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.byUser[normalizeUserCode(userCode)]; d != nil {
		return d.clientID
	}
	return ""
}

// DeviceInfo describes a device authorization: a copy, for assertions.
type DeviceInfo struct {
	UserCode  string    `json:"user_code"`  // what the user enters at the verification URI
	ClientID  string    `json:"client_id"`  // the device's client
	Scopes    []string  `json:"scopes"`     // the scopes asked for
	State     string    `json:"state"`      // "pending", "approved", "denied" or "redeemed"
	Subject   string    `json:"subject"`    // the user who approved it, once approved
	IssuedAt  time.Time `json:"issued_at"`  // by the provider's clock
	ExpiresAt time.Time `json:"expires_at"` // by the provider's clock
}

// Devices returns the device authorizations the provider remembers,
// oldest first.
func (p *Provider) Devices() []DeviceInfo {
	p.devices.mu.Lock()
	defer p.devices.mu.Unlock()
	return inIssueOrder(p.devices.byDevice, func(d *deviceAuth) uint64 { return d.seq }, (*deviceAuth).info)
}

func (d *deviceAuth) info() DeviceInfo {
	return DeviceInfo{
		UserCode: d.userCode, ClientID: d.clientID, Scopes: slices.Clone(d.scopes),
		State: d.state.String(), Subject: d.user.Subject,
		IssuedAt: d.issuedAt, ExpiresAt: d.expiresAt,
	}
}

// devicesMeta is the key of the device store's own record: its sequence.
const devicesMeta = "#"

// deviceAuthState is a device authorization as the state file keeps it.
type deviceAuthState struct {
	UserCode string        `json:"user_code"`
	ClientID string        `json:"client_id"`
	Scopes   []string      `json:"scopes"`
	IssuedAt stime         `json:"issued_at"`
	Expires  stime         `json:"expires"`
	Interval time.Duration `json:"interval"`
	LastPoll stime         `json:"last_poll"`
	State    deviceState   `json:"state"`
	User     User          `json:"user"`
	AuthTime stime         `json:"auth_time"`
	Seq      uint64        `json:"seq"`
}

func (s *deviceStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byDevice, s.byUser, s.sweeper, s.seq = nil, nil, sweeper{}, 0
	clear(s.changed.keys)
}

func (s *deviceStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

func (s *deviceStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst = append(dst, s.current(devicesMeta))
	for k := range s.byDevice {
		dst = append(dst, s.current(k))
	}
	return dst
}

func (s *deviceStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// current is the record of key now; s.mu must be held.
func (s *deviceStore) current(key string) record {
	if key == devicesMeta {
		return newRecord(key, s.seq)
	}
	d := s.byDevice[key]
	if d == nil {
		return deleted(key)
	}
	return newRecord(key, deviceAuthState{UserCode: d.userCode, ClientID: d.clientID, Scopes: d.scopes, IssuedAt: stime(d.issuedAt),
		Expires: stime(d.expiresAt), Interval: d.interval, LastPoll: stime(d.lastPoll), State: d.state, User: d.user, AuthTime: stime(d.authTime), Seq: d.seq})
}

func (s *deviceStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byDevice == nil {
		s.byDevice, s.byUser = make(map[string]*deviceAuth), make(map[string]*deviceAuth)
	}
	for _, r := range recs {
		if err := s.apply(r); err != nil {
			return err
		}
	}
	return nil
}

// apply restores one record; s.mu must be held.
func (s *deviceStore) apply(r record) error {
	switch {
	case r.Key == devicesMeta:
		return r.decode(&s.seq)
	case r.Value == nil:
		if d := s.byDevice[r.Key]; d != nil {
			delete(s.byUser, d.userCode)
		}
		delete(s.byDevice, r.Key)
		return nil
	}
	var st deviceAuthState
	if err := r.decode(&st); err != nil {
		return err
	}
	d := &deviceAuth{deviceCode: r.Key, userCode: st.UserCode, clientID: st.ClientID, scopes: st.Scopes, issuedAt: st.IssuedAt.time(),
		expiresAt: st.Expires.time(), interval: st.Interval, lastPoll: st.LastPoll.time(), state: st.State, user: st.User, authTime: st.AuthTime.time(), seq: st.Seq}
	s.byDevice[d.deviceCode], s.byUser[d.userCode] = d, d
	return nil
}
