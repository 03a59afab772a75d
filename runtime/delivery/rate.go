package delivery

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a channel's send-rate limit: at most Max attempts per Per,
// spread evenly (one every Per/Max). The zero Rate is no limit.
type Rate struct {
	Max int
	Per time.Duration
}

// slotGrace is how late an entry may be claimed for the slot it was given
// and still be attempted in it; later, it takes a new slot. It bounds how
// many sends a stalled outbox can bunch together: the rate's worth of a
// second.
const slotGrace = time.Second

// rates are one outbox's send-rate limiters, a token bucket of one token
// per channel (golang.org/x/time/rate), and the entries it gave a slot.
// An entry with no token now is given the limiter's next slot, first come
// first served, and rescheduled to it in the store, the slot and the
// worker that gave it noted in the entry; claimed again then, it is
// attempted without taking another. A slot another worker gave is taken
// as given: that worker's limiter counted it. One this worker gave before
// a restart is not (its limiter is new): the entry takes a slot afresh.
type rates struct {
	worker   string
	rate     func(channel string) Rate
	replicas func() int

	mu    sync.Mutex
	by    map[string]*limiter
	slots map[string]slot // by entry ID
	swept time.Time
}

type limiter struct {
	lim *rate.Limiter
	// r and n are the rate and number of replicas it was made for.
	r Rate
	n int
}

type slot struct {
	channel string
	at      time.Time
}

func newRates(worker string, r func(string) Rate, replicas func() int) *rates {
	if replicas == nil {
		replicas = func() int { return 1 }
	}
	return &rates{worker: worker, rate: r, replicas: replicas, by: map[string]*limiter{}, slots: map[string]slot{}}
}

// take reports whether item it, the entry id, may be attempted at now;
// when it may not, it returns the slot to reschedule it to, and whether
// the slot is new (the entry was not waiting already).
func (rs *rates) take(it *Item, id string, now time.Time) (ok bool, at time.Time, queued bool) {
	if rs == nil || rs.rate == nil {
		return true, time.Time{}, false
	}
	channel := it.Channel
	if it.SlotWorker != "" && it.SlotWorker != rs.worker {
		switch {
		case now.Before(it.Slot):
			return false, it.Slot, false
		case now.Sub(it.Slot) <= slotGrace:
			return true, time.Time{}, false
		}
	}
	r := rs.rate(channel)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.sweep(now)
	if r.Max <= 0 || r.Per <= 0 {
		delete(rs.by, channel)
		delete(rs.slots, id)
		return true, time.Time{}, false
	}
	if s, held := rs.slots[id]; held {
		switch {
		case now.Before(s.at):
			return false, s.at, false
		case now.Sub(s.at) <= slotGrace:
			delete(rs.slots, id)
			return true, time.Time{}, false
		}
		delete(rs.slots, id) // too late for its slot: a new one
	}
	l := rs.limiter(channel, r, now)
	res := l.lim.ReserveN(now, 1)
	if !res.OK() {
		return true, time.Time{}, false // cannot happen with a burst of 1
	}
	d := res.DelayFrom(now)
	if d <= 0 {
		return true, time.Time{}, false
	}
	at = now.Add(d)
	rs.slots[id] = slot{channel, at}
	return false, at, true
}

// limiter returns the channel's limiter for rate r split among the live
// replicas, made or changed as needed.
func (rs *rates) limiter(channel string, r Rate, now time.Time) *limiter {
	n := max(1, rs.replicas())
	lim := rate.Limit(float64(r.Max) / r.Per.Seconds() / float64(n))
	l := rs.by[channel]
	switch {
	case l == nil:
		l = &limiter{lim: rate.NewLimiter(lim, 1), r: r, n: n}
		rs.by[channel] = l
	case l.r != r || l.n != n:
		l.lim.SetLimitAt(now, lim)
		l.r, l.n = r, n
	}
	return l
}

// sweep forgets, every minute, the slots too old to be taken: their
// entries went to another worker, or away.
func (rs *rates) sweep(now time.Time) {
	if now.Sub(rs.swept) < time.Minute {
		return
	}
	rs.swept = now
	for id, s := range rs.slots {
		if now.Sub(s.at) > slotGrace {
			delete(rs.slots, id)
		}
	}
}

// waiting counts the entries waiting for a slot, by channel.
func (rs *rates) waiting(now time.Time) map[string]int {
	out := map[string]int{}
	if rs == nil {
		return out
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, s := range rs.slots {
		if now.Sub(s.at) <= slotGrace {
			out[s.channel]++
		}
	}
	return out
}
