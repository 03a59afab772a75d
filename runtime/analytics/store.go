package analytics

import (
	"context"
	"fmt"
	"sync"
)

// Store keeps analytics durably: the records fed to it, numbered in the
// order they were appended, and the last snapshot. The runtime implements
// it over its own store (runtime/store): the transitions it already keeps
// are the Transition records; Event, Decision, Delivery and Response
// records are appended with the commit that made them, so that a record is
// stored exactly when what caused it is.
type Store interface {
	// LoadAnalytics returns the last snapshot saved, or nil when there is
	// none.
	LoadAnalytics(ctx context.Context) ([]byte, error)
	// SaveAnalytics replaces the snapshot durably. Records up to the
	// snapshot's Applied may be dropped after it.
	SaveAnalytics(ctx context.Context, snapshot []byte) error
	// AnalyticsRecords calls fn with every record whose Seq is above
	// after, in order, until fn returns an error, which it returns.
	AnalyticsRecords(ctx context.Context, after uint64, fn func(Record) error) error
}

// Open returns analytics for the journeys, restored from the store's
// snapshot and the records stored after it.
func Open(ctx context.Context, st Store, opts Options, js []Journey) (*Analytics, error) {
	a := New(opts)
	a.Configure(js)
	snap, err := st.LoadAnalytics(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the analytics snapshot: %w", err)
	}
	if snap != nil {
		if err := a.Restore(snap); err != nil {
			return nil, err
		}
	}
	err = st.AnalyticsRecords(ctx, a.AppliedIn(0), func(r Record) error {
		a.Apply(r)
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("replaying analytics records: %w", err)
	}
	return a, nil
}

// Save writes a snapshot to the store.
func (a *Analytics) Save(ctx context.Context, st Store) error {
	b, err := a.Snapshot()
	if err != nil {
		return err
	}
	if err := st.SaveAnalytics(ctx, b); err != nil {
		return fmt.Errorf("saving the analytics snapshot: %w", err)
	}
	return nil
}

// MemStore is a Store in memory, for tests. It keeps records encoded,
// as a durable store would, all in partition 0.
type MemStore struct {
	mu      sync.Mutex
	snap    []byte
	records [][]byte
	first   uint64 // Seq of records[0]
}

// NewMemStore returns an empty MemStore.
func NewMemStore() *MemStore { return &MemStore{first: 1} }

// Append stores records and returns them with their Seq set.
func (m *MemStore) Append(recs ...Record) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Record, len(recs))
	for i, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			return nil, err
		}
		m.records = append(m.records, b)
		r.Seq = m.first + uint64(len(m.records)) - 1
		out[i] = r
	}
	return out, nil
}

// LoadAnalytics implements Store.
func (m *MemStore) LoadAnalytics(context.Context) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.snap == nil {
		return nil, nil
	}
	return append([]byte(nil), m.snap...), nil
}

// SaveAnalytics implements Store; it drops the records the snapshot
// holds.
func (m *MemStore) SaveAnalytics(_ context.Context, snap []byte) error {
	parts, err := SnapshotApplied(snap)
	if err != nil {
		return err
	}
	var applied uint64
	if len(parts) > 0 {
		applied = parts[0]
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = append([]byte(nil), snap...)
	if applied >= m.first {
		drop := min(applied-m.first+1, uint64(len(m.records)))
		m.records = append([][]byte(nil), m.records[drop:]...)
		m.first += drop
	}
	return nil
}

// AnalyticsRecords implements Store.
func (m *MemStore) AnalyticsRecords(ctx context.Context, after uint64, fn func(Record) error) error {
	m.mu.Lock()
	recs := append([][]byte(nil), m.records...)
	first := m.first
	m.mu.Unlock()
	for i, b := range recs {
		seq := first + uint64(i)
		if seq <= after {
			continue
		}
		r := Record{Seq: seq}
		if err := r.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("record %d: %w", seq, err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return ctx.Err()
}
