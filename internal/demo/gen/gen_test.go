package gen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/waymarkhq/waymark/internal/demo/gen"
)

var start = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func generate(t *testing.T) []gen.Event {
	t.Helper()
	return gen.Generate(gen.Options{Seed: 42, Start: start, Incident: true})
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := gen.Write(&a, generate(t)); err != nil {
		t.Fatal(err)
	}
	if err := gen.Write(&b, generate(t)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two runs with one seed differ")
	}
	other := gen.Generate(gen.Options{Seed: 43, Start: start})
	if reflect.DeepEqual(other[:100], generate(t)[:100]) {
		t.Fatal("another seed gives the same stream")
	}
	back, err := gen.Read(&a)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(generate(t)) {
		t.Fatalf("read back %d events", len(back))
	}
}

// schema reads the example's event types and customer attributes from its
// HCL, with their types.
func schema(t *testing.T) (events map[string]map[string]string, traits map[string]string) {
	t.Helper()
	path := filepath.Join("..", "..", "..", "examples", "cart-recovery", "schema.wm.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs := func(b *hclsyntax.Block) map[string]string {
		out := map[string]string{}
		for _, a := range b.Body.Blocks {
			if a.Type == "attribute" {
				out[a.Labels[0]] = hcl.ExprAsKeyword(a.Body.Attributes["type"].Expr)
			}
		}
		return out
	}
	events = map[string]map[string]string{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		switch b.Type {
		case "event":
			events[b.Labels[0]] = attrs(b)
		case "customer":
			traits = attrs(b)
		}
	}
	return events, traits
}

func typeOf(v any) string {
	switch v.(type) {
	case float64, int:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	}
	return "?"
}

func TestStreamShape(t *testing.T) {
	evs := generate(t)
	var buf bytes.Buffer
	if err := gen.Write(&buf, evs); err != nil {
		t.Fatal(err)
	}
	evs, err := gen.Read(&buf) // as the runtime reads them: numbers are float64
	if err != nil {
		t.Fatal(err)
	}
	types, traits := schema(t)
	if len(evs) < 20_000 || len(evs) > 100_000 {
		t.Errorf("%d events, want tens of thousands", len(evs))
	}
	seen := map[string]int{}
	ids := map[string]bool{}
	customers := map[string]bool{}
	for i, ev := range evs {
		attrs, ok := types[ev.Type]
		if !ok {
			t.Fatalf("event %s has type %q, which the example does not declare", ev.ID, ev.Type)
		}
		seen[ev.Type]++
		for k, v := range ev.Attributes {
			if want, ok := attrs[k]; !ok || typeOf(v) != want {
				t.Fatalf("event %s: attribute %s = %v is not a declared %s", ev.ID, k, v, want)
			}
		}
		for k, v := range ev.Traits {
			if want, ok := traits[k]; !ok || typeOf(v) != want {
				t.Fatalf("event %s: trait %s = %v is not a declared %s", ev.ID, k, v, want)
			}
		}
		if ids[ev.ID] || ev.ID == "" || ev.CustomerID == "" {
			t.Fatalf("event %d: id %q, customer %q", i, ev.ID, ev.CustomerID)
		}
		ids[ev.ID] = true
		if !customers[ev.CustomerID] && ev.Traits == nil {
			t.Fatalf("the first event of %s carries no profile", ev.CustomerID)
		}
		customers[ev.CustomerID] = true
		if i > 0 && ev.Timestamp.Before(evs[i-1].Timestamp) {
			t.Fatalf("event %s goes back in time", ev.ID)
		}
		if ev.Timestamp.Before(start) || !ev.Timestamp.Before(start.Add(28*day)) {
			t.Fatalf("event %s at %s is outside the span", ev.ID, ev.Timestamp)
		}
	}
	for typ := range types {
		if seen[typ] == 0 {
			t.Errorf("no %s event", typ)
		}
	}
	t.Logf("%d events of %d customers: %v", len(evs), len(customers), seen)
}

