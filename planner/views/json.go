package views

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// JSONFormatVersion is the version of Terraform's JSON plan representation
// that JSON writes.
const JSONFormatVersion = "1.2"

// JSON writes the plan in Terraform's JSON plan representation, so that
// tools which read Terraform plans (terraform-json, conftest and OPA
// policies) read it. A sensitive value never appears: it is left out of
// before and after, and before_sensitive and after_sensitive mark it, as
// Terraform marks its own. Waymark adds a few keys of its own (stack,
// base_serial, waymark_version, and impact on a resource change), which
// those readers ignore.
func JSON(w io.Writer, p *plans.Plan) error {
	b, err := MarshalJSON(p)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

type jsonPlan struct {
	FormatVersion   string                  `json:"format_version"`
	WaymarkVersion  string                  `json:"waymark_version,omitempty"`
	Stack           string                  `json:"stack"`
	BaseSerial      int64                   `json:"base_serial"`
	Variables       map[string]jsonVariable `json:"variables,omitempty"`
	PlannedValues   jsonStateValues         `json:"planned_values"`
	ResourceChanges []jsonResourceChange    `json:"resource_changes"`
	Timestamp       string                  `json:"timestamp,omitempty"`
	Applyable       bool                    `json:"applyable"`
	Complete        bool                    `json:"complete"`
	Errored         bool                    `json:"errored"`
}

type jsonVariable struct {
	// Value is left out for a sensitive variable.
	Value     json.RawMessage `json:"value,omitempty"`
	Sensitive bool            `json:"sensitive,omitempty"`
}

type jsonStateValues struct {
	RootModule jsonModule `json:"root_module"`
}

type jsonModule struct {
	Resources []jsonResource `json:"resources"`
}

type jsonResource struct {
	Address         string         `json:"address"`
	Mode            string         `json:"mode"`
	Type            string         `json:"type"`
	Name            string         `json:"name"`
	ProviderName    string         `json:"provider_name"`
	SchemaVersion   int            `json:"schema_version"`
	Values          map[string]any `json:"values"`
	SensitiveValues any            `json:"sensitive_values"`
	// ExpressionValues marks the values that are runtime expressions'
	// source text, shaped as SensitiveValues; Waymark's own key.
	ExpressionValues any `json:"expression_values,omitempty"`
}

type jsonResourceChange struct {
	Address         string      `json:"address"`
	PreviousAddress string      `json:"previous_address,omitempty"`
	Mode            string      `json:"mode"`
	Type            string      `json:"type"`
	Name            string      `json:"name"`
	ProviderName    string      `json:"provider_name"`
	Change          jsonChange  `json:"change"`
	ActionReason    string      `json:"action_reason,omitempty"`
	Impact          *jsonImpact `json:"impact,omitempty"`
}

type jsonChange struct {
	Actions         []string `json:"actions"`
	Before          any      `json:"before"`
	After           any      `json:"after"`
	AfterUnknown    any      `json:"after_unknown"`
	BeforeSensitive any      `json:"before_sensitive"`
	AfterSensitive  any      `json:"after_sensitive"`
	ReplacePaths    [][]any  `json:"replace_paths,omitempty"`
	// BeforeExpressions and AfterExpressions mark the values of Before and
	// After that are runtime expressions' source text (strings that are
	// not literal values), shaped as BeforeSensitive; Waymark's own keys.
	BeforeExpressions any `json:"before_expressions,omitempty"`
	AfterExpressions  any `json:"after_expressions,omitempty"`
}

type jsonImpact struct {
	Customers int64 `json:"customers"`
}

// MarshalJSON returns the plan in Terraform's JSON plan representation,
// indented, ending in a newline.
func MarshalJSON(p *plans.Plan) ([]byte, error) {
	out := jsonPlan{
		FormatVersion:   JSONFormatVersion,
		WaymarkVersion:  p.WaymarkVersion,
		Stack:           p.Stack,
		BaseSerial:      p.BaseSerial,
		PlannedValues:   jsonStateValues{RootModule: jsonModule{Resources: []jsonResource{}}},
		ResourceChanges: make([]jsonResourceChange, 0, len(p.Changes)),
		Applyable:       p.HasChanges(),
		Complete:        true,
	}
	if !p.CreatedAt.IsZero() {
		out.Timestamp = p.CreatedAt.UTC().Format(time.RFC3339)
	}
	if len(p.Variables) > 0 {
		out.Variables = map[string]jsonVariable{}
		for n, v := range p.Variables {
			if v.Sensitive {
				out.Variables[n] = jsonVariable{Sensitive: true}
			} else {
				out.Variables[n] = jsonVariable{Value: v.Value}
			}
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		rc := jsonResourceChange{
			Address:      c.Address,
			Mode:         "managed",
			Type:         string(c.Kind),
			Name:         c.Name,
			ProviderName: c.Provider,
		}
		if c.Moved() {
			rc.PreviousAddress = c.PreviousAddress
		}
		if c.Impact != nil {
			rc.Impact = &jsonImpact{Customers: c.Impact.Customers}
		}
		ch := jsonChange{Actions: actions(c.Action), AfterUnknown: map[string]any{}, BeforeSensitive: false, AfterSensitive: false}
		if c.Action != plans.Create && c.Before != nil {
			ch.Before, ch.BeforeExpressions = typedExpressions(c.Kind, withoutSensitive(c.Before, c.BeforeSensitive))
			ch.BeforeSensitive = sensitiveShape(c.Before, c.BeforeSensitive)
		}
		if c.Action != plans.Delete && c.After != nil {
			after, exprs := typedExpressions(c.Kind, withoutSensitive(c.After, c.AfterSensitive))
			ch.After, ch.AfterExpressions = after, exprs
			ch.AfterSensitive = sensitiveShape(c.After, c.AfterSensitive)
			out.PlannedValues.RootModule.Resources = append(out.PlannedValues.RootModule.Resources, jsonResource{
				Address: c.Address, Mode: "managed", Type: string(c.Kind), Name: c.Name, ProviderName: c.Provider,
				Values: after, SensitiveValues: ch.AfterSensitive, ExpressionValues: exprs,
			})
		}
		if c.Action == plans.Replace {
			rc.ActionReason = "replace_because_cannot_update"
			for _, rp := range c.ReplacePaths {
				ch.ReplacePaths = append(ch.ReplacePaths, pathSteps(rp))
			}
		}
		rc.Change = ch
		out.ResourceChanges = append(out.ResourceChanges, rc)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("encoding the plan of stack %q as JSON: %w", p.Stack, err)
	}
	return buf.Bytes(), nil
}

// actions are Terraform's names of an action.
func actions(a plans.Action) []string {
	switch a {
	case plans.Create:
		return []string{"create"}
	case plans.Update:
		return []string{"update"}
	case plans.Delete:
		return []string{"delete"}
	case plans.Replace:
		return []string{"delete", "create"}
	}
	return []string{"no-op"}
}

// pathSteps splits a path into Terraform's steps: keys as strings, list
// indexes as numbers.
func pathSteps(path string) []any {
	var out []any
	for _, s := range strings.Split(path, ".") {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		} else {
			out = append(out, s)
		}
	}
	return out
}

// withoutSensitive returns a copy of attrs without the values at the
// sensitive paths, nor any withheld value: an object key is left out, a
// list element set to null.
func withoutSensitive(attrs map[string]any, sensitive []string) map[string]any {
	if len(sensitive) == 0 {
		return attrs // the planner puts withheld values at sensitive paths only
	}
	sens := map[string]bool{}
	for _, s := range sensitive {
		sens[s] = true
	}
	return stripValue(attrs, "", sens).(map[string]any)
}

func stripValue(v any, path string, sens map[string]bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			p := join(path, k)
			if sens[p] || deploy.IsWithheld(e) {
				continue
			}
			out[k] = stripValue(e, p, sens)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			p := join(path, strconv.Itoa(i))
			if sens[p] || deploy.IsWithheld(e) {
				continue
			}
			out[i] = stripValue(e, p, sens)
		}
		return out
	}
	return v
}

func join(path, step string) string {
	if path == "" {
		return step
	}
	return path + "." + step
}

// sensitiveShape mirrors a value as Terraform's before_sensitive and
// after_sensitive do: true where a value is sensitive; an object of the
// keys that are or hold sensitive values; a list with an entry per element;
// false for any other leaf, left out of an object.
func sensitiveShape(attrs map[string]any, sensitive []string) any {
	sens := map[string]bool{}
	for _, s := range sensitive {
		sens[s] = true
	}
	return shapeValue(attrs, "", sens)
}

func shapeValue(v any, path string, sens map[string]bool) any {
	if path != "" && (sens[path] || deploy.IsWithheld(v)) {
		return true
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := shapeValue(x[k], join(path, k), sens)
			if s != false {
				out[k] = s
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = shapeValue(e, join(path, strconv.Itoa(i)), sens)
		}
		return out
	}
	return false
}
