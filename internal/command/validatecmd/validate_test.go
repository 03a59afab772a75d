package validatecmd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/providers/builtin"
)

var update = flag.Bool("update", false, "rewrite the want sections of testdata/diags/*.txtar")

// TestDiagnostics runs validate on each small configuration under
// testdata/diags and compares what it prints with the archive's "want"
// section: the exact text a user reads. Regenerate with -update.
func TestDiagnostics(t *testing.T) {
	cases, err := filepath.Glob("testdata/diags/*.txtar")
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 30 {
		t.Errorf("only %d diagnostic cases; the suite keeps at least 30", len(cases))
	}
	summaries := map[string]string{}
	for _, path := range cases {
		path := path
		name := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(name, func(t *testing.T) {
			abs, _ := filepath.Abs(path)
			ar, err := txtar.ParseFile(abs)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var wantIdx = -1
			var args []string
			for i, f := range ar.Files {
				switch f.Name {
				case "want":
					wantIdx = i
					continue
				case "args":
					args = strings.Fields(string(f.Data))
					continue
				}
				p := filepath.Join(dir, f.Name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			got := run(t, args)
			if *update {
				if wantIdx < 0 {
					ar.Files = append(ar.Files, txtar.File{Name: "want"})
					wantIdx = len(ar.Files) - 1
				}
				ar.Files[wantIdx].Data = []byte(got)
				if err := os.WriteFile(abs, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if wantIdx < 0 {
				t.Fatalf("%s has no want section; run with -update", path)
			}
			if want := string(ar.Files[wantIdx].Data); got != want {
				t.Errorf("validate printed:\n%s\nwant:\n%s", got, want)
			}
			if !strings.Contains(got, "exit 1") {
				t.Errorf("a broken configuration must exit 1")
			}
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "│ Error: ") {
					if prev, dup := summaries[line]; dup && prev != name {
						t.Logf("%s repeats the first error of %s", name, prev)
					}
					summaries[line] = name
					break
				}
			}
		})
	}
	if !*update {
		var distinct []string
		for s := range summaries {
			distinct = append(distinct, s)
		}
		sort.Strings(distinct)
		if len(distinct) < 30 {
			t.Errorf("only %d distinct first diagnostics across the cases: %v", len(distinct), distinct)
		}
	}
}

func run(t *testing.T, args []string) string {
	t.Helper()
	s, out, errb := cmdutil.Test()
	// The static schemas of the built-in providers stand in for their plugin
	// processes here; the end-to-end scripts run the real ones.
	opts := &Options{Providers: builtin.Schemas(version.Version)}
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] != "-var" {
			t.Fatalf("args: only -var name=value pairs are supported, got %q", args[i])
		}
		name, value, _ := strings.Cut(args[i+1], "=")
		opts.Vars.Args = append(opts.Vars.Args, lang.VarArg{Name: name, Value: value})
	}
	err := Run(context.Background(), s, opts)
	code := 0
	if err != nil {
		code = 1
	}
	var b bytes.Buffer
	b.WriteString(errb.String())
	b.WriteString(out.String())
	fmt.Fprintf(&b, "exit %d\n", code)
	return b.String()
}
