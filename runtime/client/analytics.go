package client

import (
	"context"
	"net/http"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// Analytics returns a journey's funnel, paths, action performance and
// KPIs as of the runtime's clock; an *Error with code apiv1.CodeNotFound
// when no active deployment of stack has the journey.
func (c *Client) Analytics(ctx context.Context, stack, journey string, q apiv1.AnalyticsQuery) (*apiv1.Analytics, error) {
	var out apiv1.Analytics
	if err := c.doJSON(ctx, http.MethodGet, apiv1.AnalyticsPath(stack, journey, q), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
