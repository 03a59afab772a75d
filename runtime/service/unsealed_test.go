package service

import (
	"bytes"
	"context"
	"testing"

	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// A runtime seals the events and state it stores with its customers'
// keys unless Config.Unsealed says the store never reaches a disk; either
// way it reads back what it stored.
func TestSealedUnlessUnsealed(t *testing.T) {
	const email = "ana.unsealed@example.test"
	for _, unsealed := range []bool{false, true} {
		ctx := context.Background()
		st := memstore.New(memstore.Options{})
		svc, err := New(ctx, Config{Store: st, SecretKey: bytes.Repeat([]byte{7}, KeySize), Unsealed: unsealed})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- svc.Run(rctx) }()
		doc := fixture.Growth()
		if _, err := svc.Deploy(ctx, doc.Stack, 0, doc, "t"); err != nil {
			t.Fatal(err)
		}
		body := []byte(`{"type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":10},"traits":{"email":"` + email + `"}}`)
		if res, err := svc.Ingest(ctx, body, events.DefaultLimits); err != nil || res.Accepted != 1 {
			t.Fatalf("unsealed %v: ingest %+v %v", unsealed, res, err)
		}
		if err := svc.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
		p := store.PartitionOf("c-1")
		recs, _, err := st.Read(ctx, []store.From{{Partition: p}}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var events int
		for _, r := range recs {
			if len(r.Data) == 0 || (r.Data[0] != engine.TagSealed && !bytes.Contains(r.Data, []byte(email))) {
				continue // not the customer's event
			}
			events++
			if sealed := r.Data[0] == engine.TagSealed; sealed == unsealed || bytes.Contains(r.Data, []byte(email)) != unsealed {
				t.Errorf("unsealed %v: the stored event is sealed %v, holds the email in the clear %v", unsealed, sealed, !sealed)
			}
		}
		if events != 1 {
			t.Errorf("unsealed %v: found %d stored events of c-1, want 1", unsealed, events)
		}
		cs, err := st.Customers(ctx, p, "", 10)
		if err != nil || len(cs) != 1 {
			t.Fatalf("unsealed %v: customers %+v %v", unsealed, cs, err)
		}
		if sealed := cs[0].Data[0] == engine.TagSealed; sealed == unsealed {
			t.Errorf("unsealed %v: the stored state is sealed %v", unsealed, sealed)
		}
		c, err := svc.Customer(ctx, "c-1")
		if _, ok := c.Profile["email"]; err != nil || !ok {
			t.Errorf("unsealed %v: c-1 read back as %+v %v", unsealed, c, err)
		}
		stop()
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
		st.Close()
	}
}
