package simulate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/simulate"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/builtin"
)

// writeConfig writes a stack of n journeys that every cart moves, each
// with an email reminder after the given delay and a web banner.
func writeConfig(tb testing.TB, dir string, n int, after string) {
	tb.Helper()
	var sb strings.Builder
	sb.WriteString(`waymark {
  stack = "sim"
}

customer {
  attribute "tier" { type = string }
  attribute "first_name" { type = string }
  attribute "email" {
    type      = string
    sensitive = true
  }
}

event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "checkout_started" {}
event "order_placed" {
  attribute "amount" { type = number }
}

channel "web" {
  provider = inbound
}

channel "email" {
  provider = smtp
  host     = "127.0.0.1"
  port     = 1025
  starttls = "off"
  from     = "shop@acme.test"
  to       = customer.email
}
`)
	for j := 0; j < n; j++ {
		fmt.Fprintf(&sb, `
journey "j%03d" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > %d
  }
  goal {
    event  = event.order_placed
    within = "3d"
  }
  stage "browsing" {
    timeout = "2d"
  }
  stage "checkout" {
    entry { event = event.checkout_started }
    timeout = "1d"
  }

  action "reminder" {
    channel = channel.email
    stages  = [stage.browsing, stage.checkout]
    trigger {
      after  = %q
      unless = [event.order_placed]
    }
    value = 1
    message {
      subject = "${customer.first_name}, your cart is waiting"
      body    = "<p>Come back.</p>"
    }
  }
  action "banner" {
    channel  = channel.web
    stages   = [stage.checkout]
    eligible = customer.tier == "gold"
    value    = 1
  }
  kpi "dropoff" {
    metric = dropoff(stage.checkout)
    window = "7d"
  }
  kpi "aov" {
    metric = average(event.order_placed.amount)
    window = "7d"
  }
}
`, j, j%50, after)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(sb.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func load(tb testing.TB, n int, after string) *deploy.Document {
	tb.Helper()
	dir := tb.TempDir()
	writeConfig(tb, dir, n, after)
	cfg, diags := lang.Load(context.Background(), dir, lang.Options{
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
	})
	if diags.HasErrors() {
		tb.Fatal(diags.Error())
	}
	return cfg.Document
}

// genEvents makes n events of about n/10 customers over two weeks, in
// time order: carts, then for some a checkout, then for some an order.
func genEvents(n int) *simulate.Events {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var lines []string
	for i := 0; len(lines) < n; i++ {
		t := start.Add(time.Duration(i) * 12 * time.Second)
		c := fmt.Sprintf("c-%05d", r.IntN(max(n/10, 1)))
		var line string
		switch k := r.IntN(10); {
		case k < 6:
			line = fmt.Sprintf(`{"id":"e%d","type":"cart_updated","customer_id":%q,"timestamp":%q,"attributes":{"cart_value":%d},"traits":{"tier":%q,"first_name":"Ada","email":"a@example.test"}}`,
				i, c, t.Format(time.RFC3339), r.IntN(100), []string{"gold", "silver"}[r.IntN(2)])
		case k < 9:
			line = fmt.Sprintf(`{"id":"e%d","type":"checkout_started","customer_id":%q,"timestamp":%q}`, i, c, t.Format(time.RFC3339))
		default:
			line = fmt.Sprintf(`{"id":"e%d","type":"order_placed","customer_id":%q,"timestamp":%q,"attributes":{"amount":%d}}`, i, c, t.Format(time.RFC3339), 10+r.IntN(90))
		}
		lines = append(lines, line)
	}
	ev, err := simulate.ReadEvents(strings.NewReader(strings.Join(lines, "\n")), "generated")
	if err != nil {
		panic(err)
	}
	return ev
}

func run(tb testing.TB, before, after *deploy.Document, ev *simulate.Events, tail time.Duration) *simulate.Report {
	tb.Helper()
	rep, err := simulate.Run(context.Background(), before, after, ev, tail)
	if err != nil {
		tb.Fatalf("replays: %v", err)
	}
	return rep
}

// A longer reminder delay than the checkout timeout sends fewer
// reminders and moves no journey; the same replay twice gives the same
// bytes, in text and in JSON.
func TestReplayDeterministic(t *testing.T) {
	before, after := load(t, 3, "1h"), load(t, 3, "30h")
	ev := genEvents(3000)
	var outs []string
	for range 2 {
		rep := run(t, before, after, ev, 3*24*time.Hour)
		var buf bytes.Buffer
		if err := rep.WriteText(&buf); err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(rep)
		outs = append(outs, buf.String()+string(j))
		if rep.Accepted.Before != 3000 || rep.Accepted.After != 3000 {
			t.Errorf("accepted %+v of 3000", rep.Accepted)
		}
		for _, d := range rep.Deliveries {
			if strings.HasSuffix(d.Action, ".reminder") && d.After >= d.Before {
				t.Errorf("%s: %d → %d, want fewer after", d.Action, d.Before, d.After)
			}
		}
		for _, j := range rep.Journeys {
			if j.Entered.Before == 0 || j.Entered != j.Entered || j.Goal.Before != j.Goal.After {
				t.Errorf("journey %s: %+v", j.Journey, j)
			}
		}
	}
	if outs[0] != outs[1] {
		t.Fatalf("two replays differ:\n%s\n---\n%s", outs[0], outs[1])
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// The figure of issue 14: plan -simulate over 100k recorded events and
// 100 journeys within 10 s on this machine.
func BenchmarkSimulate100kEvents100Journeys(b *testing.B) {
	before, after := load(b, 100, "1h"), load(b, 100, "30h")
	ev := genEvents(100000)
	b.ResetTimer()
	for range b.N {
		start, cpu0 := time.Now(), cpuTime()
		rep := run(b, before, after, ev, 3*24*time.Hour)
		d, cpu := time.Since(start), cpuTime()-cpu0
		b.ReportMetric(d.Seconds(), "s/simulation")
		b.ReportMetric(cpu.Seconds(), "cpu-s/simulation")
		if b.N == 1 {
			// The CPU time says what the wall time would be on an idle
			// machine with two cores: the two replays run side by side.
			fmt.Fprintf(os.Stderr, "plan -simulate: %d events, %d journeys, %d deliveries changed: %.2fs (%.2fs of CPU; target 10s)\n",
				rep.Events, len(rep.Journeys), len(rep.Deliveries), d.Seconds(), cpu.Seconds())
		}
	}
}
