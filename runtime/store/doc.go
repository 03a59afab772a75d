// Package store defines what the decisioning runtime keeps durably, as
// narrow seams that their users own: deployments, tokens and the audit
// log; the event log, read in commit order per partition; partition
// leases; the engine's state per partition (customers loaded by id, their
// timers, stage counts, models, cursors); analytics facts; decision
// records; and the delivery queue, claimed with leases.
//
// Customers are spread over Partitions by PartitionOf. A replica processes
// the partitions it holds a lease on, and its commits are fenced by those
// leases, so several runtime processes can share one store (pgstore)
// without ever applying an event twice.
//
// Store gathers the seams so that the embedded store (boltstore, the
// default), an in-memory one for tests (memstore) and PostgreSQL (pgstore)
// are interchangeable; storetest holds the conformance suite every
// implementation passes. The store treats event payloads, deployment
// documents, customer and model state, decision records and outbox
// entries as opaque bytes: it must not know how the engine encodes them,
// nor anything of journeys, expressions or HTTP.
package store
