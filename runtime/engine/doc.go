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
// It must not know about HTTP, tokens or how events were sent; it reads
// what the store holds and the catalog describes.
package engine
