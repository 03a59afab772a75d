package initcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/fatih/color"
	goversion "github.com/hashicorp/go-version"
	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// Options are init's inputs.
type Options struct {
	// Upgrade picks the newest version that meets each constraint, and
	// records new hashes, instead of keeping what the lock file records.
	Upgrade bool
	// Env says where the configuration is and where to find providers.
	Env discovery.Env
}

// New returns the init command.
func New(s *cmdutil.Streams) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Install the providers the configuration requires and write the lock file",
		Long: `Init finds each provider that required_providers names in .waymark/providers,
~/.waymark.d/providers and the directories in WAYMARK_PROVIDER_PATH, laid out as
<namespace>/<name>/<version>/<os>_<arch>/waymark-provider-<name>. It picks the
version the lock file records or, when there is none (or with -upgrade), the
newest that meets the version constraint; installs it into .waymark/providers;
checks that it speaks the provider protocol; and records its version and the
hash of its executable for each platform in .waymark.lock.hcl. Commit the lock
file: every later command refuses a provider whose hash no longer matches.

The built-in providers (waymark/inbound, waymark/log, waymark/smtp,
waymark/webhook) need no init and are not locked.`,
		Example: `  waymark init
  waymark init -upgrade`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			env, err := EnvFor(s, ".")
			if err != nil {
				return err
			}
			opts.Env = env
			return Run(cmd.Context(), s, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Upgrade, "upgrade", false, "Choose the newest versions that meet the constraints, ignoring the lock file's choices.")
	return cmd
}

// EnvFor returns where the CLI looks for providers for the configuration in
// dir.
func EnvFor(s *cmdutil.Streams, dir string) (discovery.Env, error) { return cfgload.EnvFor(s, dir) }

// HostOptions are the provider host options for a command.
func HostOptions(s *cmdutil.Streams) host.Options { return cfgload.HostOptions(s) }

// Run runs init.
func Run(ctx context.Context, s *cmdutil.Streams, opts *Options) error {
	env := opts.Env
	cfg, diags := ReadConfig(env.Dir)
	lockPath := filepath.Join(env.Dir, lockfile.FileName)
	old, more := lockfile.Load(lockPath)
	diags = append(diags, more...)
	if diags.HasErrors() {
		if old != nil {
			src, _ := os.ReadFile(lockPath)
			cfg.Sources[lockPath] = src
		}
		s.WriteDiagnostics(s.Err, diags, cfg.Sources)
		return cmdutil.Exit(cmdutil.ExitFailure)
	}
	bold := s.Colorize(color.Bold)
	fmt.Fprintln(s.Out, bold("Initializing provider plugins..."))

	lock := lockfile.New()
	var exes []host.Executable
	seen := map[string]bool{}
	for _, r := range cfg.Requirements {
		if seen[r.Source] {
			continue
		}
		seen[r.Source] = true
		if discovery.IsBuiltin(r.Source) {
			if err := env.CheckBuiltin(r); err != nil {
				return err
			}
			fmt.Fprintf(s.Out, "- %s v%s is built in\n", r.Source, env.Version)
			continue
		}
		p, exe, err := choose(s, env, r, old.Providers[r.Source], opts.Upgrade)
		if err != nil {
			return err
		}
		lock.Providers[r.Source] = p
		exes = append(exes, exe)
	}

	if err := check(ctx, s, exes); err != nil {
		return err
	}

	_, statErr := os.Stat(lockPath)
	existed := statErr == nil
	switch {
	case bytes.Equal(lock.Bytes(), old.Bytes()) && existed:
	case !existed && len(lock.Providers) == 0:
	default:
		if err := lock.Save(lockPath); err != nil {
			return err
		}
		if existed {
			fmt.Fprintf(s.Out, "\nWaymark has updated the lock file %s with the provider selections\nmade above. Review the changes and commit them to version control.\n", lockfile.FileName)
		} else {
			fmt.Fprintf(s.Out, "\nWaymark has created a lock file %s to record the provider\nselections made above. Include this file in your version control repository\nso that every later run, here and in CI, uses the same providers.\n", lockfile.FileName)
		}
	}
	fmt.Fprintln(s.Out, "\n"+s.Colorize(color.Bold, color.FgGreen)("Waymark has been successfully initialized!"))
	suggestGitignore(s, env.Dir)
	return nil
}

