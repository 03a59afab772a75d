package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/waymarkhq/waymark/runtime/store"
)

type appendReq struct {
	recs []store.LogRecord
	seqs []uint64
	err  error
	done chan struct{}
}

// Append implements store.Store. The records wait for the commit loop,
// which writes every append queued meanwhile in one transaction.
func (s *Store) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(recs) == 0 {
		return nil, nil
	}
	for _, r := range recs {
		if r.Partition != store.AllPartitions {
			if err := checkPartition("append", r.Partition); err != nil {
				return nil, err
			}
		}
	}
	req := &appendReq{recs: recs, done: make(chan struct{})}
	select {
	case s.appends <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued the append happens; wait for its outcome so that the
	// answer is true.
	<-req.done
	return req.seqs, req.err
}

// commitLoop is one of the store's committers: it takes the appends
// queued, as many as are there up to MaxGroup records, and commits them.
// Committers take turns: one gathers a group only once the one before has
// locked the log's head, so a group holds what queued up meanwhile (as
// large as with one committer), and claims its ids while the one before
// writes and flushes. Now and then, after a commit, one prunes the ids
// past the window.
func (s *Store) commitLoop() {
	defer s.committers.Done()
	for {
		select {
		case <-s.turn:
		case <-s.stop:
			return
		}
		var req *appendReq
		select {
		case req = <-s.appends:
		case <-s.stop:
			s.turn <- struct{}{}
			return
		}
		group := []*appendReq{req}
		n := len(req.recs)
	drain:
		for n < s.opts.MaxGroup {
			select {
			case r := <-s.appends:
				group = append(group, r)
				n += len(r.recs)
			default:
				break drain
			}
		}
		passed := false
		pass := func() {
			if !passed {
				passed = true
				s.turn <- struct{}{}
			}
		}
		s.commitGroup(group, pass)
		pass()
		now := s.opts.Now()
		last := s.lastPrune.Load()
		if now.UnixNano()-last > int64(s.opts.DedupWindow/100) && s.lastPrune.CompareAndSwap(last, now.UnixNano()) {
			s.pruneIDs(now)
		}
	}
}

// commitGroup appends the records of a group in one transaction, calling
// locked once it holds the log's head.
func (s *Store) commitGroup(group []*appendReq, locked func()) {
	var recs []store.LogRecord
	for _, req := range group {
		recs = append(recs, req.recs...)
	}
	var seqs []uint64
	err := s.tx(context.Background(), func(tx pgx.Tx) error {
		var err error
		seqs, err = s.appendTx(context.Background(), tx, recs, locked)
		return err
	})
	if err != nil {
		err = fmt.Errorf("appending to the event log: %w", err)
	} else if len(seqs) > 0 {
		s.see(slices.Max(seqs))
	}
	for _, req := range group {
		if err != nil {
			req.err = err
		} else {
			req.seqs, seqs = seqs[:len(req.recs):len(req.recs)], seqs[len(req.recs):]
		}
		close(req.done)
	}
}

