package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// DefaultAddr is the runtime's address when none is configured.
const DefaultAddr = "http://127.0.0.1:7400"

// Client calls one runtime. Its zero value is not usable; use New.
type Client struct {
	addr  string
	token string
	http  *http.Client
}

// New returns a client of the runtime at addr (DefaultAddr when empty),
// sending token as its bearer token when not empty. hc may be nil for
// http.DefaultClient.
func New(addr, token string, hc *http.Client) *Client {
	if addr == "" {
		addr = DefaultAddr
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{addr: strings.TrimRight(addr, "/"), token: token, http: hc}
}

// FromEnv returns a client configured by WAYMARK_ADDR and WAYMARK_TOKEN, as
// getenv reads them.
func FromEnv(getenv func(string) string) *Client {
	return New(getenv("WAYMARK_ADDR"), getenv("WAYMARK_TOKEN"), nil)
}

// Addr is the runtime's address.
func (c *Client) Addr() string { return c.addr }

// Error is an error answered by the runtime.
type Error struct {
	Status  int
	Code    string
	Message string
	Details []json.RawMessage
	// RetryAfter is set on 429 and 503 answers.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("the runtime answered %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is an *Error with code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}

// do sends a request and decodes a JSON answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, body io.Reader, contentType string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.addr+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("calling the runtime at %s: %w", c.addr, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the runtime's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error struct {
				Code    string            `json:"code"`
				Message string            `json:"message"`
				Details []json.RawMessage `json:"details"`
			} `json:"error"`
		}
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			e.Code, e.Message, e.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
		} else {
			e.Code, e.Message = "http_"+strconv.Itoa(resp.StatusCode), strings.TrimSpace(string(data))
		}
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = time.Duration(s) * time.Second
		}
		return e
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("decoding the runtime's answer: %w", err)
	}
	return nil
}

func (c *Client) doJSON(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return c.do(ctx, method, path, body, "application/json", out)
}

func esc(s string) string { return url.PathEscape(s) }

// Stack is a stack's active deployment. Sensitive values in Document are
// {"sensitive": true, "digest": "<HMAC>"}.
type Stack struct {
	Stack    string          `json:"stack"`
	Serial   int64           `json:"serial"`
	Time     time.Time       `json:"time"`
	Who      string          `json:"who"`
	Digest   string          `json:"digest"`
	Summary  string          `json:"summary"`
	Document json.RawMessage `json:"document"`
	// DigestKey is the hex key of the digests that stand for withheld
	// values (deploy.SensitiveDigest).
	DigestKey string `json:"digest_key"`
}

