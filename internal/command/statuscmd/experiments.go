package statuscmd

import (
	"fmt"

	"github.com/waymarkhq/waymark/internal/units"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// experiments draws each experiment: a row per variant with its counts,
// its conversion and 95% interval, and, against the control, its lift
// with its interval and the sequential test's state and p-value.
func (v *view) experiments(r *apiv1.Analytics) {
	for _, e := range r.Experiments {
		v.line("")
		state := ""
		if e.State != "running" {
			state = " · " + e.State
		}
		v.line("%s", v.bold("Experiment %s of %s", e.Name, e.Action)+v.faint(" metric %s · since it started%s", e.Metric, state))
		head := []string{"variant", "assigned", "delivered", "converted", "conversion", "95% interval", "lift", "95% interval", "test"}
		rows := [][]string{head}
		for _, x := range e.Variants {
			c := x.Conversion
			row := []string{x.Name, itoa(x.Assigned), itoa(x.Delivered), itoa(x.Converted), "–", "", "control", "", ""}
			if x.Assigned > 0 { // with nobody assigned there is no rate, only the prior's 0% – 100%
				row[4], row[5] = units.Percent(c.Value), units.Percent(c.Low)+" – "+units.Percent(c.High)
			}
			if !x.Control {
				row[6] = "–"
				if l := x.Lift; l != nil && l.Defined {
					row[6], row[7] = signedPercent(l.Value), signedPercent(l.Low)+" – "+signedPercent(l.High)
				}
				if t := x.Test; t != nil {
					row[8] = fmt.Sprintf("%s (p %.3f)", t.State, t.PValue)
					if t.State == "insufficient" {
						row[8] = t.State
					}
				}
			}
			rows = append(rows, row)
		}
		v.table(rows, func(j int) bool { return j == 0 || j == 8 }, func(i int) bool { return i == 0 })
	}
}

// signedPercent is percent with a sign: +12.5%, -3.0%.
func signedPercent(f float64) string {
	if f >= 0 {
		return "+" + units.Percent(f)
	}
	return units.Percent(f)
}