// appendTx appends recs in tx and returns their sequence numbers, 0 for
// those skipped as duplicates.
//
// It first claims the records' ids in log_ids, in sorted order (so that
// two appends claiming some of the same ids never deadlock: the second
// waits for the first to end, then finds them taken or free). Only then
// does it lock the log's head row, holding it until tx ends: so appends
// number their records and commit one at a time, in the order of their
// sequence numbers, whichever process makes them, while the next append
// can already be claiming its ids.
// locked, unless nil, is called once the head is locked.
func (s *Store) appendTx(ctx context.Context, tx pgx.Tx, recs []store.LogRecord, locked func()) ([]uint64, error) {
	// Deduplicate: an id is fresh unless appended within the window, or
	// earlier in recs.
	horizon := s.opts.Now().Add(-s.opts.DedupWindow).UnixNano()
	arrival := map[string]int64{}
	for _, r := range recs {
		if _, ok := arrival[r.ID]; r.ID != "" && !ok {
			arrival[r.ID] = nanos(r.Arrival)
		}
	}
	fresh := map[string]bool{}
	if len(arrival) > 0 {
		ids := make([][]byte, 0, len(arrival))
		for id := range arrival {
			ids = append(ids, []byte(id))
		}
		slices.SortFunc(ids, bytes.Compare)
		arrivals := make([]int64, len(ids))
		for i, id := range ids {
			arrivals[i] = arrival[string(id)]
		}
		rows, err := tx.Query(ctx, `INSERT INTO log_ids (id, arrival)
			SELECT u.id, u.arrival FROM unnest($1::bytea[], $2::bigint[]) WITH ORDINALITY AS u(id, arrival, n) ORDER BY n
			ON CONFLICT (id) DO UPDATE SET arrival = excluded.arrival WHERE log_ids.arrival <= $3
			RETURNING id`, ids, arrivals, horizon)
		if err != nil {
			return nil, err
		}
		var id []byte
		_, err = pgx.ForEachRow(rows, []any{&id}, func() error {
			fresh[string(id)] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}

	var head, clock, arrivalClock int64
	err := tx.QueryRow(ctx, `SELECT seq, clock, arrival_clock FROM log_head WHERE id = 1 FOR UPDATE`).
		Scan(&head, &clock, &arrivalClock)
	if err != nil {
		return nil, err
	}
	if locked != nil {
		locked()
	}
	seqs := make([]uint64, len(recs))
	type row struct {
		rec          *store.LogRecord
		clock        int64
		arrivalClock int64
	}
	var rows []row
	for i := range recs {
		r := &recs[i]
		if r.ID != "" {
			if !fresh[r.ID] {
				continue
			}
			delete(fresh, r.ID) // a later record with the id is a duplicate
		}
		head++
		seqs[i] = uint64(head)
		rows = append(rows, row{r, clock, arrivalClock})
		clock = max(clock, nanos(r.Time))
		arrivalClock = max(arrivalClock, nanos(r.Arrival))
	}
	if len(rows) == 0 {
		return seqs, nil
	}
	// COPY: about twice as fast as a multi-row INSERT for large groups.
	first := head - int64(len(rows)) + 1
	vals := make([]any, 8)
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"log"},
		[]string{"part", "seq", "id", "arrival", "time", "clock", "arrival_clock", "data"},
		pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) {
			r := rows[i]
			var id []byte
			if r.rec.ID != "" {
				id = []byte(r.rec.ID)
			}
			vals[0], vals[1], vals[2], vals[3] = int32(r.rec.Partition), first+int64(i), id, nanos(r.rec.Arrival)
			vals[4], vals[5], vals[6], vals[7] = nanos(r.rec.Time), r.clock, r.arrivalClock, orEmpty(r.rec.Data)
			return vals, nil
		}))
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(ctx, `UPDATE log_head SET seq = $1, clock = $2, arrival_clock = $3 WHERE id = 1`,
		head, clock, arrivalClock)
	if err != nil {
		return nil, err
	}
	return seqs, nil
}

// pruneIDs forgets the ids that arrived before the window, a batch at a
// time; an error only delays it.
func (s *Store) pruneIDs(now time.Time) {
	horizon := now.Add(-s.opts.DedupWindow).UnixNano()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 100 {
		tag, err := s.pool.Exec(ctx, `DELETE FROM log_ids WHERE id IN
			(SELECT id FROM log_ids WHERE arrival <= $1 ORDER BY arrival LIMIT 10000)`, horizon)
		if err != nil || tag.RowsAffected() < 10000 {
			return
		}
	}
}

// Read implements store.Store: in one statement, so that the records and
// the head come from one snapshot of the database.
func (s *Store) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	if err := s.enter(); err != nil {
		return nil, store.Head{}, err
	}
	defer s.leave()
	// The lowest position of each partition named; the records of every
	// partition come after the lowest of all.
	after := map[int]uint64{}
	var all uint64
	for i, f := range from {
		if f.Partition != store.AllPartitions {
			if err := checkPartition("read", f.Partition); err != nil {
				return nil, store.Head{}, err
			}
		}
		if a, ok := after[f.Partition]; !ok || f.After < a {
			after[f.Partition] = f.After
		}
		if i == 0 || f.After < all {
			all = f.After
		}
	}
	if len(from) > 0 {
		after[store.AllPartitions] = all
	}
	if max <= 0 {
		clear(after)
		max = 0
	}
	q, args := readStatement(after, max, s.seen.Load())
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, store.Head{}, fmt.Errorf("reading the log: %w", err)
	}
	var (
		head store.Head
		out  []store.LogRecord
	)
	var hSeq, hClock, hArrival int64
	var seq, arrival, tm, clock, arrivalClock *int64
	var part *int32
	var id, data []byte
	_, err = pgx.ForEachRow(rows, []any{&hSeq, &hClock, &hArrival, &seq, &part, &id, &arrival, &tm, &clock, &arrivalClock, &data}, func() error {
		head = store.Head{Seq: uint64(hSeq), Clock: fromNanos(hClock), ArrivalClock: fromNanos(hArrival)}
		if seq == nil {
			return nil
		}
		out = append(out, store.LogRecord{
			Seq: uint64(*seq), Partition: int(*part), ID: string(id),
			Arrival: fromNanos(*arrival), Time: fromNanos(*tm),
			Clock: fromNanos(*clock), ArrivalClock: fromNanos(*arrivalClock),
			Data: data,
		})
		return nil
	})
	if err != nil {
		return nil, store.Head{}, fmt.Errorf("reading the log: %w", err)
	}
	s.see(head.Seq)
	return out, head, nil
}

