package discovery

import (
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/go-version"

	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// ErrNotInitialized is wrapped by resolution errors that "waymark init"
// fixes.
var ErrNotInitialized = errors.New("run \"waymark init\"")

// CheckBuiltin checks that the CLI's version, which the built-in provider
// carries, meets the requirement's constraints.
func (e Env) CheckBuiltin(r Requirement) error {
	cs, err := ParseConstraints(r.Constraints)
	if err != nil {
		return fmt.Errorf("provider %s: invalid version constraint %q: %w", r.Source, r.Constraints, err)
	}
	v, err := version.NewVersion(e.Version)
	if err != nil {
		return fmt.Errorf("provider %s: the CLI's version %q: %w", r.Source, e.Version, err)
	}
	if !cs.Check(v) {
		return fmt.Errorf("provider %s is built into waymark at version %s, which does not meet the constraint %q; use a waymark release that does", r.Source, e.Version, r.Constraints)
	}
	return nil
}

// Resolve returns the executables of the required providers: the built-in
// ones as this binary re-executed, the others at the version the lock
// records, with the lock's hashes for the host to verify at every launch.
// Built-in providers that reqs does not name are added too, since channels
// may use them undeclared.
func (e Env) Resolve(reqs []Requirement, lock *lockfile.File) ([]host.Executable, error) {
	var out []host.Executable
	declared := map[string]bool{}
	for _, r := range reqs {
		declared[r.Source] = true
		if IsBuiltin(r.Source) {
			if err := e.CheckBuiltin(r); err != nil {
				return nil, err
			}
			out = append(out, e.Builtin(r.Name, r.Source))
			continue
		}
		locked := lock.Providers[r.Source]
		if locked == nil {
			return nil, fmt.Errorf("provider %s is required but not in %s: %w", r.Source, lockfile.FileName, ErrNotInitialized)
		}
		cs, err := ParseConstraints(r.Constraints)
		if err != nil {
			return nil, fmt.Errorf("provider %s: invalid version constraint %q: %w", r.Source, r.Constraints, err)
		}
		v, err := version.NewVersion(locked.Version)
		if err != nil {
			return nil, fmt.Errorf("provider %s: %s: %w", r.Source, lockfile.FileName, err)
		}
		if !cs.Check(v) {
			return nil, fmt.Errorf("provider %s: the locked version %s does not meet the constraint %q; run \"waymark init -upgrade\" to choose another", r.Source, locked.Version, r.Constraints)
		}
		exe, err := e.Locate(r.Name, r.Source, locked.Version, locked.Hashes)
		if err != nil {
			return nil, err
		}
		out = append(out, exe)
	}
	for _, src := range builtinSources() {
		if !declared[src] {
			out = append(out, e.Builtin("", src))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Source < out[j].Source })
	return out, nil
}

// Locate finds the executable of one provider at an exact version for this
// platform (as a lock or a deployment records it). The host verifies hashes
// when it launches the executable.
func (e Env) Locate(name, source, ver string, hashes []string) (host.Executable, error) {
	want, err := version.NewVersion(ver)
	if err != nil {
		return host.Executable{}, fmt.Errorf("provider %s: version %q: %w", source, ver, err)
	}
	pkgs, err := e.Find(source)
	if err != nil {
		return host.Executable{}, err
	}
	for _, p := range pkgs {
		if p.Version.Equal(want) {
			if name == "" {
				_, name, _ = ParseSource(source)
			}
			return host.Executable{Name: name, Source: source, Version: ver, Path: p.Executables[e.platform()], Hashes: hashes}, nil
		}
	}
	return host.Executable{}, fmt.Errorf("provider %s %s for %s is not installed in any of %v: %w", source, ver, e.platform(), e.Dirs(), ErrNotInitialized)
}

func builtinSources() []string {
	out := make([]string, 0, len(builtin.Names))
	for _, n := range builtin.Names {
		out = append(out, builtin.Source(n))
	}
	return out
}

// NewHost returns a host with the executables Resolve finds.
func (e Env) NewHost(reqs []Requirement, lock *lockfile.File, opts host.Options) (*host.Host, error) {
	exes, err := e.Resolve(reqs, lock)
	if err != nil {
		return nil, err
	}
	h, err := host.New(opts)
	if err != nil {
		return nil, err
	}
	for _, x := range exes {
		if err := h.Add(x); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}

// OpenHost returns a host with the built-in providers and every provider
// the lock records that is installed: for a loader that learns which
// providers the configuration requires only as it loads. A locked provider
// that is not installed is left out, so using it fails with
// host.ErrNotAvailable. Resolve checks requirements against the lock.
func (e Env) OpenHost(lock *lockfile.File, opts host.Options) (*host.Host, error) {
	h, err := host.New(opts)
	if err != nil {
		return nil, err
	}
	exes := make([]host.Executable, 0, len(lock.Providers)+len(builtin.Names))
	for _, src := range builtinSources() {
		exes = append(exes, e.Builtin("", src))
	}
	for _, p := range lock.Providers {
		if IsBuiltin(p.Source) {
			continue
		}
		if exe, err := e.Locate("", p.Source, p.Version, p.Hashes); err == nil {
			exes = append(exes, exe)
		}
	}
	for _, x := range exes {
		if err := h.Add(x); err != nil {
			h.Close()
			return nil, err
		}
	}
	return h, nil
}
