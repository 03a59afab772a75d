package planner_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
)

const base = `
waymark {
  stack = "growth"
}
customer {
  attribute "email" {
    type      = string
    sensitive = true
  }
  attribute "tier" { type = string }
}
event "cart_updated" {
  attribute "cart_value" { type = number }
}
event "order_placed" {}
channel "web" {
  provider = inbound
}
channel "ops" {
  provider = webhook
  url      = "https://ops.acme.test/"
}
`

func doc(t *testing.T, src string) *deploy.Document {
	t.Helper()
	return plannertest.Load(t, ".", map[string]string{"base.wm.hcl": base, "main.wm.hcl": src}).Document
}

// deployment is what the runtime's API gives for d: sensitive values
// withheld, with the stack's digest key.
func deployment(t *testing.T, d *deploy.Document) *planner.Deployment {
	t.Helper()
	key := plannertest.DigestKey(d.Stack)
	wire, err := deploy.EncodeWithheld(d, key)
	if err != nil {
		t.Fatal(err)
	}
	w, digests, err := deploy.DecodeWithheld(wire)
	if err != nil {
		t.Fatal(err)
	}
	return &planner.Deployment{Serial: 1, Document: w, Digests: digests, DigestKey: key}
}

type want struct {
	action   plans.Action
	previous string
	replace  []string
}

func diff(t *testing.T, prior, desired string) map[string]plans.Change {
	t.Helper()
	var dep *planner.Deployment
	if prior != "" {
		dep = deployment(t, doc(t, prior))
	}
	changes, err := planner.Diff(dep, doc(t, desired))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(changes, func(a, b plans.Change) int { return strings.Compare(a.Address, b.Address) }) {
		t.Error("changes are not sorted by address")
	}
	out := map[string]plans.Change{}
	for _, c := range changes {
		out[c.Address] = c
	}
	return out
}

const journey = `
journey "j" {
  entry { event = event.cart_updated }
  stage "a" {}
  stage "b" {}
  stage "c" {}
  action "x" {
    channel = channel.web
    stages  = [stage.a]
  }
  kpi "k" {
    metric = dropoff(stage.a)
    window = "7d"
  }
}
`

