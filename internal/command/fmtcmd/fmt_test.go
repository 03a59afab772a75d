package fmtcmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
)

const (
	messy     = "a=1\nbb = \"${x}\"\n"
	formatted = "a  = 1\nbb = x\n"
	broken    = "x {\n  a =\n}\n"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string // the directory before
		opts  Options
		stdin string

		wantCode   int               // exit status; 0 for none
		wantErr    string            // a plain error, not an exit status
		wantOut    string            // stdout, exactly
		wantStderr []string          // substrings of stderr
		wantFiles  map[string]string // files after (those named only)
	}{
		{
			name: "directory: formats and lists what changed",
			files: map[string]string{
				"a.wm.hcl": messy, "b.wm.hcl": formatted, "c.wmvars": messy, "t.wmtest.hcl": messy,
				"d.wm.json": `{"a":1}`, "notes.txt": messy, ".hidden.wm.hcl": messy, "sub/e.wm.hcl": messy,
			},
			opts:    Options{Paths: []string{"."}, List: true, Write: true},
			wantOut: "a.wm.hcl\nc.wmvars\nt.wmtest.hcl\n",
			wantFiles: map[string]string{
				"a.wm.hcl": formatted, "b.wm.hcl": formatted, "c.wmvars": formatted, "t.wmtest.hcl": formatted,
				"d.wm.json": `{"a":1}`, "notes.txt": messy, ".hidden.wm.hcl": messy, "sub/e.wm.hcl": messy,
			},
		},
		{
			name:      "no paths means the current directory",
			files:     map[string]string{"a.wm.hcl": messy},
			opts:      Options{List: true, Write: true},
			wantOut:   "a.wm.hcl\n",
			wantFiles: map[string]string{"a.wm.hcl": formatted},
		},
		{
			name: "recursive skips hidden directories",
			files: map[string]string{
				"a.wm.hcl": messy, "sub/b.wm.hcl": messy, "sub/deeper/c.wm.hcl": messy,
				".waymark/d.wm.hcl": messy, "sub/.git/e.wm.hcl": messy,
			},
			opts:    Options{Paths: []string{"."}, List: true, Write: true, Recursive: true},
			wantOut: "a.wm.hcl\nsub/b.wm.hcl\nsub/deeper/c.wm.hcl\n",
			wantFiles: map[string]string{
				"a.wm.hcl": formatted, "sub/b.wm.hcl": formatted, "sub/deeper/c.wm.hcl": formatted,
				".waymark/d.wm.hcl": messy, "sub/.git/e.wm.hcl": messy,
			},
		},
		{
			name:      "a directory argument",
			files:     map[string]string{"a.wm.hcl": messy, "sub/b.wm.hcl": messy},
			opts:      Options{Paths: []string{"sub"}, List: true, Write: true},
			wantOut:   "sub/b.wm.hcl\n",
			wantFiles: map[string]string{"a.wm.hcl": messy, "sub/b.wm.hcl": formatted},
		},
		{
			name:      "a file argument formats just that file",
			files:     map[string]string{"a.wm.hcl": messy, "b.wm.hcl": messy},
			opts:      Options{Paths: []string{"b.wm.hcl"}, List: true, Write: true},
			wantOut:   "b.wm.hcl\n",
			wantFiles: map[string]string{"a.wm.hcl": messy, "b.wm.hcl": formatted},
		},
		{
			name:      "check fails and lists, writing nothing",
			files:     map[string]string{"a.wm.hcl": messy, "b.wm.hcl": formatted},
			opts:      Options{Paths: []string{"."}, List: true, Write: true, Check: true},
			wantCode:  1,
			wantOut:   "a.wm.hcl\n",
			wantFiles: map[string]string{"a.wm.hcl": messy},
		},
		{
			name:      "check -list=false only sets the status",
			files:     map[string]string{"a.wm.hcl": messy},
			opts:      Options{Paths: []string{"."}, Write: true, Check: true},
			wantCode:  1,
			wantFiles: map[string]string{"a.wm.hcl": messy},
		},
		{
			name:  "check passes on formatted files",
			files: map[string]string{"a.wm.hcl": formatted, "b.wm.json": "{ }"},
			opts:  Options{Paths: []string{"."}, List: true, Write: true, Check: true},
		},
		{
			name:  "diff without writing",
			files: map[string]string{"a.wm.hcl": messy},
			opts:  Options{Paths: []string{"."}, Diff: true},
			wantOut: `diff old/a.wm.hcl new/a.wm.hcl
--- old/a.wm.hcl
+++ new/a.wm.hcl
@@ -1,2 +1,2 @@
-a=1
-bb = "${x}"
+a  = 1
+bb = x
`,
			wantFiles: map[string]string{"a.wm.hcl": messy},
		},
		{
			name:      "neither list nor write prints the result",
			files:     map[string]string{"a.wm.hcl": messy},
			opts:      Options{Paths: []string{"a.wm.hcl"}},
			wantOut:   formatted,
			wantFiles: map[string]string{"a.wm.hcl": messy},
		},
		{
			name:    "standard input to standard output",
			opts:    Options{Paths: []string{"-"}, List: true, Write: true},
			stdin:   messy,
			wantOut: formatted,
		},
		{
			name:     "standard input with check",
			opts:     Options{Paths: []string{"-"}, List: true, Write: true, Check: true},
			stdin:    messy,
			wantCode: 1,
		},
		{
			name:       "standard input with a syntax error",
			opts:       Options{Paths: []string{"-"}, List: true, Write: true},
			stdin:      broken,
			wantCode:   1,
			wantStderr: []string{"Error: Invalid expression", "on <stdin>:2:6", "   2:   a ="},
		},
		{
			name:     "a syntax error leaves that file alone and formats the rest",
			files:    map[string]string{"a.wm.hcl": broken, "b.wm.hcl": messy},
			opts:     Options{Paths: []string{"."}, List: true, Write: true},
			wantCode: 1,
			wantOut:  "b.wm.hcl\n",
			wantStderr: []string{
				"Error: Invalid expression", "on a.wm.hcl:2:6, in x:", "   2:   a =\n", "      ^\n",
				"Expected the start of an expression",
			},
			wantFiles: map[string]string{"a.wm.hcl": broken, "b.wm.hcl": formatted},
		},
		{
			name:       "a JSON file is not formatted",
			files:      map[string]string{"a.wm.json": "{}"},
			opts:       Options{Paths: []string{"a.wm.json"}, List: true, Write: true},
			wantCode:   1,
			wantStderr: []string{"Error: Cannot format a.wm.json", "JSON files (*.wm.json) are left as they are"},
			wantFiles:  map[string]string{"a.wm.json": "{}"},
		},
		{
			name:       "a missing path",
			opts:       Options{Paths: []string{"nope"}, List: true, Write: true},
			wantCode:   1,
			wantStderr: []string{"Error: No file or directory at nope", "no such file or directory"},
		},
		{
			name:    "standard input with other paths",
			opts:    Options{Paths: []string{"-", "."}, List: true, Write: true},
			wantErr: `"-" (standard input) cannot be combined with other paths`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			t.Chdir(dir)
			s, out, errb := cmdutil.Test()
			s.In = strings.NewReader(tt.stdin)
			opts := tt.opts

			err := Run(context.Background(), s, &opts)

			var ee *cmdutil.ExitError
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
			case tt.wantCode != 0:
				if !errors.As(err, &ee) || ee.Code != tt.wantCode {
					t.Errorf("error %v, want exit status %d", err, tt.wantCode)
				}
			case err != nil:
				t.Errorf("error %v", err)
			}
			if got := out.String(); got != tt.wantOut {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, tt.wantOut)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errb.String())
				}
			}
			if len(tt.wantStderr) == 0 && errb.Len() > 0 {
				t.Errorf("unexpected stderr:\n%s", errb.String())
			}
			for name, want := range tt.wantFiles {
				got, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != want {
					t.Errorf("%s is\n%s\nwant\n%s", name, got, want)
				}
			}
		})
	}
}

// TestRunKeepsMode: rewriting a file keeps its permissions.
func TestRunKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.wm.hcl")
	if err := os.WriteFile(p, []byte(messy), 0o600); err != nil {
		t.Fatal(err)
	}
	s, _, _ := cmdutil.Test()
	if err := Run(context.Background(), s, &Options{Paths: []string{p}, Write: true}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
}

// TestRunCancelled: a cancelled context stops the run before any file is
// touched.
func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.wm.hcl": messy})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, _, _ := cmdutil.Test()
	err := Run(ctx, s, &Options{Paths: []string{dir}, Write: true})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "a.wm.hcl")); !bytes.Equal(got, []byte(messy)) {
		t.Errorf("file was rewritten after cancellation:\n%s", got)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
