package decide

import (
	"sort"
	"strconv"
	"sync"

	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/models"
)

// featureNames are the predictors of a catalog, named once: each declared
// customer attribute not sensitive (customer.<name>) and each journey of the runtime
// (stage.<stack>/<journey>, its value the customer's stage, missing when
// they are not in it).
type featureNames struct {
	once      sync.Once
	customer  []models.Feature // by layout slot; Name empty for none
	journeys  [][]models.Feature
	stages    [][][]models.Feature // the symbol of each stage, by stack, journey, stage
	nJourneys int
}

func (c *Catalog) featureNames() *featureNames {
	f := &c.feat
	f.once.Do(func() {
		names := c.Layout.Names()
		f.customer = make([]models.Feature, len(names))
		for slot := 1; slot < len(names); slot++ {
			if !c.sensitive[names[slot]] {
				f.customer[slot] = models.NewFeature("customer."+names[slot], models.Missing, 0, "")
			}
		}
		for _, s := range c.Stacks {
			js := make([]models.Feature, len(s.Journeys))
			ss := make([][]models.Feature, len(s.Journeys))
			for i, j := range s.Journeys {
				js[i] = models.NewFeature("stage."+s.Name+"/"+j.Name, models.Missing, 0, "")
				for _, st := range j.Stages {
					g := js[i]
					g.Kind, g.Sym, g.SymKey = models.Symbol, st, models.FeatureKey(st)
					ss[i] = append(ss[i], g)
				}
				f.nJourneys++
			}
			f.journeys, f.stages = append(f.journeys, js), append(f.stages, ss)
		}
	})
	return f
}

// Features describes a customer to a model that predicts per customer:
// each declared attribute but the sensitive ones (numbers as they are, for the model to bin;
// strings and bools as symbols; null as missing), the customer's stage in
// every journey of the runtime, and the keys of the decide request's
// context (context.<key>).
func Features(c *Catalog, sub *Subject, ctx map[string]expr.Value) models.Features {
	return appendFeatures(make(models.Features, 0, len(sub.Customer)+c.featureNames().nJourneys+len(ctx)), c, sub, ctx)
}

// appendFeatures appends Features to out, which it treats as empty.
func appendFeatures(out models.Features, c *Catalog, sub *Subject, ctx map[string]expr.Value) models.Features {
	fn := c.featureNames()
	out = out[:0]
	for slot := 1; slot < len(sub.Customer) && slot < len(fn.customer); slot++ {
		if fn.customer[slot].Name != "" {
			out = append(out, featureValue(fn.customer[slot], sub.Customer[slot]))
		}
	}
	base := len(out)
	for _, js := range fn.journeys {
		out = append(out, js...)
	}
	for _, ru := range sub.Runs {
		k := base
		for s := 0; s < ru.Stack; s++ {
			k += len(fn.journeys[s])
		}
		out[k+ru.Journey] = fn.stages[ru.Stack][ru.Journey][ru.Stage]
	}
	if len(ctx) > 0 {
		keys := make([]string, 0, len(ctx))
		for k := range ctx {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, featureValue(models.NewFeature("context."+k, models.Missing, 0, ""), ctx[k]))
		}
	}
	return out
}

// featureValue sets a feature's value from an expression value.
func featureValue(f models.Feature, v expr.Value) models.Feature {
	switch v.Kind() {
	case expr.KindString:
		f.Kind, f.Sym = models.Symbol, v.AsString()
	case expr.KindBool:
		f.Kind, f.Sym = models.Symbol, strconv.FormatBool(v.AsBool())
	case expr.KindNumber:
		f.Kind, f.Num = models.Number, v.AsNumber()
		return f
	default:
		return f
	}
	f.SymKey = models.FeatureKey(f.Sym)
	return f
}
