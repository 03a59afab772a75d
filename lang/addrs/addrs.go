package addrs

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
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
		return "journey." + a.Journey
	case Stage, Action, KPI:
		return "journey." + a.Journey + "." + string(a.Kind) + "." + a.Name
	default:
		return string(a.Kind) + "." + a.Name
	}
}

// Type is the block type of the object, as plan output names it ("stage").
func (a Address) Type() string {
	if a.Kind == CustomerAttribute {
		return "attribute"
	}
	return string(a.Kind)
}

// Label is the block's label, or empty for arbitration.
func (a Address) Label() string {
	if a.Kind == Journey {
		return a.Journey
	}
	return a.Name
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
// moved block.
func FromTraversal(t hcl.Traversal) (Address, error) {
	var parts []string
	for i, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			parts = append(parts, s.Name)
		case hcl.TraverseAttr:
			parts = append(parts, s.Name)
		default:
			return Address{}, fmt.Errorf("step %d: an address has only names separated by dots", i+1)
		}
	}
	bad := fmt.Errorf("expected one of customer.attribute.NAME, event.NAME, channel.NAME, segment.NAME, arbitration, journey.NAME, journey.NAME.stage.NAME, journey.NAME.action.NAME or journey.NAME.kpi.NAME")
	switch {
	case len(parts) == 1 && parts[0] == "arbitration":
		return Address{Kind: Arbitration}, nil
	case len(parts) == 3 && parts[0] == "customer" && parts[1] == "attribute":
		return Address{Kind: CustomerAttribute, Name: parts[2]}, nil
	case len(parts) == 2 && (parts[0] == "event" || parts[0] == "channel" || parts[0] == "segment"):
		return Address{Kind: Kind(parts[0]), Name: parts[1]}, nil
	case len(parts) == 2 && parts[0] == "journey":
		return Address{Kind: Journey, Journey: parts[1]}, nil
	case len(parts) == 4 && parts[0] == "journey" && (parts[2] == "stage" || parts[2] == "action" || parts[2] == "kpi"):
		return Address{Kind: Kind(parts[2]), Journey: parts[1], Name: parts[3]}, nil
	}
	return Address{}, bad
}
