// Package boltstore is the runtime's embedded store.Store, in one bbolt
// file. Every change is one bbolt transaction, fsynced before it returns;
// concurrent appends to the event log share one transaction and so one
// fsync (group commit). bbolt's single writer makes the order of sequence
// numbers the order of commits, and gives each record its clocks in the
// transaction that appends it. docs/runtime-storage.md explains the
// durability this gives.
//
// Layout: the log is one bucket keyed by sequence number, each record
// starting with its partition, so that appends write the end of one B+tree
// and a read of many partitions is one scan; state is keyed partition
// first (customers by partition and id, timers by partition, due time and
// id, counts and models by partition and key, facts by partition and
// sequence number), and the outbox keeps a queue of its pending entries by
// due time and id. Each bucket's layout is beside its name in
// boltstore.go.
//
// It must not know how the engine encodes events or customer state.
package boltstore
