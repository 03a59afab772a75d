package analytics

import "time"

// Reasons of a Transition, as the engine records them.
const (
	ReasonEntered   = "entered"
	ReasonMoved     = "moved"
	ReasonTimeout   = "timeout" // moved on by a stage timeout with timeout_to
	ReasonCompleted = "completed"
	ReasonExited    = "exited"
	ReasonExpired   = "expired"
	ReasonTimedOut  = "timed_out"
	ReasonRemoved   = "removed" // a deployment removed the journey or stage
	ReasonRenamed   = "renamed" // a moved block renamed the stage
)

// Transition is one move of a customer's journey run, as the engine makes
// it: entering (From empty), moving between stages, or leaving (To empty).
type Transition struct {
	// Time is when it happened by the events' clock (a timer's transition
	// is at its due time).
	Time     time.Time
	Stack    string
	Journey  string
	Customer string
	// Run counts the customer's entries into the journey, from 1.
	Run    uint64
	From   string
	To     string
	Reason string
	// Entered is when the run entered the journey, and Since when it
	// reached From. Either may be zero: the run's state, kept from its
	// earlier transitions, fills them in.
	Entered time.Time
	Since   time.Time
	// Sent are, on the transition that ends a run, the run's first send
	// of each action it sent, for conversion(action.<name>).
	Sent []Sent
}

// Sent is a run's first send of an action: when the runtime queued its
// delivery.
type Sent struct {
	Action string
	Time   time.Time
}

// Event is an event of a customer who is in a journey, for the KPIs that
// read events (rate, average, nps): one record per journey whose run is
// active when the event is processed, before or after its transition (so
// the event that enters the journey and the one that reaches the goal
// both count).
type Event struct {
	Time     time.Time
	Stack    string
	Journey  string
	Customer string
	Run      uint64
	Type     string
	// Attributes holds the number attributes that were present; null and
	// non-number attributes are left out.
	Attributes map[string]float64
}

// Decision is one action of a journey that a decision returned (ranked
// in the answer of decide, or chosen to be sent when its trigger fell due).
type Decision struct {
	Time       time.Time
	DecisionID string
	Customer   string
	Stack      string
	Journey    string
	Action     string
	Channel    string
	Explore    bool
}

// Delivery outcomes.
const (
	Delivered = "delivered"
	Bounced   = "bounced"
	Failed    = "failed"
)

// Delivery is the outcome of sending one action (delivered, bounced,
// failed), as its provider reported it.
type Delivery struct {
	Time     time.Time
	Customer string
	Stack    string
	Journey  string
	Action   string
	Channel  string
	Outcome  string
	// Variant is the delivery's variant of the action's experiment, ""
	// for none.
	Variant string
}

// Response outcomes, as POST /v1/responses takes them.
const (
	Impression   = "impression"
	Accepted     = "accepted"
	Clicked      = "clicked"
	Converted    = "converted"
	Rejected     = "rejected"
	Ignored      = "ignored"
	Unsubscribed = "unsubscribed"
)

// outcomes orders the response outcomes in actionAgg.outcomes.
var outcomes = [...]string{Impression, Accepted, Clicked, Converted, Rejected, Ignored, Unsubscribed}

// Response is a customer's response to an action.
type Response struct {
	Time       time.Time
	DecisionID string
	Customer   string
	Stack      string
	Journey    string
	Action     string
	Channel    string
	Outcome    string
}

// Record is one record fed to analytics: exactly one of its pointers is
// set. Records are numbered by Seq in each Partition; a record whose Seq
// is not above the last one applied of its partition is skipped, so a
// replay never counts anything twice. Seq 0 means unsequenced: always
// applied.
type Record struct {
	Partition  int
	Seq        uint64
	Transition *Transition
	Event      *Event
	Decision   *Decision
	Delivery   *Delivery
	Response   *Response
	Assignment *Assignment
	Erasure    *Erasure
}

// Erasure is a customer erased: analytics forgets what names them (see
// Analytics.Erase) at its place among the facts, so that whichever
// replica feeds analytics does, after every fact of theirs before it.
type Erasure struct {
	Time     time.Time
	Customer string
}

func outcomeIndex(o string) int {
	for i, x := range outcomes {
		if x == o {
			return i
		}
	}
	return -1
}

func positiveOutcome(o string) bool {
	return o == Accepted || o == Clicked || o == Converted
}

// At is when the record's fact happened.
func (r *Record) At() time.Time {
	switch {
	case r.Transition != nil:
		return r.Transition.Time
	case r.Event != nil:
		return r.Event.Time
	case r.Decision != nil:
		return r.Decision.Time
	case r.Delivery != nil:
		return r.Delivery.Time
	case r.Response != nil:
		return r.Response.Time
	case r.Assignment != nil:
		return r.Assignment.Time
	case r.Erasure != nil:
		return r.Erasure.Time
	}
	return time.Time{}
}
