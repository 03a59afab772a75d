package discovery

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"

	"github.com/hashicorp/go-version"

	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/host"
)

// ServeCommand is the hidden sub-command with which the waymark binary
// serves a built-in provider: waymark __provider NAME.
const ServeCommand = "__provider"

// BuiltinNamespace is the namespace of the built-in providers, and the
// namespace a required provider without a source is taken from.
const BuiltinNamespace = "waymark"

// LocalDir is the directory, under a configuration's directory, that init
// installs providers into.
const LocalDir = ".waymark/providers"

// Requirement is one provider a configuration needs.
type Requirement struct {
	// Name is the provider's local name (smtp).
	Name string
	// Source is its source address (waymark/smtp).
	Source string
	// Constraints is a Terraform-style version constraint ("~> 1.2"); empty
	// accepts any version.
	Constraints string
}

// Env says where to look for providers and what runs the built-ins.
type Env struct {
	// Dir is the configuration's directory.
	Dir string
	// Home is the user's home directory; empty skips ~/.waymark.d.
	Home string
	// ProviderPath is WAYMARK_PROVIDER_PATH: directories separated by the
	// system's list separator.
	ProviderPath string
	// ExtraDirs are searched last (the runtime's <data>/providers).
	ExtraDirs []string
	// Self is the waymark executable, which serves the built-in providers.
	Self string
	// Version is the CLI's version, which the built-in providers carry.
	Version string
	// Platform is <os>_<arch>; empty means this machine's.
	Platform string
}

func (e Env) platform() string {
	if e.Platform != "" {
		return e.Platform
	}
	return CurrentPlatform()
}

// CurrentPlatform is this machine's <os>_<arch>.
func CurrentPlatform() string { return runtime.GOOS + "_" + runtime.GOARCH }

// Dirs returns the search directories in order.
func (e Env) Dirs() []string {
	dirs := []string{filepath.Join(e.Dir, LocalDir)}
	if e.Home != "" {
		dirs = append(dirs, filepath.Join(e.Home, ".waymark.d", "providers"))
	}
	for _, d := range filepath.SplitList(e.ProviderPath) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return append(dirs, e.ExtraDirs...)
}

var sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*/[a-z0-9][a-z0-9_-]*$`)

// ParseSource splits a source address into namespace and name.
func ParseSource(source string) (namespace, name string, err error) {
	if !sourcePattern.MatchString(source) {
		return "", "", fmt.Errorf("invalid provider source %q: it must be namespace/name, in lower case letters, digits, - and _", source)
	}
	ns, n, _ := strings.Cut(source, "/")
	return ns, n, nil
}

// IsBuiltin reports whether source is a provider built into waymark.
func IsBuiltin(source string) bool {
	for _, n := range builtin.Names {
		if builtin.Source(n) == source {
			return true
		}
	}
	return false
}

// Builtin returns the executable of the built-in provider with the given
// source: this binary re-executed to serve it.
func (e Env) Builtin(name, source string) host.Executable {
	_, n, _ := strings.Cut(source, "/")
	if name == "" {
		name = n
	}
	return host.Executable{Name: name, Source: source, Version: e.Version, Path: e.Self, Args: []string{ServeCommand, n}}
}

// ExecutableName is the file name of a provider's executable.
func ExecutableName(name, platform string) string {
	if strings.HasPrefix(platform, "windows_") {
		return "waymark-provider-" + name + ".exe"
	}
	return "waymark-provider-" + name
}

// Package is one installed version of a provider in one search directory.
type Package struct {
	Source  string
	Version *version.Version
	// Root is the search directory it was found in.
	Root string
	// Executables by platform: every platform of this version there.
	Executables map[string]string
}

// Dir is the package's directory, <root>/<namespace>/<name>/<version>.
func (p *Package) Dir() string {
	return filepath.Join(p.Root, filepath.FromSlash(p.Source), p.Version.Original())
}

// Find lists the versions of source installed for platform in the search
// directories, newest first. A version in several directories is taken from
// the first.
func (e Env) Find(source string) ([]*Package, error) {
	ns, name, err := ParseSource(source)
	if err != nil {
		return nil, err
	}
	platform := e.platform()
	seen := map[string]bool{}
	var out []*Package
	for _, root := range e.Dirs() {
		vdir := filepath.Join(root, ns, name)
		entries, err := os.ReadDir(vdir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("searching for provider %s: %w", source, err)
		}
		for _, ent := range entries {
			v, err := version.NewVersion(ent.Name())
			if err != nil || !ent.IsDir() || seen[v.String()] {
				continue
			}
			pkg := &Package{Source: source, Version: v, Root: root, Executables: map[string]string{}}
			plats, _ := os.ReadDir(filepath.Join(vdir, ent.Name()))
			for _, pl := range plats {
				exe := filepath.Join(vdir, ent.Name(), pl.Name(), ExecutableName(name, pl.Name()))
				if st, err := os.Stat(exe); err == nil && st.Mode().IsRegular() {
					pkg.Executables[pl.Name()] = exe
				}
			}
			if pkg.Executables[platform] == "" {
				continue
			}
			seen[v.String()] = true
			out = append(out, pkg)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Version.GreaterThan(out[j].Version) })
	return out, nil
}

// ParseConstraints reads a version constraint; empty accepts any version.
func ParseConstraints(s string) (version.Constraints, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return version.NewConstraint(s)
}

// Newest returns the newest package that meets constraints, or nil.
func Newest(pkgs []*Package, constraints version.Constraints) *Package {
	for _, p := range pkgs { // newest first
		if constraints.Check(p.Version) {
			return p
		}
	}
	return nil
}

// Install copies the package's executables into the configuration's
// .waymark/providers and returns the copy; a package already there is
// returned as it is.
func (e Env) Install(pkg *Package) (*Package, error) {
	root := filepath.Join(e.Dir, LocalDir)
	if samePath(pkg.Root, root) {
		return pkg, nil
	}
	out := &Package{Source: pkg.Source, Version: pkg.Version, Root: root, Executables: map[string]string{}}
	for plat, from := range pkg.Executables {
		to := filepath.Join(out.Dir(), plat, filepath.Base(from))
		if err := copyExecutable(from, to); err != nil {
			return nil, fmt.Errorf("installing provider %s %s: %w", pkg.Source, pkg.Version.Original(), err)
		}
		out.Executables[plat] = to
	}
	return out, nil
}

func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == bb
}

func copyExecutable(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(to), ".install-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), to)
}
