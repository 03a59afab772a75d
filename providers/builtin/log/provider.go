package log

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/sdk"
)

// Line is the JSON line written for each delivery.
type Line struct {
	Time           time.Time         `json:"time"`
	Kind           string            `json:"kind"`
	IdempotencyKey string            `json:"idempotency_key"`
	Channel        string            `json:"channel"`
	Stack          string            `json:"stack,omitempty"`
	Journey        string            `json:"journey,omitempty"`
	Action         string            `json:"action,omitempty"`
	Customer       *Customer         `json:"customer,omitempty"`
	Message        map[string]string `json:"message,omitempty"`
	Alert          *Alert            `json:"alert,omitempty"`
}

// Customer is the customer of a logged action.
type Customer struct {
	ID         string                     `json:"id"`
	Attributes map[string]json.RawMessage `json:"attributes,omitempty"`
}

// Alert is a logged KPI alert.
type Alert struct {
	KPI    string  `json:"kpi"`
	Value  float64 `json:"value"`
	Target float64 `json:"target"`
	State  string  `json:"state"`
}

// Provider is the log provider. Lines to one file are written whole, one at
// a time.
func Provider() sdk.Provider {
	var mu sync.Mutex
	return sdk.Provider{
		Schema: Schema(),
		ValidateChannel: func(_ context.Context, cfg map[string]cty.Value) []provschema.Diagnostic {
			if p := cfg["path"]; p.IsKnown() && !p.IsNull() && p.AsString() == "" {
				return []provschema.Diagnostic{sdk.AttributeError("path", "Empty log path", `Set path to a file, or to "-" (or leave it unset) for standard output.`)}
			}
			return nil
		},
		Configure: func(_ context.Context, cfg map[string]cty.Value) error {
			path := sdk.String(cfg["path"])
			if path == "" || path == "-" {
				return nil
			}
			f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		},
		Deliver: func(_ context.Context, d *sdk.Delivery) (string, error) {
			line, err := NewLine(d, time.Now().UTC())
			if err != nil {
				return "", sdk.Permanent(err)
			}
			b, err := json.Marshal(line)
			if err != nil {
				return "", sdk.Permanent(err)
			}
			b = append(b, '\n')
			mu.Lock()
			defer mu.Unlock()
			path := sdk.String(d.Config["path"])
			if path == "" || path == "-" {
				// Within a plugin process, standard output reaches the host,
				// which prints it on its own.
				if _, err := os.Stdout.Write(b); err != nil {
					return "", sdk.Retryable(err)
				}
				return d.IdempotencyKey, nil
			}
			f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return "", sdk.Retryable(err)
			}
			_, err = f.Write(b)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return "", sdk.Retryable(err)
			}
			return d.IdempotencyKey, nil
		},
	}
}

// NewLine is the line logged for d at t.
func NewLine(d *sdk.Delivery, t time.Time) (*Line, error) {
	l := &Line{Time: t, Kind: d.Kind.String(), IdempotencyKey: d.IdempotencyKey, Channel: d.Channel,
		Stack: d.Stack, Journey: d.Journey, Action: d.Action}
	if d.Kind == sdk.KindAction {
		attrs, err := jsonAttributes(d.Customer.Attributes)
		if err != nil {
			return nil, err
		}
		l.Customer = &Customer{ID: d.Customer.ID, Attributes: attrs}
		l.Message = d.Message
	}
	if a := d.Alert; a != nil {
		l.Alert = &Alert{KPI: a.KPI, Value: a.Value, Target: a.Target, State: a.State}
	}
	return l, nil
}

func jsonAttributes(attrs map[string]cty.Value) (map[string]json.RawMessage, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	out := make(map[string]json.RawMessage, len(attrs))
	for k, v := range attrs {
		b, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, fmt.Errorf("customer attribute %q: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}
