package host

import (
	"errors"
	"fmt"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/providers/internal/protocol"
	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// Kind is what a delivery delivers.
type Kind int

const (
	// KindAction delivers an action's message to one customer.
	KindAction Kind = iota + 1
	// KindAlert tells a team that a KPI crossed its target.
	KindAlert
)

// Delivery is one delivery for a provider to make.
type Delivery struct {
	Kind Kind
	// IdempotencyKey is the same for every attempt of one delivery.
	IdempotencyKey string
	// Channel is the channel's name, configured beforehand with Configure.
	Channel string
	Stack   string
	Journey string
	// Action is the action's name; empty for alerts.
	Action string
	// CustomerID and CustomerAttributes (the non-sensitive attributes the
	// message uses) are set for actions.
	CustomerID         string
	CustomerAttributes map[string]cty.Value
	// Recipient holds the channel's per-delivery attributes evaluated for
	// the customer (smtp's to).
	Recipient map[string]cty.Value
	// Message holds the action's message fields rendered for the customer.
	Message map[string]string
	// Alert is set for alerts.
	Alert *Alert
	// UnsubscribeURL, set for actions when the runtime serves one-click
	// unsubscribe, unsubscribes this customer from the channel when
	// POSTed to (RFC 8058).
	UnsubscribeURL string
}

// Alert is a KPI that crossed its target.
type Alert struct {
	KPI    string
	Value  float64
	Target float64
	State  string
}

func (d *Delivery) encode(deadline time.Time) (*providerv1.Deliver_Request, error) {
	req := &providerv1.Deliver_Request{
		IdempotencyKey: d.IdempotencyKey,
		Channel:        d.Channel,
		Stack:          d.Stack,
		Journey:        d.Journey,
		Action:         d.Action,
		Message:        d.Message,
		UnsubscribeUrl: d.UnsubscribeURL,
	}
	if !deadline.IsZero() {
		req.DeadlineUnixNano = deadline.UnixNano()
	}
	switch d.Kind {
	case KindAction:
		req.Kind = providerv1.Deliver_ACTION
		attrs, err := protocol.EncodeValues(d.CustomerAttributes)
		if err != nil {
			return nil, fmt.Errorf("customer %w", err)
		}
		req.Customer = &providerv1.Deliver_Customer{Id: d.CustomerID, Attributes: attrs}
	case KindAlert:
		req.Kind = providerv1.Deliver_ALERT
		if d.Alert == nil {
			return nil, errors.New("an alert delivery has no alert")
		}
		req.Alert = &providerv1.Deliver_Alert{Kpi: d.Alert.KPI, Value: d.Alert.Value, Target: d.Alert.Target, State: d.Alert.State}
	default:
		return nil, fmt.Errorf("unknown delivery kind %d", d.Kind)
	}
	rcpt, err := protocol.EncodeValues(d.Recipient)
	if err != nil {
		return nil, fmt.Errorf("recipient %w", err)
	}
	req.Recipient = rcpt
	return req, nil
}

// DeliveryError is a delivery that the provider reports as failed.
type DeliveryError struct {
	Source    string
	Message   string
	Retryable bool
}

func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	return fmt.Sprintf("provider %s: delivery failed (%s): %s", e.Source, kind, e.Message)
}

// ErrProcessDied is wrapped by the error of a call whose provider process
// died during the call and again during its one retry (or could not be
// restarted: one attached with WAYMARK_REATTACH_PROVIDERS).
var ErrProcessDied = errors.New("the provider process died")

// Retryable reports whether a later attempt of a failed delivery may
// succeed: the provider said so, the attempt ran out of time, or the
// provider process died. Deliveries the provider refused permanently, and
// providers that cannot be run (not installed, hash mismatch), are not.
func Retryable(err error) bool {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Retryable
	}
	var hm *HashMismatchError
	if errors.As(err, &hm) || errors.Is(err, ErrNotAvailable) {
		return false
	}
	// Anything else (a deadline, a dead process, a broken connection) may
	// pass next time.
	return err != nil
}
