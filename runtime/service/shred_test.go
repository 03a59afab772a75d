package service

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"os"
	"path/filepath"
	"testing"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// recoverable reports whether the files of dir give away email to someone
// who has them and the runtime's secret key: in plain text, or in an event
// that a customer key found anywhere in the bytes (live or on a page the
// database freed) opens. It knows the layouts of shred.go, not the
// store's.
func recoverable(t *testing.T, dir string, secret []byte, email string) (plain, sealed bool) {
	t.Helper()
	master, err := newKeys(secret)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, name := range []string{boltstore.FileName, boltstore.KeyFileName} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if bytes.Contains(all, []byte(email)) {
		plain = true
	}
	// Every 68-byte window the secret key opens is a customer key.
	const wrapped = 12 + keyIDSize + KeySize + 16
	type key struct {
		id   []byte
		aead cipher.AEAD
	}
	var found []key
	zero := make([]byte, 12)
	for i := 0; i+wrapped <= len(all); i++ {
		if bytes.Equal(all[i:i+12], zero) {
			continue
		}
		p, err := master.open(all[i : i+wrapped])
		if err != nil || len(p) != keyIDSize+KeySize {
			continue
		}
		block, _ := aes.NewCipher(p[keyIDSize:])
		aead, _ := cipher.NewGCM(block)
		found = append(found, key{p[:keyIDSize], aead})
	}
	// Every sealed payload a key found opens.
	const hdr = 1 + refSize + keyIDSize
	for _, k := range found {
		for at := 0; ; {
			j := bytes.Index(all[at:], k.id)
			if j < 0 {
				break
			}
			pos := at + j - 1 - refSize // the payload's start
			at += j + 1
			if pos < 0 || pos+hdr+12 > len(all) {
				continue
			}
			for end := pos + hdr + 12 + 16; end <= min(len(all), pos+hdr+12+4096); end++ {
				if p, err := k.aead.Open(nil, all[pos+hdr:pos+hdr+12], all[pos+hdr+12:end], all[pos:pos+hdr]); err == nil {
					sealed = sealed || bytes.Contains(p, []byte(email))
					break
				}
			}
		}
	}
	return plain, sealed
}

// TestErasureShredsEvents appends two customers' events to a bbolt store
// and erases one: before the erasure the files give away both emails
// (with the secret key: the events are sealed, so never in plain text);
// after it, only the other's, wherever bbolt left old pages.
func TestErasureShredsEvents(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := bytes.Repeat([]byte{7}, KeySize)
	run := func(f func(s *Service)) {
		st, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		svc, err := New(ctx, Config{Store: st, SecretKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- svc.Run(rctx) }()
		f(svc)
		stop()
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	const ana, bo = "ana.shred@example.test", "bo.shred@example.test"
	run(func(s *Service) {
		doc := fixture.Growth()
		if _, err := s.Deploy(ctx, doc.Stack, 0, doc, "t"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 { // several appends: bbolt copies the log's pages
			body := []byte(`{"type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":` + string(rune('1'+i)) + `0},"traits":{"email":"` + ana + `"}}
{"type":"cart_updated","customer_id":"c-2","attributes":{"cart_value":80},"traits":{"email":"` + bo + `"}}`)
			if res, err := s.Ingest(ctx, body, events.DefaultLimits); err != nil || res.Accepted != 2 {
				t.Fatalf("ingest %+v %v", res, err)
			}
			if err := s.SyncAll(ctx); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.Customer(ctx, "c-1")
		if err != nil || len(c.Journeys) != 1 {
			t.Fatalf("c-1 before erasure: %+v %v", c, err)
		}
	})
	for _, email := range []string{ana, bo} {
		if plain, sealed := recoverable(t, dir, secret, email); plain || !sealed {
			t.Fatalf("before erasure, %s: in plain text %v, in a sealed event %v; want false, true", email, plain, sealed)
		}
	}
	run(func(s *Service) {
		if err := s.Erase(ctx, "c-1", "t"); err != nil {
			t.Fatal(err)
		}
		// c-2 goes on; c-1 may come back as a new customer.
		if _, err := s.Ingest(ctx, []byte(`{"type":"cart_updated","customer_id":"c-2","attributes":{"cart_value":90}}`), events.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if err := s.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if plain, sealed := recoverable(t, dir, secret, ana); plain || sealed {
		t.Errorf("after erasure the files give away %s: in plain text %v, in a sealed event %v", ana, plain, sealed)
	}
	if _, sealed := recoverable(t, dir, secret, bo); !sealed {
		t.Errorf("after another's erasure %s cannot be read", bo)
	}
	// The runtime restarted over the erased customer's sealed events: it
	// skips them and carries on.
	run(func(s *Service) {
		if _, err := s.Customer(ctx, "c-1"); err == nil {
			t.Errorf("c-1 is back after the erasure")
		}
		if c, err := s.Customer(ctx, "c-2"); err != nil || len(c.Journeys) != 1 {
			t.Errorf("c-2: %+v %v", c, err)
		}
	})
}

// TestEventAfterErasureWithCachedKey: on the embedded store the service
// seals events with the keys it has cached, without asking the store; an
// erasure forgets the key, so the customer's next event gets a new one,
// which the store keeps: after a restart the event and the state are
// still readable, not sealed with the destroyed key (and so lost).
func TestEventAfterErasureWithCachedKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	secret := bytes.Repeat([]byte{7}, KeySize)
	run := func(f func(s *Service)) {
		t.Helper()
		st, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		s, err := New(ctx, Config{Store: st, SecretKey: secret})
		if err != nil {
			t.Fatal(err)
		}
		rctx, stop := context.WithCancel(ctx)
		ran := make(chan error, 1)
		go func() { ran <- s.Run(rctx) }()
		f(s)
		stop()
		if err := <-ran; err != nil {
			t.Fatal(err)
		}
	}
	journeys := func(s *Service) int {
		t.Helper()
		if err := s.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
		c, err := s.Customer(ctx, "c-1")
		if err != nil {
			return -1
		}
		return len(c.Journeys)
	}
	run(func(s *Service) {
		doc := fixture.Growth()
		if _, err := s.Deploy(ctx, doc.Stack, 0, doc, "t"); err != nil {
			t.Fatal(err)
		}
		ingest := func(id string) {
			t.Helper()
			body := []byte(`{"id":"` + id + `","type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":40}}`)
			if res, err := s.Ingest(ctx, body, events.DefaultLimits); err != nil || res.Accepted != 1 {
				t.Fatalf("ingest %s: %+v %v", id, res, err)
			}
		}
		ingest("e1") // c-1's key is made and cached
		if n := journeys(s); n != 1 {
			t.Fatalf("c-1 before erasure: in %d journeys", n)
		}
		if err := s.Erase(ctx, "c-1", "t"); err != nil {
			t.Fatal(err)
		}
		if n := journeys(s); n != -1 {
			t.Fatal("c-1 is still there after the erasure")
		}
		ingest("e2")
		if n := journeys(s); n != 1 {
			t.Fatalf("c-1 after the erasure and a new event: in %d journeys", n)
		}
	})
	run(func(s *Service) {
		if n := journeys(s); n != 1 {
			t.Fatalf("after a restart, c-1 of the event after the erasure: in %d journeys (-1: none)", n)
		}
	})
}
