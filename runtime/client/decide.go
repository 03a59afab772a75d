package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// DecideRequest asks for a customer's next best actions on a channel.
type DecideRequest struct {
	CustomerID string         `json:"customer_id"`
	Channel    string         `json:"channel"`
	Context    map[string]any `json:"context,omitempty"`
	// Limit is the most actions wanted; 0 for the arbitration's
	// max_actions.
	Limit int `json:"limit,omitempty"`
	// Explain asks for every candidate with why it was kept or dropped.
	Explain bool `json:"explain,omitempty"`
}

// Decision is the runtime's answer to a decide request.
type Decision struct {
	DecisionID string         `json:"decision_id"`
	CustomerID string         `json:"customer_id"`
	Channel    string         `json:"channel"`
	Time       time.Time      `json:"time"`
	Control    bool           `json:"control,omitempty"`
	Actions    []RankedAction `json:"actions"`
	Candidates []Candidate    `json:"candidates,omitempty"`
}

// RankedAction is a chosen action, best first.
type RankedAction struct {
	Stack   string `json:"stack"`
	Journey string `json:"journey"`
	Action  string `json:"action"`
	// Address is <stack>/<address>.
	Address    string  `json:"address"`
	Propensity float64 `json:"propensity"`
	Priority   float64 `json:"priority"`
	Explore    bool    `json:"explore"`
}

// Candidate is an action the pipeline considered.
type Candidate struct {
	Address    string   `json:"address"`
	Stack      string   `json:"stack"`
	Journey    string   `json:"journey"`
	Action     string   `json:"action"`
	Kept       bool     `json:"kept"`
	Reason     string   `json:"reason,omitempty"`
	Propensity *float64 `json:"propensity,omitempty"`
	Priority   *float64 `json:"priority,omitempty"`
	Explore    bool     `json:"explore,omitempty"`
}

// Decide asks for the next best actions.
func (c *Client) Decide(ctx context.Context, req DecideRequest) (*Decision, error) {
	var out Decision
	if err := c.doJSON(ctx, http.MethodPost, "/v1/decide", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DecisionRecord is a recorded decision with every candidate.
type DecisionRecord struct {
	DecisionID string      `json:"decision_id"`
	CustomerID string      `json:"customer_id"`
	Channel    string      `json:"channel"`
	Time       time.Time   `json:"time"`
	Trigger    bool        `json:"trigger,omitempty"`
	Control    bool        `json:"control,omitempty"`
	Deferred   *time.Time  `json:"deferred_until,omitempty"`
	Actions    []string    `json:"actions"`
	Candidates []Candidate `json:"candidates"`
}

// Decision returns a recorded decision; an *Error with code "not_found"
// for one unknown or past the retention.
func (c *Client) Decision(ctx context.Context, id string) (*DecisionRecord, error) {
	var out DecisionRecord
	if err := c.doJSON(ctx, http.MethodGet, "/v1/decisions/"+esc(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ResponseResult says what a response recorded.
type ResponseResult struct {
	DecisionID string `json:"decision_id"`
	Action     string `json:"action"`
	Outcome    string `json:"outcome"`
	Duplicate  bool   `json:"duplicate,omitempty"`
}

// Respond reports a customer's response (impression, accepted, clicked,
// converted, rejected, ignored, unsubscribed) to an action a decision
// returned, named as <stack>/<address> or by its bare name.
func (c *Client) Respond(ctx context.Context, decisionID, action, outcome string) (*ResponseResult, error) {
	var out ResponseResult
	in := map[string]string{"decision_id": decisionID, "action": action, "outcome": outcome}
	if err := c.doJSON(ctx, http.MethodPost, "/v1/responses", in, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Model is an adaptive model with its figures.
type Model struct {
	Key              string   `json:"key"`
	Kind             string   `json:"kind"`
	Evidence         int      `json:"evidence"`
	Positives        int      `json:"positives"`
	Mean             float64  `json:"mean"`
	Exploring        bool     `json:"exploring"`
	Control          int      `json:"control_evidence"`
	ControlPositives int      `json:"control_positives"`
	Lift             *float64 `json:"lift,omitempty"`
}

// Models lists every adaptive model.
func (c *Client) Models(ctx context.Context) ([]Model, error) {
	var out struct {
		Models []Model `json:"models"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/v1/models", nil, &out); err != nil {
		return nil, err
	}
	return out.Models, nil
}

// Delivery is an entry of the delivery outbox.
type Delivery struct {
	ID          string     `json:"id"`
	State       string     `json:"state"`
	CustomerID  string     `json:"customer_id"`
	Stack       string     `json:"stack"`
	Journey     string     `json:"journey"`
	Action      string     `json:"action"`
	Address     string     `json:"address"`
	Channel     string     `json:"channel"`
	DecisionID  string     `json:"decision_id"`
	Due         time.Time  `json:"due"`
	Attempts    int        `json:"attempts"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
	MessageID   string     `json:"message_id,omitempty"`
	Updated     time.Time  `json:"updated"`
}

// Deliveries lists the outbox entries in state (pending, delivered,
// failed: the dead-letter list, cancelled) whose ids sort after after, at
// most limit (0: the runtime's page size).
func (c *Client) Deliveries(ctx context.Context, state, after string, limit int) ([]Delivery, error) {
	q := url.Values{"state": {state}}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct {
		Deliveries []Delivery `json:"deliveries"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/v1/deliveries?"+q.Encode(), nil, &out); err != nil {
		return nil, err
	}
	return out.Deliveries, nil
}

// RetryDelivery replays a dead-lettered delivery.
func (c *Client) RetryDelivery(ctx context.Context, id string) (*Delivery, error) {
	var out Delivery
	if err := c.doJSON(ctx, http.MethodPost, "/v1/deliveries/"+esc(id)+"/retry", nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ReportDelivery reports what became of a delivery after its provider took
// it (delivered, bounced or failed), by its id: the idempotency key the
// provider was given.
func (c *Client) ReportDelivery(ctx context.Context, id, outcome string) (*Delivery, error) {
	var out Delivery
	if err := c.doJSON(ctx, http.MethodPost, "/v1/deliveries/"+esc(id)+"/outcome", map[string]string{"outcome": outcome}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
