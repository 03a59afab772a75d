package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/waymarkhq/waymark/runtime/store"
)

func testDeploy(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	if _, err := s.Deployment(ctx, "growth", 0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Deployment of an unknown stack: got %v, want ErrNotFound", err)
	}
	// The record's partition and id are the store's to set.
	d1 := must(s.Deploy(ctx, store.Deployment{Stack: "growth", Time: c.Now(), Who: "ci", Digest: "d1", Summary: "1 to add", Document: []byte("one")}, 0,
		store.LogRecord{Partition: 3, ID: "not an event", Arrival: c.Now(), Data: []byte("activate 1")}))
	if d1.Serial != 1 || d1.Seq == 0 {
		t.Fatalf("first deployment: serial %d seq %d, want serial 1 and a log position", d1.Serial, d1.Seq)
	}
	_, err := s.Deploy(ctx, store.Deployment{Stack: "growth", Document: []byte("stale")}, 0, store.LogRecord{Data: []byte("x")})
	var stale *store.StaleError
	if !errors.As(err, &stale) || stale.Current != 1 || stale.Base != 0 || stale.Stack != "growth" {
		t.Fatalf("deploying on serial 0 again: got %v, want a StaleError at 1", err)
	}
	if h := must(s.Head(ctx)); h.Seq != d1.Seq {
		t.Fatalf("a refused deployment changed the log: head at %d, want %d", h.Seq, d1.Seq)
	}
	d2 := must(s.Deploy(ctx, store.Deployment{Stack: "growth", Who: "ci", Digest: "d2", Document: []byte("two")}, 1, store.LogRecord{Data: []byte("activate 2")}))
	if d2.Serial != 2 || d2.Seq <= d1.Seq {
		t.Fatalf("second deployment: serial %d seq %d after %d", d2.Serial, d2.Seq, d1.Seq)
	}
	if _, err := s.Deploy(ctx, store.Deployment{Stack: "growth", Document: []byte("ahead")}, 5, store.LogRecord{Data: []byte("x")}); !errors.As(err, &stale) || stale.Current != 2 {
		t.Fatalf("deploying on a serial not reached: got %v, want a StaleError at 2", err)
	}
	must(s.Deploy(ctx, store.Deployment{Stack: "billing", Document: []byte("b")}, 0, store.LogRecord{Data: []byte("b")}))

	active := must(s.Stacks(ctx))
	if len(active) != 2 || active[0].Stack != "billing" || active[1].Stack != "growth" || active[1].Serial != 2 || string(active[1].Document) != "two" {
		t.Fatalf("Stacks: %+v", active)
	}
	got := must(s.Deployment(ctx, "growth", 1))
	if string(got.Document) != "one" || got.Who != "ci" || got.Digest != "d1" || got.Summary != "1 to add" || !got.Time.Equal(c.Now()) || got.Seq != d1.Seq {
		t.Fatalf("Deployment(growth, 1): %+v", got)
	}
	if got := must(s.Deployment(ctx, "growth", 0)); got.Serial != 2 || string(got.Document) != "two" {
		t.Fatalf("Deployment(growth, 0): %+v, want the active one", got)
	}
	if _, err := s.Deployment(ctx, "growth", 3); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Deployment of a serial not made: got %v", err)
	}
	hist := must(s.History(ctx, "growth"))
	if len(hist) != 2 || hist[0].Serial != 2 || hist[1].Serial != 1 || hist[0].Document != nil || hist[1].Digest != "d1" {
		t.Fatalf("History: %+v", hist)
	}
	if h := must(s.History(ctx, "none")); len(h) != 0 {
		t.Fatalf("History of an unknown stack: %+v", h)
	}
	// The activations are in the log, in every partition.
	recs, _ := read(t, s, []store.From{{Partition: 200}}, 10)
	if len(recs) != 3 || recs[0].Seq != d1.Seq || string(recs[0].Data) != "activate 1" || string(recs[1].Data) != "activate 2" {
		t.Fatalf("log after deployments: %s", showRecords(recs))
	}
	for _, r := range recs {
		if r.Partition != store.AllPartitions || r.ID != "" {
			t.Fatalf("an activation in partition %d with id %q, want AllPartitions and none", r.Partition, r.ID)
		}
	}
	if !recs[0].Arrival.Equal(c.Now()) {
		t.Fatalf("activation 1 arrived at %v, want %v", recs[0].Arrival, c.Now())
	}
}

