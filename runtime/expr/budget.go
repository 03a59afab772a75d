package expr

import (
	"errors"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

// Budget bounds one evaluation of a program or one rendering of a
// template: the work it may do, in steps of about a nanosecond, and the
// bytes it may allocate for the strings and lists it builds. Every
// function call, conversion and concatenation is charged before it runs,
// from the sizes of what it is given (lang/rtexpr/cost); one that would go
// over the budget does not run, and the evaluation stops.
//
// A zero field means the default: cost.DefaultSteps, cost.DefaultBytes.
type Budget struct {
	Steps int64
	Bytes int64
}

// ErrOverBudget is the error of a Render that went over its budget.
var ErrOverBudget = errors.New("the evaluation went over its budget")

// meter is what the evaluation in progress has left of its budget.
type meter struct {
	steps, bytes float64
	over         bool
	owner        any // the *Program or *Template evaluating
}

func (b Budget) meter() meter {
	m := meter{steps: cost.DefaultSteps, bytes: cost.DefaultBytes}
	if b.Steps > 0 {
		m.steps = float64(b.Steps)
	}
	if b.Bytes > 0 {
		m.bytes = float64(b.Bytes)
	}
	return m
}

// charge spends steps and bytes of the budget of a's evaluation; false,
// and a over budget from then on, when that is more than is left. A nil
// a (constant folding, at compile time) is not charged.
func (a *Activation) charge(steps, bytes float64) bool {
	if a == nil {
		return true
	}
	m := &a.meter
	if m.over || !(steps <= m.steps && bytes <= m.bytes) {
		m.over = true
		return false
	}
	m.steps -= steps
	m.bytes -= bytes
	return true
}

// chargeCost charges a cost bound.
func (a *Activation) chargeCost(c cost.Cost) bool { return a.charge(c.Steps, c.Bytes) }

// chargeText charges building a string of n bytes.
func (a *Activation) chargeText(n int) bool { return a.charge(float64(n), float64(n)) }
