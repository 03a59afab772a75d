package decide

import (
	"hash/fnv"
	"math"

	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/models"
)

// Features describes a customer to a model that predicts per customer:
// each attribute value binned (numbers by powers of two, strings and bools
// as they are) and each journey stage, hashed with its name (FNV-1a, so
// that a feature keeps its id across restarts).
func Features(c *Catalog, sub *Subject) models.Features {
	names := c.Layout.Names()
	out := make(models.Features, 0, len(sub.Customer)+len(sub.Runs))
	for slot := 1; slot < len(sub.Customer) && slot < len(names); slot++ {
		v := sub.Customer[slot]
		h := fnv.New64a()
		h.Write([]byte(names[slot]))
		h.Write([]byte{0})
		switch v.Kind() {
		case expr.KindString:
			h.Write([]byte(v.AsString()))
		case expr.KindBool:
			if v.AsBool() {
				h.Write([]byte{1})
			}
		case expr.KindNumber:
			h.Write([]byte{byte(int8(math.Ilogb(math.Abs(v.AsNumber()) + 1)))})
		default:
			continue
		}
		out = append(out, h.Sum64())
	}
	for _, ru := range sub.Runs {
		s := c.Stacks[ru.Stack]
		j := s.Journeys[ru.Journey]
		h := fnv.New64a()
		h.Write([]byte(s.Name + "/" + j.Name + "\x00" + j.Stages[ru.Stage]))
		out = append(out, h.Sum64())
	}
	return out
}
