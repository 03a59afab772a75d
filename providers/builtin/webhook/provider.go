package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// DefaultTimeout bounds one request when the channel sets no timeout.
const DefaultTimeout = 10 * time.Second

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body,
// keyed with the channel's secret.
const SignatureHeader = "X-Waymark-Signature"

// reserved reports whether the provider sets header itself.
func reserved(header string) bool {
	switch http.CanonicalHeaderKey(header) {
	case "Content-Type", "Idempotency-Key", SignatureHeader:
		return true
	}
	return false
}

// Body is the JSON body of each request.
type Body struct {
	Kind           string            `json:"kind"`
	IdempotencyKey string            `json:"idempotency_key"`
	Stack          string            `json:"stack"`
	Journey        string            `json:"journey"`
	Action         string            `json:"action,omitempty"`
	Channel        string            `json:"channel"`
	Customer       *Customer         `json:"customer,omitempty"`
	Message        map[string]string `json:"message,omitempty"`
	Alert          *Alert            `json:"alert,omitempty"`
}

// Customer is the customer an action is for: the id and the non-sensitive
// attributes the message uses.
type Customer struct {
	ID         string                     `json:"id"`
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
}

// Alert is a KPI that crossed its target.
type Alert struct {
	KPI    string  `json:"kpi"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	State  string  `json:"state"`
}

// Sign returns the signature header's value for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Provider is the webhook provider.
func Provider() sdk.Provider {
	client := &http.Client{}
	return sdk.Provider{
		Schema:          Schema(),
		ValidateChannel: validateChannel,
		Deliver: func(ctx context.Context, d *sdk.Delivery) (string, error) {
			return deliver(ctx, client, d)
		},
	}
}

func validateChannel(_ context.Context, cfg map[string]cty.Value) []provschema.Diagnostic {
	var diags []provschema.Diagnostic
	if v := cfg["url"]; v.IsKnown() && !v.IsNull() {
		if err := checkURL(v.AsString()); err != nil {
			diags = append(diags, sdk.AttributeError("url", "Invalid webhook URL", err.Error()))
		}
	}
	if v := cfg["timeout"]; v.IsKnown() && !v.IsNull() {
		if d, err := time.ParseDuration(v.AsString()); err != nil || d <= 0 {
			diags = append(diags, sdk.AttributeError("timeout", "Invalid timeout", fmt.Sprintf("%q is not a positive duration such as \"10s\".", v.AsString())))
		}
	}
	if v := cfg["headers"]; v.IsKnown() && !v.IsNull() {
		hs := v.AsValueMap()
		keys := make([]string, 0, len(hs))
		for k := range hs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if reserved(k) {
				diags = append(diags, provschema.Diagnostic{Severity: provschema.Error, Summary: "Reserved header",
					Detail: fmt.Sprintf("The webhook provider sets %s itself.", http.CanonicalHeaderKey(k)), Path: []string{"headers", k}})
			}
		}
	}
	return diags
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q does not parse as a URL: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must be an http or https URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// NewBody is the JSON body sent for d.
func NewBody(d *sdk.Delivery) (*Body, error) {
	b := &Body{Kind: d.Kind.String(), IdempotencyKey: d.IdempotencyKey, Stack: d.Stack, Journey: d.Journey, Action: d.Action, Channel: d.Channel}
	if d.Kind == sdk.KindAction {
		attrs := map[string]json.RawMessage{}
		for k, v := range d.Customer.Attributes {
			js, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				return nil, fmt.Errorf("customer attribute %q: %w", k, err)
			}
			attrs[k] = js
		}
		b.Customer = &Customer{ID: d.Customer.ID, Attributes: attrs}
		b.Message = d.Message
	}
	if a := d.Alert; a != nil {
		b.Alert = &Alert{KPI: a.KPI, Value: a.Value, Target: a.Target, State: a.State}
	}
	return b, nil
}

func deliver(ctx context.Context, client *http.Client, d *sdk.Delivery) (string, error) {
	body, err := NewBody(d)
	if err != nil {
		return "", sdk.Permanent(err)
	}
	js, err := json.Marshal(body)
	if err != nil {
		return "", sdk.Permanent(err)
	}
	timeout := DefaultTimeout
	if t := sdk.String(d.Config["timeout"]); t != "" {
		if timeout, err = time.ParseDuration(t); err != nil {
			return "", sdk.Permanent(fmt.Errorf("timeout: %w", err))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sdk.String(d.Config["url"]), bytes.NewReader(js))
	if err != nil {
		return "", sdk.Permanent(err)
	}
	if h := d.Config["headers"]; !h.IsNull() {
		hs := h.AsValueMap()
		keys := make([]string, 0, len(hs))
		for k := range hs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			req.Header.Set(k, hs[k].AsString())
		}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", d.IdempotencyKey)
	if secret := sdk.String(d.Config["secret"]); secret != "" {
		req.Header.Set(SignatureHeader, Sign(secret, js))
	}
	resp, err := client.Do(req)
	if err != nil {
		var nerr net.Error
		if errors.As(err, &nerr) && nerr.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			return "", sdk.Retryable(fmt.Errorf("POST %s: timed out after %s", redact(req.URL), timeout))
		}
		return "", sdk.Retryable(fmt.Errorf("POST %s: %w", redact(req.URL), unwrapURLError(err)))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		for _, h := range []string{"X-Message-Id", "X-Request-Id"} {
			if id := resp.Header.Get(h); id != "" {
				return id, nil
			}
		}
		return d.IdempotencyKey, nil
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests:
		return "", sdk.Retryable(statusError(req.URL, resp, snippet))
	default:
		return "", sdk.Permanent(statusError(req.URL, resp, snippet))
	}
}

func statusError(u *url.URL, resp *http.Response, snippet []byte) error {
	msg := fmt.Sprintf("POST %s: %s", redact(u), resp.Status)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		msg += ": " + strings.Join(strings.Fields(s), " ")
	}
	return errors.New(msg)
}

// redact drops the query and user information of u, which may carry
// tokens.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	if c.RawQuery != "" {
		c.RawQuery = "…"
	}
	return c.String()
}

// unwrapURLError drops the *url.Error wrapper, whose message repeats the
// full URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
