package apiv1

import "time"

// DeliveryList answers GET RouteDeliveries (DeliveriesPath): the outbox
// entries in one state, by id.
type DeliveryList struct {
	Deliveries []Delivery `json:"deliveries"`
}

// DeliveryState is the state of an outbox entry.
type DeliveryState string

// The delivery states; failed is the dead-letter list.
const (
	DeliveryPending   DeliveryState = "pending"
	DeliveryDelivered DeliveryState = "delivered"
	DeliveryFailed    DeliveryState = "failed"
	DeliveryCancelled DeliveryState = "cancelled"
)

// Delivery is an entry of the delivery outbox; it also answers POST
// RouteRetry and POST RouteOutcome.
type Delivery struct {
	ID         string        `json:"id"`
	State      DeliveryState `json:"state"`
	CustomerID string        `json:"customer_id"`
	Stack      string        `json:"stack"`
	Journey    string        `json:"journey"`
	Action     string        `json:"action"`
	// Address is the action outside its stack: <stack>/<address>.
	Address string `json:"address"`
	// Treatment names the action's treatment the delivery is of, whose
	// channel and message it carries.
	Treatment  string `json:"treatment,omitempty"`
	Channel    string `json:"channel"`
	DecisionID string `json:"decision_id"`
	// Variant is the customer's variant of the action's experiment, whose
	// message the delivery rendered; absent without one.
	Variant  string    `json:"variant,omitempty"`
	Due      time.Time `json:"due"`
	Attempts int       `json:"attempts"`
	// NextAttempt is when a pending delivery is tried next.
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	Outcome     string     `json:"outcome,omitempty"`
	MessageID   string     `json:"message_id,omitempty"`
	Updated     time.Time  `json:"updated"`
	// RateLimited is set for a pending delivery that waits, until
	// NextAttempt, for a slot of its channel's send rate.
	RateLimited bool `json:"rate_limited,omitempty"`
}

// OutcomeRequest is the body of POST RouteOutcome: what became of a
// delivery after its provider took it.
type OutcomeRequest struct {
	// Outcome is delivered, bounced or failed.
	Outcome string `json:"outcome"`
}
