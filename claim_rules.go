package oauthtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// ClaimRule adds claims to the access tokens, ID tokens and userinfo
// answers that When matches: claims that depend on the client, a scope or
// the grant, set without Go code (a config file's "claim_rules", the
// control API's /claim-rules). Rules apply after the provider set its own
// claims and before the hooks of WithAccessTokenClaims and
// WithIDTokenClaims, which see their claims and have the last word; of
// several rules that match, a later one overrides an earlier one's claim.
//
// A value that is a string of exactly "${sub}" becomes the token's
// subject, and "${name}" the user's claim name (any JSON value), or
// leaves the claim out when the user has none. Claims the provider sets
// (iss, sub, aud, exp, iat, nbf, jti, auth_time, nonce, at_hash, c_hash,
// sid, cnf, act, azp, scope, client_id, typ) are refused: change them with
// a Go hook, or mint a spoiled token.
type ClaimRule struct {
	When        ClaimWhen      `json:"when,omitzero"`
	AccessToken map[string]any `json:"access_token,omitempty"`
	IDToken     map[string]any `json:"id_token,omitempty"`
	Userinfo    map[string]any `json:"userinfo,omitempty"`
}

// ClaimWhen is when a ClaimRule applies: to every token and userinfo
// answer if empty, else only when each condition given holds. GrantType is
// the grant the token comes from, as the token endpoint names it; the ID
// token of the authorization endpoint (response_type "code id_token") and
// minted tokens count as "authorization_code". For userinfo, the access
// token's client, scopes and grant are matched.
type ClaimWhen struct {
	ClientID  string `json:"client_id,omitempty"`  // the token's client
	Scope     string `json:"scope,omitempty"`      // one of the token's scopes
	GrantType string `json:"grant_type,omitempty"` // such as "client_credentials"
}

// WithClaimRules adds claims by rules, in order; see ClaimRule.
func WithClaimRules(rules ...ClaimRule) Option {
	return optionFunc(func(c *config) error {
		checked, err := checkClaimRules(rules)
		c.claimRules = append(c.claimRules, checked...)
		return err
	})
}

// SetClaimRules replaces the claim rules, the configured ones included,
// until Reset; none clears them. An error changes nothing.
func (p *Provider) SetClaimRules(rules ...ClaimRule) error {
	checked, err := checkClaimRules(rules)
	if err == nil {
		err = p.checkRuleClients(checked)
	}
	if err != nil {
		return fmt.Errorf("oauthtest: %w", err)
	}
	p.rules.set(checked)
	return nil
}

// parseClaimRules reads a JSON array of claim rules, the control API's
// "claim_rules", refusing unknown keys; errors name the rule and key as
// claim_rules[0].when.client_id, as a config file's are named.
func parseClaimRules(data []byte) ([]ClaimRule, error) {
	var items []json.RawMessage
	if json.Unmarshal(data, &items) != nil {
		return nil, fmt.Errorf("claim_rules must be an array of rule objects, not %s", jsonKind(data))
	}
	rules := make([]ClaimRule, len(items))
	for i, item := range items {
		if err := rules[i].decode(item); err != nil {
			return nil, fmt.Errorf("claim_rules[%d]%w", i, err)
		}
	}
	return rules, nil
}

// ruleKeys and whenKeys are the keys a rule object and its when take.
var (
	ruleKeys = []string{"when", "access_token", "id_token", "userinfo"}
	whenKeys = []string{"client_id", "scope", "grant_type"}
)

// keyError is a mistake at key, a path below a rule, such as ".when.scope".
type keyError struct{ key, msg string }

func (e keyError) Error() string { return e.key + ": " + e.msg }

