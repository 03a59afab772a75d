// Package service is the decisioning runtime as a Go value: it validates
// and activates deployments, ingests event batches durably, issues and
// checks API tokens, encrypts deployed documents at rest, answers what a
// customer's state is, decides next best actions and records every
// decision (runtime/decide's Recorder, off the request path), takes
// responses into the log, runs the delivery outbox (runtime/delivery)
// through the channels' providers (providers/host), erases customers, and
// exposes Prometheus metrics. The engine does the journeys, the triggers
// and the decision pipeline over its customers; the store keeps
// everything.
//
// It knows nothing of HTTP: runtime/api serves it. Errors it returns are
// typed (*ValidationError, *store.StaleError, *OverloadedError, ...) so that
// the API can answer each with the right status.
package service
