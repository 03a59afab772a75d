package apiv1

import "time"

// Customer answers GET RouteCustomer: a customer's profile, journeys,
// timeline and recent decisions. DELETE RouteCustomer erases the
// customer and answers 204 with no body.
type Customer struct {
	ID string `json:"id"`
	// Profile holds each attribute's value; a sensitive one as a
	// Withheld.
	Profile   map[string]any `json:"profile"`
	LastEvent *time.Time     `json:"last_event,omitempty"`
	Journeys  []JourneyState `json:"journeys"`
	// Timeline is the customer's recent transitions, oldest first.
	Timeline []Transition `json:"timeline"`
	// Decisions are the most recent decisions, newest first.
	Decisions []DecisionSummary `json:"decisions"`
	// OptOuts are the channels whose consent the customer turned off, by
	// channel: none of them is contacted until a trait
	// consent.<channel> = true turns it on again.
	OptOuts []OptOut `json:"opt_outs"`
}

// OptOut is a channel a customer unsubscribed from.
type OptOut struct {
	Channel string    `json:"channel"`
	Since   time.Time `json:"since"`
	// Source is "unsubscribed" (an unsubscribed response, or the one-click
	// link of RouteUnsubscribe) or "trait" (consent.<channel> = false).
	Source string `json:"source"`
}

// Withheld stands for a sensitive value the API does not give out: in a
// customer's profile, and in a deployment's document (as lang/deploy
// writes it there).
type Withheld struct {
	// Digest is an HMAC of the value: equal values have equal digests
	// under one key.
	Digest    string `json:"digest"`
	Sensitive bool   `json:"sensitive"` // always true
}

// JourneyState is a customer's state in one journey.
type JourneyState struct {
	Stack   string `json:"stack"`
	Journey string `json:"journey"`
	// State is active, completed, exited, expired, timed_out or removed.
	State string `json:"state"`
	// Stage and StageEntered are set while active; Left once not.
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

// DecisionSummary is a recent decision as a customer's page shows it.
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
