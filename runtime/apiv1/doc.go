// Package apiv1 is the contract of the runtime's HTTP API under /v1: the
// body of every request and answer of every route, the error envelope
// {"error": {"code", "message", "details"}} and its codes, and the routes'
// paths. The runtime's handlers (runtime/api) and what they serve
// (runtime/service) produce these types; the Go client (runtime/client),
// the CLI and any other client read them. A change here is a change of the
// wire format, which testdata/wire.golden makes visible.
//
// It must import nothing but the standard library: a client needs it
// without the runtime, and the runtime's internals never leak into what
// clients read. It holds types and constants, no behaviour.
package apiv1
