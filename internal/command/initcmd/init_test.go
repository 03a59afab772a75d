package initcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
	"github.com/waymarkhq/waymark/providers/sdk"
	"github.com/waymarkhq/waymark/providers/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// slack stands for an outside provider: this test binary, copied into the
// provider directories, serves it (the environment variable that
// sdktest.Main reads is set for the whole test process, so every copy
// serves it). Its schema has no version: the host takes the installed one.
func slack() sdk.Provider {
	return sdk.Provider{
		Schema: provschema.Schema{Provider: "acme/slack", Delivers: true,
			Channel: []provschema.Attribute{{Name: "url", Type: cty.String, Required: true}},
			Message: []provschema.Attribute{{Name: "text", Type: cty.String}}},
		Deliver: func(context.Context, *sdk.Delivery) (string, error) { return "ok", nil },
	}
}

func TestMain(m *testing.M) { sdktest.Main(m, slack()) }

const config = `waymark {
  stack = "growth"
  required_providers {
    chat = { source = "acme/slack", version = "~> 1.0" }
    smtp = { source = "waymark/smtp", version = ">= 0.1" }
  }
}

channel "team" {
  provider = chat
  url      = "https://hooks.acme.test/x"
}

channel "web" {
  provider = inbound
}
`

// configJSON is config in JSON syntax.
const configJSON = `{
  "waymark": {
    "stack": "growth",
    "required_providers": {
      "chat": {"source": "acme/slack", "version": "~> 1.0"},
      "smtp": {"source": "waymark/smtp", "version": ">= 0.1"}
    }
  },
  "channel": {
    "team": {"provider": "chat", "url": "https://hooks.acme.test/x"},
    "web": {"provider": "inbound"}
  }
}
`

type fixture struct {
	t    *testing.T
	env  discovery.Env
	base string
}

