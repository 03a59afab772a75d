package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cespare/xxhash/v2"
)

// ErrNotFound is returned when a stack, deployment, token, customer,
// decision or delivery does not exist.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating something whose name is taken.
var ErrExists = errors.New("already exists")

// ErrClosed is returned by a store after Close.
var ErrClosed = errors.New("store is closed")

// ErrLeaseLost refuses a Commit (or an analytics snapshot) naming a lease the
// committer no longer holds (another replica took it over): nothing of the
// commit is written. The committer must stop processing that partition.
var ErrLeaseLost = errors.New("partition lease lost")

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

// Partitions is the fixed number of partitions customers are spread over.
// A partition is the unit of ownership: one replica at a time processes
// it, under a lease.
const Partitions = 256

// AllPartitions is the partition of a log record that concerns every
// partition: the activation of a deployment.
const AllPartitions = -1

// AnalyticsLease is a lease of no partition that the lease methods take
// as they take a partition's: held by one replica at a time, the one that
// feeds analytics, raises KPI alerts and saves the analytics snapshot
// (fenced by it). Leases does not list it.
const AnalyticsLease = Partitions

// PartitionOf is the partition of a customer id: a well-mixed hash
// (xxHash64) of its bytes, the same in every process and version.
func PartitionOf(id string) int {
	return int(xxhash.Sum64String(id) % Partitions)
}

// Store is every part of the runtime's durable state. Each part is its own
// interface, so that a user names the part it needs; an implementation
// (boltstore, memstore, pgstore) implements them all and passes
// storetest. Every method is safe for concurrent use, also from several
// processes where the implementation is shared (pgstore). A method that
// returns without error has made its change durable: it survives a crash
// of the process or of the machine.
type Store interface {
	Deployments
	Tokens
	Audit
	Log
	Leases
	State
	Facts
	Decisions
	Queue
	CustomerKeys
	// Close releases the store; calls in flight finish first.
	Close() error
}

// CustomerKeys keeps one key per customer, which the service seals the
// customer's events in the log with and erasure destroys
// (crypto-shredding): once a customer's key is gone, their events left in
// the log, and in whatever the store's files or backups still hold of
// them, cannot be read. A key is named by a ref the store does not
// interpret (the service's digest of the customer id) and stored as
// given (the service wraps it with its secret key).
type CustomerKeys interface {
	// CustomerKeys returns the keys stored under refs; refs without one
	// are left out.
	CustomerKeys(ctx context.Context, refs []string) (map[string][]byte, error)
	// AddCustomerKeys stores each key under its ref unless one is stored
	// there already, in one commit, and returns the key stored under each
	// ref afterwards: its own, or the one that was there (added by
	// another replica first).
	AddCustomerKeys(ctx context.Context, keys map[string][]byte) (map[string][]byte, error)
	// DeleteCustomerKey destroys the key stored under ref, if any.
	DeleteCustomerKey(ctx context.Context, ref string) error
}

// Deployments keeps every deployment of every stack.
type Deployments interface {
	// Deploy makes d the active deployment of d.Stack if the stack's
	// current serial is base (0 for a stack never deployed), giving it serial
	// base+1, and appends rec to the log in the same transaction (rec's
	// Partition is AllPartitions), so that the deployment takes effect at
	// a definite point among the events. It returns the deployment as
	// stored (Serial and Seq set) or a *StaleError.
	Deploy(ctx context.Context, d Deployment, base int64, rec LogRecord) (Deployment, error)
	// Stacks returns the active deployment of every stack, sorted by stack.
	Stacks(ctx context.Context) ([]Deployment, error)
	// Deployment returns one deployment of a stack; serial 0 means the
	// active one.
	Deployment(ctx context.Context, stack string, serial int64) (Deployment, error)
	// History returns every deployment of a stack, newest first, without
	// their documents.
	History(ctx context.Context, stack string) ([]Deployment, error)
}

// Tokens keeps the API tokens.
type Tokens interface {
	// CreateToken stores a token; ErrExists if its name is taken.
	CreateToken(ctx context.Context, t Token) error
	// TokenByHash returns the token with this hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	// Tokens returns every token, sorted by name.
	Tokens(ctx context.Context) ([]Token, error)
}

// Audit keeps the audit log: who did what, when, never the content.
type Audit interface {
	// AddAudit appends a record to the audit log; its Seq is assigned.
	AddAudit(ctx context.Context, a AuditRecord) error
	// AuditLog returns up to max records with Seq above after, in order.
	AuditLog(ctx context.Context, after uint64, max int) ([]AuditRecord, error)
}

