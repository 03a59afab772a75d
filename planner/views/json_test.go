package views_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

// jsonGolden are the scenarios whose JSON plan has a golden file.
var jsonGolden = []string{"spec_example", "channel", "move", "sensitive", "action", "arbitration", "journey"}

func TestJSONGolden(t *testing.T) {
	for _, s := range loadScenarios(t) {
		t.Run(s.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := views.JSON(&buf, s.plan); err != nil {
				t.Fatal(err)
			}
			assertNoSecrets(t, s, "JSON plan", buf.Bytes())
			if !json.Valid(buf.Bytes()) {
				t.Fatalf("invalid JSON:\n%s", buf.Bytes())
			}
			if slices.Contains(jsonGolden, s.Name) {
				golden(t, filepath.Join(scenarios, s.Name+".json.golden"), buf.Bytes())
			}
		})
	}
}

// The types below mirror the fields of hashicorp/terraform-json's Plan
// (plan.go) and StateValues (state.go) that tools read, with the same JSON
// names, so that decoding our plan with them checks that terraform-json
// reads it.
type tfPlan struct {
	FormatVersion    string                     `json:"format_version,omitempty"`
	TerraformVersion string                     `json:"terraform_version,omitempty"`
	Variables        map[string]*tfPlanVariable `json:"variables,omitempty"`
	PlannedValues    *tfStateValues             `json:"planned_values,omitempty"`
	ResourceChanges  []*tfResourceChange        `json:"resource_changes,omitempty"`
	Complete         *bool                      `json:"complete,omitempty"`
	Timestamp        string                     `json:"timestamp,omitempty"`
}

type tfPlanVariable struct {
	Value any `json:"value,omitempty"`
}

type tfStateValues struct {
	RootModule *tfStateModule `json:"root_module,omitempty"`
}

type tfStateModule struct {
	Resources []tfStateResource `json:"resources,omitempty"`
	Address   string            `json:"address,omitempty"`
}

type tfStateResource struct {
	Address         string          `json:"address,omitempty"`
	Mode            string          `json:"mode,omitempty"`
	Type            string          `json:"type,omitempty"`
	Name            string          `json:"name,omitempty"`
	ProviderName    string          `json:"provider_name,omitempty"`
	SchemaVersion   uint64          `json:"schema_version,"`
	AttributeValues map[string]any  `json:"values,omitempty"`
	SensitiveValues json.RawMessage `json:"sensitive_values,omitempty"`
}

type tfResourceChange struct {
	Address         string    `json:"address,omitempty"`
	PreviousAddress string    `json:"previous_address,omitempty"`
	ModuleAddress   string    `json:"module_address,omitempty"`
	Mode            string    `json:"mode,omitempty"`
	Type            string    `json:"type,omitempty"`
	Name            string    `json:"name,omitempty"`
	Index           any       `json:"index,omitempty"`
	ProviderName    string    `json:"provider_name,omitempty"`
	DeposedKey      string    `json:"deposed,omitempty"`
	Change          *tfChange `json:"change,omitempty"`
}

type tfChange struct {
	Actions         []string `json:"actions,omitempty"`
	Before          any      `json:"before,"`
	After           any      `json:"after,omitempty"`
	AfterUnknown    any      `json:"after_unknown,omitempty"`
	BeforeSensitive any      `json:"before_sensitive,omitempty"`
	AfterSensitive  any      `json:"after_sensitive,omitempty"`
	ReplacePaths    []any    `json:"replace_paths,omitempty"`
}

// decodeTF decodes a JSON plan as terraform-json does and checks its format
// version as terraform-json's Plan.Validate does (">= 0.1, < 2.0").
func decodeTF(t *testing.T, b []byte) *tfPlan {
	t.Helper()
	var p tfPlan
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("terraform-json would not decode the plan: %v", err)
	}
	major, minor, ok := strings.Cut(p.FormatVersion, ".")
	if !ok || major != "1" || minor == "" {
		t.Fatalf("format_version %q is not one terraform-json accepts (>= 0.1, < 2.0)", p.FormatVersion)
	}
	return &p
}

