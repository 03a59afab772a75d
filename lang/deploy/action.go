package deploy

import "slices"

// Channels names the channels an action delivers on: its own, or its
// treatments' (each once, in the order declared) when it has treatments.
func (a *Action) Channels() []string {
	if len(a.Treatments) == 0 {
		return []string{a.Channel}
	}
	out := make([]string, 0, len(a.Treatments))
	for _, t := range a.Treatments {
		if !slices.Contains(out, t.Channel) {
			out = append(out, t.Channel)
		}
	}
	return out
}
