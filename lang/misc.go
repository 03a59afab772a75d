package lang

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/schema"
)

func (l *loader) decodeArbitration(blocks []*hcl.Block) {
	b := only(blocks)
	if b == nil {
		return
	}
	sch := schema.File().Block("arbitration")
	c := l.content(b.Body, sch)
	ar := &deploy.Arbitration{Priority: deploy.DefaultPriority, MaxActions: 3, MaxOutbound: 1}
	obj := deploy.Object{Address: "arbitration", Kind: deploy.KindArbitration, Arbitration: ar}
	if a := c.Attributes["priority"]; a != nil {
		sc := l.s.rtScope("the arbitration priority", scopeOpts{context: true, segments: true, journeys: true, priority: true})
		if r := l.runtimeExpr(a.Expr, sc, cty.Number); r != nil {
			ar.Priority = r.Source
			if r.Sensitive {
				obj.Sensitive = append(obj.Sensitive, "priority")
			}
		}
	}
	if a := c.Attributes["max_actions"]; a != nil {
		ar.MaxActions, _ = l.wholeNumber(a, "max_actions", 1)
	}
	if a := c.Attributes["max_outbound"]; a != nil {
		ar.MaxOutbound, _ = l.wholeNumber(a, "max_outbound", 1)
	}
	if a := c.Attributes["control_group"]; a != nil {
		if f, ok := l.number(a, "control_group"); ok {
			if f < 0 || f > 1 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid control group", "control_group is a share of customers from 0 to 1 (0.05 for 5%%); got %g.", f))
			} else {
				ar.ControlGroup = f
			}
		}
	}
	if a := c.Attributes["holdout"]; a != nil {
		if f, ok := l.number(a, "holdout"); ok {
			if f < 0 || f > 1 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Invalid holdout", "holdout is a share of customers from 0 to 1 (0.05 for 5%%); got %g.", f))
			} else {
				ar.Holdout = f
			}
		}
	}
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "limit":
			ar.Limit = l.limit(nb, sch.Block("limit"))
		case "model":
			ar.Model = l.model(nb, sch.Block("model"))
		}
	}
	l.object(obj, b.DefRange)
}

// decodeMoved reads moved blocks: each must move a journey, stage or action
// from an address the configuration no longer declares to one it does, of
// the same kind.
func (l *loader) decodeMoved(blocks []*hcl.Block) {
	sch := schema.File().Block("moved")
	seenFrom := map[string]hcl.Range{}
	for _, b := range blocks {
		c := l.content(b.Body, sch)
		fa, ta := c.Attributes["from"], c.Attributes["to"]
		if fa == nil || ta == nil {
			continue
		}
		from, ok1 := l.movedAddress(fa)
		to, ok2 := l.movedAddress(ta)
		if !ok1 || !ok2 {
			continue
		}
		switch {
		case from.Kind != to.Kind:
			l.add(errorf(rngPtr(b.DefRange), "Invalid move", "moved must keep the kind of object: %s is a %s and %s a %s.", from, from.Kind, to, to.Kind))
			continue
		case from == to:
			l.add(errorf(rngPtr(ta.Expr.Range()), "Invalid move", "from and to are the same address, %s.", from))
			continue
		case from.Kind != addrs.Journey && from.Journey != to.Journey:
			l.add(errorf(rngPtr(ta.Expr.Range()), "Invalid move", "A %s moves within its journey: %s and %s are in different journeys.", from.Kind, from, to))
			continue
		}
		if _, declared := l.cfg.Ranges[to.String()]; !declared {
			l.add(errorf(rngPtr(ta.Expr.Range()), "Moved to an undeclared object", "moved names %s as the new address, but the configuration declares no such %s.", to, to.Kind))
			continue
		}
		if rng, declared := l.cfg.Ranges[from.String()]; declared {
			l.add(errorf(rngPtr(fa.Expr.Range()), "Moved from a declared object",
				"%s is still declared (at %s); a moved block's from must be the old address, which the configuration no longer declares.", from, at(rng)))
			continue
		}
		if prev, dup := seenFrom[from.String()]; dup {
			l.add(errorf(rngPtr(fa.Expr.Range()), "Duplicate move", "%s was already moved by the block at %s.", from, at(prev)))
			continue
		}
		seenFrom[from.String()] = b.DefRange
		l.cfg.Document.Moves = append(l.cfg.Document.Moves, deploy.Move{From: from.String(), To: to.String()})
	}
}

func (l *loader) movedAddress(a *hcl.Attribute) (addrs.Address, bool) {
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() {
		l.add(errorf(rngPtr(a.Expr.Range()), "Invalid address", "moved.%s must be the address of a journey, stage or action, such as journey.cart.stage.checkout, without quotes.", a.Name))
		return addrs.Address{}, false
	}
	addr, err := addrs.FromTraversal(t)
	if err != nil {
		l.add(errorf(rngPtr(a.Expr.Range()), "Invalid address", "moved.%s: %s.", a.Name, err))
		return addrs.Address{}, false
	}
	switch addr.Kind {
	case addrs.Journey, addrs.Stage, addrs.Action:
		return addr, true
	}
	l.add(errorf(rngPtr(a.Expr.Range()), "Invalid address", "moved renames journeys, stages and actions; %s is a %s.", addr, addr.Kind))
	return addrs.Address{}, false
}

var _ = fmt.Sprintf
