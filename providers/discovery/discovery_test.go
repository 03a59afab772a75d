package discovery

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// tree makes provider executables: each entry is root-relative
// <ns>/<name>/<version>/<platform>.
func tree(t *testing.T, root string, entries ...string) {
	t.Helper()
	for _, e := range entries {
		parts := strings.Split(e, "/")
		path := filepath.Join(root, e, ExecutableName(parts[1], parts[3]))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n# "+e+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func testEnv(t *testing.T) Env {
	t.Helper()
	base := t.TempDir()
	env := Env{
		Dir:          filepath.Join(base, "config"),
		Home:         filepath.Join(base, "home"),
		ProviderPath: filepath.Join(base, "p1") + string(os.PathListSeparator) + filepath.Join(base, "p2"),
		Self:         "/usr/bin/waymark",
		Version:      "0.1.0",
		Platform:     "linux_amd64",
	}
	tree(t, filepath.Join(env.Dir, LocalDir), "acme/slack/1.0.0/linux_amd64")
	tree(t, filepath.Join(env.Home, ".waymark.d", "providers"), "acme/slack/1.2.0/linux_amd64", "acme/slack/1.2.0/darwin_arm64", "acme/slack/1.0.0/linux_amd64")
	tree(t, filepath.Join(base, "p1"), "acme/slack/2.0.0/linux_amd64", "acme/slack/not-a-version/linux_amd64")
	tree(t, filepath.Join(base, "p2"), "acme/slack/3.0.0/darwin_arm64")
	return env
}

func TestDirs(t *testing.T) {
	env := Env{Dir: "/cfg", Home: "/home/u", ProviderPath: "/a" + string(os.PathListSeparator) + string(os.PathListSeparator) + "/b", ExtraDirs: []string{"/data/providers"}}
	got := strings.Join(env.Dirs(), " ")
	want := "/cfg/.waymark/providers /home/u/.waymark.d/providers /a /b /data/providers"
	if got != want {
		t.Errorf("Dirs = %s, want %s", got, want)
	}
}

func TestFindAndNewest(t *testing.T) {
	env := testEnv(t)
	pkgs, err := env.Find("acme/slack")
	if err != nil {
		t.Fatal(err)
	}
	dirs := env.Dirs()
	var got []string
	for _, p := range pkgs {
		for i, d := range dirs {
			if p.Root == d {
				got = append(got, fmt.Sprintf("%s@%d", p.Version, i))
			}
		}
	}
	// 3.0.0 has no linux_amd64 build; 1.0.0 is taken from the first
	// directory, the configuration's own.
	if strings.Join(got, " ") != "2.0.0@2 1.2.0@1 1.0.0@0" {
		t.Errorf("found %v", got)
	}
	if len(pkgs[1].Executables) != 2 {
		t.Errorf("1.2.0 platforms: %v", pkgs[1].Executables)
	}
	tests := []struct{ constraint, want string }{
		{"", "2.0.0"},
		{"~> 1.0", "1.2.0"},
		{">= 1.0, < 1.2", "1.0.0"},
		{"= 1.2.0", "1.2.0"},
		{"> 3", ""},
	}
	for _, tt := range tests {
		cs, err := ParseConstraints(tt.constraint)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if p := Newest(pkgs, cs); p != nil {
			got = p.Version.String()
		}
		if got != tt.want {
			t.Errorf("Newest(%q) = %q, want %q", tt.constraint, got, tt.want)
		}
	}
	if pkgs, err := env.Find("acme/none"); err != nil || len(pkgs) != 0 {
		t.Errorf("Find of a missing provider: %v %v", pkgs, err)
	}
}

func TestInstall(t *testing.T) {
	env := testEnv(t)
	pkgs, _ := env.Find("acme/slack")
	in, err := env.Install(pkgs[1]) // 1.2.0 from the home directory
	if err != nil {
		t.Fatal(err)
	}
	for plat, exe := range in.Executables {
		want := filepath.Join(env.Dir, LocalDir, "acme", "slack", "1.2.0", plat, "waymark-provider-slack")
		if exe != want {
			t.Errorf("installed %s at %s, want %s", plat, exe, want)
		}
		st, err := os.Stat(exe)
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Errorf("installed executable: %v %v", st, err)
		}
		a, _ := lockfile.HashFile(exe)
		b, _ := lockfile.HashFile(pkgs[1].Executables[plat])
		if a != b {
			t.Errorf("copy differs from its source")
		}
	}
	again, err := env.Install(pkgs[2]) // already local
	if err != nil || again != pkgs[2] {
		t.Errorf("installing a local package: %v %v", again, err)
	}
}

