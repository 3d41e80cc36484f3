package oauthtest

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Limits of what the provider fetches: client ID metadata documents and
// the JWK Sets at a client's jwks_uri.
const (
	// maxDocumentBytes is the draft's recommended limit on a client ID
	// metadata document (draft-ietf-oauth-client-id-metadata-document §8.7).
	maxDocumentBytes = 5 << 10
	maxJWKSBytes     = 64 << 10
	fetchTimeout     = 10 * time.Second
	// documentTTL is how long a document is cached when its response has no
	// Cache-Control max-age; maxDocumentTTL bounds a max-age.
	documentTTL    = 5 * time.Minute
	maxDocumentTTL = time.Hour
	// maxDocuments bounds the cache; the entry expiring first makes room.
	maxDocuments = 256
)

// WithClientIDMetadataDocuments accepts as client_id, at the authorize and
// token endpoints, the https URL of a client ID metadata document
// (draft-ietf-oauth-client-id-metadata-document, the client registration
// of the MCP authorization spec). The provider fetches the document, which
// must be JSON naming that same URL as its client_id, checks its metadata
// as dynamic registration does (redirect_uris required;
// token_endpoint_auth_method none, the default, or private_key_jwt with
// jwks or jwks_uri; no client_secret), and caches it by the provider's
// clock, as its Cache-Control max-age says (at most an hour) or for five
// minutes. Discovery then says client_id_metadata_document_supported.
//
// client fetches documents and jwks_uri; nil is a client with a 10-second
// timeout that refuses special-use addresses (RFC 6890). Redirects are
// never followed (§5). As the draft allows for development (§8.6), a
// provider whose issuer is on a loopback host also fetches http URLs on
// loopback hosts, such as an httptest.Server's: give client to reach an
// httptest TLS server.
func WithClientIDMetadataDocuments(client *http.Client) Option {
	return optionFunc(func(c *config) error {
		c.registration.documents, c.registration.fetch = true, client
		return nil
	})
}

// fetchDocument GETs a JSON document at raw, which must be https (or http
// on a loopback host for a provider on one), without following redirects,
// reading at most limit bytes. altType is a media type accepted besides
// application/json.
func (p *Provider) fetchDocument(raw string, limit int64, altType string) ([]byte, error) {
	body, _, err := p.fetch(raw, limit, altType)
	return body, err
}

// fetch is fetchDocument, also returning the response's headers.
func (p *Provider) fetch(raw string, limit int64, altType string) ([]byte, http.Header, error) {
	if err := p.checkFetchURL(raw); err != nil {
		return nil, nil, err
	}
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.fetchClient().Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetching it failed: %v", err)
	}
	defer resp.Body.Close()
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, nil, fmt.Errorf("it answered %s, a redirect to %q, which the provider does not follow (draft-ietf-oauth-client-id-metadata-document §5)", resp.Status, resp.Header.Get("Location"))
	case resp.StatusCode != http.StatusOK:
		return nil, nil, fmt.Errorf("it answered %s, not 200 OK", resp.Status)
	case mt != "application/json" && mt != altType && !strings.HasSuffix(mt, "+json"):
		return nil, nil, fmt.Errorf("it answered Content-Type %q, not application/json", resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("reading it failed: %v", err)
	case int64(len(body)) > limit:
		return nil, nil, fmt.Errorf("it is larger than %d bytes (draft-ietf-oauth-client-id-metadata-document §8.7)", limit)
	}
	return body, resp.Header, nil
}

// checkFetchURL accepts https URLs without user information or fragment,
// and http ones on a loopback host when the issuer is on one.
func (p *Provider) checkFetchURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("it is not a URL: %v", err)
	case u.Scheme == "http" && p.fetchesLoopback() && isLoopbackURI(raw):
	case u.Scheme != "https" || u.Host == "":
		return errors.New("it must be an https URL (draft-ietf-oauth-client-id-metadata-document §3; http only on a loopback host, for a provider on one)")
	}
	switch {
	case u.User != nil:
		return errors.New("it must not hold user information (draft-ietf-oauth-client-id-metadata-document §3)")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("it must not have a fragment (draft-ietf-oauth-client-id-metadata-document §3)")
	}
	return nil
}

// fetchesLoopback reports whether the provider may fetch from loopback
// hosts: it is on one itself (draft-ietf-oauth-client-id-metadata-document
// §8.6 allows it for development).
func (p *Provider) fetchesLoopback() bool { return isLoopbackURI(p.issuer) }