func TestDiff(t *testing.T) {
	cases := []struct {
		name           string
		prior, desired string
		want           map[string]want // addresses not listed must be no-ops
	}{
		{
			name:  "identical configurations change nothing",
			prior: journey, desired: journey,
		},
		{
			name:  "customer attribute type forces replacement",
			prior: "customer {\n  attribute \"age\" { type = string }\n}", desired: "customer {\n  attribute \"age\" { type = number }\n}",
			want: map[string]want{"customer.attribute.age": {action: plans.Replace, replace: []string{"type"}}},
		},
		{
			name:  "customer attribute default updates in place",
			prior: "customer {\n  attribute \"age\" { type = number }\n}", desired: "customer {\n  attribute \"age\" {\n    type    = number\n    default = 18\n  }\n}",
			want: map[string]want{"customer.attribute.age": {action: plans.Update}},
		},
		{
			name:    "event attribute type forces replacement",
			prior:   "event \"survey\" {\n  attribute \"score\" { type = string }\n}",
			desired: "event \"survey\" {\n  attribute \"score\" { type = number }\n}",
			want:    map[string]want{"event.survey": {action: plans.Replace, replace: []string{"attributes.0.type"}}},
		},
		{
			name:    "an event attribute added updates in place",
			prior:   "event \"survey\" {\n  attribute \"score\" { type = number }\n}",
			desired: "event \"survey\" {\n  attribute \"score\" { type = number }\n  attribute \"comment\" { type = string }\n}",
			want:    map[string]want{"event.survey": {action: plans.Update}},
		},
		{
			name:    "channel provider forces replacement",
			prior:   `channel "audit" { provider = inbound }`,
			desired: `channel "audit" { provider = log }`,
			want:    map[string]want{"channel.audit": {action: plans.Replace, replace: []string{"provider", "source"}}},
		},
		{
			name:    "action channel forces replacement",
			prior:   journey,
			desired: strings.Replace(journey, "channel = channel.web", "channel = channel.ops", 1),
			want:    map[string]want{"journey.j.action.x": {action: plans.Replace, replace: []string{"channel"}}},
		},
		{
			name:    "KPI metric forces replacement",
			prior:   journey,
			desired: strings.Replace(journey, "dropoff(stage.a)", "dropoff(stage.b)", 1),
			want:    map[string]want{"journey.j.kpi.k": {action: plans.Replace, replace: []string{"metric"}}},
		},
		{
			name:    "KPI window updates in place",
			prior:   journey,
			desired: strings.Replace(journey, `window = "7d"`, `window = "14d"`, 1),
			want:    map[string]want{"journey.j.kpi.k": {action: plans.Update}},
		},
		{
			name:    "reordered stages update in place",
			prior:   journey,
			desired: strings.Replace(journey, "stage \"a\" {}\n  stage \"b\" {}", "stage \"b\" {}\n  stage \"a\" {}", 1),
			want: map[string]want{
				"journey.j":         {action: plans.Update},
				"journey.j.stage.a": {action: plans.Update},
				"journey.j.stage.b": {action: plans.Update},
			},
		},
		{
			name:    "created and destroyed",
			prior:   journey,
			desired: strings.Replace(strings.Replace(journey, "stage \"c\" {}", "stage \"d\" {}", 1), `kpi "k"`, `kpi "k2"`, 1),
			want: map[string]want{
				"journey.j":         {action: plans.Update},
				"journey.j.stage.c": {action: plans.Delete},
				"journey.j.stage.d": {action: plans.Create},
				"journey.j.kpi.k":   {action: plans.Delete},
				"journey.j.kpi.k2":  {action: plans.Create},
			},
		},
		{
			name:    "a moved stage is compared with its old self",
			prior:   journey,
			desired: strings.Replace(journey, "stage \"c\" {}", "stage \"see\" {}", 1) + "moved {\n  from = journey.j.stage.c\n  to   = journey.j.stage.see\n}\n",
			want: map[string]want{
				"journey.j":           {action: plans.Update},
				"journey.j.stage.see": {action: plans.NoOp, previous: "journey.j.stage.c"},
			},
		},
		{
			name:    "a moved journey moves its stages, actions and KPIs",
			prior:   journey,
			desired: strings.Replace(journey, `journey "j"`, `journey "k"`, 1) + "moved {\n  from = journey.j\n  to   = journey.k\n}\n",
			want: map[string]want{
				"journey.k":          {action: plans.NoOp, previous: "journey.j"},
				"journey.k.stage.a":  {action: plans.NoOp, previous: "journey.j.stage.a"},
				"journey.k.stage.b":  {action: plans.NoOp, previous: "journey.j.stage.b"},
				"journey.k.stage.c":  {action: plans.NoOp, previous: "journey.j.stage.c"},
				"journey.k.action.x": {action: plans.NoOp, previous: "journey.j.action.x"},
				"journey.k.kpi.k":    {action: plans.NoOp, previous: "journey.j.kpi.k"},
			},
		},
		{
			name:    "a move from an address never deployed creates",
			prior:   journey,
			desired: strings.Replace(journey, "stage \"c\" {}", "stage \"c\" {}\n  stage \"d\" {}", 1) + "moved {\n  from = journey.j.stage.zzz\n  to   = journey.j.stage.d\n}\n",
			want: map[string]want{
				"journey.j":         {action: plans.Update},
				"journey.j.stage.d": {action: plans.Create},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := diff(t, tc.prior, tc.desired)
			for addr, c := range got {
				w, listed := tc.want[addr]
				if !listed {
					if c.Action != plans.NoOp || c.Moved() {
						t.Errorf("%s: %v (from %q), want no-op", addr, c.Action, c.PreviousAddress)
					}
					continue
				}
				if c.Action != w.action || c.PreviousAddress != w.previous || !slices.Equal(c.ReplacePaths, w.replace) {
					t.Errorf("%s: %v from %q replacing %v; want %v from %q replacing %v",
						addr, c.Action, c.PreviousAddress, c.ReplacePaths, w.action, w.previous, w.replace)
				}
			}
			for addr := range tc.want {
				if _, ok := got[addr]; !ok {
					t.Errorf("no change for %s", addr)
				}
			}
		})
	}
}

// A stack never deployed: everything is created, with no before.
func TestDiffNeverDeployed(t *testing.T) {
	for _, dep := range []*planner.Deployment{nil, {}} {
		changes, err := planner.Diff(dep, doc(t, journey))
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) == 0 {
			t.Fatal("no changes")
		}
		for _, c := range changes {
			if c.Action != plans.Create || c.Before != nil || c.After == nil {
				t.Errorf("%s: %v, before %v", c.Address, c.Action, c.Before)
			}
		}
	}
}

