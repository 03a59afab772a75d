package client

import (
	"context"
	"net/http"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// Deployment returns deployment serial of a stack in the form Stack
// returns the active one: sensitive values withheld, with the stack's
// digest key. An *Error with code apiv1.CodeNotFound when there is no
// such deployment.
func (c *Client) Deployment(ctx context.Context, stack string, serial int64) (*apiv1.Stack, error) {
	var s apiv1.Stack
	if err := c.doJSON(ctx, http.MethodGet, apiv1.DeploymentPath(stack, serial), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Rollback deploys the stored document of deployment to again, as a new
// deployment, if the stack is still at serial base. The runtime does it,
// since the API never gives out the sensitive values the document holds;
// it refuses as Deploy does (apiv1.CodeStaleSerial,
// apiv1.CodeInvalidDeployment).
func (c *Client) Rollback(ctx context.Context, stack string, base, to int64) (*apiv1.Deployment, error) {
	var d apiv1.Deployment
	in := apiv1.RollbackRequest{BaseSerial: &base, RollbackTo: &to}
	if err := c.doJSON(ctx, http.MethodPost, apiv1.RollbackPath(stack), in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}
