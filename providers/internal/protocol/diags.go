package protocol

import (
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/proto/providerv1"
)

// EncodeDiagnostics converts diagnostics to their protobuf form.
func EncodeDiagnostics(diags []provschema.Diagnostic) []*providerv1.Diagnostic {
	out := make([]*providerv1.Diagnostic, 0, len(diags))
	for _, d := range diags {
		sev := providerv1.Diagnostic_ERROR
		if d.Severity == provschema.Warning {
			sev = providerv1.Diagnostic_WARNING
		}
		pd := &providerv1.Diagnostic{Severity: sev, Summary: d.Summary, Detail: d.Detail}
		if len(d.Path) > 0 {
			pd.Path = &providerv1.AttributePath{Steps: append([]string(nil), d.Path...)}
		}
		out = append(out, pd)
	}
	return out
}

// DecodeDiagnostics converts diagnostics from their protobuf form. A
// severity the host does not know is read as an error.
func DecodeDiagnostics(pds []*providerv1.Diagnostic) []provschema.Diagnostic {
	var out []provschema.Diagnostic
	for _, pd := range pds {
		d := provschema.Diagnostic{Severity: provschema.Error, Summary: pd.GetSummary(), Detail: pd.GetDetail()}
		if pd.GetSeverity() == providerv1.Diagnostic_WARNING {
			d.Severity = provschema.Warning
		}
		if steps := pd.GetPath().GetSteps(); len(steps) > 0 {
			d.Path = append([]string(nil), steps...)
		}
		out = append(out, d)
	}
	return out
}

// HasErrors reports whether any diagnostic is an error.
func HasErrors(diags []provschema.Diagnostic) bool {
	for _, d := range diags {
		if d.Severity == provschema.Error {
			return true
		}
	}
	return false
}