// fetchClient is the option's client, or the default, neither following
// redirects.
func (p *Provider) fetchClient() *http.Client {
	c := &http.Client{Timeout: fetchTimeout, Transport: safeTransport(p.fetchesLoopback())}
	if given := p.cfg.registration.fetch; given != nil {
		copied := *given
		c = &copied
		if c.Timeout == 0 {
			c.Timeout = fetchTimeout
		}
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// safeTransport dials only global unicast addresses, and loopback ones when
// loopback is set: never the special-use addresses of RFC 6890 that an
// attacker's URL could aim at (draft-ietf-oauth-client-id-metadata-document
// §8.6). Connections are not kept: nothing lingers after a fetch.
func safeTransport(loopback bool) *http.Transport {
	d := &net.Dialer{Timeout: fetchTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, _ := net.SplitHostPort(address)
		ip := net.ParseIP(host)
		switch {
		case ip == nil:
			return fmt.Errorf("%s is not an IP address", host)
		case ip.IsLoopback() && loopback:
			return nil
		case !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() || isSpecialUse(ip):
			return fmt.Errorf("%s is a special-use address, which the provider does not fetch from (RFC 6890)", ip)
		}
		return nil
	}}
	return &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, TLSHandshakeTimeout: fetchTimeout}
}

// specialUse are the special-use blocks of RFC 6890 (and its IANA
// registries) that net.IP's methods do not name: the shared address space
// of carrier-grade NAT and of VPN meshes (where cloud metadata services
// also live, 100.100.100.200), "this network", IETF protocol assignments,
// documentation and benchmarking ranges, the reserved 240.0.0.0/4, and the
// IPv6 prefixes that embed an IPv4 address (NAT64, 6to4, Teredo).
var specialUse = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// isSpecialUse reports whether ip is in a block of specialUse.
func isSpecialUse(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	a = a.Unmap()
	return !ok || slices.ContainsFunc(specialUse, func(p netip.Prefix) bool { return p.Contains(a) })
}

// documentStore caches the clients that metadata documents describe, by
// their URL, until the provider's clock passes their expiry.
type documentStore struct {
	mu   sync.Mutex // guards docs
	docs map[string]cachedDocument
}

type cachedDocument struct {
	client  Client
	expires time.Time
}

// get returns the cached client of url, if it has not expired.
func (s *documentStore) get(url string, now time.Time) (Client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.docs[url]
	if !ok || !now.Before(d.expires) {
		return Client{}, false
	}
	return d.client, true
}

// put caches c until expires, first dropping expired entries and, when
// still full, the one expiring first.
func (s *documentStore) put(c Client, now, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = make(map[string]cachedDocument)
	}
	for len(s.docs) >= maxDocuments {
		first := ""
		for u, d := range s.docs {
			if !now.Before(d.expires) {
				delete(s.docs, u)
			} else if first == "" || d.expires.Before(s.docs[first].expires) {
				first = u
			}
		}
		if len(s.docs) >= maxDocuments {
			delete(s.docs, first)
		}
	}
	s.docs[c.ID] = cachedDocument{c, expires}
}

// reset empties the cache.
func (s *documentStore) reset(*config) {
	s.mu.Lock()
	s.docs = nil
	s.mu.Unlock()
}

// documentState is a cached document as a snapshot keeps it; the state
// file does not: documents are fetched again after a restart.
type documentState struct {
	Client  clientState `json:"client"`
	Expires stime       `json:"expires"`
}

func (s *documentStore) snapshot(dst []record) []record {
	s.mu.Lock()
	defer s.mu.Unlock()
	for u, d := range s.docs {
		c, err := clientStateOf(d.client)
		if err != nil {
			dst = append(dst, record{Key: u, err: err})
			continue
		}
		dst = append(dst, newRecord(u, documentState{Client: c, Expires: stime(d.expires)}))
	}
	return dst
}

func (s *documentStore) restore(recs []record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.docs == nil {
		s.docs = make(map[string]cachedDocument)
	}
	for _, r := range recs {
		if r.Value == nil {
			delete(s.docs, r.Key)
			continue
		}
		var st documentState
		if err := r.decode(&st); err != nil {
			return err
		}
		c, err := st.Client.client()
		if err != nil {
			return fmt.Errorf("record %q: %w", r.Key, err)
		}
		s.docs[r.Key] = cachedDocument{client: c, expires: st.Expires.time()}
	}
	return nil
}

// isDocumentURL reports whether id is a client_id to fetch: an http or
// https URL (checkFetchURL then refuses http, but on loopback hosts).
func (p *Provider) isDocumentURL(id string) bool {
	return p.cfg.registration.documents && (strings.HasPrefix(id, "https://") || strings.HasPrefix(id, "http://"))
}

