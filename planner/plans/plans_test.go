package plans_test

import (
	"encoding/json"
	"testing"

	"github.com/waymarkhq/waymark/planner/plans"
)

func TestActionText(t *testing.T) {
	for _, tc := range []struct {
		a            plans.Action
		name, symbol string
	}{
		{plans.NoOp, "no-op", "   "},
		{plans.Create, "create", "  +"},
		{plans.Update, "update", "  ~"},
		{plans.Delete, "delete", "  -"},
		{plans.Replace, "replace", "-/+"},
	} {
		b, err := json.Marshal(tc.a)
		if err != nil || string(b) != `"`+tc.name+`"` {
			t.Errorf("%v encodes as %s, %v; want %q", tc.a, b, err, tc.name)
		}
		var back plans.Action
		if err := json.Unmarshal(b, &back); err != nil || back != tc.a {
			t.Errorf("%s decodes as %v, %v", b, back, err)
		}
		if tc.a.Symbol() != tc.symbol {
			t.Errorf("%v symbol %q, want %q", tc.a, tc.a.Symbol(), tc.symbol)
		}
	}
	var a plans.Action
	if err := json.Unmarshal([]byte(`"read"`), &a); err == nil {
		t.Error(`"read" decoded as an action`)
	}
	if _, err := json.Marshal(plans.Action('?')); err == nil {
		t.Error("an unknown action encoded")
	}
}

func TestSummaryAndHasChanges(t *testing.T) {
	p := &plans.Plan{Changes: []plans.Change{
		{Address: "a", Action: plans.Create},
		{Address: "b", Action: plans.Update},
		{Address: "c", Action: plans.Delete},
		{Address: "d", Action: plans.Replace},
		{Address: "e", Action: plans.NoOp},
		{Address: "f", Action: plans.NoOp, PreviousAddress: "g"},
	}}
	if s := p.Summary(); s != (plans.Summary{Add: 2, Change: 1, Destroy: 2, Move: 1}) {
		t.Errorf("summary %+v", s)
	}
	if !p.HasChanges() || p.Change("d").Action != plans.Replace || p.Change("zz") != nil {
		t.Error("HasChanges or Change is wrong")
	}
	cases := []struct {
		name string
		p    plans.Plan
		want bool
	}{
		{"nothing", plans.Plan{Changes: []plans.Change{{Address: "e"}}}, false},
		{"a move only", plans.Plan{Changes: []plans.Change{{Address: "f", PreviousAddress: "g"}}}, true},
		{"a provider only", plans.Plan{ProviderChanges: []plans.ProviderChange{{Action: plans.Update, Name: "smtp"}}}, true},
	}
	for _, tc := range cases {
		if got := tc.p.HasChanges(); got != tc.want {
			t.Errorf("%s: HasChanges %v, want %v", tc.name, got, tc.want)
		}
	}
}
