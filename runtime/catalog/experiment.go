package catalog

import (
	"maps"
	"slices"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
)

// experiment checks an action's experiment and records its variants'
// expressions: a variant's value and message fields are checked as the
// action's are, at the attributes experiment.variant.<name>.value and
// experiment.variant.<name>.message.<field>.
func (c *checker) experiment(addr string, ac *deploy.Action) {
	e := ac.Experiment
	if e == nil {
		return
	}
	var sch *provschema.Schema
	if ch := c.doc.Object("channel." + ac.Channel); ch != nil && ch.Channel != nil {
		sch = c.schemas[ch.Channel.Source]
	}
	kpi := func(name string) (deploy.Metric, bool) {
		o := c.doc.Object("journey." + ac.Journey + ".kpi." + name)
		if o == nil || o.KPI == nil {
			return deploy.Metric{}, false
		}
		return o.KPI.Metric, true
	}
	for _, msg := range deploy.CheckExperiment(ac, kpi, sch) {
		c.add(addr, "%s", msg)
	}
	for _, v := range e.Variants {
		at := VariantAttr(v.Name, "")
		c.duration(addr, at+"trigger.after", v.After, false)
		c.expr(addr, at+"value", v.Value, Scope{Context: true, Segments: true, Journeys: true, Want: WantNumber})
		for _, k := range slices.Sorted(maps.Keys(v.Message)) {
			c.expr(addr, at+"message."+k, v.Message[k], Scope{Context: true, Journeys: true, Template: true})
		}
	}
}

// VariantAttr is the attribute of a variant's expression under its
// action's address: experiment.variant.<name>.<attr>.
func VariantAttr(variant, attr string) string { return "experiment.variant." + variant + "." + attr }
