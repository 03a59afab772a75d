package format

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.wm.hcl from the formatter's output")

// TestGolden formats each testdata/NAME.in.wm.hcl and compares the result
// with testdata/NAME.golden.wm.hcl.
func TestGolden(t *testing.T) {
	ins, err := filepath.Glob(filepath.Join("testdata", "*.in.wm.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) < 8 {
		t.Fatalf("found %d golden cases in testdata, want at least 8", len(ins))
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.wm.hcl")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, diags := Source(src, in)
			if diags.HasErrors() {
				t.Fatalf("Source: %s", diags.Error())
			}
			golden := filepath.Join("testdata", name+".golden.wm.hcl")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s:\n%s", golden, diff.Diff("want", want, "got", got))
			}
			if strings.HasPrefix(name, "formatted") && !bytes.Equal(got, src) {
				t.Errorf("an already formatted file changed:\n%s", diff.Diff("in", src, "got", got))
			}
		})
	}
}

// TestGoldenFixedPoint formats each golden output again: nothing may change.
func TestGoldenFixedPoint(t *testing.T) {
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden.wm.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(goldens) == 0 {
		t.Fatal("no golden files in testdata")
	}
	for _, g := range goldens {
		t.Run(filepath.Base(g), func(t *testing.T) {
			assertFormatted(t, g)
		})
	}
}

// TestUnwrapInterpolation pins which values lose their "${ }" and which keep
// it, one attribute at a time.
func TestUnwrapInterpolation(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`a = "${x}"`, `a = x`},
		{`a = "${ x.y[0] }"`, `a = x.y[0]`},
		{`a = "${~x~}"`, `a = x`},
		{`a = "${f("${x}")}"`, `a = f("${x}")`},
		{`a = "${{ k = 1 }}"`, `a = { k = 1 }`},
		{"a = \"${\n  x\n}\"", `a = x`},
		{"a = \"${\n  x\n  ? 1\n  : 2\n}\"", "a = (\n  x\n  ? 1\n  : 2\n)"},
		{"a = \"${(\n  x ? 1 : 2\n)}\"", "a = (\n  x ? 1 : 2\n)"},
		{"a = \"${[\n  1,\n  2,\n]}\"", "a = [\n  1,\n  2,\n]"},
		{"a = \"${f(\n  1,\n  2,\n) ? 1 : 2}\"", "a = f(\n  1,\n  2,\n) ? 1 : 2"},
		{"a = \"${trimspace(<<EOT\n  hi\nEOT\n)}\"", "a = trimspace(<<EOT\n  hi\nEOT\n)"},
		{`a = "hi ${x}"`, `a = "hi ${x}"`},
		{`a = "${x} "`, `a = "${x} "`},
		{`a = "${x}${y}"`, `a = "${x}${y}"`},
		{`a = "%{if x}y%{endif}"`, `a = "%{if x}y%{endif}"`},
		{`a = "$${x}"`, `a = "$${x}"`},
		{`a = ""`, `a = ""`},
		{`a = ["${x}"]`, `a = ["${x}"]`},
		{"a = \"${x # why\n}\"", "a = \"${x # why\n}\""},
		{"a = <<EOT\n${x}\nEOT\n", "a = <<EOT\n${x}\nEOT\n"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			in := strings.TrimSuffix(tt.in, "\n") + "\n"
			got, diags := Source([]byte(in), "t.wm.hcl")
			if diags.HasErrors() {
				t.Fatalf("Source: %s", diags.Error())
			}
			if want := strings.TrimSuffix(tt.want, "\n") + "\n"; string(got) != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			again, diags := Source(got, "t.wm.hcl")
			if diags.HasErrors() || !bytes.Equal(again, got) {
				t.Errorf("not a fixed point: formatting again gave\n%s%s", again, diags.Error())
			}
		})
	}
}

