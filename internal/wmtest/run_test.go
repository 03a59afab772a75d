package wmtest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/internal/wmtest"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
)

func load(t testing.TB, dir string, vars []lang.VarArg) *lang.Config {
	t.Helper()
	cfg, diags := lang.Load(context.Background(), dir, lang.Options{
		Vars:      vars,
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// Every example has scenario tests, and they pass against the real service
// (waymark test runs them the same way, with the providers' processes
// checking the configuration; here their schemas are built in).
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if cfgs, _ := filepath.Glob(filepath.Join(dir, "*.wm.hcl")); len(cfgs) == 0 {
			continue // not a configuration (examples/providers)
		}
		n++
		t.Run(filepath.Base(dir), func(t *testing.T) {
			tests, diags := lang.LoadTests(dir)
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			if len(tests.Tests) == 0 {
				t.Fatalf("%s has no *.wmtest.hcl tests", dir)
			}
			opts := wmtest.Options{Config: load(t, dir, nil), Load: func(_ context.Context, vars []lang.VarArg) (*lang.Config, hcl.Diagnostics) {
				return load(t, dir, vars), nil
			}}
			for _, tc := range tests.Tests {
				if res := wmtest.Run(context.Background(), tc, opts); !res.Passed() {
					t.Errorf("%s: %v %+v", tc.Name, res.Diags, failures(res))
				}
			}
		})
	}
	if n < 3 {
		t.Fatalf("found %d examples", n)
	}
}

func failures(r *wmtest.Result) []wmtest.Failure {
	var out []wmtest.Failure
	for _, f := range r.Failures {
		out = append(out, *f)
	}
	return out
}

// Each kind of expectation fails when what it expects does not happen,
// naming the attribute's range and what happened instead.
func TestFailures(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"schema.wm.hcl", "segments.wm.hcl", "channels.wm.hcl", "cart_recovery.wm.hcl", "arbitration.wm.hcl", "waymark.wm.hcl", "growth.auto.wmvars"} {
		b, err := os.ReadFile(filepath.Join("../../examples/cart-recovery", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.CopyFS(filepath.Join(dir, "templates"), os.DirFS("../../examples/cart-recovery/templates")); err != nil {
		t.Fatal(err)
	}
	cfg := load(t, dir, nil)
	const cart = `
  customer "c1" {
    traits = { first_name = "Ada", email = "a@example.test", email_opt_in = true, tier = "gold" }
  }
  event {
    customer   = "c1"
    type       = "cart_updated"
    attributes = { cart_value = 80, item_count = 2 }
  }
`
	for _, tc := range []struct {
		name, body string
		line       int
		want, got  string
	}{
		{"stage", `expect {
    at       = "+1h"
    customer = "c1"
    journey  = "cart_recovery"
    stage    = "checkout"
  }`, 14, "stage checkout (active)", "stage browsing (active)"},
		{"timer fired", `expect {
    at       = "+7d"
    customer = "c1"
    journey  = "cart_recovery"
    state    = "active"
  }`, 14, "state active", "state timed_out"},
		{"decision", `expect_decision {
    customer = "c1"
    channel  = "web"
    actions  = ["vip_banner"]
  }`, 13, "first [vip_banner]", "[]"},
		{"decision on the only inbound channel", `expect_decision {
    customer = "c1"
    actions  = ["payment_help_banner"]
  }`, 12, "first [payment_help_banner]", "[]"},
		{"delivery not sent", `expect_delivery {
    at       = "+2h"
    customer = "c1"
    action   = "reminder_email"
    sent     = false
  }`, 14, "not sent", "sent on email at +1h"},
		{"rendered field", `expect_delivery {
    at       = "+2h"
    customer = "c1"
    action   = "reminder_email"
    fields   = { subject = "Hello" }
  }`, 14, `"Hello"`, `"Ada, you left something in your cart"`},
		{"experiment variant", `expect_delivery {
    at       = "+2h"
    customer = "c1"
    action   = "reminder_email"
    variant  = "bold"
  }`, 14, `variant "bold"`, `variant "`},
		{"kpi", `event {
    at         = "+1h"
    customer   = "c1"
    type       = "order_placed"
    attributes = { amount = 80 }
  }
  expect_kpi {
    journey = "cart_recovery"
    kpi     = "average_order_value"
    value   = 70
  }`, 19, "70", "80 over 1 samples, no_target"},
		{"kpi samples", `event {
    at         = "+1h"
    customer   = "c1"
    type       = "order_placed"
    attributes = { amount = 80 }
  }
  expect_kpi {
    journey = "cart_recovery"
    kpi     = "average_order_value"
    samples = 2
  }`, 19, "over 2 samples", "80 over 1 samples, no_target"},
		{"unknown action", `expect_delivery {
    customer = "c1"
    action   = "reminder"
  }`, 12, "a deployed action", "no action reminder; the actions are: checkout_help_email, last_call_email, payment_help_banner, reminder_email, vip_banner"},
		{"unknown journey", `expect {
    customer = "c1"
    journey  = "cart"
    state    = "active"
  }`, 12, "a deployed journey", "no journey cart; the journeys are: cart_recovery"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "test \"t\" {" + cart + "  " + tc.body + "\n}\n"
			ts, diags := lang.ParseTests("t.wmtest.hcl", []byte(src))
			if diags.HasErrors() {
				t.Fatal(diags.Error())
			}
			res := wmtest.Run(context.Background(), ts[0], wmtest.Options{Config: cfg})
			if res.Diags.HasErrors() {
				t.Fatal(res.Diags.Error())
			}
			if len(res.Failures) != 1 {
				t.Fatalf("%d failures, want 1: %+v", len(res.Failures), failures(res))
			}
			f := res.Failures[0]
			if f.Range.Start.Line != tc.line || f.Want != tc.want || !strings.HasPrefix(f.Got, tc.got) {
				t.Errorf("failure at line %d: want %q, got %q; expected line %d: want %q, got %q", f.Range.Start.Line, f.Want, f.Got, tc.line, tc.want, tc.got)
			}
		})
	}
}

// A KPI that misses its target raises an alert, which the sink receives.
func TestAlerts(t *testing.T) {
	dir := "testdata/alerts"
	cfg := load(t, dir, nil)
	tests, diags := lang.LoadTests(dir)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	res := wmtest.Run(context.Background(), tests.Tests[0], wmtest.Options{Config: cfg})
	if !res.Passed() {
		t.Errorf("%v %+v", res.Diags, failures(res))
	}
}

// A test whose steps reach past now is refused: the outbox would hold its
// deliveries until then.
func TestFutureRefused(t *testing.T) {
	ts, diags := lang.ParseTests("f.wmtest.hcl", []byte(`test "f" {
  start = "2999-01-01T00:00:00Z"
  event {
    customer = "c"
    type     = "cart_updated"
  }
}
`))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	res := wmtest.Run(context.Background(), ts[0], wmtest.Options{Config: load(t, "testdata/alerts", nil)})
	if !res.Diags.HasErrors() || res.Diags[0].Summary != "Test ends in the future" || res.Diags[0].Subject.Start.Line != 3 {
		t.Fatalf("diags %v", res.Diags)
	}
}