func testTokens(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	if ts := must(s.Tokens(ctx)); len(ts) != 0 {
		t.Fatalf("a new store has tokens: %+v", ts)
	}
	if _, err := s.TokenByHash(ctx, []byte("hash-a")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TokenByHash in a new store: got %v, want ErrNotFound", err)
	}
	admin := store.Token{Name: "admin", Hash: []byte("hash-a"), Scopes: []store.Scope{store.ScopeAdmin}, Created: c.Now()}
	check(s.CreateToken(ctx, admin))
	if err := s.CreateToken(ctx, store.Token{Name: "admin", Hash: []byte("hash-b")}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("a second token named admin: got %v, want ErrExists", err)
	}
	check(s.CreateToken(ctx, store.Token{Name: "ci", Hash: []byte("hash-c"), Scopes: []store.Scope{store.ScopeDeploy, store.ScopeRead}}))
	got := must(s.TokenByHash(ctx, []byte("hash-a")))
	if got.Name != "admin" || len(got.Scopes) != 1 || got.Scopes[0] != store.ScopeAdmin || !got.Created.Equal(c.Now()) || string(got.Hash) != "hash-a" {
		t.Fatalf("TokenByHash: %+v", got)
	}
	if _, err := s.TokenByHash(ctx, []byte("hash-b")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused token's hash: got %v, want ErrNotFound", err)
	}
	ts := must(s.Tokens(ctx))
	if len(ts) != 2 || ts[0].Name != "admin" || ts[1].Name != "ci" || fmt.Sprint(ts[1].Scopes) != "[deploy read]" {
		t.Fatalf("Tokens: %+v", ts)
	}
}

func auditList(as []store.AuditRecord) string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.What+":"+a.Subject)
	}
	return fmt.Sprint(out)
}

func testAudit(t *testing.T, o Opener) {
	ctx := context.Background()
	s, c := open(t, o)
	if got := must(s.AuditLog(ctx, 0, 10)); len(got) != 0 {
		t.Fatalf("a new store's audit log: %+v", got)
	}
	// A Seq set by the caller is not kept.
	check(s.AddAudit(ctx, store.AuditRecord{Seq: 40, Time: c.Now(), Who: "admin", What: "token.create", Subject: "ci"}))
	check(s.AddAudit(ctx, store.AuditRecord{Time: c.Now(), Who: "ci", What: "deploy", Subject: "growth 1"}))
	check(s.AddAudit(ctx, store.AuditRecord{Time: c.Now(), Who: "ci", What: "rollback", Subject: "growth 1"}))
	all := must(s.AuditLog(ctx, 0, 10))
	if auditList(all) != "[token.create:ci deploy:growth 1 rollback:growth 1]" {
		t.Fatalf("AuditLog: %s", auditList(all))
	}
	if all[0].Seq == 0 || all[1].Seq <= all[0].Seq || all[2].Seq <= all[1].Seq {
		t.Fatalf("audit seqs %d %d %d, want increasing from above 0", all[0].Seq, all[1].Seq, all[2].Seq)
	}
	if all[0].Who != "admin" || !all[0].Time.Equal(c.Now()) {
		t.Fatalf("audit record 1: %+v", all[0])
	}
	pages := []struct {
		after uint64
		max   int
		want  string
	}{
		{0, 2, "[token.create:ci deploy:growth 1]"},
		{all[0].Seq, 10, "[deploy:growth 1 rollback:growth 1]"},
		{all[1].Seq, 1, "[rollback:growth 1]"},
		{all[2].Seq, 10, "[]"},
		{0, 0, "[]"},
	}
	for _, p := range pages {
		if got := auditList(must(s.AuditLog(ctx, p.after, p.max))); got != p.want {
			t.Errorf("AuditLog(%d, %d): %s, want %s", p.after, p.max, got, p.want)
		}
	}
}
