package lang

import (
	"fmt"
	"math"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/lang/schema"
)

// experimentMetricFuncs are the KPI functions an experiment may be
// measured on: both are a yes or no per assigned customer, which the
// runtime's interval and sequential test need.
var experimentMetricFuncs = deploy.ExperimentMetricFuncs

// decodeExperiment reads an action's experiment block b into
// ac.Experiment. ch is the action's channel, nil when it is not declared.
func (l *loader) decodeExperiment(b *hcl.Block, j *journeyDecl, ch *channelDecl, ac *deploy.Action, obj *deploy.Object, actionSch *schema.Block) {
	sch := actionSch.Block("experiment")
	name := b.Labels[0]
	if !l.checkIdent(name, labelRange(b), "experiment") {
		return
	}
	what := fmt.Sprintf("experiment %q of action %q", name, ac.Name)
	ex := &deploy.Experiment{Name: name, Metric: deploy.MetricConversion, State: deploy.ExperimentRunning}
	c := l.content(b.Body, sch)
	ok := true
	if a := c.Attributes["description"]; a != nil {
		ex.Description, _ = l.str(a, "experiment.description")
	}
	if a := c.Attributes["state"]; a != nil {
		s, good := l.enum(a, "experiment.state", []string{deploy.ExperimentRunning, deploy.ExperimentStopped})
		ex.State, ok = s, ok && good
	}
	if a := c.Attributes["metric"]; a != nil {
		m, good := l.experimentMetric(a, j)
		ex.Metric, ok = m, ok && good
	}
	seen := map[string]hcl.Range{}
	vsch := sch.Block("variant")
	for _, vb := range c.Blocks {
		vn := vb.Labels[0]
		if !l.checkIdent(vn, labelRange(vb), "variant") {
			ok = false
			continue
		}
		if prev, dup := seen[vn]; dup {
			l.add(errorf(rngPtr(labelRange(vb)), "Duplicate variant", "%s already has a variant %q, declared at %s.", capitalize(what), vn, at(prev)))
			ok = false
			continue
		}
		seen[vn] = vb.DefRange
		v, good := l.variant(vb, vsch, ch, ac, obj, fmt.Sprintf("variant %q of %s", vn, what))
		ok = ok && good
		ex.Variants = append(ex.Variants, v)
	}
	if len(seen) < 2 {
		l.add(errorf(rngPtr(b.DefRange), "Too few variants",
			"%s has %d variant(s): an experiment compares at least two, such as the action as it is (a variant that overrides nothing) and a change.", capitalize(what), len(seen)))
		ok = false
	}
	if len(ex.Variants) > 0 {
		ex.Control = ex.Variants[0].Name
	}
	if a := c.Attributes["control"]; a != nil {
		if s, good := l.str(a, "experiment.control"); good {
			if _, known := seen[s]; known {
				ex.Control = s
			} else if len(seen) > 0 {
				l.add(errorf(rngPtr(a.Expr.Range()), "Unknown control variant", "control must name a variant of %s, one of %s; got %q.%s", what, quoteList(keys(seen)), s, suggest(s, keys(seen))))
				ok = false
			}
		} else {
			ok = false
		}
	}
	if ok {
		ac.Experiment = ex
	}
}

// experimentMetric reads an experiment's metric: "conversion", or a
// reference to a KPI of the journey whose metric is a proportion.
func (l *loader) experimentMetric(a *hcl.Attribute, j *journeyDecl) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if !diags.HasErrors() && len(t) == 1 && t.RootName() == deploy.MetricConversion {
		return deploy.MetricConversion, true // the JSON syntax's "conversion"
	}
	if diags.HasErrors() {
		s, ok := l.str(a, "experiment.metric")
		if !ok {
			return "", false
		}
		if s != deploy.MetricConversion {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid experiment metric",
				"experiment.metric is \"conversion\" or a reference to one of the journey's KPIs, written kpi.<name>; got %q.", s))
			return "", false
		}
		return s, true
	}
	r, ok := l.staticRef(a.Expr, "kpi", "experiment.metric", 2)
	if !ok {
		return "", false
	}
	kpis := journeyKPIFuncs(j)
	fn, declared := kpis[r.Name]
	if !declared {
		l.add(errorf(rngPtr(r.Range), "Unknown KPI", "journey %q has no kpi %q; its KPIs are %s.%s", j.Name, r.Name, quoteList(keys(kpis)), suggest(r.Name, keys(kpis))))
		return "", false
	}
	if fn == attributedConversion {
		l.add(errorf(rngPtr(r.Range), "KPI attributed to an action",
			"An experiment compares the share of each variant's customers who convert after assignment; kpi %q of journey %q counts conversions after an action's sends, which the experiment's counts do not follow. Use conversion or a kpi whose metric is conversion() or rate(event.<type>).", r.Name, j.Name))
		return "", false
	}
	for _, f := range experimentMetricFuncs {
		if f == fn {
			return "kpi." + r.Name, true
		}
	}
	l.add(errorf(rngPtr(r.Range), "KPI not a proportion",
		"An experiment compares the share of its customers who convert, so its KPI's metric must be conversion() or rate(event.<type>); kpi %q of journey %q is %s().", r.Name, j.Name, fn))
	return "", false
}

// attributedConversion stands in journeyKPIFuncs for conversion(action.<name>).
const attributedConversion = "conversion(action)"

