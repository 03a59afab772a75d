package engine

import (
	"sync"
	"time"
)

// Clock is the engine's wall clock: the time now, and a wake-up after a
// while. Tests use a Manual clock.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed, and a
	// function that stops it.
	After(d time.Duration) (<-chan time.Time, func())
}

// Wall is the system clock.
type Wall struct{}

// Now returns time.Now in UTC.
func (Wall) Now() time.Time { return time.Now().UTC() }

// After is time.NewTimer.
func (Wall) After(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// Manual is a clock that moves only when told to.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewManual returns a Manual clock at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t} }

// Now returns the clock's time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// After returns a channel that receives when the clock is moved to d from
// now or later.
func (m *Manual) After(d time.Duration) (<-chan time.Time, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- m.now
		return ch, func() {}
	}
	m.waiters = append(m.waiters, waiter{m.now.Add(d), ch})
	return ch, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i, w := range m.waiters {
			if w.ch == ch {
				m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
				return
			}
		}
	}
}

// Set moves the clock to t and wakes the waiters due by then.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.now = t
	kept := m.waiters[:0]
	for _, w := range m.waiters {
		if !w.at.After(t) {
			w.ch <- t
			continue
		}
		kept = append(kept, w)
	}
	m.waiters = kept
}

// Add moves the clock on by d.
func (m *Manual) Add(d time.Duration) { m.Set(m.Now().Add(d)) }
