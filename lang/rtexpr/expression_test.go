package rtexpr

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// span formats a range as line:col-line:col.
func span(r *hcl.Range) string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%d:%d-%d:%d", r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
}

func noEvent(s *Scope) {
	s.What = `the eligible condition of action "reminder_email"`
	s.Event = nil
}

func TestExpressionErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		scope   func(*Scope)
		want    cty.Type
		summary string
		detail  string
		subject string // line:col-line:col
	}{
		// Operators are strict.
		{
			name: "ordering needs numbers", src: `customer.tier > 3`,
			summary: "Invalid operand", detail: "customer.tier is a string; the > operator needs numbers.", subject: "1:1-1:14",
		},
		{
			name: "right operand checked too", src: `customer.age <= customer.first_name`,
			summary: "Invalid operand", detail: "customer.first_name is a string; the <= operator needs numbers.", subject: "1:17-1:36",
		},
		{
			name: "arithmetic needs numbers", src: `customer.age + "1" > 3`,
			summary: "Invalid operand", detail: `"1" is a string; the + operator needs numbers.`, subject: "1:16-1:19",
		},
		{
			name: "arithmetic on a bool", src: "customer.email_opt_in * 2 > 1",
			summary: "Invalid operand", detail: "customer.email_opt_in is a bool; the * operator needs numbers.", subject: "1:1-1:22",
		},
		{
			name: "null in arithmetic", src: `customer.age - null > 0`,
			summary: "Invalid operand", detail: "The right operand is null; the - operator needs numbers.", subject: "1:16-1:20",
		},
		{
			name: "string compared with number", src: `customer.tier == 3`,
			summary: "Comparison of different types", detail: "customer.tier is a string and 3 is a number, so == would always be false. Convert one side first, with tostring or tonumber.", subject: "1:1-1:19",
		},
		{
			name: "number compared with bool", src: `event.cart_value != true`,
			summary: "Comparison of different types", detail: "event.cart_value is a number and true is a bool, so != would always be true. Convert one side first, with tostring or tonumber.", subject: "1:1-1:25",
		},
		{
			name: "config value compared with wrong type", src: `customer.age == var.tiers[0]`,
			summary: "Comparison of different types", detail: `customer.age is a number and "gold" is a string, so == would always be false. Convert one side first, with tostring or tonumber.`, subject: "1:1-1:29",
		},
		{
			name: "sensitive config value never shown", src: `customer.age == var.api_key`,
			summary: "Comparison of different types", detail: "customer.age is a number and the right operand is a string, so == would always be false. Convert one side first, with tostring or tonumber.", subject: "1:1-1:28",
		},
		{
			name: "and needs bools", src: `customer.tier && segment.vip`,
			summary: "Invalid operand", detail: "customer.tier is a string; the && operator needs bool values.", subject: "1:1-1:14",
		},
		{
			name: "or needs bools", src: `segment.vip || customer.age`,
			summary: "Invalid operand", detail: "customer.age is a number; the || operator needs bool values.", subject: "1:16-1:28",
		},
		{
			name: "not needs a bool", src: `!customer.first_name`,
			summary: "Invalid operand", detail: "customer.first_name is a string; the ! operator needs bool values.", subject: "1:2-1:21",
		},
		{
			name: "negation needs a number", src: `-customer.tier < 0`,
			summary: "Invalid operand", detail: "customer.tier is a string; the - operator needs numbers.", subject: "1:2-1:15",
		},
		{
			name: "operand described by its call", src: `lower(customer.tier) > 1`,
			summary: "Invalid operand", detail: "lower(customer.tier) is a string; the > operator needs numbers.", subject: "1:1-1:21",
		},
		{
			name: "condition must be bool", src: `customer.tier`, want: cty.Bool,
			summary: "Incorrect value type", detail: `The entry condition of journey "cart_recovery" must be a bool, but this expression is a string.`, subject: "1:1-1:14",
		},
		{
			name: "value must be a number", src: `customer.tier == "gold"`, want: cty.Number,
			summary: "Incorrect value type", detail: `The entry condition of journey "cart_recovery" must be a number, but this expression is a bool.`, subject: "1:1-1:24",
		},
		{
			name: "null condition", src: `null`, want: cty.Bool,
			summary: "Incorrect value type", detail: `The entry condition of journey "cart_recovery" must be a bool, not null.`, subject: "1:1-1:5",
		},
		{
			name: "conditional needs a bool condition", src: `customer.tier ? 1 : 2`,
			summary: "Invalid condition", detail: "customer.tier is a string; the condition of a conditional expression must be a bool.", subject: "1:1-1:14",
		},
		{
			name: "conditional branches must agree", src: `segment.vip ? customer.age : customer.tier`,
			summary: "Inconsistent conditional result types", detail: "The true and false results of a conditional expression must have the same type, but the true result is a number and the false result is a string.", subject: "1:15-1:43",
		},

		// Names: did you mean, and the scope rules.
		{
			name: "unknown customer attribute", src: `customer.tierr == "gold"`,
			summary: "Unsupported attribute", detail: `The customer block declares no attribute "tierr". Did you mean "tier"?`, subject: "1:1-1:15",
		},
		{
			name: "unknown customer attribute, no suggestion", src: `customer.shoe_size > 40`,
			summary: "Unsupported attribute", detail: `The customer block declares no attribute "shoe_size".`, subject: "1:1-1:19",
		},
		{
			name: "customer alone", src: `customer == null`,
			summary: "Invalid reference", detail: "customer must be followed by an attribute name, such as customer.age.", subject: "1:1-1:9",
		},
		{
			name: "unknown event attribute", src: `event.cart_valu > 20`,
			summary: "Unsupported attribute", detail: `Event "cart_updated" has no attribute "cart_valu". Did you mean "cart_value"?`, subject: "1:1-1:16",
		},
		{
			name: "event of a type without attributes", src: `event.amount > 1`,
			scope:   func(s *Scope) { s.Event = &Event{Type: "checkout_started"} },
			summary: "Unsupported attribute", detail: `Event "checkout_started" has no attribute "amount"; it declares no attributes.`, subject: "1:1-1:13",
		},
		{
			name: "event where none is in hand", src: `segment.vip && event.cart_value > 20`, scope: noEvent,
			summary: "Event not in scope", detail: `The eligible condition of action "reminder_email" cannot refer to event.cart_value: no single event type is in hand here. event.<attribute> can be used only where the enclosing block names the event being processed, such as an entry, goal or exit condition; segments, eligible, consent and arbitration have no event in hand.`, subject: "1:16-1:32",
		},
		{
			name: "unknown segment", src: `segment.vipp`,
			summary: "Reference to undeclared segment", detail: `No segment named "vipp" is declared. Did you mean "vip"?`, subject: "1:1-1:13",
		},
		{
			name: "segment has no attributes", src: `segment.vip.size > 3`,
			summary: "Unsupported attribute", detail: "segment.vip is a bool (whether the customer is in the segment) and has no attributes.", subject: "1:12-1:17",
		},
		{
			name: "segment not in scope", src: `segment.vip`,
			scope:   func(s *Scope) { s.What = `the condition of segment "vip"`; s.Segments = nil },
			summary: "Segment not in scope", detail: `The condition of segment "vip" cannot refer to segments.`, subject: "1:1-1:12",
		},
		{
			name: "unknown journey", src: `journey.onbording.stage == "welcome"`,
			summary: "Reference to undeclared journey", detail: `No journey named "onbording" is declared. Did you mean "onboarding"?`, subject: "1:1-1:18",
		},
		{
			name: "journey has only stage", src: `journey.onboarding.state == "welcome"`,
			summary: "Unsupported attribute", detail: `A journey has only the attribute "stage" here: journey.onboarding.stage is the customer's current stage in the journey, or null.`, subject: "1:1-1:25",
		},
		{
			name: "journey without stage", src: `journey.onboarding == null`,
			summary: "Invalid reference", detail: "journey.onboarding must be followed by .stage: journey.onboarding.stage is the customer's current stage in the journey, or null.", subject: "1:1-1:19",
		},
		{
			name: "context without a key", src: `context == null`,
			summary: "Invalid reference", detail: "A reference to context must name a key, such as context.page.", subject: "1:1-1:8",
		},
		{
			name: "context not in scope", src: `context.page == "home"`,
			scope:   func(s *Scope) { s.What = `the consent of channel "email"`; s.Context = false },
			summary: "Context not in scope", detail: `The consent of channel "email" cannot refer to context.page: context holds what a decide request sends, and is not available here.`, subject: "1:1-1:13",
		},
		{
			name: "propensity outside arbitration", src: `propensity > 0.5`,
			summary: "Invalid reference", detail: `propensity is available only in arbitration's priority, not in the entry condition of journey "cart_recovery".`, subject: "1:1-1:11",
		},
		{
			name: "unknown root with suggestion", src: `custmer.tier == "gold"`,
			summary: "Unknown variable", detail: `There is no variable named "custmer". Did you mean "customer"?`, subject: "1:1-1:8",
		},
		{
			name: "stage reference is not a runtime value", src: `stage.checkout`,
			summary: "Unknown variable", detail: `There is no variable named "stage".`, subject: "1:1-1:6",
		},
		{
			name: "sensitive attribute outside a recipient", src: `customer.email == "a@b.test"`,
			summary: "Sensitive value not allowed", detail: `customer.email is sensitive and may only be used in a recipient field such as smtp's "to".`, subject: "1:1-1:15",
		},
		{
			name: "sensitive attribute in a function, even beside null", src: `lower(customer.email) != null`,
			summary: "Sensitive value not allowed", detail: `customer.email is sensitive and may only be used in a recipient field such as smtp's "to".`, subject: "1:7-1:21",
		},
		{
			name: "undeclared variable", src: `event.cart_value > var.treshold`,
			summary: "Reference to undeclared input variable", detail: `An input variable with the name "treshold" has not been declared. Did you mean "threshold"?`, subject: "1:20-1:32",
		},
		{
			name: "undeclared variable, no suggestion", src: `event.cart_value > var.minimum`,
			summary: "Reference to undeclared input variable", detail: `An input variable with the name "minimum" has not been declared. This variable can be declared with a variable "minimum" {} block.`, subject: "1:20-1:31",
		},
		{
			name: "undeclared local", src: `customer.tier == local.brnd`,
			summary: "Reference to undeclared local value", detail: `A local value with the name "brnd" has not been declared. Did you mean "brand"?`, subject: "1:18-1:28",
		},
		{
			name: "config-time evaluation error", src: `customer.age > var.limits.medium`,
			summary: "Unsupported attribute", detail: `This object does not have an attribute named "medium".`, subject: "1:26-1:33",
		},

		// Functions.
		{
			name: "unknown function", src: `timestamp() > customer.age`,
			summary: "Call to unknown function", detail: `There is no function named "timestamp".`, subject: "1:1-1:10",
		},
		{
			name: "unknown function with suggestion", src: `lowr(customer.tier) == "gold"`,
			summary: "Call to unknown function", detail: `There is no function named "lowr". Did you mean "lower"?`, subject: "1:1-1:5",
		},
		{
			name: "config function with runtime argument", src: `file(customer.tier) == ""`,
			summary: "Function not available at run time", detail: `Function "file" is evaluated when planning, so its arguments must be config-time values (var, local, literals), but here they refer to runtime values.`, subject: "1:1-1:5",
		},
		{
			name: "argument of the wrong type", src: `abs(customer.tier) > 1`,
			summary: "Invalid function argument", detail: `Invalid value for "num" parameter: a number is required, but customer.tier is a string.`, subject: "1:5-1:18",
		},
		{
			name: "too many arguments", src: `lower(customer.tier, "x") == "a"`,
			summary: "Too many function arguments", detail: `Function "lower" expects only 1 argument(s).`, subject: "1:22-1:25",
		},
		{
			name: "not enough arguments", src: `contains(customer.tags) == true`,
			summary: "Not enough function arguments", detail: `Function "contains" expects 2 argument(s). Missing value for "value".`, subject: "1:23-1:24",
		},
		{
			name: "function return type is checked", src: `upper(customer.first_name) > 1`,
			summary: "Invalid operand", detail: "upper(customer.first_name) is a string; the > operator needs numbers.", subject: "1:1-1:27",
		},

		// Indexes, attributes and unsupported forms.
		{
			name: "index of a string", src: `customer.tier[0] == "g"`,
			summary: "Invalid index", detail: "customer.tier is a string, which has no elements to index.", subject: "1:14-1:17",
		},
		{
			name: "list index must be a number", src: `customer.tags["a"] == "b"`,
			summary: "Invalid index", detail: "customer.tags is a list of string, so its index must be a number, but this key is a string.", subject: "1:14-1:19",
		},
		{
			name: "attribute of a string", src: `customer.tier.name == "g"`,
			summary: "Unsupported attribute", detail: "customer.tier is a string, which has no attributes.", subject: "1:14-1:19",
		},
		{
			name: "for over runtime values", src: `length([for t in customer.tags : t if t != ""]) > 0`,
			summary: "Not supported in runtime expressions", detail: "A for expression over runtime values is not supported in runtime expressions and templates; over config-time values (var, local) it is, and it is evaluated when planning.", subject: "1:8-1:47",
		},
		{
			name: "splat over runtime values", src: `length(customer.tags[*]) > 0`,
			summary: "Not supported in runtime expressions", detail: "A splat expression ([*]) over runtime values is not supported in runtime expressions and templates; over config-time values (var, local) it is, and it is evaluated when planning.", subject: "1:8-1:24",
		},
		{
			name: "template of a list", src: `"tags: ${customer.tags}"`,
			summary: "Invalid template interpolation value", detail: "Cannot include customer.tags in a string template: it is a list of string, but a string, number or bool is required.", subject: "1:10-1:23",
		},
		{
			name: "number out of range", src: `customer.age < 1e400`,
			summary: "Unsupported value", detail: "This number is out of range: runtime expressions hold numbers of the range of a 64-bit float, about 1e-308 to 1e308 in size.", subject: "1:16-1:21",
		},
		{
			name: "ambiguous object key", src: `{ customer.tier = 1 } != null`,
			summary: "Ambiguous attribute key", detail: "If this expression is intended to be a reference, wrap it in parentheses. If it's instead intended as a literal name containing periods, wrap it in quotes to create a string literal.", subject: "1:3-1:16",
		},
		{
			name: "sensitive event attribute", src: `event.card != ""`,
			scope:   func(s *Scope) { s.Event.Attributes["card"] = Attr{Type: cty.String, Sensitive: true} },
			summary: "Sensitive value not allowed", detail: `event.card is sensitive and may only be used in a recipient field such as smtp's "to".`, subject: "1:1-1:11",
		},
		{
			name: "tuple index out of range", src: `[customer.age, 1][2] > 0`,
			summary: "Invalid index", detail: "The given key does not identify an element in this collection value: this value has 2 elements.", subject: "1:18-1:21",
		},
		{
			name: "object key must be a string", src: `{ (customer.tags) = 1 } != null`,
			summary: "Invalid object key", detail: "An object key must be a string, but customer.tags is a list of string.", subject: "1:3-1:18",
		},
		{
			name: "multi-line subject", src: "segment.vip &&\n  customer.tier > 3",
			summary: "Invalid operand", detail: "customer.tier is a string; the > operator needs numbers.", subject: "2:3-2:16",
		},
	}
	names := map[string]bool{}
	for _, tt := range tests {
		if names[tt.name] {
			t.Fatalf("duplicate case %q", tt.name)
		}
		names[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			scope := testScope()
			if tt.scope != nil {
				tt.scope(scope)
			}
			want := tt.want
			if want == cty.NilType {
				want = cty.DynamicPseudoType
			}
			e, diags := parse(tt.src)
			if diags.HasErrors() {
				t.Fatalf("parse: %s", diags)
			}
			_, diags = Expression(e, scope, testConfig(), want)
			if len(diags) != 1 {
				t.Fatalf("got %d diagnostics, want 1: %v", len(diags), diags)
			}
			d := diags[0]
			if d.Severity != hcl.DiagError {
				t.Errorf("severity = %v, want error", d.Severity)
			}
			if d.Summary != tt.summary {
				t.Errorf("summary:\n got %q\nwant %q", d.Summary, tt.summary)
			}
			if d.Detail != tt.detail {
				t.Errorf("detail:\n got %q\nwant %q", d.Detail, tt.detail)
			}
			if got := span(d.Subject); got != tt.subject {
				t.Errorf("subject = %s, want %s (%q)", got, tt.subject, excerpt(tt.src, d.Subject))
			}
			if d.Subject != nil && d.Subject.Filename != "test.wm.hcl" {
				t.Errorf("subject file = %q", d.Subject.Filename)
			}
			if strings.Contains(d.Detail, "s3cr3t") || strings.Contains(d.Detail, "S3CR3T") {
				t.Errorf("detail shows a sensitive value: %s", d.Detail)
			}
		})
	}
	if len(tests) < 40 {
		t.Errorf("only %d cases", len(tests))
	}
}