// decode reads one rule object strictly.
func (r *ClaimRule) decode(raw json.RawMessage) error {
	members, err := jsonObject("", raw, ruleKeys)
	if err != nil {
		return err
	}
	for k, v := range members {
		switch k {
		case "when":
			err = r.When.decode(v)
		case "access_token":
			r.AccessToken, err = claimsObject("."+k, v)
		case "id_token":
			r.IDToken, err = claimsObject("."+k, v)
		case "userinfo":
			r.Userinfo, err = claimsObject("."+k, v)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *ClaimWhen) decode(raw json.RawMessage) error {
	members, err := jsonObject(".when", raw, whenKeys)
	if err != nil {
		return err
	}
	fields := map[string]*string{"client_id": &w.ClientID, "scope": &w.Scope, "grant_type": &w.GrantType}
	for k, v := range members {
		if json.Unmarshal(v, fields[k]) != nil {
			return keyError{".when." + k, "must be a string, not " + jsonKind(v)}
		}
	}
	return nil
}

// jsonObject reads a JSON object of the allowed keys only.
func jsonObject(at string, raw json.RawMessage, allowed []string) (map[string]json.RawMessage, error) {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil || members == nil {
		return nil, keyError{at, "must be a JSON object, not " + jsonKind(raw)}
	}
	for k := range members {
		if !slices.Contains(allowed, k) {
			return nil, keyError{at, fmt.Sprintf("unknown key %q%s; it takes: %s", k, suggestFrom(k, allowed), strings.Join(allowed, ", "))}
		}
	}
	return members, nil
}

// claimsObject reads a JSON object of claims.
func claimsObject(at string, raw json.RawMessage) (map[string]any, error) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, keyError{at, "must be a JSON object of claims, not " + jsonKind(raw)}
	}
	return m, nil
}

// ruleReserved are the claims the provider sets, which rules cannot.
var ruleReserved = append(slices.Clone(reservedClaims), "sid", "cnf", "act")

// checkClaimRules validates rules and returns copies whose values are
// plain JSON, which no caller can change afterwards.
func checkClaimRules(rules []ClaimRule) ([]ClaimRule, error) {
	out := make([]ClaimRule, len(rules))
	for i, r := range rules {
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("claim_rules[%d]%w", i, err)
		}
		out[i] = r
		for _, m := range []*map[string]any{&out[i].AccessToken, &out[i].IDToken, &out[i].Userinfo} {
			*m = jsonCopy(*m)
		}
	}
	return out, nil
}

// check validates one rule.
func (r ClaimRule) check() error {
	if len(r.AccessToken)+len(r.IDToken)+len(r.Userinfo) == 0 {
		return keyError{"", "adds no claims: give access_token, id_token or userinfo"}
	}
	if g := r.When.GrantType; g != "" && !slices.Contains(grantNames(), g) {
		return keyError{".when.grant_type", fmt.Sprintf("%q is not a grant type of this provider%s; it serves: %s", g, suggestFrom(g, grantNames()), strings.Join(grantNames(), ", "))}
	}
	for _, t := range []struct {
		key    string
		claims map[string]any
	}{{"access_token", r.AccessToken}, {"id_token", r.IDToken}, {"userinfo", r.Userinfo}} {
		if err := checkRuleClaims("."+t.key, t.claims); err != nil {
			return err
		}
	}
	return nil
}

// checkRuleClaims refuses reserved claims, malformed templates and values
// that are not JSON.
func checkRuleClaims(at string, claims map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		v := claims[name]
		switch {
		case slices.Contains(ruleReserved, name):
			return keyError{at, fmt.Sprintf("claim %q is set by the provider; a rule cannot set it (a Go hook such as WithAccessTokenClaims can, or /mint with claims)", name)}
		case name == "":
			return keyError{at, "a claim needs a name"}
		}
		if s, ok := v.(string); ok && strings.HasPrefix(s, "${") && !validTemplate(s) {
			return keyError{at + "." + name, fmt.Sprintf(`%q is not a template: write "${sub}" or "${claim}" as the whole value, a claim name of letters, digits, '_', '-' or '.'`, s)}
		}
		if _, err := json.Marshal(v); err != nil {
			return keyError{at + "." + name, "is not a JSON value"}
		}
	}
	return nil
}

// validTemplate reports whether s is "${name}".
func validTemplate(s string) bool {
	name, ok := strings.CutPrefix(s, "${")
	name, ok2 := strings.CutSuffix(name, "}")
	return ok && ok2 && name != "" && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == ""
}

