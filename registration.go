package oauthtest

import (
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// registrationConfig is what WithDynamicRegistration and
// WithClientIDMetadataDocuments set.
type registrationConfig struct {
	on           bool         // WithDynamicRegistration
	initialToken string       // required to register, if set
	documents    bool         // WithClientIDMetadataDocuments
	fetch        *http.Client // fetches documents and jwks_uri; nil: the default
}

// WithDynamicRegistration serves a client registration endpoint
// (RFC 7591, OIDC Dynamic Client Registration 1.0), advertised in
// discovery as registration_endpoint, and each registered client's
// configuration endpoint (RFC 7592) to read, update and delete it with its
// registration_access_token. Registered metadata is checked as WithClient
// checks a Client; jwks_uri is fetched as WithClientIDMetadataDocuments
// says. Registered clients are listed by Clients and Dump, and forgotten
// by Reset.
//
// When initialAccessToken is not empty, registering needs it as a Bearer
// token (RFC 7591 §3); otherwise anyone may register.
func WithDynamicRegistration(initialAccessToken string) Option {
	return optionFunc(func(c *config) error {
		c.registration.on, c.registration.initialToken = true, initialAccessToken
		return nil
	})
}

// serves reports whether the provider serves endpoint e: every endpoint
// but registration, which WithDynamicRegistration turns on.
func (p *Provider) serves(e Endpoint) bool {
	return e != EndpointRegistration || p.cfg.registration.on
}

// discoverRegistration adds to discovery what the registration options
// turn on.
func (p *Provider) discoverRegistration(m map[string]any) {
	if p.cfg.registration.documents {
		m["client_id_metadata_document_supported"] = true
	}
}

// registration is what the provider keeps of a client registered
// dynamically, besides the Client itself.
type registration struct {
	Token    string         // its registration access token
	IssuedAt time.Time      // client_id_issued_at, by the provider's clock
	Metadata clientMetadata // as registered, defaults filled in
}

// register adds a dynamically registered client.
func (s *clientStore) register(c Client, r registration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = make(map[string]Client)
	}
	if s.registrations == nil {
		s.registrations = make(map[string]registration)
	}
	s.clients[c.ID], s.registrations[c.ID] = c, r
	s.changed.note(c.ID)
}

// registered returns client id and its registration if token is its
// registration access token, compared in constant time; the error is the
// invalid_token to answer (RFC 7592 §2.1).
func (s *clientStore) registered(id, token string) (Client, registration, *Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.registrations[id]
	switch {
	case !ok:
		return Client{}, r, ErrInvalidToken.WithDescription("client %q was not registered dynamically, or was deleted: there is no configuration to manage (RFC 7592 §2.1)", id)
	case subtle.ConstantTimeCompare([]byte(token), []byte(r.Token)) != 1:
		return Client{}, r, ErrInvalidToken.WithDescription("the registration access token is not client %q's (RFC 7592 §2)", id)
	}
	return s.clients[id], r, nil
}

// replace updates a registered client whose registration access token is
// still token, and reports whether it was.
func (s *clientStore) replace(c Client, r registration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.registrations[c.ID]; !ok || old.Token != r.Token {
		return false
	}
	s.clients[c.ID], s.registrations[c.ID] = c, r
	s.changed.note(c.ID)
	return true
}

// unregister deletes a registered client, reporting whether it was there.
func (s *clientStore) unregister(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.registrations[id]; !ok {
		return false
	}
	delete(s.clients, id)
	delete(s.registrations, id)
	s.changed.note(id)
	return true
}

// reset keeps the clients of the options and forgets those registered
// dynamically.
func (s *clientStore) reset(c *config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clients := c.clients
	if c.noDefault {
		clients = clients[1:]
	}
	s.clients, s.registrations = make(map[string]Client, len(clients)), nil
	for _, cl := range clients {
		s.clients[cl.ID] = cl
	}
	clear(s.changed.keys)
}

func (s *clientStore) track() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.changed.on = true
}

// snapshot records the clients registered dynamically: those of the
// options are configuration.
func (s *clientStore) snapshot(dst []record) []record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id := range s.registrations {
		dst = append(dst, s.current(id))
	}
	return dst
}

