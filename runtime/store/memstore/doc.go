// Package memstore is an in-memory store.Store for tests and for runtimes
// that need no durability (waymark dev). It keeps everything in maps behind
// one mutex and must not be used where a crash has to lose nothing.
package memstore
