package fmtcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/rogpeppe/go-internal/diff"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/lang/format"
)

// stdinArg is the path argument that means standard input.
const stdinArg = "-"

// stdinName names standard input in diagnostics and listings.
const stdinName = "<stdin>"

// extensions are the names of the files fmt formats. JSON files (*.wm.json)
// are never formatted.
var extensions = []string{".wm.hcl", ".wmvars", ".wmtest.hcl"}

// Options are fmt's inputs.
type Options struct {
	// Paths are the files and directories to format; none means the
	// current directory, "-" alone means standard input.
	Paths []string
	// List prints the name of each file whose formatting changed.
	List bool
	// Write rewrites the files in place.
	Write bool
	// Diff prints a unified diff of each change.
	Diff bool
	// Check writes nothing and fails if any file is not formatted.
	Check bool
	// Recursive descends into subdirectories (not hidden ones, such as
	// .waymark).
	Recursive bool
}

// New returns the fmt command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "fmt [flags] [PATH...]",
		Short: "Rewrite configuration files in the canonical format",
		Long: `Rewrites Waymark configuration files (*.wm.hcl), variable files (*.wmvars)
and test files (*.wmtest.hcl) in the canonical format and style, as terraform
fmt does for Terraform: arguments aligned on "=", two-space indentation, a
value written as a lone "${x}" unwrapped to x. JSON files (*.wm.json) are not
modified.

By default fmt formats the files in the current directory. A directory
argument formats the files in that directory instead; a file argument
formats just that file; a single dash (-) reads standard input and writes the
result to standard output.

A file with syntax errors is never rewritten: fmt reports the errors and
exits with status 1. With -check, fmt writes nothing and exits with status 1
if any file is not formatted.`,
		Example: `  # Format the files in the current directory, listing those that changed.
  waymark fmt

  # In CI: fail, listing the culprits, if any file under here is not formatted.
  waymark fmt -check -recursive

  # Show what would change, without writing.
  waymark fmt -diff -write=false

  # Format standard input to standard output.
  cat journeys.wm.hcl | waymark fmt -`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			return Run(cmd.Context(), s, opts)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.List, "list", true, "List files whose formatting differs (always off for standard input).")
	f.BoolVar(&opts.Write, "write", true, "Write the result to the source files (always off for standard input and with -check).")
	f.BoolVar(&opts.Diff, "diff", false, "Display diffs of formatting changes.")
	f.BoolVar(&opts.Check, "check", false, "Check whether the input is formatted: exit status 0 if all of it is, 1 otherwise; write nothing.")
	f.BoolVar(&opts.Recursive, "recursive", false, "Also process files in subdirectories (hidden ones, such as .waymark, are skipped).")
	return cmd
}

// Run formats the files that opts name. Diagnostics are written to s.Err;
// a syntax error, or with Check an unformatted file, ends in exit status 1.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	r := &runner{
		ctx:   ctx,
		s:     s,
		list:  opts.List,
		write: opts.Write && !opts.Check,
		diff:  opts.Diff,
		check: opts.Check,
		rec:   opts.Recursive,
		src:   cmdutil.Sources{},
	}
	paths := opts.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if p == stdinArg && len(paths) > 1 {
			return fmt.Errorf("%q (standard input) cannot be combined with other paths", stdinArg)
		}
	}

	var err error
	if paths[0] == stdinArg {
		r.list, r.write = false, false
		err = r.stdin()
	} else {
		for _, p := range paths {
			if err = r.path(p); err != nil {
				break
			}
		}
	}
	if err != nil {
		return err
	}

	if len(r.diags) > 0 {
		cmdutil.SortDiagnostics(r.diags)
		s.WriteDiagnostics(s.Err, r.diags, r.src)
	}
	if r.diags.HasErrors() || (r.check && r.changed > 0) {
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	return nil
}