// Log is the event log: every event, response, delivery outcome and
// erasure, each in its customer's partition, and the activations of
// deployments, in every partition.
//
// Order. Sequence numbers are global and increase in commit order (not
// necessarily by one: a store may leave gaps): once a reader has seen a
// record with Seq s (or a Head at s), no record with a smaller Seq is ever
// appended. A record is never readable before it is durable, and is
// readable once its Append has returned. So reading a partition from a
// position never misses a record, whichever process appended it.
//
// Clocks. The store assigns each record the clocks as they stood just
// before it: Clock is the highest Time of the records before it in the log
// (of every partition), ArrivalClock the highest Arrival. So a partition
// processed on its own sees the same event clock at each of its records as
// a processor of the whole log would.
type Log interface {
	// Append adds records to the log, skipping those whose ID is not
	// empty and was appended within the deduplication window. It returns
	// each record's sequence number, 0 for a skipped duplicate. Concurrent
	// calls (from one process, or several sharing the store) share
	// commits; records of one call keep their order. A record whose
	// Partition is out of range fails the call, and nothing is appended.
	Append(ctx context.Context, recs []LogRecord) ([]uint64, error)
	// Read returns, in order of Seq, up to max records that belong to one
	// of the partitions in from and come after that partition's position
	// (From.After), with the records of AllPartitions that come after the
	// position of at least one of them; and the head of the log as of the
	// read. Every record returned has Seq ≤ Head.Seq, and when fewer than
	// max are returned, every such record up to Head.Seq is. A partition
	// named twice is read from the lower of its positions; one out of
	// range (neither AllPartitions nor in [0, Partitions)) is an error.
	Read(ctx context.Context, from []From, max int) ([]LogRecord, Head, error)
	// Head returns the last record's position and the clocks after it.
	Head(ctx context.Context) (Head, error)
}

// From is a partition and the sequence number a read continues after.
type From struct {
	Partition int
	After     uint64
}

// Head is the end of the log.
type Head struct {
	// Seq is the sequence number of the last record appended.
	Seq uint64
	// Clock is the highest Time of every record in the log; ArrivalClock
	// the highest Arrival.
	Clock        time.Time
	ArrivalClock time.Time
}

// Leases assign partitions to replicas. A lease (and a member's
// heartbeat) holds while the store's clock is before Expires; its Epoch
// counts changes of owner, and a Commit is fenced by it, so a replica
// that lost a partition (paused, partitioned off) can never overwrite the
// new owner's work.
type Leases interface {
	// Heartbeat records owner as alive until ttl from now and returns
	// every member alive, sorted by name, owner included; a ttl of zero or
	// less removes owner (it leaves) and returns the others.
	Heartbeat(ctx context.Context, owner string, ttl time.Duration) ([]Member, error)
	// Leases returns the lease of every partition, in order of partition
	// (Partitions of them); a partition never leased has an empty Owner.
	Leases(ctx context.Context) ([]Lease, error)
	// AcquireLeases gives owner the lease of each partition of ps (or
	// AnalyticsLease) that is
	// free, expired or already owner's, until ttl from now, in one
	// commit, and returns those it got; a change of owner increments
	// Epoch. A partition another owner holds unexpired is left out.
	AcquireLeases(ctx context.Context, owner string, ps []int, ttl time.Duration) ([]Lease, error)
	// RenewLeases extends, to ttl from now, each lease of held that owner
	// still holds with the same Epoch (expired or not: nobody took it
	// meanwhile) and returns those, renewed; the others are lost.
	RenewLeases(ctx context.Context, owner string, held []Lease, ttl time.Duration) ([]Lease, error)
	// ReleaseLeases frees the leases of ls that their Owner still holds
	// with their Epoch, so that another replica may take them at once; a
	// lease no longer held is no error.
	ReleaseLeases(ctx context.Context, ls []Lease) error
}

// Member is a live replica.
type Member struct {
	Name    string
	Expires time.Time
}

// Lease is a partition's owner.
type Lease struct {
	Partition int
	Owner     string
	Epoch     uint64
	Expires   time.Time
}

