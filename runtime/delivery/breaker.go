package delivery

import (
	"sync"
	"time"
)

// breakers are the circuit breakers of the channels.
type breakers struct {
	threshold int
	cooldown  time.Duration
	mu        sync.Mutex
	by        map[string]*breaker
}

// breaker counts a channel's failures in a row. It opens at threshold:
// no attempt until until; then one probe at a time (half open) until an
// attempt succeeds.
type breaker struct {
	failures int
	until    time.Time
	probing  bool
}

func (b *breakers) get(channel string) *breaker {
	if b.by[channel] == nil {
		b.by[channel] = &breaker{}
	}
	return b.by[channel]
}

// allow reports whether an attempt on channel may be made now; when not,
// it says when to try again.
func (b *breakers) allow(channel string, now time.Time) (bool, time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.get(channel)
	if br.failures < b.threshold {
		return true, time.Time{}
	}
	if now.Before(br.until) {
		return false, br.until
	}
	if br.probing {
		return false, now.Add(b.cooldown)
	}
	br.probing = true
	return true, time.Time{}
}

// done records an attempt's result: ok, or a failure that counts (a
// retryable one: a permanent refusal says nothing of the channel).
func (b *breakers) done(channel string, ok, counts bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.get(channel)
	br.probing = false
	switch {
	case ok:
		br.failures = 0
	case counts:
		br.failures++
		if br.failures >= b.threshold {
			br.until = now.Add(b.cooldown)
		}
	}
}

// open reports whether channel's breaker is open now.
func (b *breakers) open(channel string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	br := b.by[channel]
	return br != nil && br.failures >= b.threshold && now.Before(br.until)
}
