package service

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/runtime/store"
)

// sealedMagic starts every payload the runtime encrypts at rest; a
// payload without it was written before encryption and is read as it is.
var sealedMagic = []byte("\xffWM1")

// sealedStore encrypts, with the data key, the outbox entries (recipients
// and rendered messages). Event log payloads and customer state, the rest
// of what holds customers' data, are sealed with each customer's own key
// by the shredder (shred.go), so that erasure can destroy them. Everything
// else passes through.
type sealedStore struct {
	store.Store
	k *keys
}

func (s *sealedStore) seal(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(bytes.Clone(sealedMagic), s.k.sealData(b)...)
}

func (s *sealedStore) open(b []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(b, sealedMagic)
	if !ok {
		return b, nil
	}
	return s.k.openData(rest)
}

func (s *sealedStore) Commit(ctx context.Context, c store.Commit) error {
	c.Deliveries = s.sealDeliveries(c.Deliveries)
	return s.Store.Commit(ctx, c)
}

func (s *sealedStore) sealDeliveries(ds []store.Delivery) []store.Delivery {
	if ds == nil {
		return nil
	}
	out := make([]store.Delivery, len(ds))
	for i, d := range ds {
		d.Data = s.seal(d.Data)
		out[i] = d
	}
	return out
}

func (s *sealedStore) openDeliveries(ds []store.Delivery, err error) ([]store.Delivery, error) {
	if err != nil {
		return ds, err
	}
	for i := range ds {
		if ds[i].Data, err = s.open(ds[i].Data); err != nil {
			return nil, fmt.Errorf("outbox entry %s: %w", ds[i].ID, err)
		}
	}
	return ds, nil
}

func (s *sealedStore) Delivery(ctx context.Context, id string) (store.Delivery, error) {
	d, err := s.Store.Delivery(ctx, id)
	if err != nil {
		return d, err
	}
	ds, err := s.openDeliveries([]store.Delivery{d}, nil)
	if err != nil {
		return store.Delivery{}, err
	}
	return ds[0], nil
}

func (s *sealedStore) Deliveries(ctx context.Context, state store.DeliveryState, after string, max int) ([]store.Delivery, error) {
	return s.openDeliveries(s.Store.Deliveries(ctx, state, after, max))
}

func (s *sealedStore) AddDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Delivery, error) {
	return s.openDeliveries(s.Store.AddDeliveries(ctx, s.sealDeliveries(ds)))
}

func (s *sealedStore) ClaimDeliveries(ctx context.Context, worker string, now time.Time, lease time.Duration, max int) ([]store.Delivery, error) {
	return s.openDeliveries(s.Store.ClaimDeliveries(ctx, worker, now, lease, max))
}

func (s *sealedStore) UpdateDelivery(ctx context.Context, d store.Delivery) error {
	d.Data = s.seal(d.Data)
	return s.Store.UpdateDelivery(ctx, d)
}

// Exclusive reports whether the store it wraps is used by no other
// process (see exclusiveStore).
func (s *sealedStore) Exclusive() bool {
	x, ok := s.Store.(exclusiveStore)
	return ok && x.Exclusive()
}
