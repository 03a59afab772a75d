// Package server assembles a runnable runtime from its configuration: the
// secret key, the embedded store, the service, the HTTP API with optional
// TLS, the first admin token, and the graceful shutdown that drains
// requests, commits what was processed and closes the store.
//
// It must not know about cobra or flags (runtimecmd parses them), nor how
// the runtime's parts work inside.
package server
