package showcmd

import "github.com/waymarkhq/waymark/planner"

// stateJSON is what is deployed in the shape of Terraform's JSON state
// representation (terraform show -json without a plan), so that the tools
// that read Terraform's read it: values.root_module.resources[] with
// address, mode, type, name, provider_name, values and sensitive_values.
// stack and serial are Waymark's own.
type stateJSON struct {
	FormatVersion  string       `json:"format_version"`
	WaymarkVersion string       `json:"waymark_version,omitempty"`
	Stack          string       `json:"stack"`
	Serial         int64        `json:"serial"`
	Values         *stateValues `json:"values,omitempty"`
}

type stateValues struct {
	RootModule stateModule `json:"root_module"`
}

type stateModule struct {
	Resources []stateResource `json:"resources"`
}

type stateResource struct {
	Address         string         `json:"address"`
	Mode            string         `json:"mode"`
	Type            string         `json:"type"`
	Name            string         `json:"name"`
	ProviderName    string         `json:"provider_name"`
	SchemaVersion   int            `json:"schema_version"`
	Values          map[string]any `json:"values"`
	SensitiveValues any            `json:"sensitive_values"`
}

// stateDocument returns the deployment in Terraform's JSON state shape.
// The sensitive values are not in it: the runtime never gave them.
func stateDocument(stack string, dep *planner.Deployment) (*stateJSON, error) {
	out := &stateJSON{FormatVersion: "1.0", Stack: stack, Serial: dep.Serial}
	if dep.Document == nil {
		return out, nil
	}
	out.WaymarkVersion = dep.Document.WaymarkVersion
	out.Values = &stateValues{RootModule: stateModule{Resources: []stateResource{}}}
	for i := range dep.Document.Objects {
		o := &dep.Document.Objects[i]
		m, err := o.Attributes()
		if err != nil {
			return nil, err
		}
		withMarks, err := objectValues(o)
		if err != nil {
			return nil, err
		}
		provider := planner.ProviderWaymark
		if src, ok := m["source"].(string); ok && src != "" {
			provider = src
		}
		out.Values.RootModule.Resources = append(out.Values.RootModule.Resources, stateResource{
			Address: o.Address, Mode: "managed", Type: string(o.Kind), Name: label(m), ProviderName: provider,
			Values: m, SensitiveValues: sensitiveShape(withMarks),
		})
	}
	return out, nil
}

// sensitiveShape mirrors v with true where a value is sensitive, as
// Terraform's sensitive_values: an object keeps the keys that hold a
// sensitive value, a list every element (false where none is).
func sensitiveShape(v any) any {
	switch x := v.(type) {
	case sensitive:
		return true
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if s := sensitiveShape(e); holdsTrue(s) {
				out[k] = s
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sensitiveShape(e)
		}
		return out
	}
	return false
}

// holdsTrue reports whether a shape marks anything sensitive.
func holdsTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		for _, e := range x {
			if holdsTrue(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if holdsTrue(e) {
				return true
			}
		}
	}
	return false
}
