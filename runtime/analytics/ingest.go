package analytics

import (
	"math"
)

// touch applies a change to the bucket of hour h, to every window sum
// that holds that hour, so that the sums stay the sums of their buckets,
// and to the daily and all-time figures. It reports false when h is older
// than the hours the journey keeps.
func (j *journey) touch(h int64, fn func(*bucket)) bool {
	j.days.touch(h, fn)
	return j.touchHour(h, fn)
}

// touchHour is touch for what only the hourly figures keep.
func (j *journey) touchHour(h int64, fn func(*bucket)) bool {
	b := j.at(h)
	if b == nil {
		return false
	}
	fn(b)
	for _, w := range j.sums {
		if w.lo <= h && h <= w.hi {
			fn(&w.sum)
		}
	}
	return true
}

// touchMs is touch for a time in ms; nothing happens for an unknown time.
func (j *journey) touchMs(ms int64, fn func(*bucket)) {
	if ms != noTime {
		j.touch(hourOf(ms), fn)
	}
}

// Applied returns the Seq of the last sequenced record applied of each
// partition, by partition (as long as the highest partition applied).
func (a *Analytics) Applied() []uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]uint64(nil), a.applied...)
}

// AppliedIn is the Seq of the last sequenced record applied of partition
// p.
func (a *Analytics) AppliedIn(p int) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if p < 0 || p >= len(a.applied) {
		return 0
	}
	return a.applied[p]
}

// Apply feeds records, in order. Records whose Seq is not above the last
// applied are skipped.
func (a *Analytics) Apply(recs ...Record) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range recs {
		r := &recs[i]
		if r.Seq != 0 && r.Partition >= 0 {
			for len(a.applied) <= r.Partition {
				a.applied = append(a.applied, 0)
			}
			if r.Seq <= a.applied[r.Partition] {
				continue
			}
			a.applied[r.Partition] = r.Seq
		}
		switch {
		case r.Transition != nil:
			a.transition(r.Transition)
			if t := r.Transition; t.Reason == ReasonCompleted {
				a.expConvert(t.Stack, t.Journey, t.Customer, "", msOf(t.Time))
			}
		case r.Event != nil:
			a.event(r.Event)
			a.expConvert(r.Event.Stack, r.Event.Journey, r.Event.Customer, r.Event.Type, msOf(r.Event.Time))
		case r.Assignment != nil:
			a.assignment(r.Assignment)
		case r.Erasure != nil:
			a.erase(r.Erasure.Customer, r.Erasure.Time)
		case r.Decision != nil:
			d := r.Decision
			a.journey(d.Stack, d.Journey).touchMs(msOf(d.Time), func(b *bucket) { b.action(d.Action, d.Channel).decided++ })
		case r.Delivery != nil:
			d := r.Delivery
			a.journey(d.Stack, d.Journey).touchMs(msOf(d.Time), func(b *bucket) {
				ag := b.action(d.Action, d.Channel)
				switch d.Outcome {
				case Delivered:
					ag.delivered++
				case Bounced:
					ag.bounced++
				case Failed:
					ag.failed++
				}
			})
			a.expDelivery(d)
		case r.Response != nil:
			d := r.Response
			if i := outcomeIndex(d.Outcome); i >= 0 {
				a.journey(d.Stack, d.Journey).touchMs(msOf(d.Time), func(b *bucket) { b.action(d.Action, d.Channel).outcomes[i]++ })
			}
		}
	}
}

// transition applies a journey transition to its journey's figures and,
// for a run in the global holdout, to the holdout's as well.
func (a *Analytics) transition(tr *Transition) {
	j := a.journey(tr.Stack, tr.Journey)
	held := j.holds(tr.Customer, tr.Run, tr.Reason == ReasonEntered)
	if tr.Reason == ReasonEntered && !held && j.held != nil {
		// A held-out run of theirs still there missed its end, as in
		// j.transition.
		a.heldOf(j).endRun(tr.Customer, msOf(tr.Time))
	}
	j.transition(tr)
	if held {
		a.heldOf(j).transition(tr)
	}
}

