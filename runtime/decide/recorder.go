package decide

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// RecorderOptions configure a Recorder.
type RecorderOptions struct {
	// Put writes a group of records in one commit.
	Put func(context.Context, []store.Decision) error
	// Interval is how long the recorder gathers records before it writes
	// them (default 1s): the longer, the more records share the writing of
	// each page of the store's index of decisions by customer, and the
	// more a crash may lose.
	Interval time.Duration
	// MaxPending bounds the records waiting to be written (default
	// 200,000); past it new records are dropped and counted.
	MaxPending int
	// MaxGroup bounds the records of one commit (default 50,000).
	MaxGroup int
	// Failed is told when a write fails and the store seems down: the
	// records are tried again.
	Failed func(error)
	// Refused is told of a record dropped because the store refused it
	// while it took others: a record that can never be written (one the
	// store finds too large, say) must not hold up the others forever.
	Refused func(id string, err error)
}

// Recorder writes decision records in group commits, off the request
// path, and answers for the records not yet written. Its methods are safe
// for concurrent use.
//
// A decision is encoded when it is added and then kept with its chosen
// candidates only, so that the records waiting for their commit cost a
// few hundred bytes each, whatever the number of candidates.
type Recorder struct {
	opts RecorderOptions

	mu      sync.Mutex
	pending map[string]*pending // not yet durable, by id
	queue   []*pending
	erasing map[string]int // customers being erased: their records are dropped
	wake    chan struct{}

	// writing is held while a group is written, so that Forget can wait
	// for a write in flight.
	writing sync.Mutex

	dropped, refused, written atomic.Int64
}

// NewRecorder returns a Recorder; Run writes its records.
func NewRecorder(opts RecorderOptions) *Recorder {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 200000
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 50000
	}
	if opts.Failed == nil {
		opts.Failed = func(error) {}
	}
	if opts.Refused == nil {
		opts.Refused = func(string, error) {}
	}
	return &Recorder{opts: opts, pending: map[string]*pending{}, erasing: map[string]int{}, wake: make(chan struct{}, 1)}
}

// pending is a decision waiting for its commit: trimmed to its chosen
// candidates, and encoded in full.
type pending struct {
	d   *Decision
	rec store.Decision
}

// Add queues a decision to be recorded; false when it was dropped (too many
// are waiting, or its customer is being erased). It encodes the decision
// and keeps only its chosen candidates: d must not be read for the others
// afterwards.
func (r *Recorder) Add(d *Decision) bool {
	p := &pending{rec: d.Encode()}
	d.Candidates = append([]Candidate(nil), d.ChosenActions()...)
	p.d = d
	r.mu.Lock()
	old, again := r.pending[d.ID]
	if (len(r.pending) >= r.opts.MaxPending && !again) || r.erasing[d.Customer] > 0 {
		r.mu.Unlock()
		r.dropped.Add(1)
		return false
	}
	if again {
		// A decision made again (a replay): the queued record is replaced.
		for i, q := range r.queue {
			if q == old {
				r.queue[i] = p
			}
		}
	} else {
		r.queue = append(r.queue, p)
	}
	r.pending[d.ID] = p
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true
}

// Get returns a decision not yet written, with its chosen candidates only.
func (r *Recorder) Get(id string) (*Decision, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pending[id]
	if !ok {
		return nil, false
	}
	return p.d, true
}

// GetRecord returns the record of a decision not yet written, in full.
func (r *Recorder) GetRecord(id string) (store.Decision, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.pending[id]
	if !ok {
		return store.Decision{}, false
	}
	return p.rec, true
}

// Pending returns the records of a customer's decisions not yet written,
// newest first.
func (r *Recorder) Pending(customer string) []store.Decision {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []store.Decision
	for i := len(r.queue) - 1; i >= 0; i-- {
		if p := r.queue[i]; p.d.Customer == customer {
			out = append(out, p.rec)
		}
	}
	return out
}

// Forget drops the customer's records not yet written, waits for a write
// in flight, and drops the customer's new records until done is called:
// the store then holds none but those its erasure deletes.
func (r *Recorder) Forget(customer string) (done func()) {
	r.mu.Lock()
	r.erasing[customer]++
	kept := r.queue[:0]
	for _, p := range r.queue {
		if p.d.Customer == customer {
			delete(r.pending, p.d.ID)
			continue
		}
		kept = append(kept, p)
	}
	clear(r.queue[len(kept):])
	r.queue = kept
	r.mu.Unlock()
	// Taking the lock waits for a write in flight.
	r.writing.Lock()
	r.writing.Unlock()
	return func() {
		r.mu.Lock()
		if r.erasing[customer]--; r.erasing[customer] <= 0 {
			delete(r.erasing, customer)
		}
		r.mu.Unlock()
	}
}