// see raises seen to seq.
func (s *Store) see(seq uint64) {
	for {
		old := s.seen.Load()
		if seq <= old || s.seen.CompareAndSwap(old, seq) {
			return
		}
	}
}

// fewPartitions is how many partitions a read reads one by one however
// far behind they are.
const fewPartitions = 8

// readFew reads each partition of after on its own, as a range of the log's
// key: up to max records of each, of which the first max by seq. It costs
// up to max records a partition, however many there are before.
const readFew = `SELECT h.seq, h.clock, h.arrival_clock,
		r.seq, r.part, r.id, r.arrival, r.time, r.clock, r.arrival_clock, r.data
	FROM log_head h LEFT JOIN (
		SELECT l.* FROM unnest($1::int[], $2::bigint[]) AS f(part, after)
		CROSS JOIN LATERAL (
			SELECT seq, part, id, arrival, time, clock, arrival_clock, data FROM log
			WHERE part = f.part AND seq > f.after ORDER BY seq LIMIT $3
		) AS l
		ORDER BY l.seq LIMIT $3
	) AS r ON true
	WHERE h.id = 1
	ORDER BY r.seq`

// readMany scans the log in order of seq (index log_seq) from the lowest
// position, keeping the records of the partitions read that come after
// their own position: $2 holds each partition's position at index
// partition+2 (AllPartitions at 1), the largest bigint for one not read.
// It stops at max records, so it costs what it returns plus the records
// of other partitions, or already read, that it passes over: little when
// the positions are close together, as a replica's are.
const readMany = `SELECT h.seq, h.clock, h.arrival_clock,
		r.seq, r.part, r.id, r.arrival, r.time, r.clock, r.arrival_clock, r.data
	FROM log_head h LEFT JOIN (
		SELECT seq, part, id, arrival, time, clock, arrival_clock, data FROM log
		WHERE seq > $1 AND seq > ($2::bigint[])[part + 2]
		ORDER BY seq LIMIT $3
	) AS r ON true
	WHERE h.id = 1
	ORDER BY r.seq`

// readStatement is the statement of a read from the positions after (one
// for AllPartitions included), and its arguments. head is the highest head
// of the log seen, from which it estimates the records of the partitions
// read past their positions, spread evenly.
//
// A read of up to fewPartitions, or of fewer than half the partitions
// (a replica's share) whose records past their positions number about max
// or fewer, reads each partition's range of the log's key (readFew): it
// costs what it returns, where a scan in order of seq would pass over
// every other partition's records too. A read of more partitions, or of
// partitions further behind (a replica catching up), scans in order of
// seq (readMany), which costs what it returns plus what it passes over,
// rather than up to max records a partition.
func readStatement(after map[int]uint64, max int, head uint64) (string, []any) {
	few := len(after) <= fewPartitions
	if !few && len(after) < store.Partitions/2 {
		var behind uint64
		for _, a := range after {
			if head > a {
				behind += head - a
			}
		}
		few = behind/store.Partitions <= uint64(max)
	}
	if few {
		var parts []int32
		var afters []int64
		for p, a := range after {
			parts = append(parts, int32(p))
			afters = append(afters, int64(a))
		}
		return readFew, []any{parts, afters, max}
	}
	pos := make([]int64, store.Partitions+1)
	for i := range pos {
		pos[i] = math.MaxInt64
	}
	low := int64(math.MaxInt64)
	for p, a := range after {
		pos[p+1] = int64(a)
		low = min(low, int64(a))
	}
	return readMany, []any{low, pos, max}
}

// Head implements store.Store.
func (s *Store) Head(ctx context.Context) (store.Head, error) {
	if err := s.enter(); err != nil {
		return store.Head{}, err
	}
	defer s.leave()
	var seq, clock, arrival int64
	err := s.pool.QueryRow(ctx, `SELECT seq, clock, arrival_clock FROM log_head WHERE id = 1`).Scan(&seq, &clock, &arrival)
	if err != nil {
		return store.Head{}, fmt.Errorf("reading the log's head: %w", err)
	}
	return store.Head{Seq: uint64(seq), Clock: fromNanos(clock), ArrivalClock: fromNanos(arrival)}, nil
}