// What tools that read Terraform plans look at is where they look for it.
func TestJSONReadsAsTerraformPlan(t *testing.T) {
	byName := map[string]scenario{}
	for _, s := range loadScenarios(t) {
		byName[s.Name] = s
	}
	type want struct {
		address, previous, typ, name, provider string
		actions                                []string
	}
	cases := []struct {
		scenario string
		changes  []want
	}{
		{"spec_example", []want{
			{"journey.cart_recovery", "", "journey", "cart_recovery", "waymark", []string{"update"}},
			{"journey.cart_recovery.action.reminder_email", "", "action", "reminder_email", "waymark", []string{"update"}},
			{"journey.cart_recovery.action.vip_discount_banner", "", "action", "vip_discount_banner", "waymark", []string{"create"}},
			{"journey.cart_recovery.stage.checkout", "", "stage", "checkout", "waymark", []string{"delete"}},
		}},
		{"channel", []want{
			{"channel.audit", "", "channel", "audit", "waymark/log", []string{"delete", "create"}},
			{"channel.email", "", "channel", "email", "waymark/smtp", []string{"update"}},
			{"channel.push", "", "channel", "push", "waymark/webhook", []string{"create"}},
			{"channel.sms", "", "channel", "sms", "waymark/webhook", []string{"delete"}},
		}},
		{"move", []want{
			{"journey.cart_recovery.stage.paying", "journey.cart_recovery.stage.checkout", "stage", "paying", "waymark", []string{"no-op"}},
			{"journey.welcome", "journey.onboarding", "journey", "welcome", "waymark", []string{"no-op"}},
			{"journey.cart_recovery.action.reminder_email", "journey.cart_recovery.action.reminder", "action", "reminder_email", "waymark", []string{"update"}},
		}},
		{"customer_attribute", []want{
			{"customer.attribute.plan", "", "customer_attribute", "plan", "waymark", []string{"delete", "create"}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.scenario, func(t *testing.T) {
			s := byName[tc.scenario]
			b, err := views.MarshalJSON(s.plan)
			if err != nil {
				t.Fatal(err)
			}
			p := decodeTF(t, b)
			if p.FormatVersion != "1.2" {
				t.Errorf("format_version = %q, want 1.2", p.FormatVersion)
			}
			got := map[string]*tfResourceChange{}
			for _, rc := range p.ResourceChanges {
				got[rc.Address] = rc
				if rc.Mode != "managed" {
					t.Errorf("%s: mode = %q, want managed", rc.Address, rc.Mode)
				}
				if rc.Change == nil || len(rc.Change.Actions) == 0 {
					t.Errorf("%s: no change actions", rc.Address)
				}
			}
			for _, w := range tc.changes {
				rc := got[w.address]
				if rc == nil {
					t.Errorf("no resource change for %s", w.address)
					continue
				}
				if rc.PreviousAddress != w.previous || rc.Type != w.typ || rc.Name != w.name || rc.ProviderName != w.provider {
					t.Errorf("%s: previous_address, type, name, provider_name = %q, %q, %q, %q; want %q, %q, %q, %q",
						w.address, rc.PreviousAddress, rc.Type, rc.Name, rc.ProviderName, w.previous, w.typ, w.name, w.provider)
				}
				if !slices.Equal(rc.Change.Actions, w.actions) {
					t.Errorf("%s: actions = %v, want %v", w.address, rc.Change.Actions, w.actions)
				}
				switch w.actions[0] {
				case "create":
					if rc.Change.Before != nil || rc.Change.BeforeSensitive != false {
						t.Errorf("%s: a create has before %v and before_sensitive %v, want null and false", w.address, rc.Change.Before, rc.Change.BeforeSensitive)
					}
				case "delete":
					if len(w.actions) == 1 && (rc.Change.After != nil || rc.Change.AfterSensitive != false) {
						t.Errorf("%s: a delete has after %v and after_sensitive %v, want null and false", w.address, rc.Change.After, rc.Change.AfterSensitive)
					}
				}
				if len(w.actions) == 2 && len(rc.Change.ReplacePaths) == 0 {
					t.Errorf("%s: a replace without replace_paths", w.address)
				}
			}
			if p.PlannedValues == nil || p.PlannedValues.RootModule == nil {
				t.Fatal("no planned_values.root_module")
			}
		})
	}
}

// A sensitive value is left out of before and after, and marked true at its
// path in before_sensitive and after_sensitive, as Terraform marks its own.
func TestJSONSensitiveShapes(t *testing.T) {
	var s scenario
	for _, sc := range loadScenarios(t) {
		if sc.Name == "channel" {
			s = sc
		}
	}
	b, err := views.MarshalJSON(s.plan)
	if err != nil {
		t.Fatal(err)
	}
	p := decodeTF(t, b)
	var email *tfResourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Address == "channel.email" {
			email = rc
		}
	}
	if email == nil {
		t.Fatal("no change for channel.email")
	}
	for side, v := range map[string]any{"before": email.Change.Before, "after": email.Change.After} {
		config := v.(map[string]any)["config"].(map[string]any)
		if _, ok := config["password"]; ok {
			t.Errorf("%s.config holds the password: %v", side, config["password"])
		}
		if config["host"] != "smtp.acme.test" {
			t.Errorf("%s.config.host = %v, want the host", side, config["host"])
		}
	}
	for side, v := range map[string]any{"before_sensitive": email.Change.BeforeSensitive, "after_sensitive": email.Change.AfterSensitive} {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s = %v, want an object", side, v)
		}
		if m["config"].(map[string]any)["password"] != true {
			t.Errorf("%s.config.password = %v, want true", side, m["config"])
		}
		if _, ok := m["config"].(map[string]any)["host"]; ok {
			t.Errorf("%s.config.host is present; a non-sensitive leaf is left out", side)
		}
	}
	// A sensitive variable's value is left out too.
	for n, v := range p.Variables {
		if n == "smtp_password" && v.Value != nil {
			t.Errorf("variables.smtp_password.value = %v, want it left out", v.Value)
		}
	}
	if _, ok := p.Variables["smtp_password"]; !ok {
		t.Error("the sensitive variable is not listed")
	}
}

