// Package service is the decisioning runtime as a Go value: it validates
// and activates deployments, ingests event batches durably, issues and
// checks API tokens, encrypts deployed documents at rest, answers what a
// customer's state is, and exposes Prometheus metrics. The engine does the
// journeys; the store keeps everything.
//
// It knows nothing of HTTP: runtime/api serves it. Errors it returns are
// typed (ValidationError, *store.StaleError, ErrOverloaded, ...) so that
// the API can answer each with the right status.
package service
