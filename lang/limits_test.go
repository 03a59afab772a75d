package lang_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/lang"
)

// hostile are configurations that once exhausted the loader's memory or
// stack, or ran it for minutes (issue #18). Each must be refused with the
// diagnostic named, quickly.
var hostile = []struct {
	name  string
	files map[string]string
	// disk holds further files written beside the configuration.
	disk    map[string]string
	summary string
}{
	{
		name:    "setproduct of three 1000-element lists",
		files:   hcl1("r = range(1000)\n  p = setproduct(local.r, local.r, local.r)"),
		summary: "Value too large",
	},
	{
		name: "indent of a long string",
		files: hcl1(`r = range(1000)
  s = join("\n", [for i in local.r : "x"])
  t = indent(1000000000, local.s)`),
		summary: "Value too large",
	},
	{
		name:    "join of one string many times",
		files:   hcl1(`big = file("big.txt")` + "\n  j = join(\"\", [for i in range(20) : local.big])"),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 1<<20)},
		summary: "Value too large",
	},
	{
		name:    "replace that grows",
		files:   hcl1(`big = file("big.txt")` + "\n  r = replace(local.big, \"x\", \"xxxxxxxxxxxxxxxxxxxx\")"),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 1<<20)},
		summary: "Value too large",
	},
	{
		name:    "regex replace that grows",
		files:   hcl1(`big = file("big.txt")` + "\n  r = replace(local.big, \"/(x)/\", \"$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1$1\")"),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 256<<10)},
		summary: "Value too large",
	},
	{
		name:    "format with a huge width",
		files:   hcl1(`f = format("%999999999d", 1)`),
		summary: "Value too large",
	},
	{
		name:    "jsonencode of one string many times",
		files:   hcl1(`big = file("big.txt")` + "\n  j = jsonencode([for i in range(20) : local.big])"),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 1<<20)},
		summary: "Value too large",
	},
	{
		name:    "template of many large parts",
		files:   hcl1(`big = file("big.txt")` + "\n  t = \"" + strings.Repeat("${local.big}", 20) + "\""),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 1<<20)},
		summary: "Value too large",
	},
	{
		name:    "template for directive over a large string",
		files:   hcl1(`big = file("big.txt")` + "\n  t = \"%{for i in range(20)}${local.big}%{endfor}\""),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 1<<20)},
		summary: "Value too large",
	},
	{
		name:    "1M nested brackets",
		files:   hcl1("a = " + strings.Repeat("[", 1000000) + strings.Repeat("]", 1000000)),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "100k nested parentheses",
		files:   hcl1("a = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000)),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "1M additions",
		files:   hcl1("a = 1" + strings.Repeat("+1", 1000000)),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "1M negations",
		files:   hcl1("a = " + strings.Repeat("!", 1000000) + "true"),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "nested interpolations",
		files:   hcl1("a = " + strings.Repeat(`"${`, 100000) + "1" + strings.Repeat(`}"`, 100000)),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "nested template directives in a heredoc",
		files:   hcl1("a = <<EOT\n" + strings.Repeat("%{if true}", 100000) + strings.Repeat("%{endif}", 100000) + "\nEOT\n"),
		summary: "Configuration nested too deeply",
	},
	{
		name:    "1M nested JSON arrays",
		files:   map[string]string{"main.wm.json": `{"locals": {"a": ` + strings.Repeat("[", 1000000) + strings.Repeat("]", 1000000) + `}}`},
		summary: "Configuration nested too deeply",
	},
	{
		name:    "nested parentheses in a JSON string",
		files:   map[string]string{"main.wm.json": `{"locals": {"a": "${` + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + `}"}}`},
		summary: "Configuration nested too deeply",
	},
	{
		name:    "triple nested for of 1024",
		files:   hcl1("r = range(1024)\n  a = [for i in local.r : [for j in local.r : [for k in local.r : k]]]"),
		summary: "For expression too large",
	},
	{
		name:    "triple nested for in JSON",
		files:   map[string]string{"main.wm.json": `{"locals": {"r": "${range(1024)}", "a": "${[for i in local.r : [for j in local.r : [for k in local.r : k]]]}"}}`},
		summary: "For expression too large",
	},
	{
		name:    "triple nested for in a template file",
		files:   hcl1(`t = templatefile("t.tmpl", { r = range(1024) })`),
		disk:    map[string]string{"t.tmpl": "%{for i in r}%{for j in r}%{for k in r}${k}%{endfor}%{endfor}%{endfor}"},
		summary: "For expression too large",
	},
	{
		name:    "number literal with a huge exponent",
		files:   hcl1(`a = "x${1e9000000}"`),
		summary: "Number too large",
	},
	{
		name:    "multiplication past the exponent limit",
		files:   hcl1(`a = "x${1e1000 * 1e1000}"`),
		summary: "Number too large",
	},
	{
		name:    "number literal of 2000 digits",
		files:   hcl1("a = 1" + strings.Repeat("7", 2000)),
		summary: "Number literal too long",
	},
	{
		name:    "long string taken as a number",
		files:   hcl1(`big = file("big.txt")` + "\n  n = local.big + 1"),
		disk:    map[string]string{"big.txt": "1" + strings.Repeat("7", 100000)},
		summary: "Number too long",
	},
	{
		name:    "tonumber of a long string",
		files:   hcl1(`big = file("big.txt")` + "\n  n = tonumber(local.big)"),
		disk:    map[string]string{"big.txt": "1" + strings.Repeat("7", 100000)},
		summary: "Number too long",
	},
	{
		name:    "value nested too deeply",
		files:   hcl1(deepLocals(300)),
		summary: "Value nested too deeply",
	},
	{
		name:    "file of a device",
		files:   hcl1(`a = file("/dev/zero")`),
		summary: "Not a regular file",
	},
	{
		name:    "file of a directory",
		files:   hcl1(`a = file(".")`),
		summary: "Not a regular file",
	},
	{
		name:    "file too large",
		files:   hcl1(`a = file("big.txt")`),
		disk:    map[string]string{"big.txt": strings.Repeat("x", 5<<20)},
		summary: "File too large",
	},
	{
		name:    "templatefile of a device",
		files:   hcl1(`a = templatefile("/dev/zero", {})`),
		summary: "Not a regular file",
	},
}

