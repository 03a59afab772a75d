package client

import (
	"context"
	"net/http"
	"strconv"
)

// Deployment returns deployment serial of a stack in the form Stack
// returns the active one: sensitive values withheld, with the stack's
// digest key. An *Error with code "not_found" when there is no such
// deployment.
func (c *Client) Deployment(ctx context.Context, stack string, serial int64) (*Stack, error) {
	var s Stack
	path := "/v1/stacks/" + esc(stack) + "/deployments/" + strconv.FormatInt(serial, 10)
	if err := c.doJSON(ctx, http.MethodGet, path, nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Rollback deploys the stored document of deployment to again, as a new
// deployment, if the stack is still at serial base. The runtime does it,
// since the API never gives out the sensitive values the document holds;
// it refuses as Deploy does ("stale_serial", "invalid_deployment").
func (c *Client) Rollback(ctx context.Context, stack string, base, to int64) (*Deployment, error) {
	var d Deployment
	in := map[string]int64{"base_serial": base, "rollback_to": to}
	if err := c.doJSON(ctx, http.MethodPost, "/v1/stacks/"+esc(stack)+"/rollback", in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
