package oauthtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// stateVersion is the version of the state file format this build writes
// and reads.
const stateVersion = 1

// WithStateFile keeps the provider's codes, tokens and browser sessions in
// path across restarts, for local development: an app's refresh token
// still works after the provider restarted. The file is loaded at start
// (NewProvider fails on a file that is corrupt, of a newer version or of
// another issuer, rather than dropping it) and rewritten atomically (write,
// sync, rename) after every request that may have changed it. Keys are
// not kept: keep the built-in ones (no RotateKey) or a key file. Nothing
// is written without it.
func WithStateFile(path string) Option {
	return optionFunc(func(c *config) error { c.stateFile = path; return nil })
}

// stateFile is the file's content.
type stateFile struct {
	Version  int            `json:"version"`
	Issuer   string         `json:"issuer"`
	Codes    []stateCode    `json:"codes"`
	Families []stateFamily  `json:"families"`
	Access   []stateAccess  `json:"access_tokens"`
	Refresh  []stateRefresh `json:"refresh_tokens"`
	Sessions []stateSession `json:"sessions"`
}

type stateCode struct {
	Code, ClientID, RedirectURI string
	RedirectGiven               bool
	Scopes                      []string
	Nonce, Challenge, Method    string
	User                        User
	AuthTime, IssuedAt, Expires time.Time
	SID, Family                 string
	Invalidated                 bool
	Seq                         uint64
}

type stateFamily struct {
	ID       string
	ClientID string
	User     User
	Scopes   []string
	AuthTime time.Time
	Audience []string
	Actor    map[string]any
	SID      string
	Revoked  bool
	Expires  time.Time
}

type stateAccess struct {
	JTI, Family, GrantType string
	Digest                 string
	Scopes                 []string
	IssuedAt, Expires      time.Time
	Revoked                bool
	Seq                    uint64
}

type stateRefresh struct {
	Token, Family, GrantType string
	Scopes                   []string
	IssuedAt, Expires        time.Time
	Rotated, Revoked         bool
	Seq                      uint64
}

type stateSession struct {
	ID                string
	Secret            string // the cookie's value; "" in files of older versions: those browsers log in again
	User              User
	AuthTime, Expires time.Time
	Clients           []string
}

// snapshot collects the state to keep, each store under its own lock.
func (p *Provider) snapshot() stateFile {
	st := stateFile{Version: stateVersion, Issuer: p.issuer}
	p.codes.mu.Lock()
	for _, c := range p.codes.codes {
		st.Codes = append(st.Codes, stateCode{c.code, c.clientID, c.redirectURI, c.redirectGiven, c.scopes, c.nonce, c.challenge, c.method,
			c.user, c.authTime, c.issuedAt, c.expiresAt, c.sid, c.family, c.invalidated, c.seq})
	}
	p.codes.mu.Unlock()
	p.tokens.mu.Lock()
	for id, f := range p.tokens.families {
		g := f.grant
		st.Families = append(st.Families, stateFamily{id, g.clientID, g.user, g.scopes, g.authTime, g.audience, g.actor, g.sid, f.revoked, f.expires})
	}
	for jti, a := range p.tokens.access {
		st.Access = append(st.Access, stateAccess{jti, a.family, a.grantType, a.digest, a.scopes, a.issuedAt, a.expiresAt, a.revoked, a.seq})
	}
	for tok, r := range p.tokens.refresh {
		st.Refresh = append(st.Refresh, stateRefresh{tok, r.family, r.grantType, r.scopes, r.issuedAt, r.expiresAt, r.rotated, r.revoked, r.seq})
	}
	p.tokens.mu.Unlock()
	p.sessions.mu.Lock()
	for _, s := range p.sessions.sessions {
		st.Sessions = append(st.Sessions, stateSession{s.id, s.secret, s.user, s.authTime, s.expires, s.clients})
	}
	p.sessions.mu.Unlock()
	return st
}

