package plans

import "fmt"

// Action is what a plan does to one object. Its values are the symbols that
// plan output prints, as in Terraform.
type Action rune

const (
	NoOp    Action = 0
	Create  Action = '+'
	Update  Action = '~'
	Delete  Action = '-'
	Replace Action = '∓' // delete, then create
)

// String names the action as the JSON plan's actions do.
func (a Action) String() string {
	switch a {
	case NoOp:
		return "no-op"
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	case Replace:
		return "replace"
	}
	return fmt.Sprintf("Action(%q)", rune(a))
}

// Symbol is the marker plan output prints before the object, three
// characters wide: "  +", "  ~", "  -", "-/+", or blanks for no-op.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "  +"
	case Update:
		return "  ~"
	case Delete:
		return "  -"
	case Replace:
		return "-/+"
	}
	return "   "
}

// MarshalText writes the action's name.
func (a Action) MarshalText() ([]byte, error) {
	switch a {
	case NoOp, Create, Update, Delete, Replace:
		return []byte(a.String()), nil
	}
	return nil, fmt.Errorf("unknown plan action %q", rune(a))
}

// UnmarshalText reads an action's name.
func (a *Action) UnmarshalText(b []byte) error {
	for _, c := range []Action{NoOp, Create, Update, Delete, Replace} {
		if c.String() == string(b) {
			*a = c
			return nil
		}
	}
	return fmt.Errorf("unknown plan action %q", b)
}