// The stream's journeys, recounted, have the rates of a real shop.
func TestRecountOfTheStream(t *testing.T) {
	evs := generate(t)
	rules := gen.CartRecovery()
	out := gen.Recount(evs, rules, time.Time{})
	end := evs[len(evs)-1].Timestamp
	tot := out.Totals(start, end)
	t.Logf("%+v", tot)
	if tot.Entries != len(out.Runs) || tot.Entries < 5000 {
		t.Errorf("%d entries of %d runs", tot.Entries, len(out.Runs))
	}
	if tot.Entries != tot.Completed+tot.Exited+tot.Expired+tot.TimedOut+tot.Active {
		t.Errorf("entries do not add up: %+v", tot)
	}
	if tot.Expired != 0 {
		// browsing 7d + checkout 3d + payment 2d time out before 14d.
		t.Errorf("%d expired", tot.Expired)
	}
	share := func(a, b int) float64 { return float64(a) / float64(b) }
	if c := share(tot.Completed, tot.Entries); c < 0.25 || c > 0.5 {
		t.Errorf("%.2f of entries completed", c)
	}
	if x := share(tot.Exited, tot.Entries); x < 0.01 || x > 0.1 {
		t.Errorf("%.2f of entries exited", x)
	}
	if x := share(tot.TimedOut, tot.Entries); x < 0.3 || x > 0.7 {
		t.Errorf("%.2f of entries timed out", x)
	}
	// The payment incident pushes the checkout dropoff over the KPI's
	// 0.4 in the week after it, and it is below before.
	dropoff := func(to time.Time) float64 {
		f := out.Funnel(rules, to.Add(-7*day), to)[1]
		return share(f.Dropped, f.MovedOn+f.Completed+f.Dropped)
	}
	before, during, after := dropoff(start.Add(14*day)), dropoff(start.Add(19*day)), dropoff(start.Add(27*day))
	t.Logf("checkout dropoff before the incident %.2f, at its end %.2f, a week later %.2f", before, during, after)
	if before >= 0.4 || during <= 0.4 || after >= 0.4 {
		t.Errorf("checkout dropoff %.2f before the incident, %.2f at its end, %.2f a week later", before, during, after)
	}
	conv, matured := out.Conversion(rules, start.Add(14*day), end)
	if matured == 0 || share(conv, matured) < 0.25 {
		t.Errorf("conversion %d of %d", conv, matured)
	}
	if ps := out.Paths(start, end); len(ps) < 3 {
		t.Errorf("paths %+v", ps)
	}
}

func TestRecountRules(t *testing.T) {
	at := func(d time.Duration) time.Time { return start.Add(d) }
	cart := func(c string, d time.Duration, v float64) gen.Event {
		return gen.Event{Type: "cart_updated", CustomerID: c, Timestamp: at(d), Attributes: map[string]any{"cart_value": v, "item_count": 1.0}}
	}
	ev := func(c, typ string, d time.Duration) gen.Event {
		return gen.Event{Type: typ, CustomerID: c, Timestamp: at(d)}
	}
	evs := []gen.Event{
		cart("small", 0, 24.99), // below min_cart_value: no entry
		cart("a", 0, 30), ev("a", "checkout_started", time.Hour),
		ev("a", "order_placed", time.Hour+3*day),                // exactly at checkout's timeout: the event comes first
		cart("b", 0, 30),                                        // times out of browsing at 7d
		cart("b", 10*day, 40),                                   // too soon to enter again
		cart("b", 7*day+30*day, 40),                             // 30 days after leaving: a second run
		cart("c", 0, 30), ev("c", "payment_started", time.Hour), // straight to payment
		ev("c", "ticket_opened", 2*time.Hour),
		cart("d", 0, 30), ev("d", "checkout_started", time.Minute),
		ev("d", "checkout_started", 2*time.Minute), // no move: already there
		ev("z", "order_placed", 38*day),
	}
	out := gen.Recount(evs, gen.CartRecovery(), time.Time{})
	type brief struct {
		c       string
		n       int
		stages  int
		outcome string
		ended   time.Duration
	}
	var got []brief
	for _, r := range out.Runs {
		b := brief{r.Customer, r.N, len(r.Stages), r.Outcome, 0}
		if !r.Ended.IsZero() {
			b.ended = r.Ended.Sub(start)
		}
		got = append(got, b)
	}
	want := []brief{
		{"a", 1, 2, gen.Completed, time.Hour + 3*day},
		{"b", 1, 1, gen.TimedOut, 7 * day},
		{"b", 2, 1, gen.Active, 0},
		{"c", 1, 2, gen.Exited, 2 * time.Hour},
		{"d", 1, 2, gen.TimedOut, time.Minute + 3*day},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if tot := out.Totals(start, at(40*day)); tot != (gen.Totals{Entries: 5, Completed: 1, Exited: 1, TimedOut: 2, Active: 1}) {
		t.Errorf("totals %+v", tot)
	}
	f := out.Funnel(gen.CartRecovery(), start, at(40*day))
	if f[0] != (gen.StageCounts{Reached: 5, MovedOn: 3, Dropped: 1, StillThere: 1}) || f[1] != (gen.StageCounts{Reached: 2, Completed: 1, Dropped: 1}) ||
		f[2] != (gen.StageCounts{Reached: 1, Dropped: 1}) {
		t.Errorf("funnel %+v", f)
	}
}
