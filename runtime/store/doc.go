// Package store defines what the decisioning runtime keeps durably: stacks
// and their deployments, API tokens, the event log (with deduplication by
// event id), the engine's per-customer state with the log position it has
// processed, the journey transitions, the adaptive models' state, the
// decision records and the delivery outbox.
//
// Store is an interface so that the embedded store (boltstore, the default),
// an in-memory one for tests (memstore) and, later, a distributed one
// (PostgreSQL) are interchangeable; storetest holds the conformance suite
// every implementation passes. The store treats event payloads, deployment
// documents, customer and model state, decision records and outbox entries
// as opaque bytes: it must not know how the
// engine encodes them, nor anything of journeys, expressions or HTTP.
package store
