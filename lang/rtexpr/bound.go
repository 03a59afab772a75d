package rtexpr

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// Bounds are what the static cost check assumes of the runtime: how large
// the values an expression reads can be, and the budget of one
// evaluation. The zero value of a field means the runtime's default
// (lang/rtexpr/cost).
type Bounds struct {
	// Value bounds the text of an attribute or context value, in bytes.
	Value float64
	// Steps and Bytes are the budget of one evaluation.
	Steps, Bytes float64
}

func (b *Bounds) orDefaults() Bounds {
	out := Bounds{Value: cost.MaxValueBytes, Steps: cost.DefaultSteps, Bytes: cost.DefaultBytes}
	if b != nil {
		if b.Value > 0 {
			out.Value = b.Value
		}
		if b.Steps > 0 {
			out.Steps = b.Steps
		}
		if b.Bytes > 0 {
			out.Bytes = b.Bytes
		}
	}
	return out
}

// bounder bounds the worst case of one evaluation of a checked node tree:
// the work it does and the bytes it builds, with every value it reads as
// large as the runtime takes.
type bounder struct {
	b            Bounds
	scope        *Scope
	steps, bytes float64
	// worst is the call or template that costs the most, and share what
	// it costs, as a share of the budget.
	worst node
	share float64
}

// warnFactor is how many times the budget a worst case must be to be
// warned about: the calls that multiply sizes (join over split, replace of
// "") are hundreds of times over it with the largest inputs, while linear
// costs over the largest inputs are a few times over it at most, which the
// runtime's budget deals with.
const warnFactor = 10

// overBudget returns a warning when the worst case of n is more than
// warnFactor times the budget, else nil.
func overBudget(n node, scope *Scope, what string) *hcl.Diagnostic {
	if scope == nil {
		scope = &Scope{}
	}
	bd := &bounder{b: scope.Bounds.orDefaults(), scope: scope}
	bd.arg(n)
	if bd.steps <= warnFactor*bd.b.Steps && bd.bytes <= warnFactor*bd.b.Bytes {
		return nil
	}
	could := fmt.Sprintf("build about %s", size(bd.bytes))
	limit := fmt.Sprintf("%s that one evaluation may build", size(bd.b.Bytes))
	if bd.bytes <= warnFactor*bd.b.Bytes {
		could = fmt.Sprintf("do about %s steps of work (about %s)", count(bd.steps), duration(bd.steps))
		limit = fmt.Sprintf("%s steps (about %s) that one evaluation may do", count(bd.b.Steps), duration(bd.b.Steps))
	}
	rng := n.Range()
	if bd.worst != nil {
		rng = bd.worst.Range()
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Expression can go over its evaluation budget",
		Detail: fmt.Sprintf("With the values it reads as large as the runtime takes (%s of text each), one evaluation of %s could %s, far more than the %s. "+
			"The runtime stops such an evaluation: a condition is then false, a message fails to render. "+
			"Bound what it is given first (substr, slice), or do without the call that multiplies sizes.",
			size(bd.b.Value), what, could, limit),
		Subject: rng.Ptr(),
	}
}

func (bd *bounder) add(c cost.Cost, n node) {
	bd.steps += c.Steps
	bd.bytes += c.Bytes
	if s := math.Max(c.Steps/bd.b.Steps, c.Bytes/bd.b.Bytes); s > bd.share || bd.worst == nil {
		bd.worst, bd.share = n, s
	}
}

