// Package delivery is the durable outbox of runtime.md ("Triggered actions
// and delivery"): the deliveries the engine commits with the state that
// chose them, delivered at least once through the channels' providers.
//
// Every attempt renders the delivery for the customer as they are then
// (message templates, the channel's per-delivery attributes), carries an
// idempotency key that is the same for every attempt (Key: a hash of the
// stack, the customer's journey run, the action and the time it fell
// due), and runs under a deadline. A retryable failure is tried again
// after an exponential backoff with jitter, up to a number of attempts; a
// permanent one, or the last, moves the delivery to the dead-letter list
// (state failed), from which Retry replays it. A circuit breaker per
// channel stops attempts on a channel that keeps failing and probes it
// again after a cool-down, without counting the deliveries it holds back
// as attempts. Each delivery's outcome (delivered, failed, cancelled) is
// reported back so that a delivery counts as a contact.
//
// The queue is the store's (store.Queue), shared by the outboxes of every
// replica: an outbox claims the entries due for a while (twice the
// attempt's deadline), attempts them and records each result, which ends
// the claim; a retry is the entry pending with a later Due. No entry is
// attempted by two workers while a claim holds, and one whose worker died
// is claimed again once the claim runs out. Entries this replica's engine
// commits wake its outbox at once (Add); those of other replicas are
// found by polling. The circuit breakers are each outbox's own.
//
// A channel's send rate (Rate) is enforced by each outbox at its share:
// an entry claimed with no slot free is rescheduled in the store to the
// next slot of its channel's limiter, in the order entries fell due, and
// attempted then without taking another (rate.go, docs/governance.md).
//
// It must not know how customers are kept or how decisions are made: the
// runtime gives it a Renderer, a Deliverer (the provider host) and a
// Reporter.
package delivery
