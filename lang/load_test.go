package lang_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/providers/builtin"
)

var update = flag.Bool("update", false, "rewrite golden files")

func options() lang.Options {
	return lang.Options{
		Providers: builtin.Schemas("0.1.0"),
		Builtin:   builtin.Lookup,
		Version:   "0.1.0",
	}
}

func load(t *testing.T, dir string, opts lang.Options) *lang.Config {
	t.Helper()
	cfg, diags := lang.Load(context.Background(), dir, opts)
	if diags.HasErrors() {
		t.Fatalf("loading %s: %s", dir, diags.Error())
	}
	return cfg
}

// The complete example of the language specification loads without errors
// and gives the deployable document in testdata/spec-example.deploy.json.
func TestSpecExampleDeployable(t *testing.T) {
	cfg := load(t, "testdata/spec-example", options())
	got, err := cfg.Document.Encode()
	if err != nil {
		t.Fatal(err)
	}
	golden := "testdata/spec-example.deploy.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("deployable form differs from %s (run go test ./lang -update and review the diff):\n%s", golden, got)
	}
	// What a reviewer relies on, stated outright.
	doc := cfg.Document
	if doc.Stack != "growth" {
		t.Errorf("stack = %q", doc.Stack)
	}
	entry := doc.Object("journey.cart_recovery").Journey.Entry
	if entry.Condition != "event.cart_value > 20" {
		t.Errorf("entry condition = %q", entry.Condition)
	}
	msg := doc.Object("journey.cart_recovery.action.reminder_email").Action.Message
	if !strings.Contains(msg["body"], "${customer.first_name}") || !strings.Contains(msg["body"], "10% off") {
		t.Errorf("templatefile must keep runtime references and resolve template variables; body = %q", msg["body"])
	}
	if doc.Object("channel.email").Channel.PerDelivery["to"] != "customer.email" {
		t.Errorf("smtp to = %q", doc.Object("channel.email").Channel.PerDelivery["to"])
	}
	if got := doc.Object("channel.email").Channel.Config["from"]; string(got) != `"Acme \u003chello@acme.test\u003e"` && string(got) != `"Acme <hello@acme.test>"` {
		t.Errorf("from = %s", got)
	}
}

// Loading twice gives byte-identical documents.
func TestDeterministic(t *testing.T) {
	a, _ := load(t, "testdata/spec-example", options()).Document.Encode()
	b, _ := load(t, "testdata/spec-example", options()).Document.Encode()
	if !bytes.Equal(a, b) {
		t.Fatal("two loads of the same configuration encode differently")
	}
	doc, err := deploy.Decode(a)
	if err != nil {
		t.Fatalf("the document does not decode: %v", err)
	}
	c, _ := doc.Encode()
	if !bytes.Equal(a, c) {
		t.Fatal("decode and encode is not the identity")
	}
}

// A configuration written in JSON syntax deploys exactly as its native
// twin: syntax, spacing and comments never show up in a plan.
func TestJSONEquivalence(t *testing.T) {
	n, _ := load(t, "testdata/json-equivalence/native", options()).Document.Encode()
	j, _ := load(t, "testdata/json-equivalence/json", options()).Document.Encode()
	if !bytes.Equal(n, j) {
		t.Errorf("native and JSON syntax deploy differently:\nnative:\n%s\njson:\n%s", n, j)
	}
}

