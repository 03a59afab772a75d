package models

import (
	"fmt"
	"sort"
	"sync"
)

// Registry holds the models by key. Each partition of customers trains
// its own part of a model from its customers' responses; the model that
// decisions read is the merge of every partition's part, those this
// replica trains and those other replicas committed (Replace). It is safe
// for concurrent use.
type Registry struct {
	mu     sync.RWMutex
	models map[string]Model
	parts  map[partKey]Model
	dirty  map[partKey]bool
	// gone are the parts moved to another key since the last TakeDirty,
	// for the store to remove.
	gone map[partKey]bool
	// settings by key, as configured.
	settings map[string]Settings
	// New makes the model of a key seen for the first time.
	New func() Model
}

type partKey struct {
	partition int
	key       string
}

// NewRegistry returns an empty registry of Beta models.
func NewRegistry() *Registry {
	return &Registry{models: map[string]Model{}, parts: map[partKey]Model{}, dirty: map[partKey]bool{}, gone: map[partKey]bool{}, settings: map[string]Settings{}}
}

// Get returns the merged model of key, making it at the prior if there is
// none.
func (r *Registry) Get(key string) Model {
	r.mu.RLock()
	m := r.models[key]
	r.mu.RUnlock()
	if m != nil {
		return m
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.merged(key)
}

// merged returns the merged model of key; called with mu held.
func (r *Registry) merged(key string) Model {
	m := r.models[key]
	if m == nil {
		m = r.newModel(key)
		r.models[key] = m
	}
	return m
}

// Observe learns a labelled response of a customer of partition in the
// model of key (see Model.Observe) and marks that partition's part
// changed.
func (r *Registry) Observe(partition int, key string, x Features, positive, control bool, weight int) {
	r.Learn(partition, key, Observation{X: x, Positive: positive, Control: control, Weight: weight})
}

// Learn is Observe with every detail of the response.
func (r *Registry) Learn(partition int, key string, o Observation) {
	r.mu.Lock()
	m := r.merged(key)
	pk := partKey{partition, key}
	p := r.parts[pk]
	if p == nil {
		p = r.newModel(key)
		r.parts[pk] = p
	}
	r.dirty[pk] = true
	r.mu.Unlock()
	m.Observe(o, p)
}

// Configure sets the settings of a model: a model whose Predictors is an
// empty list is a Beta model. A model made already takes the new
// half-life and predictors at once; a change of kind (to or from no
// predictors) takes effect when the runtime restarts.
func (r *Registry) Configure(key string, s Settings) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.settings[key] = s
	if b, ok := r.models[key].(*Bayes); ok && (s.Predictors == nil || len(s.Predictors) > 0) {
		b.configure(s)
	}
}

func (r *Registry) newModel(key string) Model {
	if r.New != nil {
		return r.New()
	}
	s := r.settings[key]
	if s.Predictors != nil && len(s.Predictors) == 0 {
		return NewBeta()
	}
	return NewBayes(s)
}

// Snapshot is the encoded state of a partition's part of a model; no
// Data for a part that is gone (moved to another key).
type Snapshot struct {
	Partition int
	Key       string
	Data      []byte
}

// TakeDirty returns the state of every part changed since the last call,
// and every part gone, sorted by key then partition.
func (r *Registry) TakeDirty() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Snapshot, 0, len(r.dirty)+len(r.gone))
	for k := range r.dirty {
		out = append(out, Snapshot{Partition: k.partition, Key: k.key, Data: r.parts[k].AppendBinary(nil)})
	}
	for k := range r.gone {
		out = append(out, Snapshot{Partition: k.partition, Key: k.key})
	}
	clear(r.dirty)
	clear(r.gone)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

// Move moves the parts of partition's models to the keys rename gives
// them (ok false: the key stays), as a moved block moves an action: the
// evidence learnt under the old key is the new key's, the old key's part
// is gone (TakeDirty says so, for the store), and a model without parts
// left in any partition is gone from the list. Where the new key has a
// part of its own, the moved part is merged into it (both are the
// action's evidence); where that cannot be (models of different kinds),
// the new key keeps its own. Moving again what has moved does nothing, so
// a deployment applied again is harmless.
func (r *Registry) Move(partition int, rename func(key string) (string, bool)) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	type mv struct{ from, to string }
	var mvs []mv
	for k := range r.parts {
		if k.partition != partition {
			continue
		}
		if to, ok := rename(k.key); ok && to != k.key {
			mvs = append(mvs, mv{k.key, to})
		}
	}
	sort.Slice(mvs, func(i, j int) bool { return mvs[i].from < mvs[j].from })
	for _, m := range mvs {
		from, to := partKey{partition, m.from}, partKey{partition, m.to}
		p := r.parts[from]
		if old := r.models[m.from]; old != nil {
			if err := old.Merge(p, -1); err != nil {
				return fmt.Errorf("model %q: %w", m.from, err)
			}
		}
		delete(r.parts, from)
		delete(r.dirty, from)
		r.gone[from] = true
		if !r.hasParts(m.from) {
			delete(r.models, m.from)
		}
		merged := r.merged(m.to)
		own := r.parts[to]
		switch {
		case own == nil && kindOf(merged) == kindOf(p):
			r.parts[to] = p
		case own != nil && kindOf(own) == kindOf(p):
			if err := own.Merge(p, 1); err != nil {
				return fmt.Errorf("model %q: %w", m.to, err)
			}
		default:
			continue // another kind of model: the new key keeps its own
		}
		if err := merged.Merge(p, 1); err != nil {
			return fmt.Errorf("model %q: %w", m.to, err)
		}
		r.dirty[to] = true
		delete(r.gone, to)
	}
	return nil
}

// hasParts reports whether any partition has a part of key; called with
// mu held.
func (r *Registry) hasParts(key string) bool {
	for k := range r.parts {
		if k.key == key {
			return true
		}
	}
	return false
}

// Load sets the state of a partition's part of a model, as committed, and
// merges it into the model decisions read, in place of the part held
// before: at start, and to follow what other replicas commit.
func (r *Registry) Load(partition int, key string, data []byte) error {
	p, err := Decode(data)
	if err != nil {
		return fmt.Errorf("model %q of partition %d: %w", key, partition, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	pk := partKey{partition, key}
	m := r.merged(key)
	if old := r.parts[pk]; old != nil {
		if err := m.Merge(old, -1); err != nil {
			return fmt.Errorf("model %q: %w", key, err)
		}
	}
	if kindOf(m) != kindOf(p) {
		// Saved by a runtime that gave the action another kind of model:
		// the model starts afresh, and the old part is dropped when this
		// partition next commits.
		r.parts[pk] = r.newModel(key)
		r.dirty[pk] = true
		return nil
	}
	if err := m.Merge(p, 1); err != nil {
		return fmt.Errorf("model %q: %w", key, err)
	}
	r.parts[pk] = p
	delete(r.dirty, pk)
	return nil
}

func kindOf(m Model) byte {
	if _, ok := m.(*Bayes); ok {
		return kindBayes
	}
	return kindBeta
}

// Lookup returns the model of a key, or nil when there is none.
func (r *Registry) Lookup(key string) Model {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.models[key]
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
