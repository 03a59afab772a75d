package analytics

import "strings"

// An action with treatments is counted per treatment, under the name
// <action>#<treatment> (an action's name never holds a "#"): its report
// rows then carry the action's name and the treatment apart.

// TreatmentName is the name an action's figures are counted under: its
// own, or for a treatment of it, <action>#<treatment>.
func TreatmentName(action, treatment string) string {
	if treatment == "" {
		return action
	}
	return action + "#" + treatment
}

// splitTreatment splits a name TreatmentName made.
func splitTreatment(name string) (action, treatment string) {
	action, treatment, _ = strings.Cut(name, "#")
	return action, treatment
}

// movedName is the name of an action's figures after the action was
// renamed from to to: its treatments' follow it.
func movedName(name string, moved map[string]string) (string, bool) {
	action, treatment := splitTreatment(name)
	to, ok := moved[action]
	if !ok {
		return "", false
	}
	return TreatmentName(to, treatment), true
}