// journeyKPIFuncs returns the KPI function of each KPI the journey
// declares, by name ("" when the metric is not a call; decodeKPI reports
// it).
func journeyKPIFuncs(j *journeyDecl) map[string]string {
	out := map[string]string{}
	c, _, _ := j.block.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "kpi", LabelNames: []string{"name"}}}})
	for _, kb := range c.Blocks {
		attrs, _ := kb.Body.JustAttributes()
		fn := ""
		if a := attrs["metric"]; a != nil {
			if call, diags := hcl.ExprCall(a.Expr); !diags.HasErrors() {
				fn = call.Name
				if fn == deploy.MetricConversion && len(call.Arguments) > 0 {
					fn = attributedConversion
				}
			}
		}
		out[kb.Labels[0]] = fn
	}
	return out
}

// variant reads one variant block; false when something in it is wrong
// (reported).
func (l *loader) variant(b *hcl.Block, sch *schema.Block, ch *channelDecl, ac *deploy.Action, obj *deploy.Object, what string) (deploy.Variant, bool) {
	v := deploy.Variant{Name: b.Labels[0]}
	c := l.content(b.Body, sch)
	ok := true
	if a := c.Attributes["weight"]; a != nil {
		f, good := l.number(a, "variant.weight")
		if good && (f <= 0 || math.IsInf(f, 0)) {
			l.add(errorf(rngPtr(a.Expr.Range()), "Invalid weight", "variant.weight is a share of customers, a number above zero; got %s.", strconv.FormatFloat(f, 'g', -1, 64)))
			good = false
		}
		v.Weight, ok = f, ok && good
	}
	if a := c.Attributes["description"]; a != nil {
		v.Description, _ = l.str(a, "variant.description")
	}
	var override *hcl.Range
	if a := c.Attributes["holdout"]; a != nil {
		h, good := l.boolean(a, "variant.holdout")
		v.Holdout, ok = h, ok && good
	}
	if a := c.Attributes["value"]; a != nil {
		override = rngPtr(a.NameRange)
		sc := l.s.rtScope("the value of "+what, scopeOpts{context: true, segments: true, journeys: true})
		if r := l.runtimeExpr(a.Expr, sc, cty.Number); r != nil {
			v.Value = r.Source
			if r.Sensitive {
				obj.Sensitive = append(obj.Sensitive, "experiment.variant."+v.Name+".value")
			}
		} else {
			ok = false
		}
	}
	for _, nb := range c.Blocks {
		override = rngPtr(nb.DefRange)
		switch nb.Type {
		case "trigger":
			tc := l.content(nb.Body, sch.Block("trigger"))
			if a := tc.Attributes["after"]; a != nil {
				s, _, good := l.duration(a, "variant.trigger.after")
				v.After, ok = s, ok && good
			}
			if ch != nil && ch.Schema != nil && !ch.Schema.Delivers {
				l.add(errorf(rngPtr(nb.DefRange), "Trigger on an inbound channel",
					"%s is on channel %q, which is answered through the decide API and never sends; a variant's trigger has no meaning there.", capitalize(what), ch.Name))
				ok = false
			}
		case "message":
			msg, good := l.variantMessage(nb, ch, ac, what, obj, v.Name)
			v.Message, ok = msg, ok && good
		}
	}
	if v.Holdout && override != nil {
		l.add(errorf(override, "Override in a holdout variant",
			"%s is a holdout: its customers get nothing, so it cannot change the message, value or trigger. Remove the override or holdout = true.", capitalize(what)))
		ok = false
	}
	return v, ok
}

// variantMessage reads a variant's message block: fields of the channel
// provider's message schema that replace the action's. The merged message
// is validated by the provider as the action's is.
func (l *loader) variantMessage(b *hcl.Block, ch *channelDecl, ac *deploy.Action, what string, obj *deploy.Object, variant string) (map[string]string, bool) {
	if ch == nil || ch.Schema == nil {
		return nil, true // the channel is reported already
	}
	ps := ch.Schema
	if !ps.Delivers {
		l.add(errorf(rngPtr(b.DefRange), "Message on an inbound channel",
			"%s is on channel %q, which is answered through the decide API: the caller renders what it shows, so a message block has no meaning here.", capitalize(what), ch.Name))
		return nil, false
	}
	attrs, diags := b.Body.JustAttributes()
	l.addAll(diags)
	ok := !diags.HasErrors()
	var names []string
	for _, a := range ps.Message {
		names = append(names, a.Name)
	}
	out := map[string]string{}
	values := map[string]cty.Value{}
	for k := range ac.Message {
		values[k] = cty.UnknownVal(cty.String)
	}
	ranges := map[string]hcl.Range{}
	for _, an := range keys(attrs) {
		a := attrs[an]
		sa := ps.MessageAttribute(an)
		if sa == nil {
			l.add(errorf(rngPtr(a.NameRange), "Unsupported argument",
				"An argument named %q is not expected here: messages of provider %s take %s.%s", an, ps.Provider, quoteList(names), suggest(an, names)))
			ok = false
			continue
		}
		ranges[an] = a.Expr.Range()
		sc := l.s.rtScope(fmt.Sprintf("message.%s of %s", an, what), scopeOpts{context: true, journeys: true})
		r := l.template(a.Expr, sc)
		if r == nil {
			ok = false
			continue
		}
		out[an] = r.Source
		values[an] = cty.UnknownVal(cty.String)
		if r.Constant {
			values[an] = cty.StringVal(r.Source)
		}
		if r.Sensitive || sa.Sensitive {
			obj.Sensitive = append(obj.Sensitive, "experiment.variant."+variant+".message."+an)
		}
	}
	if ok && len(out) > 0 {
		l.checks = append(l.checks, providerCheck{
			call: func() ([]provschema.Diagnostic, error) {
				return l.opts.Providers.ValidateMessage(l.ctx, ps.Provider, ps.Provider, values)
			},
			provider: ps.Provider, block: b.DefRange, ranges: ranges,
		})
	}
	return out, ok
}
