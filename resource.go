package oauthtest

import (
	"net/url"
	"slices"
	"strings"
)

// checkResourceURI refuses a resource indicator that is not an absolute URI
// without a fragment (RFC 8707 §2). A query is allowed, as §2 allows it.
func checkResourceURI(r string) *Error {
	u, err := url.Parse(r)
	if err != nil || !u.IsAbs() || strings.Contains(r, "#") || !isURIText(r) {
		return ErrInvalidTarget.WithDescription("resource %q is not an absolute URI without a fragment (RFC 8707 §2)", r)
	}
	return nil
}

// checkResources refuses the first resource that is malformed or, when c
// lists its resources (Client.Resources), not one of them (RFC 8707 §2).
func (c *Client) checkResources(resources []string) *Error {
	for _, r := range resources {
		if err := checkResourceURI(r); err != nil {
			return err
		}
		if len(c.Resources) > 0 && !slices.Contains(c.Resources, r) {
			return ErrInvalidTarget.WithDescription("resource %q is not allowed for client %q; allowed: %s (Client.Resources) (RFC 8707 §2)", r, c.ID, quoteList(c.Resources))
		}
	}
	return nil
}

// requestedResources reads the resource parameters of a request, each of
// which may be repeated (RFC 8707 §2), without repeats, and checks them
// for client c.
func requestedResources(c Client, params url.Values) ([]string, *Error) {
	var rs []string
	for _, r := range params["resource"] {
		if !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	return rs, c.checkResources(rs)
}

// narrowResources returns the resources asked for at the token endpoint,
// which must all have been granted, or nil for the granted ones if none
// were asked for. An access token may be for one or some of the granted
// resources; the grant keeps them all (RFC 8707 §2.2).
func narrowResources(granted, requested []string) ([]string, *Error) {
	for _, r := range requested {
		if !slices.Contains(granted, r) {
			return nil, ErrInvalidTarget.WithDescription("resource %q was not granted: a token request may ask for the resources of the authorization request or a subset of them, never others; granted: %s (RFC 8707 §2.2)", r, grantedList(granted))
		}
	}
	return requested, nil
}

// grantedList describes granted resources for an error message.
func grantedList(granted []string) string {
	if len(granted) == 0 {
		return "none (send resource with the authorization request)"
	}
	return quoteList(granted)
}
