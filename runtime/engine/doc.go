// Package engine runs the journeys: it reads the event log in order,
// keeps every customer's profile and place in every journey of every stack,
// applies the rules of runtime.md ("Journeys", "Time") to each event and
// each timer, activates deployments at their place in the log (moving
// customers in flight as moved blocks say), and commits the state it
// changed together with its position in the log, so that a replay after a
// crash never applies an event twice.
//
// Customers are spread over shards by a hash of their id: the events of one
// customer are processed in order, one at a time, different customers in
// parallel. Timers are derived from journey runs, kept in each shard's heap
// and fire on the engine's Clock: the wall clock, or the event clock (the
// highest timestamp processed). A timer due at t fires after every event of
// its customer stamped at or before t and before any stamped later, and its
// transition is recorded at t.
//
// The log also carries responses to decisions and the outcomes of
// deliveries, so that what they change of a customer (contacts, the count
// of ignored contacts that suppresses an action, what the customer taught
// the adaptive models) is processed in order, exactly once, and committed
// with the rest: the models' state is committed with the cursor too.
//
// Outbound actions fall due on timers of kind trigger (runtime.md,
// "Triggered actions and delivery"): the actions of one customer and
// channel due at one instant are ranked together by the decision pipeline
// (runtime/decide), and the chosen ones are committed to the outbox with
// the state that chose them, each with its idempotency key, and counted as
// pending contacts until their outcome is known. Decide runs the pipeline
// for a decide request over a copy of the customer's state, holding the
// customer's shard only while it copies. Events, responses and outcomes
// are applied one record at a time under their shard's lock, so that a
// decide request waits for one record at most.
//
// It must not know about HTTP, tokens or how events were sent; it reads
// what the store holds and the catalog describes.
package engine
