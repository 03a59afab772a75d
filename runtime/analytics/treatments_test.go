package analytics

import "testing"

func TestTreatmentNames(t *testing.T) {
	moved := map[string]string{"nudge": "winback", `offer["a"]`: `offer["b"]`}
	for _, tt := range []struct {
		action, treatment, name, movedTo string
	}{
		{"nudge", "", "nudge", "winback"},
		{"nudge", "sms", "nudge#sms", "winback#sms"},
		{`offer["a"]`, "web", `offer["a"]#web`, `offer["b"]#web`},
		{"other", "email", "other#email", ""},
		{`offer["a#b"]`, "", `offer["a#b"]`, ""},
		{`offer["a#b"]`, "app", `offer["a#b"]#app`, ""},
	} {
		name := TreatmentName(tt.action, tt.treatment)
		if name != tt.name {
			t.Errorf("TreatmentName(%q, %q) = %q, want %q", tt.action, tt.treatment, name, tt.name)
		}
		if a, tr := splitTreatment(name); a != tt.action || tr != tt.treatment {
			t.Errorf("splitTreatment(%q) = %q, %q", name, a, tr)
		}
		to, ok := movedName(name, moved)
		if to != tt.movedTo || ok != (tt.movedTo != "") {
			t.Errorf("movedName(%q) = %q, %v; want %q", name, to, ok, tt.movedTo)
		}
	}
}