func (s *clientStore) changes(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed.take(dst, s.current)
}

// registrationState is a client registered dynamically as the state file
// keeps it.
type registrationState struct {
	Client   clientState    `json:"client"`
	Token    string         `json:"token"`
	IssuedAt stime          `json:"issued_at"`
	Metadata clientMetadata `json:"metadata"`
}

// current is the record of registered client id now; s.mu must be held.
func (s *clientStore) current(id string) record {
	r, ok := s.registrations[id]
	if !ok {
		return deleted(id)
	}
	c, err := clientStateOf(s.clients[id])
	if err != nil {
		return record{Key: id, err: err}
	}
	return newRecord(id, registrationState{Client: c, Token: r.Token, IssuedAt: stime(r.IssuedAt), Metadata: r.Metadata})
}

func (s *clientStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients == nil {
		s.clients = make(map[string]Client)
	}
	if s.registrations == nil {
		s.registrations = make(map[string]registration)
	}
	for _, r := range recs {
		if r.Value == nil {
			if _, ok := s.registrations[r.Key]; ok {
				delete(s.clients, r.Key)
				delete(s.registrations, r.Key)
			}
			continue
		}
		var st registrationState
		if err := r.decode(&st); err != nil {
			return err
		}
		c, err := st.Client.client()
		if err != nil {
			return fmt.Errorf("record %q: %w", r.Key, err)
		}
		s.clients[r.Key], s.registrations[r.Key] = c, registration{Token: st.Token, IssuedAt: st.IssuedAt.time(), Metadata: st.Metadata}
	}
	return nil
}

// clientState is a Client as the state file keeps it: its public keys as
// PKIX (DER), which a crypto.PublicKey does not encode to in JSON.
type clientState struct {
	Client
	PublicKeys [][]byte `json:"PublicKeys,omitempty"` // shadows Client.PublicKeys
}

func clientStateOf(c Client) (clientState, error) {
	st := clientState{Client: c}
	st.Client.PublicKeys = nil
	for _, k := range c.PublicKeys {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return st, fmt.Errorf("client %s: a public key: %w", c.ID, err)
		}
		st.PublicKeys = append(st.PublicKeys, der)
	}
	return st, nil
}

// client decodes the Client.
func (st clientState) client() (Client, error) {
	c := st.Client
	for _, der := range st.PublicKeys {
		k, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return Client{}, fmt.Errorf("client %s: a public key: %w", c.ID, err)
		}
		c.PublicKeys = append(c.PublicKeys, k)
	}
	return c, nil
}

// clientInformation is the Client Information Response (RFC 7591 §3.2.1,
// RFC 7592 §3).
type clientInformation struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64  `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64 `json:"client_secret_expires_at,omitempty"` // 0 with a secret: it never expires
	RegistrationAccessToken string `json:"registration_access_token"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	clientMetadata
}

// information is what the provider answers about a registered client.
func (p *Provider) information(c Client, r registration) clientInformation {
	info := clientInformation{
		ClientID: c.ID, ClientSecret: c.Secret, ClientIDIssuedAt: r.IssuedAt.Unix(),
		RegistrationAccessToken: r.Token, RegistrationClientURI: p.registrationClientURI(c.ID),
		clientMetadata: r.Metadata,
	}
	if c.Secret != "" {
		info.ClientSecretExpiresAt = new(int64)
	}
	return info
}

// registrationClientURI is where client id manages its registration.
func (p *Provider) registrationClientURI(id string) string {
	return p.url(EndpointRegistration) + "?" + url.Values{"client_id": {id}}.Encode()
}

// handleRegistration serves POST (register) at the registration endpoint
// and GET, PUT and DELETE at a registration_client_uri.
func (p *Provider) handleRegistration(x *call) {
	if x.r.Method == http.MethodPost {
		p.handleRegister(x)
		return
	}
	p.handleClientConfiguration(x)
}

