package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// leaseKeeper holds this replica's share of the partitions: it beats its
// heart in the store, renews the leases it holds, takes free ones and
// those of dead replicas up to its share, and gives back what is over its
// share when another replica has less, for the engine to hand over.
type leaseKeeper struct {
	st   store.Leases
	name string
	ttl  time.Duration
	log  *slog.Logger

	mu   sync.Mutex
	held map[int]store.Lease
	// members is how many replicas beat their heart at the last round.
	members int
	// giving are held partitions to hand over once their work is
	// committed.
	giving map[int]bool
}

func newLeaseKeeper(st store.Leases, name string, ttl time.Duration, log *slog.Logger) *leaseKeeper {
	return &leaseKeeper{st: st, name: name, ttl: ttl, log: log, held: map[int]store.Lease{}, giving: map[int]bool{}}
}

// run keeps the leases until ctx ends, calling changed when the set held
// changed.
func (k *leaseKeeper) run(ctx context.Context, changed func()) {
	t := time.NewTicker(k.ttl / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		before := k.version()
		if err := k.round(ctx); err != nil && ctx.Err() == nil {
			k.log.Error("renewing partition leases", "error", err)
		}
		if k.version() != before {
			changed()
		}
	}
}

func (k *leaseKeeper) version() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	ps := make([]int, 0, len(k.held))
	for p, l := range k.held {
		ps = append(ps, p*1_000_003+int(l.Epoch))
	}
	slices.Sort(ps)
	b := make([]byte, 0, len(ps)*4)
	for _, p := range ps {
		b = append(b, byte(p>>24), byte(p>>16), byte(p>>8), byte(p))
	}
	for p := range k.giving {
		b = append(b, 'g', byte(p))
	}
	return string(b)
}

// round beats the heart, renews, takes and gives leases once.
func (k *leaseKeeper) round(ctx context.Context) error {
	members, err := k.st.Heartbeat(ctx, k.name, k.ttl)
	if err != nil {
		return err
	}
	k.mu.Lock()
	held := make([]store.Lease, 0, len(k.held))
	for _, l := range k.held {
		held = append(held, l)
	}
	k.mu.Unlock()
	renewed, err := k.st.RenewLeases(ctx, k.name, held, k.ttl)
	if err != nil {
		return err
	}
	now := map[int]store.Lease{}
	for _, l := range renewed {
		now[l.Partition] = l
	}
	all, err := k.st.Leases(ctx)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, m := range members {
		live[m.Name] = true
	}
	k.mu.Lock()
	k.members = len(members)
	k.mu.Unlock()
	share := (store.Partitions + len(members) - 1) / max(len(members), 1)
	if len(now) < share {
		// Free partitions and those of replicas gone, starting at a place
		// of this replica's own so that replicas starting together spread.
		h := fnv.New32a()
		h.Write([]byte(k.name))
		off := int(h.Sum32() % store.Partitions)
		var want []int
		for i := range store.Partitions {
			l := all[(off+i)%store.Partitions]
			if _, ok := now[l.Partition]; ok {
				continue
			}
			if l.Owner == "" || !live[l.Owner] || l.Owner == k.name {
				want = append(want, l.Partition)
			}
		}
		if n := share - len(now); len(want) > n {
			want = want[:n]
		}
		if len(want) > 0 {
			got, err := k.st.AcquireLeases(ctx, k.name, want, k.ttl)
			if err != nil {
				return err
			}
			for _, l := range got {
				now[l.Partition] = l
			}
		}
	}
	giving := map[int]bool{}
	if len(now) > share {
		// Give back the surplus when a live replica holds less than its
		// share.
		counts := map[string]int{}
		for _, l := range all {
			if live[l.Owner] {
				counts[l.Owner]++
			}
		}
		short := false
		for _, m := range members {
			if m.Name != k.name && counts[m.Name] < share-1 {
				short = true
			}
		}
		if short {
			ps := make([]int, 0, len(now))
			for p := range now {
				ps = append(ps, p)
			}
			slices.Sort(ps)
			for _, p := range ps[share:] {
				giving[p] = true
			}
		}
	}
	k.mu.Lock()
	k.held, k.giving = now, giving
	k.mu.Unlock()
	return nil
}

// snapshot returns the leases held and those to give back.
func (k *leaseKeeper) snapshot() (map[int]store.Lease, map[int]bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return maps(k.held), maps(k.giving)
}

func maps[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (k *leaseKeeper) count() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.held)
}

