package lang

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/limits"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/lang/schema"
)

// File suffixes of configuration files.
const (
	SuffixHCL  = ".wm.hcl"
	SuffixJSON = ".wm.json"
)

// Limits on what the loader reads, so that hostile input cannot exhaust it;
// package limits has the others, and docs/limits.md lists them all.
const (
	MaxFileSize  = limits.MaxFileBytes // bytes per file
	MaxFiles     = 1000
	MaxTotalSize = 64 << 20
)

// Options are the inputs of Load beside the directory.
type Options struct {
	// Vars are the -var and -var-file arguments, in the order given.
	Vars []VarArg
	// Getenv reads WAYMARK_VAR_<name>; nil reads nothing.
	Getenv func(string) string
	// Environ lists the environment as KEY=value, to find WAYMARK_VAR_*.
	Environ []string
	// Providers gives the channel providers' schemas and validation.
	Providers provschema.Source
	// Builtin reports whether a local name is a built-in provider, which
	// channels may use without required_providers, and gives its source.
	Builtin func(name string) (source string, ok bool)
	// Version is the CLI's version, checked against required_version.
	Version string
	// Settled, when set, is called once the waymark block is read, before
	// the rest, with the stack's name and the runtime { address }
	// setting: plan fetches the deployment meanwhile.
	Settled func(stack, runtimeAddress string)
}

// VarArg is one -var NAME=VALUE (Name set) or -var-file FILE (File set).
type VarArg struct {
	Name, Value string
	File        string
}

// Load reads and checks the configuration in dir. The Config is returned
// even when there are errors, holding what could be read, so that callers
// can print snippets; it must not be deployed unless diags has no errors.
func Load(ctx context.Context, dir string, opts Options) (*Config, hcl.Diagnostics) {
	l := newLoader(ctx, dir, opts)
	l.load()
	return l.cfg, consolidate(l.diags)
}

// LoadSources checks a configuration given as file texts by name, without
// reading the disk for them (templatefile and auto variable files still
// resolve against dir). Fuzzing and tests use it.
func LoadSources(ctx context.Context, dir string, files map[string][]byte, opts Options) (*Config, hcl.Diagnostics) {
	l := newLoader(ctx, dir, opts)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	srcs := make([]source, len(names))
	for i, n := range names {
		srcs[i] = source{name: n, src: files[n]}
	}
	if parsed := l.parseConfig(srcs); !l.diags.HasErrors() {
		l.loadFiles(parsed)
	}
	return l.cfg, consolidate(l.diags)
}

// MaxDiagnosticsPerKind bounds the diagnostics of one severity and summary
// that a load returns, as Terraform does: the first of them says how many
// more there were.
const MaxDiagnosticsPerKind = 20

func consolidate(diags hcl.Diagnostics) hcl.Diagnostics {
	type kind struct {
		sev     hcl.DiagnosticSeverity
		summary string
	}
	// A module's body, read once per instance, reports the same problem
	// once per instance: it is shown once.
	type same struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	dup := map[same]bool{}
	n := map[kind]int{}
	first := map[kind]int{}
	var out hcl.Diagnostics
	for _, d := range diags {
		if d.Subject != nil {
			s := same{d.Severity, d.Summary, d.Detail, *d.Subject}
			if dup[s] {
				continue
			}
			dup[s] = true
		}
		k := kind{d.Severity, d.Summary}
		if n[k] == 0 {
			first[k] = len(out)
		}
		if n[k]++; n[k] <= MaxDiagnosticsPerKind {
			out = append(out, d)
		}
	}
	for k, count := range n {
		if count <= MaxDiagnosticsPerKind {
			continue
		}
		d := *out[first[k]]
		more := count - MaxDiagnosticsPerKind
		what := "errors"
		if k.sev == hcl.DiagWarning {
			what = "warnings"
		}
		d.Detail += fmt.Sprintf("\n\n(and %d more similar %s elsewhere, not shown)", more, what)
		out[first[k]] = &d
	}
	return out
}

// FindFiles lists the configuration files of dir in lexical order.
func FindFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading configuration directory: %w", err)
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		if strings.HasSuffix(n, SuffixHCL) || strings.HasSuffix(n, SuffixJSON) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

type loader struct {
	ctx    context.Context
	budget *limits.Budget
	dir    string
	opts   Options
	cfg    *Config
	// kpiActions are the actions the KPIs of the journey being decoded
	// name.
	kpiActions []kpiAction
	diags      hcl.Diagnostics
	s          *scope
	// checks are provider validations of messages, run together at the
	// end of the load: each is a call to a provider process.
	checks []providerCheck
	// suggested counts the look-ups for similar names (suggestName).
	suggested int
	// schemas are the hcl schemas of the language's blocks, made once a
	// load rather than once a block; module instances share them.
	schemas map[*schema.Block]*hcl.BodySchema
	// prefetched are the provider schemas asked for before the channels
	// are decoded (prefetchSchemas).
	prefetched *prefetch

	// module is the address of the module instance this loader reads
	// (module.shop, module.shop["eu"]), "" for the root configuration;
	// inputs are the values its module block sets, call that block's range.
	module     string
	moduleName string // the module block's label
	inputs     map[string]moduleInput
	call       hcl.Range
	journeys   []*journeyDecl
}