// A constant is a JSON number or bool, so that a policy comparing values
// compares numbers; an expression stays its source and is marked in
// after_expressions, so that a policy can tell it from a string literal.
func TestJSONConstantsAreTyped(t *testing.T) {
	attrs := func(value, eligible string) map[string]any {
		return map[string]any{
			"journey": "cart", "name": "offer", "channel": "web", "stages": []any{"browsing"},
			"value": value, "eligible": eligible, "lever": 1.0,
			"message": map[string]any{"title": "${customer.first_name}"},
		}
	}
	p := &plans.Plan{Stack: "growth", Changes: []plans.Change{{
		Address: "journey.cart.action.offer", Action: plans.Update, Kind: deploy.KindAction, Name: "offer", Provider: "waymark",
		Before: attrs("2.5", "true"),
		After:  attrs("customer.ltv * 0.1", "customer.tier == \"gold\""),
	}}}
	b, err := views.MarshalJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PlannedValues struct {
			RootModule struct {
				Resources []struct {
					ExpressionValues map[string]any `json:"expression_values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"planned_values"`
		ResourceChanges []struct {
			Change struct {
				Before            map[string]any `json:"before"`
				After             map[string]any `json:"after"`
				BeforeExpressions map[string]any `json:"before_expressions"`
				AfterExpressions  map[string]any `json:"after_expressions"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	ch := got.ResourceChanges[0].Change
	if ch.Before["value"] != 2.5 || ch.Before["eligible"] != true {
		t.Errorf("before value, eligible = %#v, %#v; want the number 2.5 and true", ch.Before["value"], ch.Before["eligible"])
	}
	if len(ch.BeforeExpressions) != 0 {
		t.Errorf("before_expressions = %v, want {} (only constants)", ch.BeforeExpressions)
	}
	if ch.After["value"] != "customer.ltv * 0.1" || ch.After["eligible"] != `customer.tier == "gold"` {
		t.Errorf("after value, eligible = %#v, %#v; want the sources", ch.After["value"], ch.After["eligible"])
	}
	want := map[string]any{"value": true, "eligible": true}
	if !reflect.DeepEqual(ch.AfterExpressions, want) {
		t.Errorf("after_expressions = %v, want %v", ch.AfterExpressions, want)
	}
	if ev := got.PlannedValues.RootModule.Resources[0].ExpressionValues; !reflect.DeepEqual(ev, want) {
		t.Errorf("planned expression_values = %v, want %v", ev, want)
	}
	if m, _ := ch.After["message"].(map[string]any); m["title"] != "${customer.first_name}" {
		t.Errorf("after message = %v, want the template unchanged", ch.After["message"])
	}
}
