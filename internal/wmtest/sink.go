package wmtest

import (
	"context"
	"sync"

	"github.com/waymarkhq/waymark/providers/host"
)

// Sink records deliveries in place of the providers' processes. Its
// methods are safe for concurrent use.
type Sink struct {
	mu   sync.Mutex
	byID map[string]host.Delivery // by idempotency key, the message id it returns
}

// NewSink returns an empty Sink.
func NewSink() *Sink { return &Sink{byID: map[string]host.Delivery{}} }

// Deliver records d and answers its idempotency key as the message id, so
// the outbox entry names the recorded delivery.
func (s *Sink) Deliver(_ context.Context, _ string, d *host.Delivery) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[d.IdempotencyKey] = *d
	return d.IdempotencyKey, nil
}

// Get returns the delivery recorded under message id.
func (s *Sink) Get(id string) (host.Delivery, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.byID[id]
	return d, ok
}