func TestParseSource(t *testing.T) {
	for src, ok := range map[string]bool{"acme/slack": true, "a-b/c_d9": true, "Acme/slack": false, "acme": false, "a/b/c": false, "/x": false} {
		_, _, err := ParseSource(src)
		if (err == nil) != ok {
			t.Errorf("ParseSource(%q) = %v", src, err)
		}
	}
}

func TestResolve(t *testing.T) {
	env := testEnv(t)
	slack := Requirement{Name: "chat", Source: "acme/slack", Constraints: "~> 1.0"}
	lock := lockfile.New()

	_, err := env.Resolve([]Requirement{slack}, lock)
	if !errors.Is(err, ErrNotInitialized) {
		t.Errorf("unlocked provider: %v", err)
	}

	lock.Providers["acme/slack"] = &lockfile.Provider{Source: "acme/slack", Version: "1.2.0", Hashes: []string{"sha256:ab"}}
	exes, err := env.Resolve([]Requirement{slack, {Name: "mail", Source: "waymark/smtp", Constraints: ">= 0.1"}}, lock)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range exes {
		got = append(got, e.Name+"="+e.Source+"@"+e.Version+" "+filepath.Base(e.Path)+" "+strings.Join(e.Args, " ")+" "+strings.Join(e.Hashes, ","))
	}
	want := []string{
		"chat=acme/slack@1.2.0 waymark-provider-slack  sha256:ab",
		"inbound=waymark/inbound@0.1.0 waymark __provider inbound ",
		"log=waymark/log@0.1.0 waymark __provider log ",
		"mail=waymark/smtp@0.1.0 waymark __provider smtp ",
		"webhook=waymark/webhook@0.1.0 waymark __provider webhook ",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("resolved\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	tests := []struct {
		name string
		req  Requirement
		lock string
		want string
	}{
		{"constraint moved", Requirement{Source: "acme/slack", Constraints: "~> 2.0"}, "1.2.0", `the locked version 1.2.0 does not meet the constraint "~> 2.0"; run "waymark init -upgrade"`},
		{"locked version gone", Requirement{Source: "acme/slack"}, "1.1.0", `provider acme/slack 1.1.0 for linux_amd64 is not installed`},
		{"bad constraint", Requirement{Source: "acme/slack", Constraints: "~~ 1"}, "1.2.0", "invalid version constraint"},
		{"builtin too old", Requirement{Source: "waymark/smtp", Constraints: ">= 0.2"}, "", `built into waymark at version 0.1.0, which does not meet the constraint ">= 0.2"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock := lockfile.New()
			if tt.lock != "" {
				lock.Providers[tt.req.Source] = &lockfile.Provider{Source: tt.req.Source, Version: tt.lock}
			}
			_, err := env.Resolve([]Requirement{tt.req}, lock)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOpenHost(t *testing.T) {
	env := testEnv(t)
	lock := lockfile.New()
	lock.Providers["acme/slack"] = &lockfile.Provider{Source: "acme/slack", Version: "1.2.0"}
	lock.Providers["acme/gone"] = &lockfile.Provider{Source: "acme/gone", Version: "1.0.0"}
	h, err := env.OpenHost(lock, host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	got := strings.Join(h.Sources(), " ")
	if got != "acme/slack waymark/inbound waymark/log waymark/smtp waymark/webhook" {
		t.Errorf("sources %s", got)
	}
	if _, err := h.Provider("acme/gone"); !errors.Is(err, host.ErrNotAvailable) {
		t.Errorf("uninstalled locked provider: %v", err)
	}
}
