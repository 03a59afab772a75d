package plans

import (
	"encoding/json"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// FormatVersion is the version of the saved plan's format.
const FormatVersion = 1

// Plan is what would bring a stack's deployment to its configuration.
type Plan struct {
	// FormatVersion is the saved form's version (FormatVersion).
	FormatVersion int `json:"format_version"`
	// WaymarkVersion is the version of the CLI that made the plan.
	WaymarkVersion string `json:"waymark_version"`
	Stack          string `json:"stack"`
	// BaseSerial is the serial of the deployment the plan was computed
	// against: 0 when the stack had none. Apply refuses the plan once the
	// stack has moved on.
	BaseSerial int64 `json:"base_serial"`
	// Prior is what was deployed, with its sensitive values withheld; nil
	// when nothing was.
	Prior *deploy.Document `json:"prior"`
	// Desired is what apply deploys. It holds sensitive values.
	Desired *deploy.Document `json:"desired"`
	// Changes by address, no-ops included.
	Changes []Change `json:"changes"`
	// ProviderChanges are the providers added, removed or changed.
	ProviderChanges []ProviderChange `json:"provider_changes,omitempty"`
	// Variables are the configuration's input values, by name.
	Variables map[string]Variable `json:"variables,omitempty"`
	// Destroy is set for a plan that removes the whole stack.
	Destroy   bool      `json:"destroy,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Variable is an input variable's value.
type Variable struct {
	Value     json.RawMessage `json:"value"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

// ProviderChange is a provider that the deployment adds, removes, or runs
// at another version or with other package hashes.
type ProviderChange struct {
	Action Action `json:"action"`
	Name   string `json:"name"`
	Source string `json:"source"`
	// BeforeVersion and AfterVersion are empty when the provider is added,
	// respectively removed.
	BeforeVersion string `json:"before_version,omitempty"`
	AfterVersion  string `json:"after_version,omitempty"`
}

// Summary counts what the plan adds, changes and destroys; a replace counts
// as one add and one destroy, as in Terraform.
type Summary struct {
	Add, Change, Destroy, Move int
}

// Summary counts the plan's changes.
func (p *Plan) Summary() Summary {
	var s Summary
	for i := range p.Changes {
		c := &p.Changes[i]
		switch c.Action {
		case Create:
			s.Add++
		case Update:
			s.Change++
		case Delete:
			s.Destroy++
		case Replace:
			s.Add++
			s.Destroy++
		}
		if c.Moved() {
			s.Move++
		}
	}
	return s
}

// HasChanges reports whether applying the plan would change the stack: an
// object created, updated, deleted, replaced or moved, or a provider
// changed.
func (p *Plan) HasChanges() bool {
	if len(p.ProviderChanges) > 0 {
		return true
	}
	for i := range p.Changes {
		if p.Changes[i].Action != NoOp || p.Changes[i].Moved() {
			return true
		}
	}
	return false
}

// Change returns the change at address, or nil.
func (p *Plan) Change(address string) *Change {
	for i := range p.Changes {
		if p.Changes[i].Address == address {
			return &p.Changes[i]
		}
	}
	return nil
}
