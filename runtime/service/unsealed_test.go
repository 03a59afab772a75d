package service

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

const memEmail = "ana.unsealed@example.test"

// inMemory runs a service as cfg says over a new memstore, with
// fixture.Growth deployed and one event of c-1 processed that enters
// cart_recovery; it stops when the test ends.
func inMemory(t *testing.T, cfg Config) (*Service, *memstore.Store) {
	t.Helper()
	ctx := context.Background()
	st := memstore.New(memstore.Options{})
	cfg.Store, cfg.SecretKey = st, bytes.Repeat([]byte{7}, KeySize)
	svc, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			t.Error(err)
		}
		st.Close()
	})
	doc := fixture.Growth()
	if _, err := svc.Deploy(ctx, doc.Stack, 0, doc, "t"); err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":80},"traits":{"email":"` + memEmail + `"}}`)
	if res, err := svc.Ingest(ctx, body, events.DefaultLimits); err != nil || res.Accepted != 1 {
		t.Fatalf("ingest %+v %v", res, err)
	}
	if err := svc.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	return svc, st
}

// A runtime seals the events and state it stores with its customers'
// keys unless Config.Ephemeral says the store never reaches a disk, and
// then stores no customer state at all; either way it reads back what it
// keeps, and lists its customers.
func TestSealedUnlessEphemeral(t *testing.T) {
	ctx := context.Background()
	for _, ephemeral := range []bool{false, true} {
		svc, st := inMemory(t, Config{Ephemeral: ephemeral})
		p := store.PartitionOf("c-1")
		recs, _, err := st.Read(ctx, []store.From{{Partition: p}}, 100)
		if err != nil {
			t.Fatal(err)
		}
		var stored int
		for _, r := range recs {
			if len(r.Data) == 0 || (r.Data[0] != engine.TagSealed && !bytes.Contains(r.Data, []byte(memEmail))) {
				continue // not the customer's event
			}
			stored++
			if sealed := r.Data[0] == engine.TagSealed; sealed == ephemeral || bytes.Contains(r.Data, []byte(memEmail)) != ephemeral {
				t.Errorf("ephemeral %v: the stored event is sealed %v, holds the email in the clear %v", ephemeral, sealed, !sealed)
			}
		}
		if stored != 1 {
			t.Errorf("ephemeral %v: found %d stored events of c-1, want 1", ephemeral, stored)
		}
		cs, err := st.Customers(ctx, p, "", 10)
		switch {
		case err != nil:
			t.Fatal(err)
		case ephemeral && len(cs) != 0:
			t.Errorf("ephemeral: the store holds customers %+v", cs)
		case !ephemeral && len(cs) != 1:
			t.Fatalf("customers %+v", cs)
		case !ephemeral && cs[0].Data[0] != engine.TagSealed:
			t.Errorf("the stored state is not sealed")
		}
		c, err := svc.Customer(ctx, "c-1")
		if err != nil || len(c.Journeys) != 1 {
			t.Errorf("ephemeral %v: c-1 read back as %+v %v", ephemeral, c, err)
		}
		var ids []string
		if err := svc.EachCustomer(ctx, func(id string) error { ids = append(ids, id); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] != "c-1" {
			t.Errorf("ephemeral %v: customers listed %q, want c-1", ephemeral, ids)
		}
	}
}

// Facts handed to the store decoded count as the encoded ones do.
func TestDecodedFactsCountAsEncoded(t *testing.T) {
	ctx := context.Background()
	var reports []string
	for _, decoded := range []bool{false, true} {
		svc, _ := inMemory(t, Config{DecodedFacts: decoded})
		rep, err := svc.Analytics(ctx, fixture.Growth().Stack, "cart_recovery", analytics.Range{All: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Totals.Entries != 1 {
			t.Errorf("decoded %v: %d entries, want 1", decoded, rep.Totals.Entries)
		}
		b, _ := json.Marshal([]any{rep.Active, rep.Totals, rep.Funnel, rep.Paths, rep.Hourly}) // not the clock's now
		reports = append(reports, string(b))
	}
	if reports[0] != reports[1] {
		t.Errorf("encoded and decoded facts report differently:\n%s\n%s", reports[0], reports[1])
	}
}
