// Package client is the Go client of the runtime's HTTP API, for the CLI
// (plan, apply, status, events send, customer show, decide, deliveries,
// token create) and for programs that talk to a runtime. A Client is made
// from an address and a token; every call takes a context first and
// returns the API's answer as the contract's types (runtime/apiv1), or an
// *Error carrying the API's error code and message.
//
// It must not import the runtime's own packages: only the contract
// (runtime/apiv1) and the deployable form (lang/deploy) that plan and
// apply send.
package client