// choose picks, installs and hashes the version of one provider, and
// returns its lock entry and executable.
func choose(s *cmdutil.Streams, env discovery.Env, r discovery.Requirement, locked *lockfile.Provider, upgrade bool) (*lockfile.Provider, host.Executable, error) {
	cs, err := discovery.ParseConstraints(r.Constraints)
	if err != nil {
		return nil, host.Executable{}, fmt.Errorf("provider %s: invalid version constraint %q: %w", r.Source, r.Constraints, err)
	}
	pkgs, err := env.Find(r.Source)
	if err != nil {
		return nil, host.Executable{}, err
	}
	var pkg *discovery.Package
	if locked != nil && !upgrade {
		want, err := goversion.NewVersion(locked.Version)
		if err != nil {
			return nil, host.Executable{}, fmt.Errorf("provider %s: %s: %w", r.Source, lockfile.FileName, err)
		}
		for _, p := range pkgs {
			if p.Version.Equal(want) {
				pkg = p
			}
		}
		switch {
		case pkg != nil && !cs.Check(pkg.Version):
			return nil, host.Executable{}, fmt.Errorf("provider %s: the locked version %s does not meet the constraint %q; run \"waymark init -upgrade\" to choose another version", r.Source, locked.Version, r.Constraints)
		case pkg == nil:
			return nil, host.Executable{}, fmt.Errorf("provider %s: the locked version %s is not installed for %s in any of:\n  %s\nInstall it there, or run \"waymark init -upgrade\" to choose another version", r.Source, locked.Version, platform(env), strings.Join(env.Dirs(), "\n  "))
		}
		fmt.Fprintf(s.Out, "- Using %s v%s, as the lock file records\n", r.Source, locked.Version)
	} else {
		pkg = discovery.Newest(pkgs, cs)
		if pkg == nil {
			return nil, host.Executable{}, notFound(env, r, pkgs)
		}
		fmt.Fprintf(s.Out, "- Selected %s v%s%s\n", r.Source, pkg.Version.Original(), constraintNote(r.Constraints))
	}
	installed, err := env.Install(pkg)
	if err != nil {
		return nil, host.Executable{}, err
	}
	if installed != pkg {
		fmt.Fprintf(s.Out, "- Installed %s v%s from %s\n", r.Source, pkg.Version.Original(), pkg.Root)
	}

	var hashes []string
	plats := make([]string, 0, len(installed.Executables))
	for plat := range installed.Executables {
		plats = append(plats, plat)
	}
	sort.Strings(plats)
	var current string
	for _, plat := range plats {
		h, err := lockfile.HashFile(installed.Executables[plat])
		if err != nil {
			return nil, host.Executable{}, fmt.Errorf("provider %s: %w", r.Source, err)
		}
		hashes = append(hashes, h)
		if plat == platform(env) {
			current = h
		}
	}
	ver := pkg.Version.Original()
	if locked != nil && !upgrade {
		if !locked.HasHash(current) {
			return nil, host.Executable{}, &host.HashMismatchError{Source: r.Source, Path: installed.Executables[platform(env)], Want: locked.Hashes, Got: current}
		}
		ver = locked.Version
		hashes = append(hashes, locked.Hashes...)
	}
	sort.Strings(hashes)
	hashes = slices.Compact(hashes)
	exe := host.Executable{Name: r.Name, Source: r.Source, Version: ver, Path: installed.Executables[platform(env)], Hashes: hashes}
	return &lockfile.Provider{Source: r.Source, Version: ver, Constraints: r.Constraints, Hashes: hashes}, exe, nil
}

func platform(env discovery.Env) string {
	if env.Platform != "" {
		return env.Platform
	}
	return discovery.CurrentPlatform()
}

func constraintNote(c string) string {
	if c == "" {
		return " (the newest installed)"
	}
	return fmt.Sprintf(" (the newest installed that meets %q)", c)
}

func notFound(env discovery.Env, r discovery.Requirement, pkgs []*discovery.Package) error {
	_, name, _ := discovery.ParseSource(r.Source)
	var b strings.Builder
	fmt.Fprintf(&b, "provider %s: no installed version", r.Source)
	if r.Constraints != "" {
		fmt.Fprintf(&b, " meets the constraint %q", r.Constraints)
	} else {
		b.WriteString(" was found")
	}
	if len(pkgs) > 0 {
		var vs []string
		for _, p := range pkgs {
			vs = append(vs, p.Version.Original())
		}
		fmt.Fprintf(&b, " (installed: %s)", strings.Join(vs, ", "))
	}
	fmt.Fprintf(&b, ".\nWaymark looked for <namespace>/<name>/<version>/%s/%s in:\n  %s\nBuild the provider and copy its executable there, for example to\n  %s",
		platform(env), discovery.ExecutableName(name, platform(env)), strings.Join(env.Dirs(), "\n  "),
		filepath.Join(env.Dir, discovery.LocalDir, filepath.FromSlash(r.Source), "1.0.0", platform(env), discovery.ExecutableName(name, platform(env))))
	return errors.New(b.String())
}

// check starts each chosen provider and asks for its schema, so that init
// fails on an executable that is not a provider, or not the one it claims.
func check(ctx context.Context, s *cmdutil.Streams, exes []host.Executable) error {
	if len(exes) == 0 {
		return nil
	}
	h, err := host.New(HostOptions(s))
	if err != nil {
		return err
	}
	defer h.Close()
	for _, e := range exes {
		if err := h.Add(e); err != nil {
			return err
		}
		if _, err := h.Schema(ctx, e.Name, e.Source); err != nil {
			return err
		}
	}
	return nil
}
