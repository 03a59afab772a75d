// Package api serves the runtime's HTTP API: the /v1 routes, /metrics,
// /healthz and /readyz. It authenticates bearer tokens and checks their
// scopes, bounds request bodies and concurrent work, answers every error as
// {"error": {"code", "message", "details"}} with the right status, and never
// lets a panic out of a handler.
//
// It must not know how the runtime does its work: it decodes requests,
// calls runtime/service and encodes the answers. What goes on the wire,
// the routes and the error codes are runtime/apiv1's, which every client
// shares.
package api