// hcl1 is a configuration of one locals block holding body.
func hcl1(body string) map[string]string {
	return map[string]string{"main.wm.hcl": "locals {\n  " + body + "\n}\n"}
}

// deepLocals chains n locals, each a list holding the one before.
func deepLocals(n int) string {
	var b strings.Builder
	b.WriteString("l0 = 1\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  l%d = [local.l%d]\n", i, i-1)
	}
	return b.String()
}

func TestHostileConfigurations(t *testing.T) {
	for _, tc := range hostile {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tc.disk {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			files := map[string][]byte{}
			for name, src := range tc.files {
				files[name] = []byte(src)
			}
			start := time.Now()
			_, diags := lang.LoadSources(context.Background(), dir, files, options())
			took := time.Since(start)
			wantDiag(t, diags, tc.summary)
			t.Logf("refused in %v", took)
		})
	}
}

// wantDiag requires an error with the summary, a subject and a detail.
func wantDiag(t *testing.T, diags hcl.Diagnostics, summary string) {
	t.Helper()
	for _, d := range diags {
		if d.Severity == hcl.DiagError && d.Summary == summary {
			if d.Subject == nil || d.Detail == "" {
				t.Errorf("diagnostic %q has no subject or detail: %+v", summary, d)
			}
			return
		}
	}
	t.Errorf("want an error %q; got %v", summary, diags)
}

