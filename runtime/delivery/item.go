package delivery

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// Item is one delivery of the outbox: an action chosen for a customer when
// it fell due, or a KPI alert to a team, and how its attempts went.
type Item struct {
	// Key is the idempotency key, the same for every attempt.
	Key      string `json:"key"`
	Customer string `json:"customer"`
	Stack    string `json:"stack"`
	Journey  string `json:"journey"`
	// Run is the customer's run of the journey.
	Run    uint64 `json:"run"`
	Action string `json:"action"` // address
	// Treatment names the action's treatment the decision chose, whose
	// channel and message the item delivers; "" for an action without.
	Treatment string `json:"treatment,omitempty"`
	Channel   string `json:"channel"`
	// Decision is the decision that chose the action.
	Decision string `json:"decision"`
	// Variant is the customer's variant of the action's experiment, whose
	// message overrides the delivery renders; "" without one.
	Variant string `json:"variant,omitempty"`
	// Due is when the action fell due, or when the alert was raised.
	Due time.Time `json:"due"`
	// Alert is set for a KPI alert; Customer, Run, Action and Decision
	// are empty then.
	Alert *Alert `json:"alert,omitempty"`

	Attempts int `json:"attempts,omitempty"`
	// Next is when the next attempt may be made (zero: now).
	Next      time.Time `json:"next,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	MessageID string    `json:"message_id,omitempty"`
	// Outcome is delivered, bounced, failed or cancelled once known.
	Outcome string `json:"outcome,omitempty"`
	// RateLimited is set while the item waits (until Next) for a slot of
	// its channel's send rate.
	RateLimited bool `json:"rate_limited,omitempty"`
	// Slot is the send-rate slot it waits for, given by SlotWorker.
	Slot       time.Time `json:"slot,omitzero"`
	SlotWorker string    `json:"slot_worker,omitempty"`
}

// Alert is a KPI that left its target (State missed) or returned to it
// (State met).
type Alert struct {
	KPI string `json:"kpi"`
	// Address is the KPI's: growth/journey.cart_recovery.kpi.conversion.
	Address string  `json:"address"`
	State   string  `json:"state"`
	Value   float64 `json:"value"`
	// Target is the KPI's threshold, and Above whether the value should
	// be above it (else below).
	Target  float64 `json:"target"`
	Above   bool    `json:"above"`
	Samples int64   `json:"samples"`
}

// Delivery outcomes.
const (
	OutcomeDelivered = "delivered"
	OutcomeBounced   = "bounced"
	OutcomeFailed    = "failed"
	OutcomeCancelled = "cancelled"
)

// Key is the idempotency key of a delivery: a hash of the stack, the
// customer's run of the journey (the customer, the journey and the run's
// number), the action and the time it fell due.
func Key(stack, customer, journey string, run uint64, action string, due time.Time) string {
	var buf [256]byte // one allocation-free hash of the whole, as a rule
	b := buf[:0]
	for _, s := range [...]string{stack, customer, journey, action} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, run)
	b = binary.AppendVarint(b, due.UnixNano())
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// Ref is the item's action outside its stack; for an alert, its KPI.
func (it *Item) Ref() string {
	if it.Alert != nil {
		return it.Alert.Address
	}
	return it.Stack + "/" + it.Action
}

// Entry is the item as the store keeps it, in state, changed at t.
func (it *Item) Entry(state store.DeliveryState, t time.Time) store.Delivery {
	b, _ := json.Marshal(it)
	return store.Delivery{ID: it.Key, Customer: it.Customer, State: state, Updated: t, Due: it.Next, Data: b}
}

// Decode reads an item from its entry.
func Decode(e store.Delivery) (*Item, error) {
	var it Item
	if err := json.Unmarshal(e.Data, &it); err != nil {
		return nil, fmt.Errorf("outbox entry %s: %w", e.ID, err)
	}
	return &it, nil
}

// CancelError says why an item will not be delivered at all: its action,
// channel or customer is gone.
type CancelError struct{ Reason string }

func (e *CancelError) Error() string { return "cancelled: " + e.Reason }
