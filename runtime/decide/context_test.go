package decide_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/expr"
)

// A decision's record keeps the request's context (strings, numbers,
// bools; not nulls or lists), for the response to be learnt in it; a
// record cut anywhere in it does not decode.
func TestRecordKeepsContext(t *testing.T) {
	doc := stack("growth", deploy.Action{Name: "a", Value: "2"}, deploy.Action{Name: "b"}).Done()
	c, _ := build(t, doc)
	ctx := map[string]expr.Value{"page": expr.String("checkout"), "cart": expr.Number(80.5), "vip": expr.Bool(true),
		"none": expr.NullValue(), "tags": expr.List([]string{"x"})}
	d, _ := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{ID: decide.NewID(t0, rand.New(rand.NewPCG(1, 2))), Channel: "web", Limit: 1, Now: t0, Context: ctx})
	sd := d.Encode()
	r, err := decide.Decode(sd, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Context); got != fmt.Sprint(map[string]expr.Value{"page": ctx["page"], "cart": ctx["cart"], "vip": ctx["vip"]}) {
		t.Fatalf("context %s", got)
	}
	for i := range sd.Data {
		cut := sd
		cut.Data = sd.Data[:i]
		if _, err := decide.Decode(cut, nil); err == nil {
			t.Fatalf("a record cut at %d decoded", i)
		}
	}
	// Without a context, nothing is kept.
	d, _ = decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{ID: "x", Channel: "web", Limit: 1, Now: t0})
	if r, err := decide.Decode(d.Encode(), nil); err != nil || r.Context != nil {
		t.Fatalf("no context: %v %v", r.Context, err)
	}
}