// replicas is how many replicas were live at the last round, at least 1.
func (k *leaseKeeper) replicas() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return max(1, k.members)
}

// give hands partitions back to the store.
func (k *leaseKeeper) give(ctx context.Context, ls []store.Lease) error {
	if len(ls) == 0 {
		return nil
	}
	if err := k.st.ReleaseLeases(ctx, ls); err != nil {
		return err
	}
	k.mu.Lock()
	for _, l := range ls {
		delete(k.held, l.Partition)
		delete(k.giving, l.Partition)
	}
	k.mu.Unlock()
	return nil
}

// releaseAll gives back every partition at shutdown, once its work is
// committed, so that another replica takes them without waiting for the
// leases to run out.
func (k *leaseKeeper) releaseAll(ctx context.Context, owned []*shard) {
	ls := make([]store.Lease, 0, len(owned))
	for _, s := range owned {
		ls = append(ls, s.lease)
	}
	if err := k.give(ctx, ls); err != nil {
		k.log.Warn("releasing partition leases at shutdown", "error", err)
	}
	if _, err := k.st.Heartbeat(ctx, k.name, 0); err != nil {
		k.log.Warn("leaving the replicas at shutdown", "error", err)
	}
}

// followLeases brings the partitions processed in line with the leases
// held: it starts those taken, from their last commit, drops those lost,
// and hands over those to give once their work is committed.
func (e *Engine) followLeases(ctx context.Context) error {
	held, giving := e.leases.snapshot()
	var lost, give []*shard
	kept := e.owned[:0:0]
	for _, s := range e.owned {
		l, ok := held[s.p]
		switch {
		case !ok || l.Epoch != s.lease.Epoch:
			lost = append(lost, s)
		case giving[s.p]:
			give = append(give, s)
		default:
			kept = append(kept, s)
		}
	}
	if e.opts.Ephemeral && len(lost)+len(give) > 0 {
		return fmt.Errorf("an ephemeral engine cannot hand over or lose a partition: %d lost, %d to give", len(lost), len(give))
	}
	if len(give) > 0 {
		// What was processed of them is committed before they go.
		if err := e.commit(ctx); err != nil {
			return err
		}
		if err := e.flush(ctx); err != nil {
			return err
		}
		ls := make([]store.Lease, 0, len(give))
		for _, s := range give {
			ls = append(ls, s.lease)
		}
		if err := e.leases.give(ctx, ls); err != nil {
			e.opts.Logger.Warn("handing over partitions", "error", err)
			kept = append(kept, give...)
			give = nil
		}
	}
	for _, s := range append(lost, give...) {
		s.mu.Lock()
		s.drop()
		s.mu.Unlock()
	}
	var taken []store.Lease
	for p, l := range held {
		if !e.shards[p].owned && !giving[p] {
			taken = append(taken, l)
		}
	}
	if len(taken) > 0 {
		cursors, err := e.st.Cursors(ctx)
		if err != nil {
			return err
		}
		// What the partitions' last owners taught the models, as they
		// committed it.
		newly := map[int]bool{}
		for _, l := range taken {
			newly[l.Partition] = true
		}
		if err := e.loadModels(ctx, func(p int) bool { return newly[p] }); err != nil {
			return err
		}
		for _, l := range taken {
			s := e.shards[l.Partition]
			if err := e.takeLease(ctx, s, l, cursors[l.Partition]); err != nil {
				return err
			}
			kept = append(kept, s)
		}
	}
	if len(lost)+len(give)+len(taken) == 0 {
		return nil
	}
	slices.SortFunc(kept, func(a, b *shard) int { return a.p - b.p })
	e.owned = kept
	if len(taken) > 0 && e.committed.Load() >= e.sent {
		low := uint64(0)
		for i, s := range kept {
			if i == 0 || s.pos < low {
				low = s.pos
			}
		}
		if low > e.processed.Load() {
			e.processed.Store(low)
		}
	}
	if len(lost)+len(taken) > 0 {
		e.opts.Logger.Info("partitions held", "replica", e.opts.Name, "held", len(kept), "taken", len(taken), "lost", len(lost), "given", len(give))
	}
	return nil
}

// dropAll forgets every partition's state in memory, to resume each from
// its last commit.
func (e *Engine) dropAll() {
	for _, s := range e.owned {
		s.mu.Lock()
		s.drop()
		s.mu.Unlock()
	}
	e.owned = nil
	e.sent = e.committed.Load()
	e.arrivals, e.applied = nil, 0
}
