// Package cfgload loads the configuration of the working directory for the
// commands that need one (validate, plan, apply, graph, ...): it registers
// the -var and -var-file flags in the order given, wires the provider
// schemas and the built-in providers into lang.Load, and prints
// diagnostics. It must not know what the command does with the result.
package cfgload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/pflag"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// Vars collects -var and -var-file in the order they were given.
type Vars struct{ Args []lang.VarArg }

// AddFlags registers -var and -var-file on fs.
func (v *Vars) AddFlags(fs *pflag.FlagSet) {
	fs.Var(&varFlag{v}, "var", "Set a variable: -var 'name=value'. May repeat; later values win.")
	fs.Var(&fileFlag{v}, "var-file", "Read variable values from an HCL file of name = value lines. May repeat.")
}

type varFlag struct{ v *Vars }

func (f *varFlag) String() string { return "" }
func (f *varFlag) Type() string   { return "name=value" }
func (f *varFlag) Set(s string) error {
	name, value, ok := cutEq(s)
	if !ok {
		return errInvalidVar(s)
	}
	f.v.Args = append(f.v.Args, lang.VarArg{Name: name, Value: value})
	return nil
}

type fileFlag struct{ v *Vars }

func (f *fileFlag) String() string { return "" }
func (f *fileFlag) Type() string   { return "file" }
func (f *fileFlag) Set(s string) error {
	f.v.Args = append(f.v.Args, lang.VarArg{File: s})
	return nil
}

// Options say how to load.
type Options struct {
	Dir  string
	Vars []lang.VarArg
	// Providers overrides the provider schemas (tests); nil uses the
	// built-in providers' schemas.
	Providers provschema.Source
	// Settled is lang.Options.Settled.
	Settled func(stack, runtimeAddress string)
}

// Load loads the configuration in opts.Dir. Channel and message bodies are
// checked by the real provider processes: the built-in providers, served by
// this binary, and those the lock file records; they are stopped before
// Load returns.
func Load(ctx context.Context, s *cmdutil.Streams, opts Options) (*lang.Config, hcl.Diagnostics) {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	var diags hcl.Diagnostics
	src := opts.Providers
	var env discovery.Env
	var lock *lockfile.File
	if src == nil {
		var err error
		env, err = EnvFor(s, dir)
		if err != nil {
			return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot run providers", Detail: err.Error()}}
		}
		var ld hcl.Diagnostics
		lock, ld = lockfile.Load(filepath.Join(dir, lockfile.FileName))
		diags = append(diags, ld...)
		if lock == nil {
			return nil, diags
		}
		h, err := env.OpenHost(lock, HostOptions(s))
		if err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot run providers", Detail: err.Error()})
		}
		defer h.Close()
		src = h
	}
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	cfg, ld := lang.Load(ctx, dir, lang.Options{
		Vars:      opts.Vars,
		Environ:   os.Environ(),
		Getenv:    getenv,
		Providers: src,
		Builtin:   Builtin,
		Version:   version.Version,
		Settled:   opts.Settled,
	})
	diags = append(diags, ld...)
	if lock != nil && cfg != nil {
		var reqs []discovery.Requirement
		for _, name := range sortedKeys(cfg.RequiredProviders) {
			r := cfg.RequiredProviders[name]
			reqs = append(reqs, discovery.Requirement{Name: r.Name, Source: r.Source, Constraints: r.Constraint})
		}
		if _, err := env.Resolve(reqs, lock); err != nil {
			d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Providers not ready", Detail: err.Error() + "."}
			if errors.Is(err, discovery.ErrNotInitialized) {
				d.Summary = "Providers not installed"
			}
			diags = append(diags, d)
		}
	}
	return cfg, diags
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Builtin reports whether name is a built-in provider and gives its source.
func Builtin(name string) (string, bool) { return builtin.Lookup(name) }

// Sources returns the configuration's file texts for rendering diagnostics.
func Sources(cfg *lang.Config) cmdutil.Sources {
	if cfg == nil {
		return nil
	}
	return cmdutil.Sources(cfg.Sources)
}
