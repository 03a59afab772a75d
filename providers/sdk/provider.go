package sdk

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/provschema"
)

// Provider is a channel provider: its schema and the functions that serve
// it. Only Schema and Deliver are required (Deliver may be nil for a
// provider whose schema says it does not deliver). The functions may be
// called concurrently.
//
// Every attribute map handed to these functions holds each attribute of the
// schema, converted to its type; an attribute the user did not set is a
// null value. At validate time, attributes that are runtime expressions or
// templates are unknown values: check them with IsKnown first.
type Provider struct {
	Schema provschema.Schema

	// ValidateChannel checks a channel's configuration beyond its types
	// (a port in range, a URL that parses).
	ValidateChannel func(ctx context.Context, config map[string]cty.Value) []provschema.Diagnostic
	// ValidateMessage checks an action's message block beyond its types.
	ValidateMessage func(ctx context.Context, message map[string]cty.Value) []provschema.Diagnostic
	// Configure prepares a channel's configuration, secrets included, before
	// deliveries on it. ValidateChannel has already accepted it.
	Configure func(ctx context.Context, config map[string]cty.Value) error
	// Deliver delivers one action or alert and returns the provider's
	// message id. Errors marked with Permanent are not retried; every other
	// error is (mark them with Retryable to say so).
	Deliver func(ctx context.Context, d *Delivery) (messageID string, err error)
	// Health reports whether the provider can deliver now; nil means it
	// always can.
	Health func(ctx context.Context) error
}

// Kind is what a delivery delivers.
type Kind int

const (
	// KindAction is an action's message to one customer.
	KindAction Kind = iota + 1
	// KindAlert is a KPI alert to a team.
	KindAlert
)

func (k Kind) String() string {
	switch k {
	case KindAction:
		return "action"
	case KindAlert:
		return "alert"
	}
	return "unknown"
}

// Delivery is one delivery to make.
type Delivery struct {
	Kind Kind
	// IdempotencyKey is the same for every attempt of one delivery; send it
	// to the receiver so that it can drop repeats.
	IdempotencyKey string
	// Deadline is when the runtime gives up on this attempt; ctx carries it
	// too.
	Deadline time.Time

	// Channel is the channel's name and Config its configuration, as handed
	// to Configure.
	Channel string
	Config  map[string]cty.Value

	Stack   string
	Journey string
	// Action is the action's name; empty for alerts.
	Action string

	// Customer is the customer an action is for; zero for alerts.
	Customer Customer
	// Recipient holds the channel's per-delivery attributes evaluated for
	// this customer (smtp's to). They may be sensitive: never log them.
	Recipient map[string]cty.Value
	// Message holds the action's message fields rendered for this customer;
	// a field the message does not set is absent.
	Message map[string]string

	// Alert is set for alerts.
	Alert *Alert
	// UnsubscribeURL is set for actions when the runtime serves RFC 8058
	// one-click unsubscribe: a URL signed for this customer, channel and
	// action that unsubscribes them when POSTed to. An email provider
	// sends it as List-Unsubscribe.
	UnsubscribeURL string
}

// Customer is the customer a delivery is for.
type Customer struct {
	ID string
	// Attributes are the non-sensitive attributes the action's message
	// uses.
	Attributes map[string]cty.Value
}

// Alert is a KPI that crossed its target.
type Alert struct {
	KPI    string
	Value  float64
	Target float64
	// State is the KPI's state against its target, such as "below_target".
	State string
}

type loggerKey struct{}

// Logger returns the logger of the provider serving ctx. Its output reaches
// the host's log, named after the provider. Never log sensitive values.
func Logger(ctx context.Context) hclog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(hclog.Logger); ok {
		return l
	}
	return hclog.NewNullLogger()
}

// AttributeError returns an error diagnostic about the named attribute.
func AttributeError(attribute, summary, detail string) provschema.Diagnostic {
	return provschema.Diagnostic{Severity: provschema.Error, Summary: summary, Detail: detail, Path: []string{attribute}}
}

// String returns v's string, or "" when v is null or unknown.
func String(v cty.Value) string {
	if v == cty.NilVal || v.IsNull() || !v.IsKnown() || !v.Type().Equals(cty.String) {
		return ""
	}
	return v.AsString()
}
