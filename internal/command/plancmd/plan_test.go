package plancmd_test

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang/provschema"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/providers/builtin"
)

// asWaymark makes a re-executed test binary the waymark binary, so that
// the benchmark runs the runtime, the built-in providers and the commands
// themselves as real processes.
const asWaymark = "WAYMARK_PLANCMD_TEST_AS_WAYMARK"

func TestMain(m *testing.M) {
	if os.Getenv(asWaymark) != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := command.Main(ctx, os.Args[1:], cmdutil.System())
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

const lockedConfig = `
waymark {
  stack = "growth"
  required_providers {
    chat = { source = "acme/slack", version = "~> 1.0" }
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

const lock = `provider "acme/slack" {
  version     = "1.2.0"
  constraints = "~> 1.0"
  hashes = [
    "sha256:2222222222222222222222222222222222222222222222222222222222222222",
    "sha256:1111111111111111111111111111111111111111111111111111111111111111",
  ]
}
`

// The deployment names each locked provider with the hashes that the lock
// file accepts; a built-in provider, which the lock does not record, has
// none.
func TestLockedHashes(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"main.wm.hcl": lockedConfig, ".waymark.lock.hcl": lock} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	schemas := builtin.Schemas(version.Version)
	schemas["acme/slack"] = &provschema.Schema{Provider: "acme/slack", Version: "1.2.0", Delivers: true,
		Channel: []provschema.Attribute{{Name: "url", Type: cty.String, Required: true}}}
	s, _, errb := cmdutil.Test()
	l, err := plancmd.Load(context.Background(), s, plancmd.Source{Dir: dir, Providers: schemas})
	if err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	got := map[string][]string{}
	for _, p := range l.Document.Providers {
		got[p.Name] = p.Hashes
	}
	want := []string{
		"sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"sha256:2222222222222222222222222222222222222222222222222222222222222222",
	}
	if !slices.Equal(got["chat"], want) {
		t.Errorf("chat's hashes %v, want %v", got["chat"], want)
	}
	if h, ok := got["inbound"]; !ok || len(h) != 0 {
		t.Errorf("inbound: present %v, hashes %v; want present without hashes", ok, h)
	}
}

// stackSignal is a planner.Runtime that signals each Stack call.
type stackSignal struct {
	*plannertest.Runtime
	asked chan string
}

func (r *stackSignal) Stack(ctx context.Context, stack string) (*planner.Deployment, error) {
	r.asked <- stack
	return r.Runtime.Stack(ctx, stack)
}

// schemasAfterStack is a provider source whose first Schema call waits
// until the deployment has been asked for.
type schemasAfterStack struct {
	provschema.Static
	asked chan string
	once  sync.Once
	early bool
}

func (s *schemasAfterStack) Schema(ctx context.Context, name, source string) (*provschema.Schema, error) {
	s.once.Do(func() {
		select {
		case <-s.asked:
			s.early = true
		case <-time.After(10 * time.Second):
		}
	})
	return s.Static.Schema(ctx, name, source)
}

// Make asks the runtime for the deployment once the waymark block is read,
// while the rest of the configuration loads (before the channels' provider
// schemas are asked for), and once only.
func TestMakeFetchesStackEarly(t *testing.T) {
	dir := t.TempDir()
	config := "waymark {\n  stack = \"growth\"\n}\nchannel \"web\" {\n  provider = inbound\n}\nevent \"order_placed\" {}\n"
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, _, errb := cmdutil.Test()
	prior, err := plancmd.Load(ctx, s, plancmd.Source{Dir: dir, Providers: builtin.Schemas(version.Version)})
	if err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	rt := &stackSignal{Runtime: &plannertest.Runtime{}, asked: make(chan string, 4)}
	if _, err := rt.Runtime.Deploy(ctx, "growth", 0, prior.Document); err != nil {
		t.Fatal(err)
	}
	src := &schemasAfterStack{Static: builtin.Schemas(version.Version), asked: rt.asked}
	p, _, err := plancmd.Make(ctx, s, plancmd.Request{Source: plancmd.Source{Dir: dir, Providers: src}, Runtime: rt})
	if err != nil {
		t.Fatalf("%v\n%s", err, errb)
	}
	if !src.early {
		t.Error("the deployment was not asked for before the provider schemas")
	}
	if p.HasChanges() || p.BaseSerial != 1 {
		t.Errorf("plan against deployment %d has changes: %+v", p.BaseSerial, p.Summary())
	}
	if n := len(rt.asked); n != 0 {
		t.Errorf("the deployment was asked for %d more times", n)
	}
}
