// Package eventscmd implements waymark events send: it reads events as
// JSON Lines, a JSON array or JSON objects, streaming, sends them to the
// runtime in batches within its limits, names each rejected event by its
// line, and shows progress on a terminal.
//
// It must not know how the runtime checks events: the runtime's answer
// says which it refused and why; only what would not be read as one event
// in a batch (a value that is not an object) is refused here.
package eventscmd
