package engine

import (
	"fmt"
	"testing"

	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/expr"
)

// A model's key follows the moved blocks of its stack: an action's, a
// journey's (every action of it), both at once, into and out of a module.
func TestMovedModel(t *testing.T) {
	action := func(fj, fa, tj, ta string) catalog.Move {
		return catalog.Move{Action: true, FromJourney: fj, FromAction: fa, ToJourney: tj, ToAction: ta}
	}
	journey := func(from, to string) catalog.Move {
		return catalog.Move{Journey: true, FromJourney: from, ToJourney: to}
	}
	for _, tt := range []struct {
		name  string
		moves []catalog.Move
		key   string
		want  string // "" when the key stays
	}{
		{"action", []catalog.Move{action("cart", "remind", "cart", "nudge")}, "s/journey.cart.action.remind@email", "s/journey.cart.action.nudge@email"},
		{"another action", []catalog.Move{action("cart", "remind", "cart", "nudge")}, "s/journey.cart.action.banner@web", ""},
		{"another stack", []catalog.Move{action("cart", "remind", "cart", "nudge")}, "t/journey.cart.action.remind@email", ""},
		{"not a key", []catalog.Move{action("cart", "remind", "cart", "nudge")}, "s/journey.cart.action.remind", ""},
		{"journey", []catalog.Move{journey("cart", "basket")}, "s/journey.cart.action.remind@email", "s/journey.basket.action.remind@email"},
		{"journey prefix only", []catalog.Move{journey("cart", "basket")}, "s/journey.cart_v2.action.remind@email", ""},
		{"journey and action", []catalog.Move{journey("cart", "basket"), action("cart", "remind", "basket", "nudge")}, "s/journey.cart.action.remind@email", "s/journey.basket.action.nudge@email"},
		{"journey, then action of the new name", []catalog.Move{journey("cart", "basket"), action("basket", "remind", "basket", "nudge")}, "s/journey.cart.action.remind@email", "s/journey.basket.action.nudge@email"},
		{"into a module", []catalog.Move{action("cart", "remind", "module.shop.journey.cart", "remind")}, "s/journey.cart.action.remind@email", "s/module.shop.journey.cart.action.remind@email"},
		{"out of a module", []catalog.Move{journey(`module.shop["eu"].journey.cart`, "cart")}, `s/module.shop["eu"].journey.cart.action.remind@email`, "s/journey.cart.action.remind@email"},
		{"keyed action", []catalog.Move{action("cart", `remind["a"]`, "cart", `remind["b"]`)}, `s/journey.cart.action.remind["a"]@email`, `s/journey.cart.action.remind["b"]@email`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := movedModel("s", tt.moves)(tt.key)
			if !ok {
				got = ""
			}
			if got != tt.want {
				t.Fatalf("%s moves to %q, want %q", tt.key, got, tt.want)
			}
		})
	}
}

// A response's log record keeps its decision's context; one written before
// the context was kept still decodes.
func TestResponseContextRoundTrip(t *testing.T) {
	r := Response{Customer: "c1", Decision: "d1", Action: "s/journey.j.action.a", Channel: "web", Outcome: OutcomeClicked, Control: true,
		Context: map[string]expr.Value{"page": expr.String("checkout"), "n": expr.Number(3), "b": expr.Bool(false)}}
	b := EncodeResponse(r)
	got, err := decodeResponse(b[1:])
	if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", r) {
		t.Fatalf("decoded %+v %v, want %+v", got, err, r)
	}
	// With a treatment, with or without a context.
	for _, tr := range []string{"", "bold"} {
		for _, ctx := range []map[string]expr.Value{nil, r.Context} {
			x := r
			x.Treatment, x.Context = tr, ctx
			got, err := decodeResponse(EncodeResponse(x)[1:])
			if err != nil || fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", x) {
				t.Fatalf("decoded %+v %v, want %+v", got, err, x)
			}
		}
	}
	if _, err := decodeResponse(b[1 : len(b)-1]); err == nil {
		t.Fatal("a corrupt context decoded")
	}
}