func newLoader(ctx context.Context, dir string, opts Options) *loader {
	if opts.Builtin == nil {
		opts.Builtin = func(string) (string, bool) { return "", false }
	}
	return &loader{
		ctx:     ctx,
		budget:  limits.NewBudget(ctx),
		dir:     dir,
		opts:    opts,
		schemas: map[*schema.Block]*hcl.BodySchema{},
		cfg: &Config{
			Dir:               dir,
			Sources:           map[string][]byte{},
			RequiredProviders: map[string]ProviderRequirement{},
			Variables:         map[string]*Variable{},
			Ranges:            map[string]hcl.Range{},
			Document:          &deploy.Document{FormatVersion: deploy.FormatVersion, WaymarkVersion: opts.Version},
		},
	}
}

func (l *loader) add(ds ...*hcl.Diagnostic) { l.diags = append(l.diags, ds...) }

func (l *loader) addAll(ds hcl.Diagnostics) { l.diags = append(l.diags, ds...) }

// read reads one file, within the limits, and returns the name
// diagnostics give it. Only a regular file is read: a named pipe, device
// or directory is refused without being opened.
func (l *loader) read(path string) (string, []byte, bool) {
	name := l.displayName(path)
	src, err := limits.ReadRegular(path, MaxFileSize)
	var le *limits.Error
	switch {
	case errors.As(err, &le):
		l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: le.Summary, Detail: name + " " + le.Detail})
		return "", nil, false
	case err != nil:
		l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read file", Detail: fmt.Sprintf("%s: %s", name, err)})
		return "", nil, false
	}
	return name, src, true
}

// parse reads and parses one file.
func (l *loader) parse(path string) *hcl.File {
	name, src, ok := l.read(path)
	if !ok {
		return nil
	}
	return l.parseAll([]source{{name: name, src: src}})[0]
}

// source is a configuration file's text and its parse.
type source struct {
	name  string
	src   []byte
	f     *hcl.File
	diags hcl.Diagnostics
	// refused is set when the text was not parsed for its nesting; it is
	// then not kept in Config.Sources, so that nothing parses it to
	// render a diagnostic either.
	refused bool
}

// parseConfig parses the configuration's files and returns those that
// parsed, listing them in the Config.
func (l *loader) parseConfig(srcs []source) []*hcl.File {
	var files []*hcl.File
	for i, f := range l.parseAll(srcs) {
		if f != nil {
			files = append(files, f)
			l.cfg.Files = append(l.cfg.Files, srcs[i].name)
		}
	}
	return files
}

// displayName is the name diagnostics carry: relative to the working
// directory when the configuration is below it.
func (l *loader) displayName(path string) string {
	if wd, err := os.Getwd(); err == nil {
		if abs, err := filepath.Abs(path); err == nil {
			if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
				return rel
			}
		}
	}
	return path
}

func (l *loader) load() {
	paths, err := FindFiles(l.dir)
	if err != nil {
		l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration", Detail: err.Error()})
		return
	}
	if len(paths) == 0 {
		l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No configuration files",
			Detail: fmt.Sprintf("The directory %s holds no *%s or *%s files.", l.displayName(l.dir), SuffixHCL, SuffixJSON)})
		return
	}
	if len(paths) > MaxFiles {
		l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Too many configuration files",
			Detail: fmt.Sprintf("The directory holds %d configuration files; at most %d are read.", len(paths), MaxFiles)})
		return
	}
	var srcs []source
	total := 0
	for _, p := range paths {
		name, src, ok := l.read(p)
		if !ok {
			continue
		}
		total += len(src)
		if total > MaxTotalSize {
			l.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Configuration too large",
				Detail: fmt.Sprintf("The configuration's files add up to more than %d bytes.", MaxTotalSize)})
			return
		}
		srcs = append(srcs, source{name: name, src: src})
	}
	files := l.parseConfig(srcs)
	if l.diags.HasErrors() {
		// A file that does not parse would make everything after it
		// misleading: references to its blocks would all look undeclared.
		return
	}
	l.loadFiles(files)
}

func (l *loader) loadFiles(files []*hcl.File) {
	body := hcl.MergeFiles(files)
	l.decode(l.content(body, schema.File()))
	l.runChecks()
}