// documentClient returns the client the metadata document at id
// describes: cached, or fetched and checked. The error names the rule the
// URL or document breaks.
func (p *Provider) documentClient(id string) (Client, error) {
	now := p.Now()
	if c, ok := p.documents.get(id, now); ok {
		return c, nil
	}
	if err := checkClientIDURL(id); err != nil {
		return Client{}, err
	}
	body, header, err := p.fetch(id, maxDocumentBytes, "")
	if err != nil {
		return Client{}, err
	}
	c, err := p.documentMetadata(id, body)
	if err != nil {
		return Client{}, err
	}
	if ttl, ok := cacheLifetime(header); ok {
		p.documents.put(c, now, now.Add(ttl))
	}
	return c, nil
}

// checkClientIDURL applies the rules of a Client Identifier URL
// (draft-ietf-oauth-client-id-metadata-document §3) that fetching does
// not: a path, without dot segments.
func checkClientIDURL(id string) error {
	u, err := url.Parse(id)
	if err != nil {
		return fmt.Errorf("it is not a URL: %v", err)
	}
	if u.Path == "" {
		return errors.New("a Client Identifier URL must have a path (draft-ietf-oauth-client-id-metadata-document §3)")
	}
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg == "." || seg == ".." {
			return errors.New("a Client Identifier URL must not have . or .. path segments (draft-ietf-oauth-client-id-metadata-document §3)")
		}
	}
	return nil
}

// documentMetadata checks a fetched document and returns its client.
func (p *Provider) documentMetadata(id string, body []byte) (Client, error) {
	req, e := p.decodeMetadata(body)
	if e != nil {
		return Client{}, errors.New(e.ErrorDescription)
	}
	switch {
	case req.ClientID != id:
		return Client{}, fmt.Errorf("the document's client_id is %q, not its URL %q (draft-ietf-oauth-client-id-metadata-document §4)", req.ClientID, id)
	case req.ClientSecret != "" || req.ClientSecretExpiresAt != nil:
		return Client{}, errors.New("the document holds client_secret or client_secret_expires_at, which it must not: no secret can be shared through it (draft-ietf-oauth-client-id-metadata-document §4.1)")
	}
	md := req.clientMetadata
	md.TokenEndpointAuthMethod = cmpOr(md.TokenEndpointAuthMethod, AuthMethodNone)
	if m := md.TokenEndpointAuthMethod; m != AuthMethodNone && m != AuthMethodPrivateKeyJWT {
		return Client{}, fmt.Errorf("token_endpoint_auth_method %q is based on a shared secret, which a metadata document cannot establish; use none or private_key_jwt (draft-ietf-oauth-client-id-metadata-document §4.1)", m)
	}
	if len(md.RedirectURIs) == 0 {
		return Client{}, errors.New("the document has no redirect_uris; they must be registered (draft-ietf-oauth-client-id-metadata-document §4.2)")
	}
	c, _, e := p.metadataClient(md, id, "")
	if e != nil {
		return Client{}, errors.New(e.ErrorDescription)
	}
	return c, nil
}

// cacheLifetime is how long a response may be cached: its max-age, at
// most maxDocumentTTL, or documentTTL; not at all with no-store or
// no-cache (RFC 9111 §5.2.2).
func cacheLifetime(h http.Header) (time.Duration, bool) {
	ttl := documentTTL
	for _, d := range strings.Split(h.Get("Cache-Control"), ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(strings.ToLower(d)), "=")
		switch name {
		case "no-store", "no-cache":
			return 0, false
		case "max-age":
			n, err := strconv.Atoi(strings.Trim(value, `"`))
			if err != nil || n <= 0 {
				return 0, false
			}
			ttl = min(time.Duration(n)*time.Second, maxDocumentTTL)
		}
	}
	return ttl, true
}

// clientLookup is lookupClient, or lookupOnce's memo of it.
type clientLookup func(id string) (c Client, ok bool, refused string)

// lookupOnce is lookupClient remembering its last answer, for one request
// that looks its client up twice.
func (p *Provider) lookupOnce() clientLookup {
	var last struct {
		id, refused string
		c           Client
		ok, done    bool
	}
	return func(id string) (Client, bool, string) {
		if !last.done || last.id != id {
			last.c, last.ok, last.refused = p.lookupClient(id)
			last.id, last.done = id, true
		}
		return last.c, last.ok, last.refused
	}
}

// lookupClient finds the client a request names: a registered one, or the
// one a client ID metadata document describes. refused says why a
// document was not accepted; ok is false for an unknown client.
func (p *Provider) lookupClient(id string) (c Client, ok bool, refused string) {
	if c, ok := p.clients.get(id); ok || !p.isDocumentURL(id) {
		return c, ok, ""
	}
	c, err := p.documentClient(id)
	if err != nil {
		return Client{}, false, fmt.Sprintf("client_id %q is a client ID metadata document URL, and it was refused: %v", id, err)
	}
	return c, true, ""
}
