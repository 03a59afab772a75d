package planner

import (
	"reflect"
	"strconv"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// replacePaths returns the attributes whose change cannot be made in place,
// so that the object must be replaced: the runtime drops the old object's
// state and starts the new one afresh. docs/plan.md gives the reasons.
func replacePaths(kind deploy.Kind, before, after map[string]any) []string {
	switch kind {
	case deploy.KindCustomerAttribute:
		// Stored profile values have the old type.
		return changed(before, after, "type")
	case deploy.KindEvent:
		// Stored events and the aggregates of average() and nps() hold
		// values of the old type.
		return eventAttributeTypes(before, after)
	case deploy.KindChannel:
		// Deliveries waiting in the outbox were built for the old
		// provider's schema.
		return changed(before, after, "provider", "source")
	case deploy.KindAction:
		// The adaptive model, contact history and suppression are per action
		// and channel, and pending sends were made for the old channel.
		return changed(before, after, "channel")
	case deploy.KindKPI:
		// The KPI's history and alert state describe the old metric.
		return changed(before, after, "metric")
	}
	return nil
}

func changed(before, after map[string]any, keys ...string) []string {
	var out []string
	for _, k := range keys {
		if !reflect.DeepEqual(before[k], after[k]) {
			out = append(out, k)
		}
	}
	return out
}

// eventAttributeTypes returns the paths of the event attributes, kept by
// name, whose type changed.
func eventAttributeTypes(before, after map[string]any) []string {
	types := map[string]any{}
	for _, a := range list(before["attributes"]) {
		if m, ok := a.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				types[n] = m["type"]
			}
		}
	}
	var out []string
	for i, a := range list(after["attributes"]) {
		m, ok := a.(map[string]any)
		if !ok {
			continue
		}
		n, _ := m["name"].(string)
		if t, kept := types[n]; kept && !reflect.DeepEqual(t, m["type"]) {
			out = append(out, "attributes."+strconv.Itoa(i)+".type")
		}
	}
	return out
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}
