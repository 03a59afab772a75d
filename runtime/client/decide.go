package client

import (
	"context"
	"net/http"
	"strings"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// Decide asks for the next best actions.
func (c *Client) Decide(ctx context.Context, req apiv1.DecideRequest) (*apiv1.Decision, error) {
	var out apiv1.Decision
	if err := c.doJSON(ctx, http.MethodPost, apiv1.RouteDecide, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Decision returns a recorded decision with every candidate; an *Error
// with code apiv1.CodeNotFound for one unknown or past the retention.
func (c *Client) Decision(ctx context.Context, id string) (*apiv1.DecisionRecord, error) {
	var out apiv1.DecisionRecord
	if err := c.doJSON(ctx, http.MethodGet, apiv1.DecisionPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Respond reports a customer's response (impression, accepted, clicked,
// converted, rejected, ignored, unsubscribed) to an action a decision
// returned, named as <stack>/<address> or by its bare name.
func (c *Client) Respond(ctx context.Context, decisionID, action, outcome string) (*apiv1.ResponseResult, error) {
	var out apiv1.ResponseResult
	in := apiv1.ResponseRequest{DecisionID: decisionID, Action: action, Outcome: outcome}
	if err := c.doJSON(ctx, http.MethodPost, apiv1.RouteResponses, in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Unsubscribe uses a one-click unsubscribe link's token, as a mail
// client does (RFC 8058): the customer's consent to the link's channel is
// off from then on.
func (c *Client) Unsubscribe(ctx context.Context, token string) (*apiv1.UnsubscribeResult, error) {
	var out apiv1.UnsubscribeResult
	err := c.do(ctx, http.MethodPost, apiv1.UnsubscribePath(token), strings.NewReader(apiv1.OneClickBody), "application/x-www-form-urlencoded", &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Models lists every adaptive model.
func (c *Client) Models(ctx context.Context) ([]apiv1.Model, error) {
	var out apiv1.ModelList
	if err := c.doJSON(ctx, http.MethodGet, apiv1.RouteModels, nil, &out); err != nil {
		return nil, err
	}
	return out.Models, nil
}

// Model returns one adaptive model by key.
func (c *Client) Model(ctx context.Context, key string) (apiv1.Model, error) {
	var out apiv1.Model
	err := c.doJSON(ctx, http.MethodGet, apiv1.ModelPath(key), nil, &out)
	return out, err
}

// Deliveries lists the outbox entries in state (failed is the dead-letter
// list) whose ids sort after after, at most limit (0: the runtime's page
// size).
func (c *Client) Deliveries(ctx context.Context, state apiv1.DeliveryState, after string, limit int) ([]apiv1.Delivery, error) {
	var out apiv1.DeliveryList
	if err := c.doJSON(ctx, http.MethodGet, apiv1.DeliveriesPath(state, after, limit), nil, &out); err != nil {
		return nil, err
	}
	return out.Deliveries, nil
}

// RetryDelivery replays a dead-lettered delivery.
func (c *Client) RetryDelivery(ctx context.Context, id string) (*apiv1.Delivery, error) {
	var out apiv1.Delivery
	if err := c.doJSON(ctx, http.MethodPost, apiv1.RetryPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportDelivery reports what became of a delivery after its provider took
// it (delivered, bounced or failed), by its id: the idempotency key the
// provider was given.
func (c *Client) ReportDelivery(ctx context.Context, id, outcome string) (*apiv1.Delivery, error) {
	var out apiv1.Delivery
	if err := c.doJSON(ctx, http.MethodPost, apiv1.OutcomePath(id), apiv1.OutcomeRequest{Outcome: outcome}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