// restore puts st into the (empty) stores.
func (p *Provider) restore(st stateFile) {
	p.codes.mu.Lock()
	p.codes.codes, p.codes.lastByClient = map[string]*authCode{}, map[string]string{}
	for _, c := range st.Codes {
		p.codes.codes[c.Code] = &authCode{code: c.Code, clientID: c.ClientID, redirectURI: c.RedirectURI, redirectGiven: c.RedirectGiven,
			scopes: c.Scopes, nonce: c.Nonce, challenge: c.Challenge, method: c.Method, user: c.User, authTime: c.AuthTime,
			issuedAt: c.IssuedAt, expiresAt: c.Expires, sid: c.SID, family: c.Family, invalidated: c.Invalidated, seq: c.Seq}
		p.codes.seq = max(p.codes.seq, c.Seq)
	}
	p.codes.mu.Unlock()
	p.tokens.mu.Lock()
	p.tokens.init()
	for _, f := range st.Families {
		g := grant{family: f.ID, clientID: f.ClientID, user: f.User, scopes: f.Scopes, authTime: f.AuthTime, audience: f.Audience, actor: f.Actor, sid: f.SID}
		p.tokens.families[f.ID] = &family{grant: g, revoked: f.Revoked, expires: f.Expires}
	}
	for _, a := range st.Access {
		p.tokens.access[a.JTI] = &accessRecord{family: a.Family, digest: a.Digest, grantType: a.GrantType, scopes: a.Scopes, issuedAt: a.IssuedAt, expiresAt: a.Expires, revoked: a.Revoked, seq: a.Seq}
		p.tokens.seq = max(p.tokens.seq, a.Seq)
	}
	for _, r := range st.Refresh {
		p.tokens.refresh[r.Token] = &refreshRecord{family: r.Family, grantType: r.GrantType, scopes: r.Scopes, issuedAt: r.IssuedAt, expiresAt: r.Expires, rotated: r.Rotated, revoked: r.Revoked, seq: r.Seq}
		p.tokens.seq = max(p.tokens.seq, r.Seq)
	}
	p.tokens.mu.Unlock()
	p.sessions.mu.Lock()
	p.sessions.sessions, p.sessions.bySecret = map[string]*session{}, map[string]*session{}
	for _, s := range st.Sessions {
		p.sessions.put(&session{id: s.ID, secret: s.Secret, user: s.User, authTime: s.AuthTime, expires: s.Expires, clients: s.Clients})
	}
	p.sessions.mu.Unlock()
}

// loadState reads the state file, if there is one, into the provider.
func (p *Provider) loadState(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a first start
	}
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	var st stateFile
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("state file %s is corrupt (%v): delete it to start afresh, losing the codes, tokens and sessions in it", path, err)
	}
	switch {
	case st.Version > stateVersion:
		return fmt.Errorf("state file %s is of version %d, newer than this oauthtest reads (%d): upgrade, or delete the file", path, st.Version, stateVersion)
	case st.Version < 1:
		return fmt.Errorf("state file %s has no version: it is not an oauthtest state file", path)
	case st.Issuer != p.issuer:
		return fmt.Errorf("state file %s was written by issuer %s, not %s: its tokens would not verify here", path, st.Issuer, p.issuer)
	}
	p.restore(st)
	return nil
}

// keepState rewrites the state file, with WithStateFile. A failed write
// leaves the last good file in place; the next request tries again.
func (p *Provider) keepState() {
	if p.stateWriter.path != "" {
		_ = p.saveState()
	}
}

// stateWriter rewrites the state file, one write at a time.
type stateWriter struct {
	mu   sync.Mutex // serializes writes
	path string
}

// save writes the provider's state atomically: to a temporary file in the
// same directory, synced, then renamed over the state file.
func (p *Provider) saveState() error {
	w := &p.stateWriter
	w.mu.Lock()
	defer w.mu.Unlock()
	b, err := json.Marshal(p.snapshot())
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(w.path), filepath.Base(w.path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; cleans up after a failure
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), w.path)
}