// Reasonable configurations near the limits still load.
func TestNearLimitsAccepted(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big.txt"), []byte(strings.Repeat("x<", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	src := hcl1(`r = range(1000)
  p = setproduct(local.r, range(300))
  nested = [for i in range(300) : [for j in local.r : j]]
  big = file("big.txt")
  twice = "${local.big}${local.big}"
  enc = jsonencode([local.big])
  rep = replace(local.big, "x", "yy")
  idx = indent(2, "a\nb")
  deep = ` + strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200) + `
  sum = ` + strings.Repeat("1 + ", 200) + `1
  num = 1e1000 * 1e200
  text = "brackets in a string: ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("
  doc = <<EOT
` + strings.Repeat("[", 300) + `
EOT
  # a comment: ` + strings.Repeat("{", 300) + `
  dashed = "${length("a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z")}"`)
	files := map[string][]byte{}
	for n, s := range src {
		files[n] = []byte(s)
	}
	_, diags := lang.LoadSources(context.Background(), dir, files, options())
	if diags.HasErrors() {
		t.Fatalf("refused: %v", diags)
	}
}

// localChain declares n locals, each one more than the one before.
func localChain(n int) []byte {
	var b strings.Builder
	b.WriteString("locals {\n  l0 = 1\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  l%d = local.l%d + 1\n", i, i-1)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// within fails the test unless f returns within d: a quadratic loader
// would take minutes on these inputs.
func within(t *testing.T, d time.Duration, f func()) time.Duration {
	t.Helper()
	done := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		f()
		done <- time.Since(start)
	}()
	select {
	case took := <-done:
		return took
	case <-time.After(d):
		t.Fatalf("did not finish within %v", d)
	}
	return 0
}

// Locals are evaluated in dependency order without rescans: 20,000 in a
// chain (declared in reverse, the worst order for rounds) load in well under
// a second.
func TestLocalsLinear(t *testing.T) {
	src := localChain(20000)
	took := within(t, 10*time.Second, func() {
		cfg, diags := lang.LoadSources(context.Background(), t.TempDir(), map[string][]byte{"main.wm.hcl": src}, options())
		if diags.HasErrors() {
			t.Errorf("refused: %v", diags)
			return
		}
		_ = cfg
	})
	t.Logf("20000 locals in %v", took)
}

// A large cycle is reported without listing every member in every message.
func TestLocalsCycleBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("locals {\n")
	const n = 5000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  l%d = local.l%d\n", i, (i+1)%n)
	}
	b.WriteString("}\n")
	_, diags := lang.LoadSources(context.Background(), t.TempDir(), map[string][]byte{"main.wm.hcl": []byte(b.String())}, options())
	if len(diags) != lang.MaxDiagnosticsPerKind {
		t.Fatalf("%d diagnostics, want %d", len(diags), lang.MaxDiagnosticsPerKind)
	}
	if d := diags[0]; d.Summary != "Cycle in local values" || !strings.Contains(d.Detail, "4990 more") || !strings.Contains(d.Detail, "and 4980 more similar errors") {
		t.Errorf("first diagnostic: %s: %s", d.Summary, d.Detail)
	}
}

// Thousands of undeclared variables in a variable file cost linear time,
// and are reported as the first few and a count.
func TestUndeclaredVariablesBounded(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	const n = 4000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "v%d = 1\n", i)
	}
	decl := "locals {}\n"
	for i := 0; i < n; i++ {
		decl += fmt.Sprintf("variable \"w%d\" {\n  default = 1\n}\n", i)
	}
	write(t, dir, "main.wm.hcl", decl)
	write(t, dir, "x.auto.wmvars", b.String())
	var diags hcl.Diagnostics
	took := within(t, 10*time.Second, func() { _, diags = lang.Load(context.Background(), dir, options()) })
	t.Logf("%d undeclared variables in %v", n, took)
	if len(diags) != lang.MaxDiagnosticsPerKind {
		t.Fatalf("%d diagnostics, want %d: %v", len(diags), lang.MaxDiagnosticsPerKind, diags)
	}
	if d := diags[0]; d.Summary != "Value for undeclared variable" || !strings.Contains(d.Detail, fmt.Sprintf("and %d more similar warnings", n-lang.MaxDiagnosticsPerKind)) {
		t.Errorf("first diagnostic: %s: %s", d.Summary, d.Detail)
	}
}

// A -var value is checked for nesting before it is parsed.
func TestVarValueNesting(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.wm.hcl", "variable \"v\" {\n  type = list(number)\n}\n")
	opts := options()
	opts.Vars = []lang.VarArg{{Name: "v", Value: strings.Repeat("[", 100000) + strings.Repeat("]", 100000)}}
	_, diags := lang.Load(context.Background(), dir, opts)
	for _, d := range diags {
		if strings.Contains(d.Detail, "nests more than") {
			return
		}
	}
	t.Errorf("want a nesting error; got %v", diags)
}

// A for expression in a variable file is bounded too.
func TestVarsFileFor(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "main.wm.hcl", "variable \"v\" {}\n")
	r := "[" + strings.TrimSuffix(strings.Repeat("1,", 1024), ",") + "]"
	write(t, dir, "x.auto.wmvars", fmt.Sprintf("v = [for i in %s : [for j in %s : [for k in %s : k]]]\n", r, r, r))
	_, diags := lang.Load(context.Background(), dir, options())
	wantDiag(t, diags, "For expression too large")
}
