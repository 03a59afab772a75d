package providerscmd_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/pluginserve"
	"github.com/waymarkhq/waymark/internal/command/providerscmd"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// asWaymark makes a re-executed test binary serve the built-in providers as
// the waymark binary does.
const asWaymark = "WAYMARK_PROVIDERSCMD_TEST_AS_WAYMARK"

func TestMain(m *testing.M) {
	if os.Getenv(asWaymark) != "" {
		root := &cobra.Command{Use: "waymark", SilenceUsage: true}
		root.AddCommand(pluginserve.New(cmdutil.System()))
		root.SetArgs(os.Args[1:])
		if root.Execute() != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const config = `waymark {
  required_providers {
    chat = { source = "acme/slack", version = "~> 1.0" }
    smtp = { source = "waymark/smtp", version = ">= 0.1" }
  }
}

channel "email" {
  provider = smtp
}

channel "team" {
  provider = chat
}

channel "web" {
  provider = inbound
}

channel "kiosk" {
  provider = inbound
}
`

func env(t *testing.T, lock string) discovery.Env {
	t.Helper()
	t.Setenv(asWaymark, "1")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if lock != "" {
		if err := os.WriteFile(filepath.Join(dir, lockfile.FileName), []byte(lock), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return discovery.Env{Dir: dir, Self: self, Version: "0.1.0"}
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

func TestList(t *testing.T) {
	for name, lock := range map[string]string{
		"list_uninitialized.txt": "",
		"list_locked.txt":        "provider \"acme/slack\" {\n  version = \"1.2.0\"\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			s, out, _ := cmdutil.Test()
			if err := providerscmd.Run(s, &providerscmd.Options{Env: env(t, lock)}); err != nil {
				t.Fatal(err)
			}
			golden(t, name, out.String())
		})
	}
}

func TestSchema(t *testing.T) {
	tests := []struct {
		golden string
		opts   providerscmd.Options
	}{
		{"schema_smtp.txt", providerscmd.Options{Name: "smtp"}},
		{"schema_inbound.txt", providerscmd.Options{Name: "waymark/inbound"}},
		{"schema_webhook.json", providerscmd.Options{Name: "webhook", JSON: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			s, out, _ := cmdutil.Test()
			opts := tt.opts
			opts.Env = env(t, "")
			if err := providerscmd.RunSchema(context.Background(), s, &opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, out.String())
		})
	}
	s, _, _ := cmdutil.Test()
	err := providerscmd.RunSchema(context.Background(), s, &providerscmd.Options{Name: "chat", Env: env(t, "")})
	if err == nil || !strings.Contains(err.Error(), `run "waymark init"`) {
		t.Errorf("schema of an uninstalled provider: %v", err)
	}
	err = providerscmd.RunSchema(context.Background(), s, &providerscmd.Options{Name: "fax", Env: env(t, "")})
	if err == nil || !strings.Contains(err.Error(), `no provider "fax"`) {
		t.Errorf("schema of an unknown provider: %v", err)
	}
}
