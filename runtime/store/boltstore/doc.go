// Package boltstore is the runtime's embedded store.Store, in one bbolt
// file. Every change is one bbolt transaction, fsynced before it returns;
// concurrent appends to the event log share one transaction and so one
// fsync (group commit). docs/runtime-storage.md explains the layout and the
// durability it gives.
//
// It must not know how the engine encodes events or customer state.
package boltstore
