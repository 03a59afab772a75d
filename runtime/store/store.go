package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned when a stack, deployment, token or customer does
// not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating something whose name is taken.
var ErrExists = errors.New("already exists")

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store is closed")

// StaleError refuses a deployment made against a serial that is no longer
// the stack's current one.
type StaleError struct {
	Stack   string
	Base    int64
	Current int64
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("stack %q is at serial %d, not %d", e.Stack, e.Current, e.Base)
}

// Store is the runtime's durable state. Every method is safe for concurrent
// use. A method that returns without error has made its change durable: it
// survives a crash of the process or of the machine.
type Store interface {
	// Deploy makes d the active deployment of d.Stack if the stack's
	// current serial is base (0 for a stack never deployed), giving it serial
	// base+1, and appends rec to the log at the same moment, so that the
	// deployment takes effect at a definite point among the events. It
	// returns the deployment as stored (Serial and Seq set) or a *StaleError.
	Deploy(ctx context.Context, d Deployment, base int64, rec LogRecord) (Deployment, error)
	// Stacks returns the active deployment of every stack, sorted by stack.
	Stacks(ctx context.Context) ([]Deployment, error)
	// Deployment returns one deployment of a stack; serial 0 means the
	// active one.
	Deployment(ctx context.Context, stack string, serial int64) (Deployment, error)
	// History returns every deployment of a stack, newest first, without
	// their documents.
	History(ctx context.Context, stack string) ([]Deployment, error)

	// CreateToken stores a token; ErrExists if its name is taken.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with this hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Tokens returns every token, sorted by name.
	Tokens(ctx context.Context) ([]Token, error)

	// Append adds records to the log, skipping those whose ID is not empty
	// and was appended within the deduplication window. It returns each
	// record's sequence number, 0 for a skipped duplicate. Concurrent calls
	// share one commit.
	Append(ctx context.Context, recs []LogRecord) ([]uint64, error)
	// ReadLog returns up to max records with sequence numbers above after,
	// in order.
	ReadLog(ctx context.Context, after uint64, max int) ([]LogRecord, error)
	// LastSeq is the sequence number of the last record appended.
	LastSeq(ctx context.Context) (uint64, error)

	// Commit applies the engine's changes and its new cursor atomically.
	Commit(ctx context.Context, c Commit) error
	// Cursor is the position of the last Commit.
	Cursor(ctx context.Context) (Cursor, error)
	// Customer returns one customer's state, or ErrNotFound.
	Customer(ctx context.Context, id string) (Customer, error)
	// Customers calls fn for every customer in order of id until fn returns
	// an error, which Customers returns.
	Customers(ctx context.Context, fn func(Customer) error) error
	// Facts returns up to max facts with sequence numbers above after, in
	// order.
	Facts(ctx context.Context, after uint64, max int) ([]Fact, error)
	// AnalyticsSnapshot returns the analytics snapshot last saved, or nil
	// when there is none.
	AnalyticsSnapshot(ctx context.Context) ([]byte, error)
	// SaveAnalyticsSnapshot replaces the analytics snapshot and deletes
	// the facts it holds, those with sequence numbers up to upTo, in one
	// commit.
	SaveAnalyticsSnapshot(ctx context.Context, snapshot []byte, upTo uint64) error
	// Models returns the state of every adaptive model as last committed.
	Models(ctx context.Context) ([]Model, error)

	// PutDecisions stores decision records, replacing any with the same ID,
	// and appends their facts, in one commit.
	PutDecisions(ctx context.Context, ds []Decision) error
	// Decision returns one decision record, or ErrNotFound.
	Decision(ctx context.Context, id string) (Decision, error)
	// CustomerDecisions returns up to max of a customer's decision records,
	// newest first.
	CustomerDecisions(ctx context.Context, customer string, max int) ([]Decision, error)
	// PruneDecisions deletes the decision records whose Time is before t
	// and returns how many it deleted.
	PruneDecisions(ctx context.Context, before time.Time) (int, error)

	// Delivery returns one entry of the outbox, or ErrNotFound.
	Delivery(ctx context.Context, id string) (Delivery, error)
	// Deliveries returns up to max outbox entries in state whose IDs sort
	// after after, in order of ID.
	Deliveries(ctx context.Context, state DeliveryState, after string, max int) ([]Delivery, error)
	// AddDeliveries adds entries to the outbox, each unless an entry with
	// its ID exists, in one commit, and returns those it added. It is for deliveries that do
	// not come from an engine Commit, such as KPI alerts.
	AddDeliveries(ctx context.Context, ds []Delivery) ([]Delivery, error)
	// UpdateDelivery replaces an outbox entry; ErrNotFound when there is
	// none with its ID (its customer was erased).
	UpdateDelivery(ctx context.Context, d Delivery) error
	// PruneDeliveries deletes the delivered and cancelled entries last
	// updated before t and returns how many it deleted.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)

	// Close releases the store; calls in flight finish first.
	Close() error
}