// Stats are the recorder's counts: records written, dropped because too
// many were waiting, refused by the store, and waiting.
type Stats struct {
	Written, Dropped, Refused int64
	Pending                   int
}

// Stats returns the recorder's counts.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	n := len(r.pending)
	r.mu.Unlock()
	return Stats{Written: r.written.Load(), Dropped: r.dropped.Load(), Refused: r.refused.Load(), Pending: n}
}

// Run writes records as they come until ctx ends, then writes what is
// left.
func (r *Recorder) Run(ctx context.Context) error {
	for {
		select {
		case <-r.wake:
		case <-ctx.Done():
			return r.Flush(context.Background())
		}
		select {
		case <-time.After(r.opts.Interval):
		case <-ctx.Done():
		}
		if err := r.Flush(ctx); err != nil {
			r.opts.Failed(err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
				return r.Flush(context.Background())
			}
		}
	}
}

// Flush writes every record queued now, in groups. A group the store
// refuses is split to find the records it refuses alone; those are
// dropped (and told to Refused) when the store takes the others. When it
// takes none, it is taken to be down: everything is kept, and Flush
// returns the error.
func (r *Recorder) Flush(ctx context.Context) error {
	for {
		r.writing.Lock()
		r.mu.Lock()
		n := min(len(r.queue), r.opts.MaxGroup)
		group := append([]*pending(nil), r.queue[:n]...)
		r.mu.Unlock()
		if n == 0 {
			r.writing.Unlock()
			return nil
		}
		w := r.write(ctx, group)
		r.mu.Lock()
		// The queue may have lost records to Forget meanwhile: drop the
		// written and refused ones by identity.
		done := make(map[*pending]bool, len(w.written)+len(w.refused))
		for _, p := range w.written {
			done[p] = true
		}
		if w.err == nil {
			for _, p := range w.refused {
				done[p] = true
			}
		}
		for p := range done {
			if r.pending[p.d.ID] == p {
				delete(r.pending, p.d.ID)
			}
		}
		kept := r.queue[:0]
		for _, p := range r.queue {
			if !done[p] {
				kept = append(kept, p)
			}
		}
		clear(r.queue[len(kept):])
		r.queue = kept
		r.mu.Unlock()
		r.writing.Unlock()
		r.written.Add(int64(len(w.written)))
		if w.err != nil {
			return w.err
		}
		for i, p := range w.refused {
			r.refused.Add(1)
			r.opts.Refused(p.d.ID, w.why[i])
		}
	}
}

// maxSuspects is how many records that fail alone, with no write taken
// yet, make the store look down rather than the records bad.
const maxSuspects = 4

// written is what write did with a group.
type written struct {
	written []*pending
	refused []*pending // failed alone while the store took others
	why     []error    // of each refused record
	err     error      // the store seems down: nothing refused is dropped
}

// write puts group, and when the store refuses it, its halves, depth
// first, down to single records. It stops as soon as the store seems
// down: the context ended, the store is closed, or maxSuspects records
// failed alone before any write was taken and the rest failed too.
func (r *Recorder) write(ctx context.Context, group []*pending) written {
	var w written
	var lastErr error
	stack := [][]*pending{group}
	for len(stack) > 0 {
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		err := r.opts.Put(ctx, records(g))
		if err == nil {
			w.written = append(w.written, g...)
			continue
		}
		lastErr = err
		if ctx.Err() != nil || errors.Is(err, store.ErrClosed) {
			w.err = err
			return w
		}
		if len(g) > 1 {
			mid := len(g) / 2
			stack = append(stack, g[mid:], g[:mid])
			continue
		}
		w.refused, w.why = append(w.refused, g[0]), append(w.why, err)
		if len(w.written) > 0 || len(w.refused) < maxSuspects {
			continue
		}
		// As many records failed alone as the store took: try all the
		// rest at once, which a store that is up takes unless it holds
		// bad records too.
		var rest []*pending
		for _, s := range stack {
			rest = append(rest, s...)
		}
		stack = nil
		if len(rest) == 0 {
			break
		}
		if err := r.opts.Put(ctx, records(rest)); err != nil {
			lastErr = err
			break
		}
		w.written = append(w.written, rest...)
	}
	if len(w.written) == 0 {
		w.err = lastErr // nothing was taken: the store seems down
	}
	return w
}

func records(ps []*pending) []store.Decision {
	recs := make([]store.Decision, len(ps))
	for i, p := range ps {
		recs[i] = p.rec
	}
	return recs
}
