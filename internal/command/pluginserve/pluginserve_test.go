package pluginserve_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/pluginserve"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/providers/builtin"
	"github.com/waymarkhq/waymark/providers/discovery"
	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/providers/lockfile"
)

// asWaymark makes a re-executed test binary behave as the waymark binary
// with only the hidden command.
const asWaymark = "WAYMARK_PLUGINSERVE_TEST_AS_WAYMARK"

func TestMain(m *testing.M) {
	if os.Getenv(asWaymark) != "" {
		root := &cobra.Command{Use: "waymark", SilenceUsage: true}
		root.AddCommand(pluginserve.New(cmdutil.System()))
		root.SetArgs(os.Args[1:])
		if err := root.Execute(); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBuiltinsServed runs every built-in provider the way the host runs
// them, as "waymark __provider NAME", and checks each serves its schema.
func TestBuiltinsServed(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	env := discovery.Env{Dir: t.TempDir(), Self: self, Version: version.Version}
	exes, err := env.Resolve(nil, lockfile.New())
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(host.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, e := range exes {
		e.Env = append(e.Env, asWaymark+"=1")
		if err := h.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	want := builtin.Schemas(version.Version)
	if len(exes) != len(want) {
		t.Fatalf("%d built-in executables, want %d", len(exes), len(want))
	}
	for src, w := range want {
		got, err := h.Schema(context.Background(), "", src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got.Provider != w.Provider || got.Version != version.Version || got.Delivers != w.Delivers || len(got.Channel) != len(w.Channel) || len(got.Message) != len(w.Message) {
			t.Errorf("%s: schema %+v, want %+v", src, got, w)
		}
		for _, a := range w.Channel {
			if g := got.ChannelAttribute(a.Name); g == nil || !g.Type.Equals(a.Type) || g.Sensitive != a.Sensitive || g.PerDelivery != a.PerDelivery {
				t.Errorf("%s: channel attribute %s = %+v, want %+v", src, a.Name, g, a)
			}
		}
	}
}

func TestUnknownBuiltin(t *testing.T) {
	cmd := pluginserve.New(cmdutil.System())
	cmd.SetArgs([]string{"fax"})
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	if err == nil || !strings.Contains(err.Error(), `no built-in provider "fax"`) {
		t.Errorf("error %v", err)
	}
}