// runner holds one fmt run's settings and what it has found so far.
type runner struct {
	ctx                           context.Context
	s                             *cmdutil.Streams
	list, write, diff, check, rec bool
	diags                         hcl.Diagnostics
	src                           cmdutil.Sources
	changed                       int
}

func (r *runner) stdin() error {
	src, err := io.ReadAll(r.s.In)
	if err != nil {
		return fmt.Errorf("reading standard input: %w", err)
	}
	return r.file(stdinName, src, 0)
}

// path formats the file at p, or the files in the directory at p.
func (r *runner) path(p string) error {
	info, err := os.Stat(p)
	if err != nil {
		r.fail("No file or directory at "+p, fmt.Sprintf("Waymark cannot format %s: %s.", p, pathErr(err)))
		return nil
	}
	if info.IsDir() {
		return r.dir(p)
	}
	if !formattable(p) {
		r.fail("Cannot format "+p, "Only *.wm.hcl, *.wmvars and *.wmtest.hcl files can be formatted by waymark fmt; JSON files (*.wm.json) are left as they are.")
		return nil
	}
	return r.readFile(p, info.Mode().Perm())
}

// dir formats the files in dir, and with -recursive those of its
// subdirectories, in lexical order.
func (r *runner) dir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		r.fail("Cannot read directory "+dir, fmt.Sprintf("Waymark cannot format the files in %s: %s.", dir, pathErr(err)))
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue // hidden: .waymark, editors' lock and swap files
		}
		p := filepath.Join(dir, name)
		switch {
		case e.IsDir():
			if r.rec {
				if err := r.dir(p); err != nil {
					return err
				}
			}
		case formattable(name):
			info, err := e.Info()
			if err != nil {
				r.fail("Cannot read "+p, fmt.Sprintf("Waymark cannot format %s: %s.", p, pathErr(err)))
				continue
			}
			if err := r.readFile(p, info.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *runner) readFile(p string, perm fs.FileMode) error {
	src, err := os.ReadFile(p)
	if err != nil {
		r.fail("Cannot read "+p, fmt.Sprintf("Waymark cannot format %s: %s.", p, pathErr(err)))
		return nil
	}
	return r.file(p, src, perm)
}

// file formats one file's source and does with the result what the flags
// ask. Only a cancelled context or a failed write to the output ends the
// run; problems with the file itself become diagnostics.
func (r *runner) file(name string, src []byte, perm fs.FileMode) error {
	if err := r.ctx.Err(); err != nil {
		return fmt.Errorf("formatting %s: %w", name, err)
	}
	out, diags := format.Source(src, name)
	if len(diags) > 0 {
		r.src[name] = src // for the diagnostics' source snippets
		r.diags = append(r.diags, diags...)
	}
	if diags.HasErrors() {
		return nil
	}

	if !bytes.Equal(src, out) {
		r.changed++
		if r.list {
			if _, err := fmt.Fprintln(r.s.Out, name); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
		if r.write {
			if err := os.WriteFile(name, out, perm); err != nil {
				r.fail("Cannot write "+name, fmt.Sprintf("Waymark cannot write the formatted %s: %s.", name, pathErr(err)))
				return nil
			}
		}
		if r.diff {
			d := diff.Diff("old/"+filepath.ToSlash(name), src, "new/"+filepath.ToSlash(name), out)
			if _, err := r.s.Out.Write(d); err != nil {
				return fmt.Errorf("writing output: %w", err)
			}
		}
	}
	// With nothing else asked for (standard input, or -list=false
	// -write=false), the result itself is the output.
	if !r.list && !r.write && !r.diff && !r.check {
		if _, err := r.s.Out.Write(out); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
	}
	return nil
}

// fail records an error diagnostic that has no place in a source file.
func (r *runner) fail(summary, detail string) {
	r.diags = append(r.diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail})
}

// formattable reports whether name is a native-syntax file fmt formats.
func formattable(name string) bool {
	for _, ext := range extensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// pathErr describes a file system error without repeating the path.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
