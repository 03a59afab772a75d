package funcs

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestDocsGolden renders Docs as the language reference might, and compares
// it with testdata/functions.golden; run with -update to rewrite it.
func TestDocsGolden(t *testing.T) {
	var b strings.Builder
	for _, d := range Docs() {
		where := "config"
		if d.Runtime {
			where = "config, runtime"
		}
		fmt.Fprintf(&b, "%s  [%s]\n  %s\n", d.Signature(), where, d.Description)
		for _, p := range d.Params {
			fmt.Fprintf(&b, "    %s (%s): %s\n", p.Name, p.Type, p.Description)
		}
	}
	got := b.String()
	golden := filepath.Join("testdata", "functions.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("Docs() differs from %s; run go test -update and review the diff", golden)
	}
}

func TestDocsComplete(t *testing.T) {
	docs := Docs()
	if len(docs) != len(Config(".", nil)) {
		t.Fatalf("Docs() has %d entries, Config() %d functions", len(docs), len(Config(".", nil)))
	}
	for _, d := range docs {
		if d.Description == "" || strings.Contains(d.Description, "\n") {
			t.Errorf("%s: description %q is not one line", d.Name, d.Description)
		}
		if strings.Contains(d.Description, `\"`) {
			t.Errorf("%s: description %q has a stray backslash", d.Name, d.Description)
		}
		if got := Describe(d.Name); got != d.Description {
			t.Errorf("Describe(%q) = %q, want %q", d.Name, got, d.Description)
		}
		for _, p := range d.Params {
			if p.Description == "" || p.Type == "" {
				t.Errorf("%s: parameter %s has no description or type", d.Name, p.Name)
			}
		}
	}
	if got := Describe("nosuchfunction"); got != "" {
		t.Errorf(`Describe("nosuchfunction") = %q, want ""`, got)
	}
}

func TestDescriptionsTable(t *testing.T) {
	all := Config(".", nil)
	for name, d := range descriptions {
		f, ok := all[name]
		if !ok {
			t.Errorf("descriptions has %s, which is not a function", name)
			continue
		}
		n := len(f.Params())
		if f.VarParam() != nil {
			n++
		}
		if len(d.params) > n {
			t.Errorf("descriptions[%s] describes %d parameters; the function has %d", name, len(d.params), n)
		}
	}
}

func TestSignature(t *testing.T) {
	cases := map[string]string{
		"join":     "join(separator, lists...)",
		"coalesce": "coalesce(vals...)",
		"lower":    "lower(str)",
		"duration": "duration(duration)",
	}
	docs := make(map[string]Doc)
	for _, d := range Docs() {
		docs[d.Name] = d
	}
	for name, want := range cases {
		if got := docs[name].Signature(); got != want {
			t.Errorf("%s: Signature() = %q, want %q", name, got, want)
		}
	}
}