const secretChannel = `
variable "password" {
  type      = string
  sensitive = true
  default   = "%s"
}
channel "email" {
  provider = smtp
  host     = "smtp.acme.test"
  from     = "a@acme.test"
  to       = customer.email
  password = var.password
}
`

// Sensitive values are compared by digest and never appear in a change.
func TestDiffSensitive(t *testing.T) {
	withPassword := func(p string) *deploy.Document {
		return doc(t, strings.Replace(secretChannel, "%s", p, 1))
	}
	cases := []struct {
		name  string
		prior *planner.Deployment
		want  plans.Action
	}{
		{"same value, withheld by the runtime", deployment(t, withPassword("s3cret-one")), plans.NoOp},
		{"another value, withheld by the runtime", deployment(t, withPassword("s3cret-zero")), plans.Update},
		{"same value in the clear", &planner.Deployment{Document: withPassword("s3cret-one")}, plans.NoOp},
		{"another value in the clear", &planner.Deployment{Document: withPassword("s3cret-zero")}, plans.Update},
		{"no digest key: cannot tell, so changed", func() *planner.Deployment {
			d := deployment(t, withPassword("s3cret-one"))
			d.DigestKey = nil
			return d
		}(), plans.Update},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			changes, err := planner.Diff(tc.prior, withPassword("s3cret-one"))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range changes {
				b, _ := json.Marshal(c)
				if strings.Contains(string(b), "s3cret") {
					t.Errorf("%s: the change holds the sensitive value: %s", c.Address, b)
				}
				if c.Address == "channel.email" {
					if c.Action != tc.want {
						t.Errorf("channel.email: %v, want %v", c.Action, tc.want)
					}
					if !slices.Contains(c.AfterSensitive, "config.password") {
						t.Errorf("after_sensitive %v lacks config.password", c.AfterSensitive)
					}
				}
			}
		})
	}
}

// The runtime's wire form withholds sensitive values, and reading it back
// gives the Document without them and their digests.
func TestWithheldWireForm(t *testing.T) {
	d := doc(t, strings.Replace(secretChannel, "%s", "s3cret<&>", 1))
	key := []byte("k")
	wire, err := deploy.EncodeWithheld(d, key)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(wire), "s3cret") {
		t.Fatalf("the wire form holds the sensitive value:\n%s", wire)
	}
	back, digests, err := deploy.DecodeWithheld(wire)
	if err != nil {
		t.Fatal(err)
	}
	ch := back.Object("channel.email").Channel
	if _, ok := ch.Config["password"]; ok {
		t.Errorf("the read Document holds the password: %s", ch.Config["password"])
	}
	if string(ch.Config["host"]) != `"smtp.acme.test"` {
		t.Errorf("host = %s", ch.Config["host"])
	}
	want, err := deploy.SensitiveDigest(key, "s3cret<&>")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := digests.Digest("channel.email", "config.password"); got != want {
		t.Errorf("digest = %q, want %q", got, want)
	}
	// A value in the clear (not withheld) stays as it is.
	plain, err := d.Encode()
	if err != nil {
		t.Fatal(err)
	}
	again, digests2, err := deploy.DecodeWithheld(plain)
	if err != nil {
		t.Fatal(err)
	}
	var clear string
	if err := json.Unmarshal(again.Object("channel.email").Channel.Config["password"], &clear); err != nil || clear != "s3cret<&>" || len(digests2) != 0 {
		t.Errorf("a value in the clear was not kept: %q, digests %v", clear, digests2)
	}
}

func TestSensitiveDigest(t *testing.T) {
	key := []byte("stack key")
	d := func(v any) string {
		t.Helper()
		s, err := deploy.SensitiveDigest(key, v)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	generic := map[string]any{"b": json.Number("1.50"), "a": "<x&y>"}
	raw := json.RawMessage(`{ "a": "<x&y>", "b": 1.50 }`)
	if d(generic) != d(raw) {
		t.Error("a generic value and its JSON text have different digests")
	}
	if d("x") == d("y") {
		t.Error("different values have the same digest")
	}
	other, _ := deploy.SensitiveDigest([]byte("another key"), "x")
	if other == d("x") {
		t.Error("different keys give the same digest")
	}
	c, err := deploy.CanonicalJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if string(c) != `{"a":"<x&y>","b":1.50}` {
		t.Errorf("canonical JSON = %s", c)
	}
	if len(d("x")) != 64 {
		t.Errorf("digest %q is not hex SHA-256", d("x"))
	}
}
