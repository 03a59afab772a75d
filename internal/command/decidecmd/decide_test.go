package decidecmd

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func f(x float64) *float64 { return &x }

func TestRender(t *testing.T) {
	d := &apiv1.Decision{DecisionID: "0189e2a4c1d3f000a1b2c3d4e5f60718", CustomerID: "c-42", Channel: "web",
		Actions: []apiv1.RankedAction{
			{Stack: "growth", Journey: "cart_recovery", Action: "vip_discount_banner", Address: "growth/journey.cart_recovery.action.vip_discount_banner", Propensity: 0.5, Priority: 3.75},
			{Stack: "billing", Journey: "renewal", Action: "upgrade", Address: "billing/journey.renewal.action.upgrade", Propensity: 0.0312, Priority: 0.2496, Explore: true},
		},
		Candidates: []apiv1.Candidate{
			{Address: "growth/journey.cart_recovery.action.vip_discount_banner", Kept: true, Propensity: f(0.5), Priority: f(3.75)},
			{Address: "billing/journey.renewal.action.upgrade", Kept: true, Propensity: f(0.0312), Priority: f(0.2496), Explore: true},
			{Address: "growth/journey.cart_recovery.action.free_shipping", Reason: "ranked_out", Propensity: f(0.1), Priority: f(0.1)},
			{Address: "growth/journey.cart_recovery.action.tip", Reason: "not_in_stage"},
			{Address: "growth/journey.cart_recovery.action.reminder", Reason: "suppressed"},
		},
	}
	for _, explain := range []bool{false, true} {
		s, out, _ := cmdutil.Test()
		Render(s, d, explain)
		golden(t, fmt.Sprintf("render_explain_%v.golden", explain), out.String())
	}
	s, out, _ := cmdutil.Test()
	Render(s, &apiv1.Decision{DecisionID: "d2", CustomerID: "c-7", Channel: "web", Control: true}, false)
	golden(t, "render_none.golden", out.String())
	s, out, _ = cmdutil.Test()
	Render(s, &apiv1.Decision{DecisionID: "d3", CustomerID: "c-8", Channel: "web", Holdout: true}, false)
	golden(t, "render_holdout.golden", out.String())
}

func TestParseContext(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		err  bool
	}{
		{[]string{"page=checkout", "cart=80", "vip=true", `tags=["a","b"]`, `code="80"`, "empty=", "obj={\"a\":1}", "eq=a=b"},
			`map[cart:80 code:80 empty: eq:a=b obj:{"a":1} page:checkout tags:[a b] vip:true]`, false},
		{[]string{"novalue"}, "", true},
		{[]string{"=x"}, "", true},
	}
	for _, tt := range tests {
		got, err := ParseContext(tt.in)
		if (err != nil) != tt.err || (err == nil && fmt.Sprint(got) != tt.want) {
			t.Errorf("%v: %v %v, want %s", tt.in, got, err, tt.want)
		}
	}
	got, _ := ParseContext([]string{"cart=80", `code="80"`})
	if _, ok := got["cart"].(float64); !ok {
		t.Errorf("cart=80 is %T, want a number", got["cart"])
	}
	if _, ok := got["code"].(string); !ok {
		t.Errorf(`code="80" is %T, want a string`, got["code"])
	}
}
