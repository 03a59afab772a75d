package rtexpr

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestTemplate(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		json      string // the same template in JSON syntax, when given
		source    string
		constant  bool
		value     string
		sensitive bool
		refs      []string
	}{
		{
			name: "subject line", src: `"${customer.first_name}, you left something behind"`,
			json:   `"${customer.first_name}, you left something behind"`,
			source: `${customer.first_name}, you left something behind`, refs: []string{"customer.first_name"},
		},
		{
			name: "templatefile with config and runtime vars",
			src:  `templatefile("templates/reminder.html", { discount = var.discount_pct, deadline = customer.timezone })`,
			json: `"${templatefile(\"templates/reminder.html\", { discount = var.discount_pct, deadline = customer.timezone })}"`,
			source: "<p>Hi ${customer.first_name},</p>\n" +
				"<p>Your cart is waiting. Use 10% off before ${customer.timezone}.</p>\n" +
				"<p>That is a big one.</p>\n" +
				"<p>Not an interpolation: $${literal} and %%{ directive }.</p>\n",
			refs: []string{"customer.first_name", "customer.timezone"},
		},
		{
			name: "templatefile with a config-time object", src: `templatefile("templates/limits.txt", var.limits)`,
			source: `low=5 high=99.5`, constant: true, value: "low=5 high=99.5",
		},
		{
			name: "templatefile inside a template", src: `"Hi ${templatefile("templates/footer.txt", { brand = local.brand })}!"`,
			source: `Hi Footer: Acme!`, constant: true, value: "Hi Footer: Acme!",
		},
		{
			name: "templatefile inside a config function", src: `upper(templatefile("templates/footer.txt", { brand = local.brand }))`,
			source: `FOOTER: ACME`, constant: true, value: "FOOTER: ACME",
		},
		{
			name: "file is read as text", src: `file("templates/plain.txt")`,
			source: `plain text with a $$${dollar}`, constant: true, value: "plain text with a $${dollar}",
		},
		{
			name: "config values resolved", src: `"${local.brand} <hello@acme.test>"`, json: `"${local.brand} <hello@acme.test>"`,
			source: `Acme <hello@acme.test>`, constant: true, value: "Acme <hello@acme.test>",
		},
		{
			name: "escapes kept", src: `"$${not} %%{this} ${customer.tier}"`, json: `"$${not} %%{this} ${customer.tier}"`,
			source: `$${not} %%{this} ${customer.tier}`, refs: []string{"customer.tier"},
		},
		{
			name: "a config value holding template syntax", src: `"${var.label}: ${customer.tier}"`,
			source: "Say \"hi\"\n$${not} %%{this}: ${customer.tier}", refs: []string{"customer.tier"},
		},
		{
			name: "runtime directive", src: `"Hi%{ if segment.vip } VIP%{ else }!%{ endif }"`,
			source: `Hi${segment.vip ? " VIP" : "!"}`, refs: []string{"segment.vip"},
		},
		{
			name: "sensitive config value", src: `"key: ${var.api_key}"`,
			source: `key: s3cr3t`, constant: true, value: "key: s3cr3t", sensitive: true,
		},
		{
			name: "bare reference", src: `customer.first_name`,
			source: `${customer.first_name}`, refs: []string{"customer.first_name"},
		},
		{
			name: "number", src: `42`, json: `42`,
			source: `42`, constant: true, value: "42",
		},
		{
			name: "journey and context", src: `"${journey.onboarding.stage} on ${context.page}"`,
			source: `${journey.onboarding.stage} on ${context.page}`, refs: []string{"journey.onboarding.stage", "context.page"},
		},
		{
			name: "heredoc", src: "<<-EOT\n  Hi ${customer.first_name},\n  bye\n  EOT\n",
			source: "Hi ${customer.first_name},\nbye\n", refs: []string{"customer.first_name"},
		},
		{
			name: "dollar before an interpolation", src: `"US${"$"}${customer.age}"`,
			source: `US${"$"}${customer.age}`, refs: []string{"customer.age"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := testScope()
			e, diags := parse(tt.src)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			res, diags := Template(e, scope, testConfig())
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if res.Source != tt.source {
				t.Errorf("source:\n got %q\nwant %q", res.Source, tt.source)
			}
			if res.Type != cty.String {
				t.Errorf("type = %s", res.Type.GoString())
			}
			if res.Constant != tt.constant {
				t.Errorf("constant = %v, want %v", res.Constant, tt.constant)
			}
			if tt.constant {
				v, _ := res.Value.Unmark()
				if v.Type() != cty.String || v.AsString() != tt.value {
					t.Errorf("value = %#v, want %q", res.Value, tt.value)
				}
				if res.Value.HasMark(SensitiveMark) != tt.sensitive {
					t.Errorf("value marked sensitive = %v, want %v", res.Value.HasMark(SensitiveMark), tt.sensitive)
				}
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
			if tt.json != "" {
				if got := templateJSON(t, tt.json, scope); got != res.Source {
					t.Errorf("JSON syntax prints differently:\n json:   %q\n native: %q", got, res.Source)
				}
			}

			// Deployed text passes the runtime's check and is a fixed point.
			if diags := CheckTemplateSource(res.Source, "deployed", scope); diags.HasErrors() {
				t.Fatalf("CheckTemplateSource: %v", diags)
			}
			te, diags := hclsyntax.ParseTemplate([]byte(res.Source), "deployed", hcl.Pos{Line: 1, Column: 1})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			again, diags := Template(te, scope, nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if again.Source != res.Source {
				t.Errorf("not a fixed point:\n%q\n%q", res.Source, again.Source)
			}
		})
	}
}

func templateJSON(t *testing.T, value string, scope *Scope) string {
	t.Helper()
	e := jsonExpr(t, value)
	res, diags := Template(e, scope, testConfig())
	if diags.HasErrors() {
		t.Fatalf("Template(JSON): %v", diags)
	}
	return res.Source
}

func TestTemplateErrors(t *testing.T) {
	type diag struct{ summary, detail, subject string }
	tests := []struct {
		name  string
		src   string
		scope func(*Scope)
		diags []diag // subject as file:line:col-line:col
	}{
		{
			name: "sensitive attribute", src: `"To ${customer.email}"`,
			diags: []diag{{"Sensitive value in a message", `customer.email is sensitive and may never appear in a message template; only recipient fields such as smtp's "to" may use it.`, "test.wm.hcl:1:7-1:21"}},
		},
		{
			name: "sensitive attribute even where recipients may use it", src: `"${customer.email}"`,
			scope: func(s *Scope) { s.AllowSensitive = true },
			diags: []diag{{"Sensitive value in a message", `customer.email is sensitive and may never appear in a message template; only recipient fields such as smtp's "to" may use it.`, "test.wm.hcl:1:4-1:18"}},
		},
		{
			name: "sensitive attribute in a template file", src: `templatefile("templates/leak.txt", { name = customer.first_name })`,
			diags: []diag{{"Sensitive value in a message", `customer.email is sensitive and may never appear in a message template; only recipient fields such as smtp's "to" may use it.`, "testdata/templates/leak.txt:1:17-1:31"}},
		},
		{
			name: "errors in a template file", src: `templatefile("templates/bad.txt", {})`,
			diags: []diag{
				{"Unknown variable", `There is no variable named "var". A template file read by templatefile can use the variables passed to it (none here) and the runtime references customer, context and journey.`, "testdata/templates/bad.txt:1:32-1:35"},
				{"Unsupported attribute", `The customer block declares no attribute "tierr". Did you mean "tier"?`, "testdata/templates/bad.txt:1:9-1:23"},
			},
		},
		{
			name: "missing template file", src: `templatefile("templates/nope.txt", {})`,
			diags: []diag{{"Invalid function argument", `Invalid value for "path" parameter: no file exists at "templates/nope.txt".`, "test.wm.hcl:1:14-1:34"}},
		},
		{
			name: "runtime path", src: `templatefile(customer.tier, {})`,
			diags: []diag{{"Invalid function argument", `Invalid value for "path" parameter: the path must be known when planning, but it refers to runtime values.`, "test.wm.hcl:1:14-1:27"}},
		},
		{
			name: "runtime vars not written out", src: `templatefile("templates/footer.txt", customer.tags)`,
			diags: []diag{{"Invalid function argument", `Invalid value for "vars" parameter: vars that refer to runtime values must be written as an object constructor, such as { name = customer.first_name }.`, "test.wm.hcl:1:38-1:51"}},
		},
		{
			name: "missing vars", src: `templatefile("templates/footer.txt")`,
			diags: []diag{{"Not enough function arguments", `Function "templatefile" expects 2 argument(s). Missing value for "vars".`, "test.wm.hcl:1:36-1:37"}},
		},
		{
			name: "undefined template variable", src: `templatefile("templates/footer.txt", { brnd = "x" })`,
			diags: []diag{{"Unknown variable", `There is no variable named "brand". Did you mean "brnd"? A template file read by templatefile can use the variables passed to it (brnd) and the runtime references customer, context and journey.`, "testdata/templates/footer.txt:1:11-1:16"}},
		},
		{
			name: "templatefile inside a template file", src: `templatefile("templates/recursive.txt", {})`,
			diags: []diag{{"Error in function call", `templatefile cannot be called from inside a template file read by templatefile.`, "testdata/templates/recursive.txt:1:11-1:23"}},
		},
		{
			name: "list in a template", src: `"tags: ${customer.tags}"`,
			diags: []diag{{"Invalid template interpolation value", `Cannot include customer.tags in a string template: it is a list of string, but a string, number or bool is required.`, "test.wm.hcl:1:10-1:23"}},
		},
		{
			name: "null template", src: `var.nothing`,
			diags: []diag{{"Invalid template interpolation value", `The expression result is null. Cannot include a null value in a string template.`, "test.wm.hcl:1:1-1:12"}},
		},
		{
			name: "event not in hand", src: `"${event.cart_value}"`, scope: noEvent,
			diags: []diag{{"Event not in scope", `The eligible condition of action "reminder_email" cannot refer to event.cart_value: no single event type is in hand here. event.<attribute> can be used only where the enclosing block names the event being processed, such as an entry, goal or exit condition; segments, eligible, consent and arbitration have no event in hand.`, "test.wm.hcl:1:4-1:20"}},
		},
		{
			name: "runtime for directive", src: `"%{ for t in customer.tags }${t} %{ endfor }"`,
			diags: []diag{{"Not supported in runtime expressions", `A %{for} directive over runtime values is not supported in runtime expressions and templates; over config-time values (var, local) it is, and it is evaluated when planning.`, "test.wm.hcl:1:2-1:45"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope := testScope()
			if tt.scope != nil {
				tt.scope(scope)
			}
			e, diags := parse(tt.src)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			_, diags = Template(e, scope, testConfig())
			if len(diags) != len(tt.diags) {
				t.Fatalf("got %d diagnostics, want %d: %v", len(diags), len(tt.diags), diags)
			}
			for i, want := range tt.diags {
				d := diags[i]
				if d.Summary != want.summary || d.Detail != want.detail {
					t.Errorf("diagnostic %d:\n got %q / %q\nwant %q / %q", i, d.Summary, d.Detail, want.summary, want.detail)
				}
				if got := d.Subject.Filename + ":" + span(d.Subject); got != want.subject {
					t.Errorf("diagnostic %d subject = %s, want %s", i, got, want.subject)
				}
			}
		})
	}
}

func TestCheckTemplateSource(t *testing.T) {
	src := "Hi ${customer.first_name},\nyour ${customer.tierr} status\n"
	diags := CheckTemplateSource(src, "deployed.tmpl", testScope())
	if len(diags) != 1 {
		t.Fatalf("got %v", diags)
	}
	if got := span(diags[0].Subject); got != "2:8-2:22" || diags[0].Subject.Filename != "deployed.tmpl" {
		t.Errorf("subject = %s %s", diags[0].Subject.Filename, got)
	}
	if diags := CheckTemplateSource("${var.x}", "deployed.tmpl", testScope()); len(diags) != 1 || diags[0].Summary != "Config-time reference at run time" {
		t.Errorf("var in deployed template: %v", diags)
	}
	if diags := CheckTemplateSource("${", "deployed.tmpl", testScope()); !diags.HasErrors() {
		t.Errorf("syntax error not reported")
	}
	if diags := CheckTemplateSource(strings.Repeat("a", MaxTemplateLen+1), "deployed.tmpl", testScope()); len(diags) != 1 || diags[0].Summary != "Source too long" {
		t.Errorf("long template: %v", diags)
	}
}
