package models

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds the models by key. It is safe for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	models map[string]Model
	dirty  map[string]bool
	// New makes the model of a key seen for the first time.
	New func() Model
}

// NewRegistry returns an empty registry of Beta models.
func NewRegistry() *Registry {
	return &Registry{models: map[string]Model{}, dirty: map[string]bool{}, New: NewBeta}
}

// Get returns the model of key, making it at the prior if there is none.
func (r *Registry) Get(key string) Model {
	r.mu.RLock()
	m := r.models[key]
	r.mu.RUnlock()
	if m != nil {
		return m
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m = r.models[key]; m == nil {
		m = r.New()
		r.models[key] = m
	}
	return m
}

// Observe learns a labelled response in the model of key (see
// Model.Observe) and marks it changed.
func (r *Registry) Observe(key string, x Features, positive, control bool, weight int) {
	r.Get(key).Observe(x, positive, control, weight)
	r.mu.Lock()
	r.dirty[key] = true
	r.mu.Unlock()
}

// Snapshot is a model's key and encoded state.
type Snapshot struct {
	Key  string
	Data []byte
}

// TakeDirty returns the state of every model changed since the last call.
func (r *Registry) TakeDirty() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Snapshot, 0, len(r.dirty))
	for k := range r.dirty {
		out = append(out, Snapshot{Key: k, Data: r.models[k].AppendBinary(nil)})
	}
	clear(r.dirty)
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// Load sets the state of a model, as committed before.
func (r *Registry) Load(key string, data []byte) error {
	m, err := Decode(data)
	if err != nil {
		return fmt.Errorf("model %q: %w", key, err)
	}
	r.mu.Lock()
	r.models[key] = m
	r.mu.Unlock()
	return nil
}

// Entry is one model with its key.
type Entry struct {
	Key   string
	Stats Stats
}

// List returns every model's figures, sorted by key.
func (r *Registry) List() []Entry {
	r.mu.RLock()
	out := make([]Entry, 0, len(r.models))
	for k, m := range r.models {
		out = append(out, Entry{k, m.Stats()})
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