func TestVariablePrecedence(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.wm.hcl", `
variable "pct" {
  type    = number
  default = 1
}
variable "secret" {
  type      = string
  default   = "s3cr3t"
  sensitive = true
}
customer {
  attribute "tier" { type = string }
}
channel "web" {
  provider = inbound
}
journey "j" {
  entry { condition = customer.tier == var.secret }
  stage "s" {}
  action "a" {
    channel = channel.web
    stages  = [stage.s]
    value   = var.pct
  }
}
`)
	value := func(opts lang.Options) string {
		t.Helper()
		return load(t, dir, opts).Document.Object("journey.j.action.a").Action.Value
	}
	opts := options()
	if got := value(opts); got != "1" {
		t.Errorf("default: value = %q, want 1", got)
	}
	opts.Environ = []string{"WAYMARK_VAR_pct=2"}
	if got := value(opts); got != "2" {
		t.Errorf("environment: value = %q, want 2", got)
	}
	write(t, dir, "x.auto.wmvars", "pct = 3\n")
	if got := value(opts); got != "3" {
		t.Errorf("auto file over environment: value = %q, want 3", got)
	}
	write(t, dir, "other.wmvars", "pct = 4\n")
	opts.Vars = []lang.VarArg{{Name: "pct", Value: "5"}, {File: filepath.Join(dir, "other.wmvars")}}
	if got := value(opts); got != "4" {
		t.Errorf("later -var-file over earlier -var: value = %q, want 4", got)
	}
	opts.Vars = []lang.VarArg{{File: filepath.Join(dir, "other.wmvars")}, {Name: "pct", Value: "5"}}
	if got := value(opts); got != "5" {
		t.Errorf("later -var over earlier -var-file: value = %q, want 5", got)
	}

	// The sensitive variable is inlined into the journey's entry condition,
	// which the document must flag.
	cfg := load(t, dir, opts)
	j := cfg.Document.Object("journey.j")
	if !strings.Contains(j.Journey.Entry.Condition, `"s3cr3t"`) {
		t.Fatalf("entry condition = %q", j.Journey.Entry.Condition)
	}
	if !j.IsSensitive("entry.condition") {
		t.Errorf("inlining a sensitive variable must mark the attribute sensitive; sensitive = %v", j.Sensitive)
	}
}

// A value from -var or the environment is a string for a variable of no
// type or of a primitive type, and an HCL expression for any other type
// (type = any included), as in Terraform.
func TestVariableFromCommandLine(t *testing.T) {
	tests := []struct {
		name, decl, value string
		want              cty.Value // cty.NilVal: an error
	}{
		{"untyped word", ``, "abc", cty.StringVal("abc")},
		{"untyped number", ``, "12", cty.StringVal("12")},
		{"untyped brackets", ``, "[1, 2]", cty.StringVal("[1, 2]")},
		{"string", `type = string`, "abc", cty.StringVal("abc")},
		{"number", `type = number`, "12", cty.NumberIntVal(12)},
		{"number, not one", `type = number`, "abc", cty.NilVal},
		{"bool", `type = bool`, "true", cty.True},
		{"list", `type = list(string)`, `["a", "b"]`, cty.ListVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{"any", `type = any`, `[1]`, cty.TupleVal([]cty.Value{cty.NumberIntVal(1)})},
		{"any, a word", `type = any`, `abc`, cty.NilVal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, "main.wm.hcl", "variable \"x\" {\n  "+tt.decl+"\n}\nevent \"e\" {}\n")
			for _, from := range []string{"-var", "environment"} {
				opts := options()
				if from == "-var" {
					opts.Vars = []lang.VarArg{{Name: "x", Value: tt.value}}
				} else {
					opts.Environ = []string{"WAYMARK_VAR_x=" + tt.value}
				}
				cfg, diags := lang.Load(context.Background(), dir, opts)
				if tt.want == cty.NilVal {
					if !diags.HasErrors() {
						t.Errorf("%s: %q loaded as %#v", from, tt.value, cfg.VariableValues["x"])
					}
					continue
				}
				if diags.HasErrors() {
					t.Fatalf("%s: %s", from, diags.Error())
				}
				if got := cfg.VariableValues["x"]; !got.RawEquals(tt.want) {
					t.Errorf("%s: %q loaded as %#v, want %#v", from, tt.value, got, tt.want)
				}
			}
		})
	}
}

func write(t *testing.T, dir, name, text string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Every example under examples/ validates.
func TestExamplesValidate(t *testing.T) {
	dirs, _ := filepath.Glob("../examples/*")
	n := 0
	for _, d := range dirs {
		if files, _ := lang.FindFiles(d); len(files) == 0 {
			continue
		}
		n++
		t.Run(filepath.Base(d), func(t *testing.T) {
			_, diags := lang.Load(context.Background(), d, options())
			for _, diag := range diags {
				if diag.Severity == hcl.DiagError {
					t.Error(diag.Error())
				}
			}
		})
	}
	if n < 3 {
		t.Errorf("found %d example configurations; there must be at least 3", n)
	}
}
