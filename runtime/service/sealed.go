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

// sealedStore encrypts, with the data key, what holds customers' data in
// the store: event log payloads (events carry their attributes and
// traits), customer state (the profile, sensitive attributes included)
// and outbox entries (recipients and rendered messages). Everything else
// passes through.
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

func (s *sealedStore) Append(ctx context.Context, recs []store.LogRecord) ([]uint64, error) {
	sealed := make([]store.LogRecord, len(recs))
	for i, r := range recs {
		r.Data = s.seal(r.Data)
		sealed[i] = r
	}
	return s.Store.Append(ctx, sealed)
}

func (s *sealedStore) Read(ctx context.Context, from []store.From, max int) ([]store.LogRecord, store.Head, error) {
	recs, h, err := s.Store.Read(ctx, from, max)
	if err != nil {
		return recs, h, err
	}
	for i := range recs {
		if recs[i].Data, err = s.open(recs[i].Data); err != nil {
			return nil, h, fmt.Errorf("log record %d: %w", recs[i].Seq, err)
		}
	}
	return recs, h, nil
}

func (s *sealedStore) Commit(ctx context.Context, c store.Commit) error {
	cs := make([]store.Customer, len(c.Customers))
	for i, cu := range c.Customers {
		cu.Data = s.seal(cu.Data)
		cs[i] = cu
	}
	c.Customers = cs
	c.Deliveries = s.sealDeliveries(c.Deliveries)
	return s.Store.Commit(ctx, c)
}

func (s *sealedStore) openCustomers(cs []store.Customer, err error) ([]store.Customer, error) {
	if err != nil {
		return cs, err
	}
	for i := range cs {
		if cs[i].Data, err = s.open(cs[i].Data); err != nil {
			return nil, fmt.Errorf("the state of a customer: %w", err)
		}
	}
	return cs, nil
}

func (s *sealedStore) Customer(ctx context.Context, id string) (store.Customer, error) {
	c, err := s.Store.Customer(ctx, id)
	if err != nil {
		return c, err
	}
	cs, err := s.openCustomers([]store.Customer{c}, nil)
	if err != nil {
		return store.Customer{}, err
	}
	return cs[0], nil
}

func (s *sealedStore) CustomersByID(ctx context.Context, ids []string) ([]store.Customer, error) {
	return s.openCustomers(s.Store.CustomersByID(ctx, ids))
}

func (s *sealedStore) Customers(ctx context.Context, p int, after string, max int) ([]store.Customer, error) {
	return s.openCustomers(s.Store.Customers(ctx, p, after, max))
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