func newFixture(t *testing.T) *fixture {
	t.Setenv("WAYMARK_SDKTEST_PROVIDER", "acme/slack")
	base := t.TempDir()
	f := &fixture{t: t, base: base, env: discovery.Env{
		Dir:          filepath.Join(base, "config"),
		Home:         filepath.Join(base, "home"),
		ProviderPath: filepath.Join(base, "path"),
		Self:         "/usr/local/bin/waymark",
		Version:      "0.1.0",
	}}
	if err := os.MkdirAll(f.env.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f.write("main.wm.hcl", config)
	return f
}

func (f *fixture) write(name, content string) {
	f.t.Helper()
	if err := os.WriteFile(filepath.Join(f.env.Dir, name), []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// install puts this test binary where a provider version is looked for,
// under root (relative to base): a hard link where it can (the tests only
// read it), else a copy; writable makes it a copy the test may change.
func (f *fixture) install(root, version string, writable bool) string {
	f.t.Helper()
	self, err := os.Executable()
	if err != nil {
		f.t.Fatal(err)
	}
	plat := discovery.CurrentPlatform()
	path := filepath.Join(f.base, root, "acme", "slack", version, plat, discovery.ExecutableName("slack", plat))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if !writable && os.Link(self, path) == nil {
		return path
	}
	src, err := os.ReadFile(self)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(path, src, 0o755); err != nil {
		f.t.Fatal(err)
	}
	return path
}

func (f *fixture) init(upgrade bool) (string, string, error) {
	s, out, errb := cmdutil.Test()
	err := Run(context.Background(), s, &Options{Upgrade: upgrade, Env: f.env})
	return f.clean(out.String()), f.clean(errb.String()), err
}

var hashRE = regexp.MustCompile(`sha256:[0-9a-f]{64}`)

// clean makes output stable: the temporary directory, the platform and
// hashes replaced.
func (f *fixture) clean(s string) string {
	s = strings.ReplaceAll(s, f.base, "$TMP")
	s = strings.ReplaceAll(s, discovery.CurrentPlatform(), "$PLATFORM")
	return hashRE.ReplaceAllLiteralString(s, "sha256:$HASH")
}

func (f *fixture) lock() *lockfile.File {
	f.t.Helper()
	l, diags := lockfile.Load(filepath.Join(f.env.Dir, lockfile.FileName))
	if diags.HasErrors() {
		f.t.Fatal(diags)
	}
	return l
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n%s", path, got)
	}
}

func TestInitLifecycle(t *testing.T) {
	f := newFixture(t)
	f.install("home/.waymark.d/providers", "1.0.0", false)
	f.install("home/.waymark.d/providers", "1.2.0", false)
	f.install("path", "2.0.0", false)

	// First run: the newest 1.x is selected, installed and locked.
	out, _, err := f.init(false)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "init_first.txt", out)
	lockText, _ := os.ReadFile(filepath.Join(f.env.Dir, lockfile.FileName))
	golden(t, "lock.golden.hcl", f.clean(string(lockText)))
	installed := filepath.Join(f.env.Dir, discovery.LocalDir, "acme", "slack", "1.2.0", discovery.CurrentPlatform(), "waymark-provider-slack")
	if _, err := os.Stat(installed); err != nil {
		t.Fatalf("not installed: %v", err)
	}
	want, _ := lockfile.HashFile(installed)
	if p := f.lock().Providers["acme/slack"]; p == nil || p.Version != "1.2.0" || p.Constraints != "~> 1.0" || len(p.Hashes) != 1 || p.Hashes[0] != want {
		t.Fatalf("lock %+v", p)
	}
	if f.lock().Providers["waymark/smtp"] != nil {
		t.Errorf("a built-in provider is locked")
	}

	// Later commands run the locked provider through the host.
	h, err := f.env.NewHost([]discovery.Requirement{{Name: "chat", Source: "acme/slack", Constraints: "~> 1.0"}}, f.lock(), host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := h.Schema(context.Background(), "chat", "acme/slack")
	h.Close()
	if err != nil || s.Version != "1.2.0" {
		t.Fatalf("schema through the lock: %+v %v", s, err)
	}

	// A newer 1.x appears: init keeps the lock's choice, -upgrade takes it.
	f.install("home/.waymark.d/providers", "1.3.0", false)
	out, _, err = f.init(false)
	if err != nil || !strings.Contains(out, "- Using acme/slack v1.2.0, as the lock file records") || strings.Contains(out, "lock file .waymark.lock.hcl") {
		t.Fatalf("second init: %v\n%s", err, out)
	}
	out, _, err = f.init(true)
	if err != nil || !strings.Contains(out, "- Selected acme/slack v1.3.0") || !strings.Contains(out, "has updated the lock file") {
		t.Fatalf("init -upgrade: %v\n%s", err, out)
	}
	if v := f.lock().Providers["acme/slack"].Version; v != "1.3.0" {
		t.Fatalf("locked %s after -upgrade", v)
	}
}

// TestInitJSON: a configuration in JSON syntax is read as validate reads
// it: its provider is installed and locked.
func TestInitJSON(t *testing.T) {
	f := newFixture(t)
	os.Remove(filepath.Join(f.env.Dir, "main.wm.hcl"))
	f.write("main.wm.json", configJSON)
	f.install("home/.waymark.d/providers", "1.2.0", false)
	out, _, err := f.init(false)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "init_first.txt", out)
	if p := f.lock().Providers["acme/slack"]; p == nil || p.Version != "1.2.0" {
		t.Fatalf("lock %+v", p)
	}
}

// TestChangedBinaryRefused changes the installed executable after init:
// init and every later use refuse it, naming the provider, both hashes and
// the fix; init -upgrade records the new hash.
func TestChangedBinaryRefused(t *testing.T) {
	f := newFixture(t)
	path := f.install("config/.waymark/providers", "1.0.0", true)
	if _, _, err := f.init(false); err != nil {
		t.Fatal(err)
	}
	locked := f.lock().Providers["acme/slack"].Hashes[0]
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString("changed")
	fh.Close()
	actual, _ := lockfile.HashFile(path)

	_, _, err = f.init(false)
	var hm *host.HashMismatchError
	if !errors.As(err, &hm) {
		t.Fatalf("init after the change: %v", err)
	}
	h, err := f.env.NewHost([]discovery.Requirement{{Name: "chat", Source: "acme/slack"}}, f.lock(), host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	_, err = h.Schema(context.Background(), "chat", "acme/slack")
	if !errors.As(err, &hm) {
		t.Fatalf("use after the change: %v", err)
	}
	for _, want := range []string{"provider acme/slack", locked, actual, `"waymark init -upgrade"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}

	if _, _, err := f.init(true); err != nil {
		t.Fatalf("init -upgrade: %v", err)
	}
	if got := f.lock().Providers["acme/slack"].Hashes; len(got) != 1 || got[0] != actual {
		t.Errorf("hashes after -upgrade: %v, want %s", got, actual)
	}
}

func TestInitFailures(t *testing.T) {
	t.Run("not installed", func(t *testing.T) {
		f := newFixture(t)
		f.install("path", "2.0.0", false)
		_, _, err := f.init(false)
		if err == nil {
			t.Fatal("init succeeded")
		}
		golden(t, "not_found.txt", f.clean(err.Error())+"\n")
	})
	t.Run("not a provider", func(t *testing.T) {
		f := newFixture(t)
		path := f.install("home/.waymark.d/providers", "1.0.0", true)
		os.WriteFile(path, []byte("#!/bin/sh\necho hello\n"), 0o755)
		_, _, err := f.init(false)
		if err == nil || !strings.Contains(err.Error(), "did not answer the Waymark provider handshake") {
			t.Fatalf("error %v", err)
		}
		if _, err := os.Stat(filepath.Join(f.env.Dir, lockfile.FileName)); err == nil {
			t.Errorf("a lock was written for a provider that does not run")
		}
	})
	t.Run("built-in too old", func(t *testing.T) {
		f := newFixture(t)
		f.write("main.wm.hcl", "waymark {\n  required_providers {\n    smtp = { version = \">= 9.0\" }\n  }\n}\n")
		_, _, err := f.init(false)
		if err == nil || !strings.Contains(err.Error(), "built into waymark at version 0.1.0") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("only built-ins", func(t *testing.T) {
		f := newFixture(t)
		f.write("main.wm.hcl", "channel \"ops\" {\n  provider = webhook\n}\n")
		f.write(".gitignore", "/bin/\n*.wm\n/.waymark/\n")
		out, _, err := f.init(false)
		if err != nil || out != "Initializing provider plugins...\n- waymark/webhook v0.1.0 is built in\n\nWaymark has been successfully initialized!\n" {
			t.Fatalf("init: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(f.env.Dir, lockfile.FileName)); err == nil {
			t.Errorf("a lock was written for built-in providers only")
		}
	})
}

// init suggests the .gitignore lines for saved plans and .waymark/ that the
// directory's .gitignore lacks.
func TestGitignoreSuggestion(t *testing.T) {
	tests := []struct {
		name, gitignore string // "-": no .gitignore
		want            []string
	}{
		{"none", "-", []string{"*.wm", ".waymark/"}},
		{"empty", "", []string{"*.wm", ".waymark/"}},
		{"plans", "bin/\n*.wm\n", []string{".waymark/"}},
		{"local state", "  /.waymark  \n", []string{"*.wm"}},
		{"both", "plan.wm\n.waymark/\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.gitignore != "-" {
				os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(tt.gitignore), 0o644)
			}
			s, out, _ := cmdutil.Test()
			suggestGitignore(s, dir)
			var got []string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.HasPrefix(l, "  ") {
					got = append(got, strings.TrimSpace(l))
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("suggested %q, want %q:\n%s", got, tt.want, out)
			}
			if len(tt.want) > 0 && !strings.Contains(out.String(), "waymark plan -out=plan.wm") {
				t.Errorf("the suggestion does not say what the files are:\n%s", out)
			}
		})
	}
}

func TestReadConfig(t *testing.T) {
	tests := []struct {
		name, src string
		want      string // requirements, or the first diagnostic as "line: summary"
		file      string // main.wm.hcl when empty
	}{
		{"declared and implied", config, "chat=acme/slack ~> 1.0; inbound=waymark/inbound ; smtp=waymark/smtp >= 0.1", ""},
		{"default namespace", "waymark {\n  required_providers {\n    webhook = {}\n  }\n}\n", "webhook=waymark/webhook ", ""},
		{"undeclared", "channel \"x\" {\n  provider = slack\n}\n", "2: Undeclared provider", ""},
		{"not an object", "waymark {\n  required_providers {\n    x = \"acme/x\"\n  }\n}\n", "3: Invalid required provider", ""},
		{"bad source", "waymark {\n  required_providers {\n    x = { source = \"Acme/X\" }\n  }\n}\n", "3: Invalid required provider", ""},
		{"bad constraint", "waymark {\n  required_providers {\n    x = { source = \"acme/x\", version = \"~~1\" }\n  }\n}\n", "3: Invalid required provider", ""},
		{"unknown key", "waymark {\n  required_providers {\n    x = { source = \"acme/x\", versions = \"1\" }\n  }\n}\n", "3: Invalid required provider", ""},
		{"provider not a name", "channel \"x\" {\n  provider = \"smtp\"\n}\n", "2: Invalid provider reference", ""},
		{"syntax error", "waymark {\n", "1: Unclosed configuration block", ""},
		{"JSON", configJSON, "chat=acme/slack ~> 1.0; inbound=waymark/inbound ; smtp=waymark/smtp >= 0.1", "main.wm.json"},
		{"JSON undeclared", `{"channel": {"x": {"provider": "slack"}}}`, "1: Undeclared provider", "main.wm.json"},
		{"JSON syntax error", `{"waymark": `, "1: Missing value", "main.wm.json"},
		{"no configuration", "", "0: No configuration files", "main.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			file := tt.file
			if file == "" {
				file = "main.wm.hcl"
			}
			os.WriteFile(filepath.Join(dir, file), []byte(tt.src), 0o644)
			os.WriteFile(filepath.Join(dir, "ignored.hcl"), []byte("this is not read"), 0o644)
			cfg, diags := ReadConfig(dir)
			var got string
			if diags.HasErrors() {
				line := 0
				if diags[0].Subject != nil {
					line = diags[0].Subject.Start.Line
				}
				got = strings.TrimSpace(strings.Join([]string{strconv.Itoa(line), diags[0].Summary}, ": "))
			} else {
				var parts []string
				for _, r := range cfg.Requirements {
					parts = append(parts, r.Name+"="+r.Source+" "+r.Constraints)
				}
				got = strings.Join(parts, "; ")
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDiagnosticsPrinted(t *testing.T) {
	f := newFixture(t)
	f.write("main.wm.hcl", "channel \"x\" {\n  provider = slack\n}\n")
	_, errOut, err := f.init(false)
	if err == nil || !bytes.Contains([]byte(errOut), []byte("Undeclared provider")) || !strings.Contains(errOut, "main.wm.hcl:2") {
		t.Errorf("err %v, stderr:\n%s", err, errOut)
	}
}