// State is the engine's state, per partition: customers (loaded one at a
// time by id), their timers, the count of customers per stage, the
// adaptive models, and the position each partition has processed.
type State interface {
	// Commit applies what processing changed, atomically: every part of
	// c, or none. It returns ErrLeaseLost, and writes nothing, unless
	// every lease in c.Leases is still held by its Owner with its Epoch
	// (expired or not); a commit names the lease of every partition whose
	// cursor, customers, facts, models, counts or deliveries it writes.
	// A cursor, fact, model or count of a partition out of range fails
	// the commit, which writes nothing.
	Commit(ctx context.Context, c Commit) error
	// Cursors returns the cursor of every partition, in order of
	// partition (Partitions of them); zero for one never committed.
	Cursors(ctx context.Context) ([]Cursor, error)
	// Customer returns one customer's state, or ErrNotFound.
	Customer(ctx context.Context, id string) (Customer, error)
	// CustomersByID returns the state of those of ids that exist, in no
	// particular order: one round trip for the customers a stretch of the
	// log names.
	CustomersByID(ctx context.Context, ids []string) ([]Customer, error)
	// Customers returns up to max customers of partition p whose ids sort
	// after after, in order of id (bytewise).
	Customers(ctx context.Context, p int, after string, max int) ([]Customer, error)
	// DueTimers returns up to max timers of partition p that come after
	// after (zero Timer: from the start) in order of due time then
	// customer id, and are due at or before until, in that order.
	DueTimers(ctx context.Context, p int, after Timer, until time.Time, max int) ([]Timer, error)
	// StageCounts returns the sum over every partition of the counts
	// committed per key; keys at zero are left out.
	StageCounts(ctx context.Context) (map[string]int64, error)
	// Models returns every model's state as last committed, per
	// partition, in order of partition then key.
	Models(ctx context.Context) ([]Model, error)
}

// Facts are what analytics counts, per partition, numbered in each
// partition in the order they were committed.
type Facts interface {
	// Facts returns up to max facts with sequence numbers above after[p]
	// for their partition p (after has Partitions entries, or is nil for
	// all), in order of partition then sequence number.
	Facts(ctx context.Context, after []uint64, max int) ([]Fact, error)
	// AnalyticsSnapshot returns the analytics snapshot last saved, with
	// the position in each partition it holds the facts up to (Partitions
	// entries, zero where none was ever saved); nil data when there is
	// none.
	AnalyticsSnapshot(ctx context.Context) (data []byte, upTo []uint64, err error)
	// SaveAnalyticsSnapshot replaces the analytics snapshot (empty data
	// leaves none) and deletes the facts it holds, those with sequence
	// numbers up to upTo[p] in each partition p (upTo has Partitions
	// entries, or is nil for none), in one commit. A later fact of p is
	// numbered above upTo[p], also if upTo[p] is beyond p's last fact.
	// It returns ErrLeaseLost, and writes nothing, unless every lease of
	// fence (the saver's AnalyticsLease; none: unfenced) is still held by
	// its Owner with its Epoch, so that a replica that lost analytics can
	// never delete facts the new holder has not read.
	SaveAnalyticsSnapshot(ctx context.Context, data []byte, upTo []uint64, fence []Lease) error
}

// Decisions keeps decision records.
type Decisions interface {
	// PutDecisions stores decision records, replacing any with the same ID,
	// and appends their facts, in one commit. Any replica may write any
	// customer's decisions: no lease is needed.
	PutDecisions(ctx context.Context, ds []Decision) error
	// Decision returns one decision record, or ErrNotFound.
	Decision(ctx context.Context, id string) (Decision, error)
	// CustomerDecisions returns up to max of a customer's decision records,
	// newest first.
	CustomerDecisions(ctx context.Context, customer string, max int) ([]Decision, error)
	// PruneDecisions deletes the decision records whose Time is before t
	// and returns how many it deleted.
	PruneDecisions(ctx context.Context, before time.Time) (int, error)
}

// Queue is the delivery outbox. Workers (in any replica) claim pending
// entries that are due for a while; an entry claimed by a worker that
// died is claimed again once its claim runs out, so a delivery is made at
// least once, and its ID (the idempotency key) lets the receiver drop a
// repeat.
type Queue interface {
	// Delivery returns one entry of the outbox, or ErrNotFound.
	Delivery(ctx context.Context, id string) (Delivery, error)
	// Deliveries returns up to max outbox entries in state whose IDs sort
	// after after, in order of ID.
	Deliveries(ctx context.Context, state DeliveryState, after string, max int) ([]Delivery, error)
	// AddDeliveries adds entries to the outbox, each unless an entry with
	// its ID exists (or comes earlier in ds), in one commit, and returns
	// those it added; an entry is added unclaimed. It is for deliveries
	// that do not come from a Commit, such as KPI alerts.
	AddDeliveries(ctx context.Context, ds []Delivery) ([]Delivery, error)
	// ClaimDeliveries claims for worker, until lease after now, up to max
	// pending entries due at or before now that no worker (itself
	// included) holds a claim on past now, earliest due first, and returns
	// them with Claim and ClaimedUntil set. A store that one process holds
	// alone (boltstore) ends every claim when it opens.
	ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]Delivery, error)
	// NextDue returns the earliest Due of the pending entries, whether
	// claimed or not (zero for one due at once); false when there is
	// none.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// UpdateDelivery replaces an outbox entry, clearing its claim: to
	// complete it, schedule its retry (a later Due) or dead-letter it.
	// ErrNotFound when there is none with its ID (its customer was
	// erased).
	UpdateDelivery(ctx context.Context, d Delivery) error
	// PruneDeliveries deletes the delivered and cancelled entries last
	// updated before t and returns how many it deleted.
	PruneDeliveries(ctx context.Context, before time.Time) (int, error)
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

