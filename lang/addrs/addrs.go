package addrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Kind names what an address points at.
type Kind string

const (
	CustomerAttribute Kind = "customer_attribute"
	Event             Kind = "event"
	Channel           Kind = "channel"
	Segment           Kind = "segment"
	Journey           Kind = "journey"
	Stage             Kind = "stage"
	Action            Kind = "action"
	KPI               Kind = "kpi"
	Arbitration       Kind = "arbitration"
)

// Address is the address of one deployable object within a stack. Journey is
// set for the objects that belong to a journey (stage, action, kpi) and for
// the journey itself; Name is empty for arbitration.
//
// Journey is the journey's name within its stack, the name the runtime,
// analytics and the API know it by: its label, with its instance key when
// the block has for_each or count (cart["eu"], cart[0]), and, for a journey
// of a module, the module's address before it (module.shop.journey.cart,
// module.shop["eu"].journey.cart). Name likewise carries an action's
// instance key (reminder["email"]).
type Address struct {
	Kind    Kind
	Journey string
	Name    string
}

// String renders the address as users write it.
func (a Address) String() string {
	switch a.Kind {
	case CustomerAttribute:
		return "customer.attribute." + a.Name
	case Arbitration:
		return "arbitration"
	case Journey:
		return JourneyAddress(a.Journey)
	case Stage, Action, KPI:
		return JourneyAddress(a.Journey) + "." + string(a.Kind) + "." + a.Name
	default:
		return string(a.Kind) + "." + a.Name
	}
}

// JourneyAddress is the address of the journey named name:
// journey.cart, or module.shop.journey.cart as it is.
func JourneyAddress(name string) string {
	if strings.HasPrefix(name, "module.") {
		return name
	}
	return "journey." + name
}

// JourneyName is the name of a journey declared as label, with key its
// instance key (cty.NilVal without one) in module (the module instance's
// address, "" at the top level).
func JourneyName(module, label string, key cty.Value) string {
	n := Instance(label, key)
	if module == "" {
		return n
	}
	return module + ".journey." + n
}

// Instance is name with its instance key: name["key"] for a string key,
// name[0] for a number, name alone for cty.NilVal.
func Instance(name string, key cty.Value) string {
	if key == cty.NilVal {
		return name
	}
	if key.Type() == cty.Number {
		return name + "[" + key.AsBigFloat().Text('f', -1) + "]"
	}
	return name + "[" + strconv.Quote(key.AsString()) + "]"
}

// Type is the block type of the object, as plan output names it ("stage").
func (a Address) Type() string {
	if a.Kind == CustomerAttribute {
		return "attribute"
	}
	return string(a.Kind)
}

// Label is the label of the block that declares the object, without an
// instance key or module (journey "cart" for module.shop.journey.cart["eu"]),
// or empty for arbitration.
func (a Address) Label() string {
	n := a.Name
	if a.Kind == Journey {
		n = a.Journey
		if i := strings.LastIndex(n, ".journey."); i >= 0 && strings.HasPrefix(n, "module.") {
			n = n[i+len(".journey."):]
		}
	}
	if i := strings.IndexByte(n, '['); i >= 0 {
		n = n[:i]
	}
	return n
}

// Parent returns the journey that a stage, action or KPI belongs to.
func (a Address) Parent() (Address, bool) {
	switch a.Kind {
	case Stage, Action, KPI:
		return Address{Kind: Journey, Journey: a.Journey}, true
	}
	return Address{}, false
}

// InStack renders the address as it is named outside its stack:
// growth/journey.cart_recovery.action.reminder_email.
func (a Address) InStack(stack string) string { return stack + "/" + a.String() }

// Parse reads an address written as text.
func Parse(s string) (Address, error) {
	t, diags := hclsyntax.ParseTraversalAbs([]byte(s), "", hcl.InitialPos)
	if diags.HasErrors() {
		return Address{}, fmt.Errorf("%q is not an address: %s", s, diags.Error())
	}
	a, err := FromTraversal(t)
	if err != nil {
		return Address{}, fmt.Errorf("%q is not an address: %w", s, err)
	}
	return a, nil
}

// FromTraversal reads an address from an HCL traversal, as written in a
// moved block: journey.cart.stage.pay, journey.cart["eu"],
// module.shop.journey.cart.action.reminder["email"].
func FromTraversal(t hcl.Traversal) (Address, error) {
	var parts []part
	for i, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, part{name: s.Name})
		case hcl.TraverseAttr:
			parts = append(parts, part{name: s.Name})
		case hcl.TraverseIndex:
			k := s.Key
			if len(parts) == 0 || parts[len(parts)-1].key != cty.NilVal || k.IsNull() || !k.IsKnown() ||
				(k.Type() != cty.String && k.Type() != cty.Number) {
				return Address{}, fmt.Errorf("step %d: an instance key is a string or a number after a name", i+1)
			}
			if k.Type() == cty.Number && !k.AsBigFloat().IsInt() {
				return Address{}, fmt.Errorf("step %d: a count index is a whole number", i+1)
			}
			parts[len(parts)-1].key = k
		default:
			return Address{}, fmt.Errorf("step %d: an address has only names and instance keys", i+1)
		}
	}
	bad := fmt.Errorf("expected one of customer.attribute.NAME, event.NAME, channel.NAME, segment.NAME, arbitration, journey.NAME, journey.NAME.stage.NAME, journey.NAME.action.NAME or journey.NAME.kpi.NAME, each journey optionally after module.NAME")
	var module []string
	for len(parts) >= 2 && parts[0].plain("module") {
		module = append(module, "module."+Instance(parts[1].name, parts[1].key))
		parts = parts[2:]
	}
	plain := func(ps []part) bool {
		for _, p := range ps {
			if p.key != cty.NilVal {
				return false
			}
		}
		return true
	}
	if len(module) == 0 {
		switch {
		case len(parts) == 1 && parts[0].plain("arbitration"):
			return Address{Kind: Arbitration}, nil
		case len(parts) == 3 && plain(parts) && parts[0].name == "customer" && parts[1].name == "attribute":
			return Address{Kind: CustomerAttribute, Name: parts[2].name}, nil
		case len(parts) == 2 && plain(parts) && (parts[0].name == "event" || parts[0].name == "channel" || parts[0].name == "segment"):
			return Address{Kind: Kind(parts[0].name), Name: parts[1].name}, nil
		}
	}
	if len(parts) < 2 || !parts[0].plain("journey") {
		return Address{}, bad
	}
	j := JourneyName(strings.Join(module, "."), parts[1].name, parts[1].key)
	switch {
	case len(parts) == 2:
		return Address{Kind: Journey, Journey: j}, nil
	case len(parts) == 4 && (parts[2].plain("stage") || parts[2].plain("kpi")) && parts[3].key == cty.NilVal:
		return Address{Kind: Kind(parts[2].name), Journey: j, Name: parts[3].name}, nil
	case len(parts) == 4 && parts[2].plain("action"):
		return Address{Kind: Action, Journey: j, Name: Instance(parts[3].name, parts[3].key)}, nil
	}
	return Address{}, bad
}

// part is one name of an address, with the instance key after it.
type part struct {
	name string
	key  cty.Value
}

func (p part) plain(name string) bool { return p.name == name && p.key == cty.NilVal }