// handleRegister registers a client (RFC 7591 §3).
func (p *Provider) handleRegister(x *call) {
	if x.r.URL.Query().Has("client_id") {
		x.jsonError(ErrInvalidRequest.WithDescription("POST registers a new client, at the registration endpoint without client_id; to update a client, PUT to its registration_client_uri (RFC 7592 §2.2)"))
		return
	}
	if !p.checkInitialToken(x) {
		return
	}
	body, err := readMetadata(x)
	var req metadataRequest
	if err == nil {
		req, err = p.decodeMetadata(body)
	}
	if err != nil {
		x.jsonError(err)
		return
	}
	if req.ClientID != "" || req.ClientSecret != "" {
		x.jsonError(ErrInvalidClientMetadata.WithDescription("client_id and client_secret are issued by the provider; a registration request cannot choose them (RFC 7591 §3.2.1)"))
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	id := "dyn-" + p.ids.uuid()
	x.rec.ClientID = id
	c, md, err := p.metadataClient(req.clientMetadata, id, p.newSecret(req.TokenEndpointAuthMethod, ""))
	if err != nil {
		x.jsonError(err)
		return
	}
	r := registration{Token: p.ids.secret(), IssuedAt: p.Now(), Metadata: md}
	p.clients.register(c, r)
	writeJSON(x.w, http.StatusCreated, p.information(c, r))
}

// checkInitialToken checks the initial access token, if one is required,
// and answers when it is missing or wrong.
func (p *Provider) checkInitialToken(x *call) bool {
	want := p.cfg.registration.initialToken
	if want == "" {
		return true
	}
	got, ok := bearerHeader(x.r)
	switch {
	case !ok:
		x.noteError(ErrInvalidToken.WithDescription("registering needs an initial access token"))
		x.w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest"`) // no error code: RFC 6750 §3.1
		writeJSONError(x.w, ErrInvalidToken.WithDescription("this provider requires an initial access token to register: send Authorization: Bearer TOKEN (RFC 7591 §3)"))
		return false
	case subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1:
		x.bearerError(ErrInvalidToken.WithDescription("the initial access token is not the one this provider accepts (RFC 7591 §3)"), "")
		return false
	}
	return true
}

// bearerHeader reads a Bearer token from the Authorization header.
func bearerHeader(r *http.Request) (string, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	tok = strings.TrimSpace(tok)
	return tok, strings.EqualFold(scheme, "Bearer") && tok != ""
}

// readMetadata reads a JSON request body (RFC 7591 §3.1).
func readMetadata(x *call) ([]byte, *Error) {
	mt, _, _ := mime.ParseMediaType(x.r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return nil, ErrInvalidClientMetadata.WithDescription("the client metadata must be sent as application/json, not %q (RFC 7591 §3.1)", x.r.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, ErrInvalidClientMetadata.WithDescription("the request body exceeds %d bytes", maxBodyBytes).withStatus(http.StatusRequestEntityTooLarge)
	case err != nil:
		return nil, ErrInvalidClientMetadata.WithDescription("reading the body failed: %v", err)
	}
	return b, nil
}

// newSecret returns the secret a client authenticating with method needs:
// the current one if it has one, else a new one; none for methods without.
func (p *Provider) newSecret(method, current string) string {
	switch cmpOr(method, AuthMethodBasic) {
	case AuthMethodNone, AuthMethodPrivateKeyJWT:
		return ""
	}
	if current != "" {
		return current
	}
	return p.ids.secret()
}

// handleClientConfiguration reads, updates or deletes a registration
// (RFC 7592 §2) with its registration access token.
func (p *Provider) handleClientConfiguration(x *call) {
	id := x.r.URL.Query().Get("client_id")
	x.rec.ClientID = id
	if id == "" {
		x.jsonError(ErrInvalidRequest.WithDescription("%s at the registration endpoint needs ?client_id=ID: use the registration_client_uri the registration returned (RFC 7592 §2)", x.r.Method))
		return
	}
	token, ok := bearerHeader(x.r)
	if !ok {
		x.noteError(ErrInvalidToken.WithDescription("no registration access token"))
		x.w.Header().Set("WWW-Authenticate", `Bearer realm="oauthtest"`) // no error code: RFC 6750 §3.1
		writeJSONError(x.w, ErrInvalidToken.WithDescription("managing a registration needs its registration_access_token: send Authorization: Bearer TOKEN (RFC 7592 §2)"))
		return
	}
	c, r, err := p.clients.registered(id, token)
	if err != nil {
		x.bearerError(err, "")
		return
	}
	switch x.r.Method {
	case http.MethodGet:
		if !p.fault(x, x.jsonError) {
			writeJSON(x.w, http.StatusOK, p.information(c, r))
		}
	case http.MethodPut:
		p.updateRegistration(x, c, r)
	case http.MethodDelete:
		if !p.fault(x, x.jsonError) {
			p.deleteRegistration(x, id)
		}
	}
}

// deleteRegistration forgets the client and revokes its tokens (RFC 7592
// §2.3): they fail at userinfo and introspection from now on.
func (p *Provider) deleteRegistration(x *call, id string) {
	if !p.clients.unregister(id) {
		x.bearerError(ErrInvalidToken.WithDescription("client %q was deleted meanwhile (RFC 7592 §2.3)", id), "")
		return
	}
	p.RevokeClient(id)
	x.w.Header().Set("Cache-Control", "no-store")
	x.w.WriteHeader(http.StatusNoContent)
}

// updateRegistration replaces the client's metadata with the request's
// (RFC 7592 §2.2): omitted members are deleted. The client keeps its
// client_id, its secret if its method still uses one, and its
// registration access token.
func (p *Provider) updateRegistration(x *call, old Client, r registration) {
	body, err := readMetadata(x)
	var req metadataRequest
	if err == nil {
		req, err = p.decodeMetadata(body)
	}
	if err == nil {
		err = checkUpdate(req, old)
	}
	if err != nil {
		x.jsonError(err)
		return
	}
	if p.fault(x, x.jsonError) {
		return
	}
	c, md, err := p.metadataClient(req.clientMetadata, old.ID, p.newSecret(req.TokenEndpointAuthMethod, old.Secret))
	if err != nil {
		x.jsonError(err)
		return
	}
	r.Metadata = md
	if !p.clients.replace(c, r) {
		x.bearerError(ErrInvalidToken.WithDescription("client %q was deleted meanwhile (RFC 7592 §2.2)", old.ID), "")
		return
	}
	writeJSON(x.w, http.StatusOK, p.information(c, r))
}

// checkUpdate applies the rules of RFC 7592 §2.2 to an update request.
func checkUpdate(req metadataRequest, old Client) *Error {
	forbidden := map[string]bool{
		"registration_access_token": req.RegistrationAccessToken != nil, "registration_client_uri": req.RegistrationClientURI != nil,
		"client_secret_expires_at": req.ClientSecretExpiresAt != nil, "client_id_issued_at": req.ClientIDIssuedAt != nil,
	}
	for _, name := range slices.Sorted(maps.Keys(forbidden)) {
		if forbidden[name] {
			return ErrInvalidClientMetadata.WithDescription("an update must not include %s (RFC 7592 §2.2)", name)
		}
	}
	switch {
	case req.ClientID != old.ID:
		return ErrInvalidClientMetadata.WithDescription("an update must include client_id %q, the client's own; it has %q (RFC 7592 §2.2)", old.ID, req.ClientID)
	case req.ClientSecret != "" && !old.checkSecret(req.ClientSecret):
		return ErrInvalidClientMetadata.WithDescription("client_secret does not match the client's current secret; a client cannot choose its secret (RFC 7592 §2.2)")
	}
	return nil
}

// dumpRegistrations says which clients registered dynamically, and which
// metadata documents are cached, for Dump.
func (p *Provider) dumpRegistrations(b *strings.Builder) {
	p.clients.mu.RLock()
	for _, id := range slices.Sorted(maps.Keys(p.clients.registrations)) {
		fmt.Fprintf(b, "  registered dynamically: %q at %s\n", id, p.clients.registrations[id].IssuedAt.UTC().Format(time.RFC3339))
	}
	p.clients.mu.RUnlock()
	p.documents.mu.Lock()
	for _, u := range slices.Sorted(maps.Keys(p.documents.docs)) {
		fmt.Fprintf(b, "  metadata document client %q cached until %s\n", u, p.documents.docs[u].expires.UTC().Format(time.RFC3339))
	}
	p.documents.mu.Unlock()
}