// jsonCopy is a deep copy of m as JSON decodes it; nil for nil.
func jsonCopy(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, _ := json.Marshal(m) // checked by checkRuleClaims
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	_ = dec.Decode(&out)
	return out
}

// checkRuleClients refuses a rule for a client that is not registered:
// it would never apply.
func (p *Provider) checkRuleClients(rules []ClaimRule) error {
	for i, r := range rules {
		if id := r.When.ClientID; id != "" {
			if _, ok := p.clients.get(id); !ok {
				return fmt.Errorf("claim_rules[%d].when.client_id: client %q is not registered; registered clients: %s", i, id, quoteList(p.clients.ids()))
			}
		}
	}
	return nil
}

// claimRuleStore holds the rules in force: the configured ones until
// SetClaimRules.
type claimRuleStore struct {
	mu       sync.RWMutex
	rules    []ClaimRule
	replaced bool // SetClaimRules replaced the configured rules
}

func (s *claimRuleStore) set(rules []ClaimRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.replaced = rules, true
}

// reset returns to the configured rules.
func (s *claimRuleStore) reset(*config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.replaced = nil, false
}

// claimRulesState is the rules set at run time, as a snapshot keeps them.
// They are not written to a state file: the configured rules load again
// at start, and rules set at run time are a test's staging, as faults are.
type claimRulesState struct {
	Rules    []ClaimRule `json:"rules"`
	Replaced bool        `json:"replaced"`
}

func (s *claimRuleStore) snapshot(dst []record) []record {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append(dst, newRecord("", claimRulesState{s.rules, s.replaced}))
}

func (s *claimRuleStore) restore(recs []record) error {
	for _, r := range recs {
		var st claimRulesState
		if err := r.decode(&st); err != nil {
			return err
		}
		s.mu.Lock()
		s.rules, s.replaced = st.Rules, st.Replaced
		s.mu.Unlock()
	}
	return nil
}

// ruleTarget is what a rule adds claims to.
type ruleTarget int

const (
	toAccessToken ruleTarget = iota
	toIDToken
	toUserinfo
)

// claimRules are the rules in force.
func (p *Provider) claimRules() []ClaimRule {
	p.rules.mu.RLock()
	defer p.rules.mu.RUnlock()
	if p.rules.replaced {
		return p.rules.rules
	}
	return p.cfg.claimRules
}

// applyClaimRules adds to claims what the matching rules give target.
func (p *Provider) applyClaimRules(target ruleTarget, tc TokenContext, claims map[string]any) {
	for _, r := range p.claimRules() {
		if !r.When.matches(tc) {
			continue
		}
		for name, v := range [...]map[string]any{r.AccessToken, r.IDToken, r.Userinfo}[target] {
			if v, ok := expand(v, tc, claims); ok {
				claims[name] = v
			}
		}
	}
}

// matches reports whether every condition of w holds for tc.
func (w ClaimWhen) matches(tc TokenContext) bool {
	grantType := tc.GrantType
	if grantType == "" {
		grantType = GrantAuthorizationCode
	}
	return (w.ClientID == "" || w.ClientID == tc.ClientID) &&
		(w.Scope == "" || slices.Contains(tc.Scopes, w.Scope)) &&
		(w.GrantType == "" || w.GrantType == grantType)
}

// expand fills a template value; ok is false when the user lacks the
// claim it names. Other values are copied, so hooks may change them.
func expand(v any, tc TokenContext, claims map[string]any) (any, bool) {
	s, isString := v.(string)
	if !isString || !validTemplate(s) {
		return jsonValueCopy(v), true
	}
	name := s[2 : len(s)-1]
	if name == "sub" {
		return claims["sub"], claims["sub"] != nil
	}
	u, ok := tc.User.Claims[name]
	return jsonValueCopy(u), ok
}

// jsonValueCopy deep-copies a value of decoded JSON.
func jsonValueCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = jsonValueCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = jsonValueCopy(e)
		}
		return out
	}
	return v
}

// accessGrantType is the grant type that issued the access token with
// this jti, "" if none is recorded.
func (s *tokenStore) accessGrantType(jti string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.access[jti]; a != nil {
		return a.grantType
	}
	return ""
}
