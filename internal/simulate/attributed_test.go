package simulate_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/simulate"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/runtime/analytics"
)

// attributedConfig is a journey a cart enters again once left, left by
// an order (the goal) or after two days in browsing, with a reminder an
// hour after the cart and conversion(action.reminder).
const attributedConfig = `waymark {
  stack = "sim"
}
customer {
  attribute "email" {
    type      = string
    sensitive = true
  }
}
event "cart_updated" {}
event "order_placed" {}
channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  port     = 1025
  starttls = "off"
  from     = "shop@acme.test"
  to       = customer.email
}
journey "cart" {
  reentry = "after_leaving"
  entry { event = event.cart_updated }
  goal {
    event  = event.order_placed
    within = "3d"
  }
  stage "browsing" {
    timeout = "2d"
  }
  action "reminder" {
    channel = channel.email
    stages  = [stage.browsing]
    trigger {
      after  = "1h"
      unless = [event.order_placed]
    }
    message {
      subject = "Your cart"
      body    = "<p>Come back.</p>"
    }
  }
  kpi "reminded" {
    metric = conversion(action.reminder)
    window = "60d"
  }
}
`

type rawEvent struct {
	customer, typ string
	at            time.Time
}

// attributedEvents makes carts and orders of n customers over ten days,
// in time order, on whole minutes: some order within the hour (before the
// reminder), some later, some never; some come back with another cart.
func attributedEvents(n int) []rawEvent {
	r := rand.New(rand.NewPCG(3, 4))
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	minute := func(max int) time.Duration { return time.Duration(1+r.IntN(max)) * time.Minute }
	var out []rawEvent
	for i := range n {
		c := fmt.Sprintf("c-%04d", i)
		t := start.Add(minute(10 * 24 * 60))
		for k := 1 + r.IntN(3); k > 0; k-- {
			out = append(out, rawEvent{c, "cart_updated", t})
			switch r.IntN(4) {
			case 0:
				out = append(out, rawEvent{c, "order_placed", t.Add(minute(59))})
			case 1, 2:
				out = append(out, rawEvent{c, "order_placed", t.Add(minute(3 * 24 * 60))})
			}
			t = t.Add(minute(4 * 24 * 60))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// recountRun is a journey run as the recount sees it.
type recountRun struct {
	start, end time.Time
	goal       bool
}

// recountRuns follows the journey's rules over a customer's events: a
// cart enters when not in the journey; an order at most two days after
// entry reaches the goal; otherwise the run times out at two days (or is
// still in the journey at until).
func recountRuns(evs []rawEvent, until time.Time) map[string][]recountRun {
	runs := map[string][]recountRun{}
	open := map[string]*recountRun{}
	closeIfDue := func(c string, t time.Time) {
		if r := open[c]; r != nil && t.After(r.start.Add(48*time.Hour)) {
			r.end = r.start.Add(48 * time.Hour)
			runs[c] = append(runs[c], *r)
			delete(open, c)
		}
	}
	for _, e := range evs {
		closeIfDue(e.customer, e.at)
		switch r := open[e.customer]; {
		case e.typ == "cart_updated" && r == nil:
			open[e.customer] = &recountRun{start: e.at}
		case e.typ == "order_placed" && r != nil:
			r.end, r.goal = e.at, true
			runs[e.customer] = append(runs[e.customer], *r)
			delete(open, e.customer)
		}
	}
	for c := range open {
		closeIfDue(c, until)
	}
	return runs
}

// The KPI the runtime reports is what a recount of the raw events and of
// the deliveries it recorded gives: of the ended runs sent the reminder,
// those that ordered after the first. The same however the events come
// in batches (1, 7, 500).
func TestAttributedConversionRecount(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(attributedConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.Load(context.Background(), dir, lang.Options{Providers: builtin.Schemas("0.1.0"), Builtin: builtin.Lookup})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	evs := attributedEvents(150)
	var lines [][]byte
	for i, e := range evs {
		lines = append(lines, fmt.Appendf(nil, `{"id":"e%d","type":%q,"customer_id":%q,"timestamp":%q,"traits":{"email":"x@example.test"}}`,
			i, e.typ, e.customer, e.at.Format(time.RFC3339)))
	}
	latest := evs[len(evs)-1].at
	until := latest.Add(7 * 24 * time.Hour)
	runs := recountRuns(evs, until)

	var reports []string
	for _, size := range []int{1, 7, 500} {
		ctx := context.Background()
		rt, err := simulate.Start(ctx, simulate.Options{Now: func() time.Time { return latest }, Deterministic: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.Deploy(ctx, cfg.Document); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(lines); i += size {
			if _, err := rt.Ingest(ctx, bytes.Join(lines[i:min(i+size, len(lines))], []byte("\n"))); err != nil {
				t.Fatal(err)
			}
			if err := rt.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := rt.Advance(ctx, until); err != nil {
			t.Fatal(err)
		}
		ds, err := rt.Deliveries(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := rt.Service().Analytics(ctx, "sim", "cart", analytics.Range{All: true})
		if err != nil {
			t.Fatal(err)
		}
		rt.Close()

		// The recount: each delivery's run, the run's first delivery,
		// and how the run ended.
		first := map[string]time.Time{} // by customer and run start
		for _, d := range ds {
			for _, r := range runs[d.CustomerID] {
				if !d.Due.Before(r.start) && (r.end.IsZero() || d.Due.Before(r.end)) {
					k := d.CustomerID + "@" + r.start.String()
					if f, ok := first[k]; !ok || d.Due.Before(f) {
						first[k] = d.Due
					}
				}
			}
		}
		var num, den int64
		for c, rs := range runs {
			for _, r := range rs {
				f, sent := first[c+"@"+r.start.String()]
				if !sent || r.end.IsZero() {
					continue
				}
				den++
				if r.goal && !r.end.Before(f) {
					num++
				}
			}
		}
		if den < 50 || num == 0 || num == den {
			t.Fatalf("the recount has %d of %d runs: not a test of much", num, den)
		}
		k := rep.KPIs[0]
		if k.Name != "reminded" || k.Samples != den || k.Value == nil || *k.Value != float64(num)/float64(den) {
			t.Fatalf("in batches of %d: %s %v over %d, the recount %d of %d", size, k.Name, k.Value, k.Samples, num, den)
		}
		reports = append(reports, fmt.Sprintf("%v over %d; %d deliveries", *k.Value, k.Samples, len(ds)))
	}
	if !reflect.DeepEqual(reports, []string{reports[0], reports[0], reports[0]}) {
		t.Fatalf("the batchings differ: %s", strings.Join(reports, " | "))
	}
}
