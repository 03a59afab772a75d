package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
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

// Error is an error answered by the runtime. An answer not in the API's
// error shape has Code "http_<status>" and the body as its Message.
type Error struct {
	Status  int
	Code    apiv1.Code
	Message string
	Details []json.RawMessage
	// RetryAfter is set on 429 and 503 answers.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("the runtime answered %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is an *Error with code.
func IsCode(err error, code apiv1.Code) bool {
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
		var eb apiv1.ErrorResponse
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(data, &eb) == nil && eb.Error.Code != "" {
			e.Code, e.Message, e.Details = eb.Error.Code, eb.Error.Message, eb.Error.Details
		} else {
			e.Code, e.Message = apiv1.Code("http_"+strconv.Itoa(resp.StatusCode)), strings.TrimSpace(string(data))
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

// Stack returns a stack's active deployment, its sensitive values
// withheld; an *Error with code apiv1.CodeNotFound when it was never
// deployed.
func (c *Client) Stack(ctx context.Context, stack string) (*apiv1.Stack, error) {
	var s apiv1.Stack
	if err := c.doJSON(ctx, http.MethodGet, apiv1.StackPath(stack), nil, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Problems returns the problems of an apiv1.CodeInvalidDeployment error.
func Problems(err error) []apiv1.Problem {
	var e *Error
	if !errors.As(err, &e) || e.Code != apiv1.CodeInvalidDeployment {
		return nil
	}
	var out []apiv1.Problem
	for _, d := range e.Details {
		var p apiv1.Problem
		if json.Unmarshal(d, &p) == nil {
			out = append(out, p)
		}
	}
	return out
}

// CurrentSerial returns the stack's serial from an apiv1.CodeStaleSerial
// error.
func CurrentSerial(err error) (int64, bool) {
	var e *Error
	if !errors.As(err, &e) || e.Code != apiv1.CodeStaleSerial || len(e.Details) == 0 {
		return 0, false
	}
	var d apiv1.StaleSerial
	if json.Unmarshal(e.Details[0], &d) != nil {
		return 0, false
	}
	return d.CurrentSerial, true
}

// Deploy activates doc as the whole state of stack, if the stack is still
// at serial base (0 for a new stack).
func (c *Client) Deploy(ctx context.Context, stack string, base int64, doc *deploy.Document) (*apiv1.Deployment, error) {
	raw, err := doc.Encode()
	if err != nil {
		return nil, err
	}
	var d apiv1.Deployment
	in := apiv1.DeployRequest{BaseSerial: &base, Document: raw}
	if err := c.doJSON(ctx, http.MethodPost, apiv1.DeploymentsPath(stack), in, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// History returns a stack's deployments, newest first.
func (c *Client) History(ctx context.Context, stack string) ([]apiv1.Deployment, error) {
	var out apiv1.DeploymentList
	if err := c.doJSON(ctx, http.MethodGet, apiv1.DeploymentsPath(stack), nil, &out); err != nil {
		return nil, err
	}
	return out.Deployments, nil
}

// Impact asks how many customers each removal or move of doc touches.
func (c *Client) Impact(ctx context.Context, stack string, doc *deploy.Document) ([]apiv1.Impact, error) {
	raw, err := doc.Encode()
	if err != nil {
		return nil, err
	}
	var out apiv1.ImpactList
	if err := c.doJSON(ctx, http.MethodPost, apiv1.ImpactPath(stack), apiv1.ImpactRequest{Document: raw}, &out); err != nil {
		return nil, err
	}
	return out.Changes, nil
}

// SendEvents sends a batch: a JSON array or JSON Lines. A batch whose
// events were all rejected is answered as a result, not an error.
func (c *Client) SendEvents(ctx context.Context, batch []byte) (*apiv1.IngestResult, error) {
	var res apiv1.IngestResult
	err := c.do(ctx, http.MethodPost, apiv1.RouteEvents, bytes.NewReader(batch), "application/x-ndjson", &res)
	var e *Error
	if errors.As(err, &e) && e.Code == apiv1.CodeEventsRejected {
		res = apiv1.IngestResult{}
		for _, d := range e.Details {
			var r apiv1.Rejected
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
	return c.do(ctx, http.MethodPost, apiv1.RouteSync, nil, "", nil)
}

// Customer returns a customer's profile (sensitive values as digests),
// journeys, recent transitions and decisions; an *Error with code
// apiv1.CodeNotFound for one never seen.
func (c *Client) Customer(ctx context.Context, id string) (*apiv1.Customer, error) {
	var out apiv1.Customer
	if err := c.doJSON(ctx, http.MethodGet, apiv1.CustomerPath(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteCustomer erases a customer.
func (c *Client) DeleteCustomer(ctx context.Context, id string) error {
	return c.doJSON(ctx, http.MethodDelete, apiv1.CustomerPath(id), nil, nil)
}

// CreateToken creates a token with scopes and returns its secret.
func (c *Client) CreateToken(ctx context.Context, name string, scopes []apiv1.Scope) (string, error) {
	var out apiv1.Token
	if err := c.doJSON(ctx, http.MethodPost, apiv1.RouteTokens, apiv1.TokenRequest{Name: name, Scopes: scopes}, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// Ready reports whether the runtime answers /readyz with 200.
func (c *Client) Ready(ctx context.Context) (bool, error) {
	err := c.doJSON(ctx, http.MethodGet, apiv1.RouteReadyz, nil, nil)
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusServiceUnavailable {
		return false, nil
	}
	return err == nil, err
}

// Events returns a page of the events the runtime recorded (GET
// /v1/events); page on with q.After set to the answer's Next until it is
// empty.
func (c *Client) Events(ctx context.Context, q apiv1.EventsQuery) (*apiv1.EventPage, error) {
	var out apiv1.EventPage
	if err := c.doJSON(ctx, http.MethodGet, apiv1.EventsPath(q), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
