package rtexpr

import (
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/rogpeppe/go-internal/txtar"
	"github.com/zclconf/go-cty/cty"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestCanonical reads testdata/canonical.txtar: each NAME.in holds one or
// more inputs (native syntax, separated by lines of "----") that must all
// print as NAME.out; each is also given in JSON syntax, as a JSON string
// holding "${input}", which must print the same bytes. NAME.json, when
// present, holds further JSON attribute values (one a line).
func TestCanonical(t *testing.T) {
	const path = "testdata/canonical.txtar"
	ar, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	outs := map[string]string{}
	jsons := map[string]string{}
	var names []string
	ins := map[string]string{}
	for _, f := range ar.Files {
		switch {
		case strings.HasSuffix(f.Name, ".in"):
			name := strings.TrimSuffix(f.Name, ".in")
			names = append(names, name)
			ins[name] = string(f.Data)
		case strings.HasSuffix(f.Name, ".out"):
			outs[strings.TrimSuffix(f.Name, ".out")] = string(f.Data)
		case strings.HasSuffix(f.Name, ".json"):
			jsons[strings.TrimSuffix(f.Name, ".json")] = string(f.Data)
		}
	}
	got := map[string]string{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			variants := strings.Split(strings.TrimSuffix(ins[name], "\n"), "\n----\n")
			var first string
			for i, src := range variants {
				native := canonicalNative(t, src)
				viaJSON := canonicalJSON(t, mustJSONString(t, "${"+src+"\n}"))
				if i == 0 {
					first = native
				}
				if native != first {
					t.Errorf("variant %d prints differently:\n%s\n%s", i, native, first)
				}
				if viaJSON != native {
					t.Errorf("variant %d in JSON syntax prints differently:\n json:   %s\n native: %s", i, viaJSON, native)
				}
			}
			for _, line := range strings.Split(strings.TrimSpace(jsons[name]), "\n") {
				if line == "" {
					continue
				}
				if viaJSON := canonicalJSON(t, line); viaJSON != first {
					t.Errorf("JSON %s prints differently:\n json:   %s\n native: %s", line, viaJSON, first)
				}
			}
			if again := canonicalNative(t, first); again != first {
				t.Errorf("not a fixed point:\n%s\n%s", first, again)
			}
			got[name] = first + "\n"
			if !*update && got[name] != outs[name] {
				t.Errorf("canonical source:\n got %s\nwant %s", got[name], outs[name])
			}
		})
	}
	if *update {
		var files []txtar.File
		for _, f := range ar.Files {
			if strings.HasSuffix(f.Name, ".out") {
				continue
			}
			files = append(files, f)
			if name, ok := strings.CutSuffix(f.Name, ".in"); ok {
				files = append(files, txtar.File{Name: name + ".out", Data: []byte(got[name])})
			}
		}
		ar.Files = files
		if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func canonicalNative(t *testing.T, src string) string {
	t.Helper()
	e, diags := parse(src)
	if diags.HasErrors() {
		t.Fatalf("parse %q: %v", src, diags)
	}
	return canonical(t, e)
}

// canonicalJSON analyses a JSON attribute value given as JSON text.
func canonicalJSON(t *testing.T, value string) string {
	t.Helper()
	return canonical(t, jsonExpr(t, value))
}

// jsonExpr is the expression of an attribute of a *.wm.json file whose
// value is the given JSON text.
func jsonExpr(t *testing.T, value string) hcl.Expression {
	t.Helper()
	f, diags := hcljson.Parse([]byte(`{"v": `+value+`}`), "test.wm.json")
	if diags.HasErrors() {
		t.Fatalf("parse JSON %s: %v", value, diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return attrs["v"].Expr
}

func canonical(t *testing.T, e hcl.Expression) string {
	t.Helper()
	res, diags := Expression(e, testScope(), testConfig(), cty.DynamicPseudoType)
	if diags.HasErrors() {
		t.Fatalf("Expression: %v", diags)
	}
	return res.Source
}

func mustJSONString(t *testing.T, s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