// arg returns a bound on n's value, adding what evaluating it costs.
func (bd *bounder) arg(n node) cost.Arg {
	switch n := n.(type) {
	case *litNode:
		return cost.Of(n.val)
	case *heldNode:
		return bd.read(n.ty)
	case *refNode:
		return bd.ref(n.trav)
	case *relNode:
		a := bd.arg(n.src)
		a.Known = false
		return a
	case *indexNode:
		a := bd.arg(n.coll)
		bd.arg(n.key)
		a.Known, a.Seq = false, false
		return a
	case *parenNode:
		return bd.arg(n.inner)
	case *binNode:
		bd.arg(n.lhs)
		bd.arg(n.rhs)
		return cost.Arg{Bytes: 24}
	case *unNode:
		bd.arg(n.val)
		return cost.Arg{Bytes: 24}
	case *condNode:
		bd.arg(n.cond)
		t, f := bd.arg(n.t), bd.arg(n.f)
		return cost.Arg{Bytes: math.Max(t.Bytes, f.Bytes), Elems: math.Max(t.Elems, f.Elems), Seq: t.Seq || f.Seq}
	case *tmplNode:
		parts := make([]cost.Arg, len(n.parts))
		for i, p := range n.parts {
			parts[i] = bd.arg(p)
		}
		c := cost.Sum(parts)
		bd.add(c, n)
		return c.Result
	case *tupleNode:
		out := cost.Arg{Seq: true}
		for _, e := range n.elems {
			a := bd.arg(e)
			out.Bytes += a.Bytes
			out.Elems += 1 + a.Elems
		}
		return out
	case *objNode:
		out := cost.Arg{Seq: true}
		for _, it := range n.items {
			k, v := bd.arg(it.key), bd.arg(it.val)
			out.Bytes += k.Bytes + v.Bytes
			out.Elems += 1 + v.Elems
		}
		return out
	case *callNode:
		var args []cost.Arg
		for i, a := range n.args {
			if l, isLit := a.(*litNode); isLit && n.expand && i == len(n.args)-1 && !l.val.IsNull() && l.val.CanIterateElements() {
				for it := l.val.ElementIterator(); it.Next(); {
					_, ev := it.Element()
					args = append(args, cost.Of(ev))
				}
				continue
			}
			args = append(args, bd.arg(a))
		}
		c := cost.Call(n.name, args)
		bd.add(c, n)
		return c.Result
	}
	return cost.Arg{}
}

// ref bounds a reference to a runtime scope.
func (bd *bounder) ref(t hcl.Traversal) cost.Arg {
	name, _ := firstAttr(t)
	switch t.RootName() {
	case "customer":
		if name == "id" {
			return cost.Arg{Bytes: 256}
		}
		if a, ok := bd.scope.Customer[name]; ok {
			return bd.read(a.Type)
		}
	case "event":
		if bd.scope.Event != nil {
			if a, ok := bd.scope.Event.Attributes[name]; ok {
				return bd.read(a.Type)
			}
		}
	case "segment":
		return cost.Arg{Bytes: 5}
	case "journey":
		return cost.Arg{Bytes: 256}
	case "propensity", "value", "lever":
		return cost.Arg{Bytes: 24}
	}
	return bd.read(cty.DynamicPseudoType)
}

// read bounds a value of type ty that the runtime reads.
func (bd *bounder) read(ty cty.Type) cost.Arg {
	v := bd.b.Value
	switch {
	case ty == cty.Number:
		return cost.Arg{Bytes: 24}
	case ty == cty.Bool:
		return cost.Arg{Bytes: 5}
	case ty == cty.String:
		return cost.Arg{Bytes: v}
	}
	// A list, or a value known only at run time: in JSON, each element
	// takes at least two bytes.
	return cost.Arg{Bytes: v, Elems: v / 2, Seq: true}
}

// firstAttr returns the attribute a traversal names after its root.
func firstAttr(t hcl.Traversal) (string, bool) {
	if len(t) < 2 {
		return "", false
	}
	switch s := t[1].(type) {
	case hcl.TraverseAttr:
		return s.Name, true
	case hcl.TraverseIndex:
		if s.Key.Type() == cty.String && s.Key.IsKnown() && !s.Key.IsNull() {
			return s.Key.AsString(), true
		}
	}
	return "", false
}

func size(b float64) string {
	switch {
	case math.IsInf(b, 1) || b >= 1<<60:
		return "an unbounded amount"
	case b >= 1<<30:
		return fmt.Sprintf("%.3g GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.3g MiB", b/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.3g KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f bytes", b)
}

func count(n float64) string {
	if math.IsInf(n, 1) || n >= 1e18 {
		return "unboundedly many"
	}
	return fmt.Sprintf("%.3g", n)
}

// duration is how long steps take, at about a nanosecond each.
func duration(steps float64) string {
	switch {
	case math.IsInf(steps, 1) || steps >= 1e18:
		return "forever"
	case steps >= 1e9:
		return fmt.Sprintf("%.3g s", steps/1e9)
	}
	return fmt.Sprintf("%.3g ms", steps/1e6)
}
