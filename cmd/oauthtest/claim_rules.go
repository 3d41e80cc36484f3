package main

import "github.com/c95d6557/oauthtest"

// fileClaimRules are an issuer's claim rules: claims added to tokens and
// userinfo by client, scope and grant (see oauthtest.ClaimRule). The
// config check reads their keys and kinds by their JSON names; the
// library checks the claims.
type fileClaimRules struct {
	ClaimRules []oauthtest.ClaimRule `json:"claim_rules"`
}

// options are the options of the rules, if any.
func (r fileClaimRules) options() []oauthtest.Option {
	if len(r.ClaimRules) == 0 {
		return nil
	}
	return []oauthtest.Option{oauthtest.WithClaimRules(r.ClaimRules...)}
}