// TestSyntaxErrors: a broken file comes back as diagnostics with its place,
// never as formatted bytes.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		{"unclosed block", "journey \"a\" {\n  stage \"b\" {}\n", 1, 13},
		{"missing value", "locals {\n  a =\n}\n", 2, 6},
		{"unterminated string", "locals {\n  a = \"abc\n}\n", 2, 11},
		{"two arguments on one line", "x { a = 1 b = 2 }\n", 1, 11},
		{"interpolation in a label", "event \"${x}\" {}\n", 1, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := Source([]byte(tt.src), "bad.wm.hcl")
			if got != nil {
				t.Errorf("got output %q for a file with syntax errors", got)
			}
			if !diags.HasErrors() {
				t.Fatal("no error diagnostics")
			}
			d := diags[0]
			if d.Subject == nil {
				t.Fatalf("diagnostic %q has no range", d.Summary)
			}
			if d.Subject.Filename != "bad.wm.hcl" || d.Subject.Start.Line != tt.line || d.Subject.Start.Column != tt.col {
				t.Errorf("diagnostic %q at %s:%d:%d, want bad.wm.hcl:%d:%d", d.Summary,
					d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, tt.line, tt.col)
			}
		})
	}
}

// TestExamplesFormatted: every *.wm.hcl under the repository's examples/ is
// already in canonical layout. An absent or empty examples/ checks nothing.
func TestExamplesFormatted(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	files, err := wmFiles(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name, _ := filepath.Rel(root, f)
		t.Run(name, func(t *testing.T) {
			if err := checkFormatted(f); err != nil {
				t.Error(err)
			}
		})
	}
	t.Logf("checked %d example files", len(files))
}

// TestExampleCheck tests what TestExamplesFormatted relies on: which files
// it finds, and that it rejects an unformatted file.
func TestExampleCheck(t *testing.T) {
	dir := t.TempDir()
	if files, err := wmFiles(filepath.Join(dir, "missing")); err != nil || len(files) != 0 {
		t.Errorf("missing directory: %v, %v; want nothing", files, err)
	}
	if files, err := wmFiles(dir); err != nil || len(files) != 0 {
		t.Errorf("empty directory: %v, %v; want nothing", files, err)
	}
	for _, name := range []string{"a.wm.hcl", "j/b.wm.hcl", "j/c.wm.json", "j/notes.md", ".waymark/d.wm.hcl"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("a = 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files, err := wmFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.wm.hcl"), filepath.Join(dir, "j", "b.wm.hcl")}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("found %v, want %v", files, want)
	}

	if err := checkFormatted(filepath.Join("testdata", "alignment.in.wm.hcl")); err == nil || !strings.Contains(err.Error(), "is not formatted") {
		t.Errorf("unformatted file: error %v, want one saying it is not formatted", err)
	}
	if err := checkFormatted(filepath.Join("testdata", "alignment.golden.wm.hcl")); err != nil {
		t.Errorf("formatted file: %v", err)
	}
}

// assertFormatted fails the test unless the file at path is formatted.
func assertFormatted(t *testing.T, path string) {
	t.Helper()
	if err := checkFormatted(path); err != nil {
		t.Error(err)
	}
}

// checkFormatted says what is wrong unless the file at path is its own
// canonical form and formatting that form again changes nothing.
func checkFormatted(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	once, diags := Source(src, path)
	if diags.HasErrors() {
		return diags
	}
	if !bytes.Equal(once, src) {
		return fmt.Errorf("%s is not formatted (waymark fmt would change it):\n%s", path, diff.Diff("file", src, "formatted", once))
	}
	twice, diags := Source(once, path)
	if diags.HasErrors() {
		return fmt.Errorf("formatting the output of %s again: %w", path, diags)
	}
	if !bytes.Equal(twice, once) {
		return fmt.Errorf("formatting %s is not a fixed point:\n%s", path, diff.Diff("once", once, "twice", twice))
	}
	return nil
}

// wmFiles lists the *.wm.hcl files under root, skipping hidden directories;
// a root that does not exist holds none.
func wmFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".wm.hcl") {
			files = append(files, path)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return files, err
}

// A file nested too deeply for the parsers' stack is refused before either
// parser sees it (issue #18).
func TestSourceTooDeep(t *testing.T) {
	src := []byte("a = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + "\n")
	_, diags := Source(src, "deep.wm.hcl")
	if len(diags) != 1 || diags[0].Summary != "Configuration nested too deeply" || diags[0].Subject == nil {
		t.Fatalf("diags = %v", diags)
	}
}