// Deployment is one deployment of a stack.
type Deployment struct {
	Stack  string
	Serial int64
	Time   time.Time
	// Who is the name of the token that deployed it.
	Who string
	// Digest is the hex SHA-256 of the canonical document.
	Digest string
	// Summary says what changed, for history ("2 to add, 1 to change").
	Summary string
	// Document is the deployment as the runtime stores it (opaque here).
	Document []byte
	// Seq is the log position at which it took effect.
	Seq uint64
}

// Scope is what a token may do.
type Scope string

// The scopes of API tokens.
const (
	ScopeIngest Scope = "ingest"
	ScopeDecide Scope = "decide"
	ScopeDeploy Scope = "deploy"
	ScopeRead   Scope = "read"
	ScopeAdmin  Scope = "admin"
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeIngest, ScopeDecide, ScopeDeploy, ScopeRead, ScopeAdmin}

// Token is an API token; only the hash of its secret is kept.
type Token struct {
	Name    string
	Hash    []byte
	Scopes  []Scope
	Created time.Time
}

// LogRecord is one entry of the log: an event, or the activation of a
// deployment.
type LogRecord struct {
	// Seq is assigned by Append.
	Seq uint64
	// ID deduplicates: a record whose non-empty ID was appended within the
	// window is skipped.
	ID string
	// Arrival is when the runtime received it.
	Arrival time.Time
	// Data is the record's payload (opaque here).
	Data []byte
}

// Commit is what processing a stretch of the log changed.
type Commit struct {
	// Delete names customers to remove, with their decision records and
	// outbox entries; it is applied before Customers and Deliveries, so a
	// customer erased and seen again in one stretch is kept.
	Delete []string
	// Customers are created or replaced.
	Customers []Customer
	// Facts are appended to the facts, in order.
	Facts []Fact
	// Models are created or replaced.
	Models []Model
	// Deliveries are added to the outbox, each unless an entry with its ID
	// exists.
	Deliveries []Delivery
	// Cursor is the position processing has reached.
	Cursor Cursor
}

// Cursor is how far the engine has processed the log.
type Cursor struct {
	Seq uint64
	// Watermark is the highest event timestamp processed (the event clock).
	Watermark time.Time
}

// Customer is one customer's state as the engine encodes it.
type Customer struct {
	ID   string
	Data []byte
}

// Fact is one record of what happened, for analytics: a journey
// transition, an event of a customer in a journey, a decision, a
// delivery's outcome or a response. Facts are numbered in the order they
// were committed; analytics reads them in that order and skips those its
// snapshot holds.
type Fact struct {
	// Seq is assigned when the fact is stored.
	Seq uint64
	// Data is the fact as analytics encodes it (opaque here).
	Data []byte
}

// Transition is one move of a customer in a journey, as a customer's
// timeline keeps it.
type Transition struct {
	// Seq is assigned by Commit.
	Seq      uint64
	Time     time.Time
	Stack    string
	Journey  string
	Customer string
	// Run counts the customer's entries into the journey, from 1.
	Run uint64
	// From and To are stages; empty outside the journey.
	From string
	To   string
	// Reason is entered, moved, completed, exited, expired, timed_out or
	// removed.
	Reason string
	// Late is set when the event was older than the customer's last one.
	Late bool
}

// Model is the state of one adaptive model, as the engine encodes it.
type Model struct {
	Key  string
	Data []byte
}

// Decision is the record of one decision. IDs sort in the order of their
// Time (the caller makes them so), which PruneDecisions relies on.
type Decision struct {
	ID       string
	Customer string
	Time     time.Time
	// Data is the record as the decision pipeline encodes it.
	Data []byte
	// Facts are appended to the facts when the record is stored.
	Facts []Fact
}

// DeliveryState is where an outbox entry stands.
type DeliveryState string

// The states of an outbox entry.
const (
	// DeliveryPending waits for its next attempt.
	DeliveryPending DeliveryState = "pending"
	// DeliveryDelivered was accepted by its provider.
	DeliveryDelivered DeliveryState = "delivered"
	// DeliveryFailed failed for good: the dead-letter list.
	DeliveryFailed DeliveryState = "failed"
	// DeliveryCancelled will not be delivered (its action or channel is gone).
	DeliveryCancelled DeliveryState = "cancelled"
)

// Delivery is one entry of the delivery outbox. Its ID is the delivery's
// idempotency key.
type Delivery struct {
	ID       string
	Customer string
	State    DeliveryState
	// Updated is when the entry last changed.
	Updated time.Time
	// Data is the entry as the outbox encodes it (opaque here).
	Data []byte
}
