package analytics

import "strings"

// An action with treatments is counted per treatment, under the name
// <action>#<treatment>: its report rows then carry the action's name and
// the treatment apart. A treatment's name is an identifier, so the part
// after the last "#" is one only where TreatmentName put it (an instance
// key, ["a#b"], ends in a bracket).

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
	i := strings.LastIndexByte(name, '#')
	if i < 0 || strings.ContainsAny(name[i+1:], "\"]") {
		return name, ""
	}
	return name[:i], name[i+1:]
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