// excerpt is the text a range covers, for failure messages.
func excerpt(src string, r *hcl.Range) string {
	if r == nil || r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte > r.End.Byte {
		return ""
	}
	return src[r.Start.Byte:r.End.Byte]
}

func TestExpressionResults(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		scope     func(*Scope)
		want      cty.Type
		source    string
		ty        cty.Type
		constant  bool
		value     cty.Value
		sensitive bool
		// readsSensitive: reads a sensitive attribute (no secret in the text)
		readsSensitive bool
		refs           []string
	}{
		{
			name: "presence test of a sensitive attribute", src: `customer.email != null && null == customer.email`, want: cty.Bool,
			source: `customer.email != null && null == customer.email`, ty: cty.Bool, refs: []string{"customer.email"},
		},
		{
			name: "the spec's condition", src: `event.cart_value > 20`, want: cty.Bool,
			source: `event.cart_value > 20`, ty: cty.Bool, refs: []string{"event.cart_value"},
		},
		{
			name: "variables inlined", src: `customer.tier == "gold" && event.cart_value > var.threshold`, want: cty.Bool,
			source: `customer.tier == "gold" && event.cart_value > 20`, ty: cty.Bool,
			refs: []string{"customer.tier", "event.cart_value"},
		},
		{
			name: "maximal config part folded", src: `customer.age * (local.min_value + var.discount_pct)`,
			source: `customer.age * 35`, ty: cty.Number, refs: []string{"customer.age"},
		},
		{
			name: "config function folded, runtime function kept", src: `lower(customer.tier) == lower("GOLD")`,
			source: `lower(customer.tier) == "gold"`, ty: cty.Bool, refs: []string{"customer.tier"},
		},
		{
			name: "list value printed as a constructor", src: `contains(var.tiers, customer.tier)`,
			source: `contains(["gold", "platinum"], customer.tier)`, ty: cty.Bool, refs: []string{"customer.tier"},
		},
		{
			name: "object value printed as a constructor", src: `customer.age > var.limits.low && { a = var.limits, b = customer.tier } != null`,
			source: `customer.age > 5 && { a = { high = 99.5, low = 5 }, b = customer.tier } != null`, ty: cty.Bool,
			refs: []string{"customer.age", "customer.tier"},
		},
		{
			name: "constant", src: `var.discount_pct * 2`, want: cty.Number,
			source: `20`, ty: cty.Number, constant: true, value: cty.NumberIntVal(20),
		},
		{
			name: "file is config-time", src: `file("templates/footer.txt")`,
			source: `"Footer: $${brand}"`, ty: cty.String, constant: true, value: cty.StringVal("Footer: ${brand}"),
		},
		{
			name: "sensitive value inlined", src: `customer.first_name == var.api_key`,
			source: `customer.first_name == "s3cr3t"`, ty: cty.Bool, sensitive: true, refs: []string{"customer.first_name"},
		},
		{
			name: "sensitive constant stays marked", src: `var.vip_floor`,
			source: `100`, ty: cty.Number, constant: true, value: cty.NumberIntVal(100).Mark(SensitiveMark), sensitive: true,
		},
		{
			name: "sensitive recipient", src: `customer.email`, want: cty.String,
			scope:  func(s *Scope) { s.What = `the "to" of channel "email"`; s.AllowSensitive = true },
			source: `customer.email`, ty: cty.String, readsSensitive: true, refs: []string{"customer.email"},
		},
		{
			name: "feature flag picks the branch", src: `var.enabled ? customer.tier == "gold" : segment.vip`,
			source: `customer.tier == "gold"`, ty: cty.Bool, refs: []string{"customer.tier"},
		},
		{
			name: "known side of && dropped", src: `var.enabled && segment.vip`,
			source: `segment.vip`, ty: cty.Bool, refs: []string{"segment.vip"},
		},
		{
			name: "absorbing side of && decides", src: `!var.enabled && segment.vip`,
			source: `false`, ty: cty.Bool, constant: true, value: cty.False,
		},
		{
			name: "context is dynamic", src: `context.page == "home" && context["device"] != 3`,
			source: `context.page == "home" && context["device"] != 3`, ty: cty.Bool,
			refs: []string{"context.page", `context["device"]`},
		},
		{
			name: "journey stage", src: `journey.onboarding.stage == null || journey.onboarding.stage == "done"`,
			source: `journey.onboarding.stage == null || journey.onboarding.stage == "done"`, ty: cty.Bool,
			refs: []string{"journey.onboarding.stage"},
		},
		{
			name: "arbitration priority", src: `propensity * value * lever`, want: cty.Number,
			scope:  func(s *Scope) { s.Priority = true; s.Event = nil },
			source: `propensity * value * lever`, ty: cty.Number, refs: []string{"propensity", "value", "lever"},
		},
		{
			name: "list attribute and index", src: `contains(customer.tags, "vip") || customer.tags[0] == "new"`,
			source: `contains(customer.tags, "vip") || customer.tags[0] == "new"`, ty: cty.Bool, refs: []string{"customer.tags"},
		},
		{
			name: "id always exists", src: `customer.id != ""`,
			source: `customer.id != ""`, ty: cty.Bool, refs: []string{"customer.id"},
		},
		{
			name: "null compares with anything", src: `customer.age != null && customer.tier == var.nothing`,
			source: `customer.age != null && customer.tier == null`, ty: cty.Bool, refs: []string{"customer.age", "customer.tier"},
		},
		{
			name: "lone interpolation unwrapped", src: `"${customer.age}"`,
			source: `customer.age`, ty: cty.Number, refs: []string{"customer.age"},
		},
		{
			name: "template keeps runtime parts", src: `"${upper(local.brand)}: ${customer.first_name} (${var.discount_pct}%)"`,
			source: `"ACME: ${customer.first_name} (10%)"`, ty: cty.String, refs: []string{"customer.first_name"},
		},
		{
			name: "strings escaped", src: `customer.first_name == var.label`,
			source: `customer.first_name == "Say \"hi\"\n$${not} %%{this}"`, ty: cty.Bool, refs: []string{"customer.first_name"},
		},
		{
			name: "config-time for expression", src: `contains([for t in var.tiers : upper(t)], customer.tier)`,
			source: `contains(["GOLD", "PLATINUM"], customer.tier)`, ty: cty.Bool, refs: []string{"customer.tier"},
		},
		{
			name: "config-time splat", src: `contains([{ n = "a" }, { n = "b" }][*].n, customer.tier)`,
			source: `contains(["a", "b"], customer.tier)`, ty: cty.Bool, refs: []string{"customer.tier"},
		},
		{
			name: "conditional types unify with null", src: `segment.vip ? customer.age : null`,
			source: `segment.vip ? customer.age : null`, ty: cty.Number, refs: []string{"segment.vip", "customer.age"},
		},
		{
			name: "numbers shortest", src: `customer.age * 0.5 + 1e21 - 1000000 + 0.000001 - 1.5e-7 + 12.50`,
			source: `customer.age * 0.5 + 1e21 - 1000000 + 0.000001 - 1.5e-7 + 12.5`, ty: cty.Number, refs: []string{"customer.age"},
		},
		{
			name: "function with a dynamic argument", src: `lower(context.intent) == "buy"`,
			source: `lower(context.intent) == "buy"`, ty: cty.Bool, refs: []string{"context.intent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := testScope()
			if tt.scope != nil {
				tt.scope(scope)
			}
			want := tt.want
			if want == cty.NilType {
				want = cty.DynamicPseudoType
			}
			e, diags := parse(tt.src)
			if diags.HasErrors() {
				t.Fatalf("parse: %s", diags)
			}
			res, diags := Expression(e, scope, testConfig(), want)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if res.Source != tt.source {
				t.Errorf("source:\n got %s\nwant %s", res.Source, tt.source)
			}
			if !res.Type.Equals(tt.ty) {
				t.Errorf("type = %s, want %s", res.Type.GoString(), tt.ty.GoString())
			}
			if res.Constant != tt.constant {
				t.Errorf("constant = %v, want %v", res.Constant, tt.constant)
			}
			if tt.constant && !res.Value.RawEquals(tt.value) {
				t.Errorf("value = %#v, want %#v", res.Value, tt.value)
			}
			if res.ReadsSensitive != tt.readsSensitive {
				t.Errorf("readsSensitive = %v, want %v", res.ReadsSensitive, tt.readsSensitive)
			}
			if res.Sensitive != tt.sensitive {
				t.Errorf("sensitive = %v, want %v", res.Sensitive, tt.sensitive)
			}
			var refs []string
			for _, r := range res.Refs {
				refs = append(refs, traversalString(r))
			}
			if strings.Join(refs, " ") != strings.Join(tt.refs, " ") {
				t.Errorf("refs = %v, want %v", refs, tt.refs)
			}
			if res.Incomplete {
				t.Errorf("incomplete")
			}

			// What is deployed passes the runtime's check, and is a fixed
			// point of the analysis.
			ty, diags := CheckSource(res.Source, "deployed", scope, want)
			if diags.HasErrors() {
				t.Fatalf("CheckSource(%s): %v", res.Source, diags)
			}
			if !res.Constant && !ty.Equals(res.Type) && ty != cty.DynamicPseudoType {
				t.Errorf("CheckSource type = %s, want %s", ty.GoString(), res.Type.GoString())
			}
			e2, diags := parse(res.Source)
			if diags.HasErrors() {
				t.Fatalf("reparse: %v", diags)
			}
			again, diags := Expression(e2, scope, nil, want)
			if diags.HasErrors() {
				t.Fatalf("again: %v", diags)
			}
			if again.Source != res.Source {
				t.Errorf("not a fixed point:\n%s\n%s", res.Source, again.Source)
			}
		})
	}
}