func (j *journey) transition(tr *Transition) {
	t := msOf(tr.Time)
	cur := j.cur(tr.Customer) // looked up once: j.run is cur of run n
	r := cur
	if r != nil && r.n != tr.Run {
		r = nil
	}
	switch tr.Reason {
	case ReasonEntered:
		if r != nil {
			return // already entered: a record seen twice
		}
		// A customer is in a journey at most once: a run of theirs still
		// here missed its end.
		if cur != nil {
			j.endRun(tr.Customer, t)
		}
		st := j.stage(tr.To)
		r = &run{n: tr.Run, entered: t, since: t, stage: st, path: bit(st)}
		j.putRun(tr.Customer, r)
		j.touchMs(t, func(b *bucket) {
			b.entries++
			b.stage(st).reached++
		})
		return
	case ReasonRenamed:
		if r != nil && tr.To != "" {
			r.stage = j.stage(tr.To)
			r.path |= bit(r.stage)
		}
		return
	}
	entered, since := msOf(tr.Entered), msOf(tr.Since)
	from := -1
	if tr.From != "" {
		from = j.stage(tr.From)
	}
	if r != nil {
		if entered == noTime {
			entered = r.entered
		}
		if since == noTime {
			since = r.since
		}
		if from < 0 {
			from = r.stage
		}
	}
	leaving := tr.To == "" || (tr.Reason != ReasonMoved && tr.Reason != ReasonTimeout)
	goal := tr.Reason == ReasonCompleted
	// The time spent in from, counted at t with what else happens then.
	timed := from >= 0 && since != noTime
	var spent sketchPoint
	if timed {
		j.touchMs(since, func(b *bucket) {
			sa := b.stage(from)
			switch {
			case !leaving:
				sa.movedOn++
			case goal:
				sa.completed++
			default:
				sa.dropped++
			}
		})
		spent = pointOf(float64(t-since) / 1000)
	}
	if !leaving {
		to := j.stage(tr.To)
		j.touchMs(t, func(b *bucket) {
			if timed {
				b.stage(from).time.addPoint(spent, 1)
			}
			b.stage(to).reached++
		})
		if r != nil {
			r.stage, r.since = to, t
			r.path |= bit(to)
		}
		return
	}
	if t != noTime {
		h := hourOf(t)
		path := uint64(0)
		if b := j.at(h); b != nil && r != nil {
			path = b.pathKey(r.path)
		}
		var toGoal sketchPoint
		if goal && entered != noTime {
			toGoal = pointOf(float64(t-entered) / 1000)
		}
		j.touch(h, func(b *bucket) {
			if timed {
				b.stage(from).time.addPoint(spent, 1)
			}
			switch tr.Reason {
			case ReasonCompleted:
				b.completed++
				if entered != noTime {
					b.toGoal.addPoint(toGoal, 1)
				}
			case ReasonExited:
				b.exited++
			case ReasonExpired:
				b.expired++
			case ReasonTimedOut:
				b.timedOut++
			default:
				b.removed++
			}
			if r != nil {
				key := path
				if b.long {
					key = b.pathKey(r.path)
				}
				b.addPath(key, 1, b2i(goal))
			}
		})
	}
	j.attribute(tr.Sent, t, goal)
	if entered != noTime {
		j.touchMs(entered, func(b *bucket) {
			b.ended++
			b.goals += b2i(goal)
		})
		if w := j.spec.Within.Milliseconds(); w > 0 {
			due := entered + w
			conv := goal && t <= due
			if due <= t {
				j.mature(pendingItem{due, conv})
			} else {
				j.pending.push(pendingItem{due, conv})
				j.pendingConverted += b2i(conv)
			}
		}
	}
	if r != nil {
		j.dropRun(tr.Customer)
	}
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func bit(stage int) uint64 {
	if stage >= 64 {
		return 0
	}
	return 1 << uint(stage)
}

// mature counts an entry whose goal.within has ended in its cohort.
func (j *journey) mature(p pendingItem) {
	j.touchMs(p.due, func(b *bucket) {
		b.matured++
		b.converted += b2i(p.converted)
	})
}

// advance matures the pending entries whose goal.within ended by now, the
// holdout's too.
func (j *journey) advance(now int64) {
	if j.held != nil {
		j.held.advance(now)
	}
	for len(j.pending) > 0 && j.pending[0].due <= now {
		p := j.pending.pop()
		j.pendingConverted -= b2i(p.converted)
		j.mature(p)
	}
}

// event applies an event to its journey's figures and, for a run in the
// global holdout, to the holdout's as well.
func (a *Analytics) event(ev *Event) {
	j := a.journey(ev.Stack, ev.Journey)
	held := j.holds(ev.Customer, ev.Run, false)
	j.event(ev)
	if held {
		a.heldOf(j).event(ev)
	}
}

func (j *journey) event(ev *Event) {
	t := msOf(ev.Time)
	if t == noTime {
		return
	}
	h := hourOf(t)
	ok := j.touch(h, func(b *bucket) {
		for name, v := range ev.Attributes {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				b.attr(ev.Type, name).add(v)
			}
		}
	})
	i, rate := j.rateIdx[ev.Type]
	if !ok || !rate {
		return
	}
	r := j.run(ev.Customer, ev.Run)
	if r == nil {
		return
	}
	for len(r.last) <= i {
		r.last = append(r.last, noTime)
	}
	prev := r.last[i]
	if prev == h {
		return
	}
	if prev != noTime && j.get(prev) != nil {
		j.touchHour(prev, func(b *bucket) { b.latestAdd(i, -1) })
	}
	j.touchHour(h, func(b *bucket) { b.latestAdd(i, 1) })
	r.last[i] = h
}
