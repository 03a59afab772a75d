package lang

import (
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/schema"
)

func TestParseTests(t *testing.T) {
	src := `test "reminder" {
  customer "c1" { traits = { first_name = "Ada" } }
  event {
    customer   = "c1"
    type       = "cart_updated"
    attributes = { cart_value = 80 }
  }
  expect {
    at       = "+3h"
    customer = "c1"
    journey  = "cart_recovery"
    stage    = "browsing"
  }
  expect_decision {
    at       = "2024-01-01T13:00:00Z"
    customer = "c1"
    channel  = "web"
    actions  = ["a", "b"]
  }
  expect_kpi {
    journey = "cart_recovery"
    kpi     = "conversion"
    value   = 0.5
  }
}
`
	ts, diags := ParseTests("a.wmtest.hcl", []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if len(ts) != 1 || len(ts[0].Customers) != 1 || len(ts[0].Steps) != 4 {
		t.Fatalf("got %+v", ts)
	}
	st := ts[0].Steps
	if st[0].At != DefaultTestStart || string(st[0].Attributes) != `{"cart_value":80}` {
		t.Errorf("event %+v", st[0])
	}
	if st[1].At != DefaultTestStart.Add(3*time.Hour) || *st[1].Stage != "browsing" || st[1].Range("stage").Start.Line != 12 {
		t.Errorf("expect %+v", st[1])
	}
	if st[2].At != DefaultTestStart.Add(4*time.Hour) || strings.Join(st[2].Actions, ",") != "a,b" {
		t.Errorf("decision %+v", st[2])
	}
	if st[3].At != st[2].At || *st[3].Value != 0.5 {
		t.Errorf("kpi %+v", st[3])
	}
}

func TestParseTestsDiagnostics(t *testing.T) {
	for _, tc := range []struct {
		name, src, want string
		line            int
	}{
		{"bad time", `test "x" {
  expect {
    at = "soon"
    customer = "c"
    journey = "j"
    state = "active"
  }
}`, `"soon" is neither`, 3},
		{"time goes back", `test "x" {
  event {
    at = "+2h"
    customer = "c"
    type = "e"
  }
  event {
    at = "+1h"
    customer = "c"
    type = "e"
  }
}`, "before the step above it", 8},
		{"bad state", `test "x" {
  expect {
    customer = "c"
    journey = "j"
    state = "done"
  }
}`, `not "done"`, 5},
		{"nothing expected", `test "x" {
  expect {
    customer = "c"
    journey = "j"
  }
}`, "set stage or state", 2},
		{"unknown attribute", `test "x" {
  expect_delivery {
    customer = "c"
    action = "a"
    subject = "s"
  }
}`, "Unsupported argument", 5},
		{"variables", `test "x" {
  event {
    customer = var.c
    type = "e"
  }
}`, "literals", 3},
		{"wrong type", `test "x" {
  expect_decision {
    customer = "c"
    channel = "web"
    actions = "a"
  }
}`, "actions must be", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := ParseTests("a.wmtest.hcl", []byte(tc.src))
			if !diags.HasErrors() {
				t.Fatal("no error")
			}
			d := diags[0]
			if !strings.Contains(d.Summary+" "+d.Detail, tc.want) {
				t.Errorf("diagnostic %q: %q, want %q", d.Summary, d.Detail, tc.want)
			}
			if d.Subject == nil || d.Subject.Start.Line != tc.line {
				t.Errorf("subject %v, want line %d", d.Subject, tc.line)
			}
		})
	}
}

// The documented default start is the one the decoder uses.
func TestDefaultTestStartDocumented(t *testing.T) {
	a := schema.TestFile().Block("test").Attribute("start")
	if a.Default != `"`+DefaultTestStart.Format(time.RFC3339)+`"` {
		t.Errorf("schema says %s, decoder uses %s", a.Default, DefaultTestStart.Format(time.RFC3339))
	}
}