// AuditRecord is one entry of the audit log.
type AuditRecord struct {
	// Seq is assigned by AddAudit.
	Seq  uint64
	Time time.Time
	// Who is the name of the token that did it.
	Who string
	// What is the action ("deploy", "rollback", "erase", "token.create").
	What string
	// Subject names what it was done to (a stack and serial, a token's
	// name); never a customer's data.
	Subject string
}

// LogRecord is one entry of the log.
type LogRecord struct {
	// Seq is assigned by Append.
	Seq uint64
	// Partition is the partition of the record's customer
	// (PartitionOf), or AllPartitions.
	Partition int
	// ID deduplicates: a record whose non-empty ID was appended within the
	// window is skipped.
	ID string
	// Arrival is when the runtime received it.
	Arrival time.Time
	// Time is the event's timestamp; zero for records that have none.
	Time time.Time
	// Clock and ArrivalClock are assigned by Append: the highest Time and
	// Arrival of the records before this one in the log.
	Clock        time.Time
	ArrivalClock time.Time
	// Data is the record's payload (opaque here).
	Data []byte
}

// Commit is what processing stretches of the log of some partitions
// changed.
type Commit struct {
	// Leases fence the commit: the lease of every partition it writes.
	Leases []Lease
	// Delete names customers to remove, with their decision records and
	// outbox entries; it is applied before Customers and Deliveries, so a
	// customer erased and seen again in one stretch is kept.
	Delete []string
	// Customers are created or replaced, with their timers.
	Customers []Customer
	// Facts are appended to their partitions' facts, in order.
	Facts []Fact
	// Models are created or replaced, per partition; one without Data is
	// removed (its model moved to another key).
	Models []Model
	// Counts are added to the stage counts of their partitions.
	Counts []Count
	// Deliveries are added to the outbox, unclaimed, each unless an entry
	// with its ID exists.
	Deliveries []Delivery
	// Cursors are the positions the partitions have reached.
	Cursors []Cursor
}

// Cursor is how far the engine has processed the log of a partition.
type Cursor struct {
	Partition int
	Seq       uint64
	// Clock and ArrivalClock are the log's clocks as of Seq (Head's at
	// the read that reached it): the event clock and the arrival clock
	// the partition's timers have fired up to.
	Clock        time.Time
	ArrivalClock time.Time
}

// Customer is one customer's state as the engine encodes it.
type Customer struct {
	ID string
	// Partition is PartitionOf(ID); the store files a customer by its
	// ID's partition whatever this says, and sets it when it returns one.
	Partition int
	// Due is when the customer's earliest timer falls due; zero when it
	// has none.
	Due  time.Time
	Data []byte
}

// Timer is a customer whose earliest timer falls due at Due.
type Timer struct {
	Customer string
	Due      time.Time
}

// Count is a change of the number of customers under a key (a stage of a
// journey) in a partition.
type Count struct {
	Partition int
	Key       string
	Delta     int64
}

// Fact is one record of what happened, for analytics: a journey
// transition, an event of a customer in a journey, a decision, a
// delivery's outcome or a response.
type Fact struct {
	// Partition is the partition of the fact's customer, in [0,
	// Partitions): a store refuses others.
	Partition int
	// Seq is assigned when the fact is stored, in its partition.
	Seq uint64
	// Data is the fact as analytics encodes it (opaque here).
	Data []byte
	// Value, when set, is the fact decoded (opaque here too), in place of
	// Data: only for a store that keeps facts in the process for a reader
	// in it (memstore); a store that writes them out needs Data.
	Value any
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

// Model is the state of one adaptive model learnt from one partition's
// responses, as the engine encodes it.
type Model struct {
	Partition int
	Key       string
	Data      []byte
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
	ID string
	// Customer is empty for deliveries of no customer (KPI alerts).
	Customer string
	State    DeliveryState
	// Updated is when the entry last changed.
	Updated time.Time
	// Due is when a pending entry's next attempt is due; zero is at once.
	Due time.Time
	// Claim is the worker that claimed the entry, until ClaimedUntil;
	// set by ClaimDeliveries, cleared by UpdateDelivery.
	Claim        string
	ClaimedUntil time.Time
	// Data is the entry as the outbox encodes it (opaque here).
	Data []byte
}