// Stack returns a stack's active deployment; an *Error with code
// "not_found" when it was never deployed.
func (c *Client) Stack(ctx context.Context, stack string) (*Stack, error) {
	var s Stack
	if err := c.doJSON(ctx, http.MethodGet, "/v1/stacks/"+esc(stack), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Deployment is one deployment of a stack.
type Deployment struct {
	Stack   string    `json:"stack"`
	Serial  int64     `json:"serial"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Digest  string    `json:"digest"`
	Summary string    `json:"summary"`
}

// Problem is one reason a deployment was refused.
type Problem struct {
	Address string `json:"address,omitempty"`
	Message string `json:"message"`
}

// Problems returns the problems of an "invalid_deployment" error.
func Problems(err error) []Problem {
	var e *Error
	if !errors.As(err, &e) || e.Code != "invalid_deployment" {
		return nil
	}
	var out []Problem
	for _, d := range e.Details {
		var p Problem
		if json.Unmarshal(d, &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// CurrentSerial returns the stack's serial from a "stale_serial" error.
func CurrentSerial(err error) (int64, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Code != "stale_serial" || len(e.Details) == 0 {
		return 0, false
	}
	var d struct {
		Current int64 `json:"current_serial"`
	}
	if json.Unmarshal(e.Details[0], &d) != nil {
		return 0, false
	}
	return d.Current, true
}

// Deploy activates doc as the whole state of stack, if the stack is still
// at serial base (0 for a new stack).
func (c *Client) Deploy(ctx context.Context, stack string, base int64, doc *deploy.Document) (*Deployment, error) {
	raw, err := doc.Encode()
	if err != nil {
		return nil, err
	}
	var d Deployment
	in := map[string]any{"base_serial": base, "document": json.RawMessage(raw)}
	if err := c.doJSON(ctx, http.MethodPost, "/v1/stacks/"+esc(stack)+"/deployments", in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// History returns a stack's deployments, newest first.
func (c *Client) History(ctx context.Context, stack string) ([]Deployment, error) {
	var out struct {
		Deployments []Deployment `json:"deployments"`
	}
	if err := c.doJSON(ctx, http.MethodGet, "/v1/stacks/"+esc(stack)+"/deployments", nil, &out); err != nil {
		return nil, err
	}
	return out.Deployments, nil
}

// Impact is how many customers a proposed removal or move touches.
type Impact struct {
	Address   string `json:"address"`
	Change    string `json:"change"` // remove, move
	To        string `json:"to,omitempty"`
	Customers int    `json:"customers"`
}

// Impact asks how many customers each removal or move of doc touches.
func (c *Client) Impact(ctx context.Context, stack string, doc *deploy.Document) ([]Impact, error) {
	raw, err := doc.Encode()
	if err != nil {
		return nil, err
	}
	var out struct {
		Changes []Impact `json:"changes"`
	}
	if err := c.doJSON(ctx, http.MethodPost, "/v1/stacks/"+esc(stack)+"/impact", map[string]any{"document": json.RawMessage(raw)}, &out); err != nil {
		return nil, err
	}
	return out.Changes, nil
}

// IngestResult says what became of a batch of events.
type IngestResult struct {
	Accepted   int        `json:"accepted"`
	Duplicates int        `json:"duplicates"`
	Rejected   []Rejected `json:"rejected"`
	Dropped    int        `json:"dropped"`
}

// Rejected is an event the runtime refused, by its index in the batch.
type Rejected struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// SendEvents sends a batch: a JSON array or JSON Lines. A batch whose
// events were all rejected is answered as a result, not an error.
func (c *Client) SendEvents(ctx context.Context, batch []byte) (*IngestResult, error) {
	var res IngestResult
	err := c.do(ctx, http.MethodPost, "/v1/events", bytes.NewReader(batch), "application/x-ndjson", &res)
	var e *Error
	if errors.As(err, &e) && e.Code == "events_rejected" {
		res = IngestResult{}
		for _, d := range e.Details {
			var r Rejected
			if json.Unmarshal(d, &r) == nil {
				res.Rejected = append(res.Rejected, r)
			}
		}
		return &res, nil
	}
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// Sync waits until the runtime has processed every event it accepted
// before the call, and fed analytics what they did.
func (c *Client) Sync(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/sync", nil, "", nil)
}

// Customer is a customer's profile, journeys and recent transitions.
// Sensitive profile values are {"sensitive": true, "digest": "<HMAC>"}.
type Customer struct {
	ID        string         `json:"id"`
	Profile   map[string]any `json:"profile"`
	LastEvent *time.Time     `json:"last_event,omitempty"`
	Journeys  []JourneyState `json:"journeys"`
	Timeline  []Transition   `json:"timeline"`
	// Decisions are the customer's most recent decisions, newest first.
	Decisions []DecisionSummary `json:"decisions"`
}

// DecisionSummary is a recent decision of a customer.
type DecisionSummary struct {
	DecisionID string    `json:"decision_id"`
	Time       time.Time `json:"time"`
	Channel    string    `json:"channel"`
	Trigger    bool      `json:"trigger,omitempty"`
	Control    bool      `json:"control,omitempty"`
	// Actions are the chosen actions' addresses (<stack>/<address>), best
	// first.
	Actions []string `json:"actions"`
	// Dropped counts the candidates dropped, by reason.
	Dropped map[string]int `json:"dropped,omitempty"`
}

// JourneyState is a customer's state in one journey.
type JourneyState struct {
	Stack        string     `json:"stack"`
	Journey      string     `json:"journey"`
	State        string     `json:"state"`
	Stage        string     `json:"stage,omitempty"`
	Run          uint64     `json:"run"`
	Entered      time.Time  `json:"entered"`
	StageEntered *time.Time `json:"stage_entered,omitempty"`
	Left         *time.Time `json:"left,omitempty"`
	Timers       []Timer    `json:"timers,omitempty"`
}

// Timer is a pending timer of a journey.
type Timer struct {
	Kind string    `json:"kind"`
	Due  time.Time `json:"due"`
}

// Transition is one move of a customer in a journey.
type Transition struct {
	Time    time.Time `json:"time"`
	Stack   string    `json:"stack"`
	Journey string    `json:"journey"`
	Run     uint64    `json:"run"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Reason  string    `json:"reason"`
	Late    bool      `json:"late,omitempty"`
}

// Customer returns a customer; an *Error with code "not_found" for one
// never seen.
func (c *Client) Customer(ctx context.Context, id string) (*Customer, error) {
	var out Customer
	if err := c.doJSON(ctx, http.MethodGet, "/v1/customers/"+esc(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCustomer erases a customer.
func (c *Client) DeleteCustomer(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, "/v1/customers/"+esc(id), nil, nil)
}

// CreateToken creates a token with scopes and returns its secret.
func (c *Client) CreateToken(ctx context.Context, name string, scopes []string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	if err := c.doJSON(ctx, http.MethodPost, "/v1/tokens", map[string]any{"name": name, "scopes": scopes}, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// Ready reports whether the runtime answers /readyz with 200.
func (c *Client) Ready(ctx context.Context) (bool, error) {
	err := c.doJSON(ctx, http.MethodGet, "/readyz", nil, nil)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
		return false, nil
	}
	return err == nil, err
}
