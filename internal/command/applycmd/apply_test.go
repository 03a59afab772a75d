package applycmd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/applycmd"
	"github.com/waymarkhq/waymark/internal/command/cfgload"
	"github.com/waymarkhq/waymark/internal/command/plancmd"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/providers/builtin"
)

const config = `
waymark {
  stack = "growth"
}
variable "value" {
  type    = number
  default = 1
}
event "cart_updated" {}
channel "web" {
  provider = inbound
}
journey "cart" {
  entry { event = event.cart_updated }
  stage "browsing" {}
  action "banner" {
    channel = channel.web
    stages  = [stage.browsing]
    value   = var.value
  }
}
`

// fixture is a configuration directory and a runtime.
type fixture struct {
	t    *testing.T
	dir  string
	addr string
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.wm.hcl"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, addr: rttest.Start(t)}
}

// streams are test streams whose environment points at the runtime.
func (f *fixture) streams(in string) (*cmdutil.Streams, *bytes.Buffer, *bytes.Buffer) {
	s, out, errb := cmdutil.Test()
	s.In = strings.NewReader(in)
	s.Getenv = func(k string) string {
		if k == "WAYMARK_ADDR" {
			return f.addr
		}
		return ""
	}
	return s, out, errb
}

func (f *fixture) vars(value int) cfgload.Vars {
	return cfgload.Vars{Args: []lang.VarArg{{Name: "value", Value: fmt.Sprint(value)}}}
}

func (f *fixture) apply(opts applycmd.Options) (string, error) {
	f.t.Helper()
	s, out, _ := f.streams("")
	opts.Dir, opts.Providers = f.dir, builtin.Schemas(version.Version)
	err := applycmd.Run(context.Background(), s, &opts)
	return out.String(), err
}

func (f *fixture) savePlan(value int, name string) string {
	f.t.Helper()
	s, _, errb := f.streams("")
	path := filepath.Join(f.t.TempDir(), name)
	err := plancmd.Run(context.Background(), s, &plancmd.Options{Dir: f.dir, Out: path, Vars: f.vars(value), Providers: builtin.Schemas(version.Version)})
	if err != nil {
		f.t.Fatalf("plan: %v\n%s", err, errb)
	}
	return path
}

func (f *fixture) serial() int64 {
	f.t.Helper()
	dep, err := rtclient.New(func(string) string { return f.addr }, "").Stack(context.Background(), "growth")
	if err != nil {
		f.t.Fatal(err)
	}
	return dep.Serial
}

// outcome counts the winners and the stale losers of concurrent applies.
func outcome(t *testing.T, errs []error) (won, stale int) {
	t.Helper()
	for _, err := range errs {
		var se *planner.StaleError
		switch {
		case err == nil:
			won++
		case errors.As(err, &se):
			stale++
			if !strings.Contains(err.Error(), "the plan is stale: the stack was changed by deployment") {
				t.Errorf("stale error %q", err)
			}
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	return won, stale
}

// Two saved plans made against the same deployment, applied at once:
// exactly one wins, whichever order the runtime sees them in, and the
// other fails as stale without deploying anything.
func TestConcurrentSavedPlans(t *testing.T) {
	f := newFixture(t)
	if _, err := f.apply(applycmd.Options{AutoApprove: true}); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		base := f.serial()
		plans := []string{f.savePlan(10+round, "a.plan"), f.savePlan(20+round, "b.plan")}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, path := range plans {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = f.apply(applycmd.Options{PlanFile: path})
			}()
		}
		wg.Wait()
		if won, stale := outcome(t, errs); won != 1 || stale != 1 {
			t.Fatalf("round %d: %d won, %d stale; want 1 and 1", round, won, stale)
		}
		if got := f.serial(); got != base+1 {
			t.Fatalf("round %d: serial %d after the race, want %d", round, got, base+1)
		}
	}
}

// gate holds every Deploy until n have been asked for, so that each apply
// has passed its own check of the serial and only the runtime's atomic
// check decides.
type gate struct {
	planner.Runtime
	wg *sync.WaitGroup
}

func (g gate) Deploy(ctx context.Context, stack string, base int64, doc *deploy.Document) (int64, error) {
	g.wg.Done()
	g.wg.Wait()
	return g.Runtime.Deploy(ctx, stack, base, doc)
}

// Two applies that plan, approve and deploy at once: the runtime lets
// exactly one of them activate.
func TestConcurrentApplies(t *testing.T) {
	f := newFixture(t)
	if _, err := f.apply(applycmd.Options{AutoApprove: true}); err != nil {
		t.Fatal(err)
	}
	var both sync.WaitGroup
	both.Add(2)
	rt := gate{Runtime: rtclient.New(func(string) string { return f.addr }, ""), wg: &both}
	errs := make([]error, 2)
	outs := make([]string, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = f.apply(applycmd.Options{AutoApprove: true, Vars: f.vars(2 + i), Runtime: rt})
		}()
	}
	wg.Wait()
	if won, stale := outcome(t, errs); won != 1 || stale != 1 {
		t.Fatalf("%d won, %d stale; want 1 and 1", won, stale)
	}
	for i, err := range errs {
		if err == nil && !strings.Contains(outs[i], `Stack "growth" is now at deployment 2.`) {
			t.Errorf("the winner's output:\n%s", outs[i])
		}
	}
	if got := f.serial(); got != 2 {
		t.Errorf("serial %d, want 2", got)
	}
}

// apply asks, and deploys only on yes; without a terminal it refuses.
func TestApprove(t *testing.T) {
	cases := []struct {
		name        string
		interactive bool
		answer      string
		deployed    bool
		out, err    string
	}{
		{"yes", true, "yes\n", true, "Apply complete! Resources: 5 added, 0 changed, 0 destroyed.", ""},
		{"yes without a newline", true, "yes", true, "Apply complete!", ""},
		{"no", true, "no\n", false, "Apply cancelled.", "exit status 1"},
		{"nothing", true, "", false, "Apply cancelled.", "exit status 1"},
		{"not a terminal", false, "yes\n", false, "", "waymark apply asks for yes before it changes the runtime, and standard input is not a terminal to answer on: pass -auto-approve to approve beforehand, or run it in a terminal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			s, out, _ := f.streams(tc.answer)
			err := applycmd.Run(context.Background(), s, &applycmd.Options{Dir: f.dir, Providers: builtin.Schemas(version.Version), Interactive: tc.interactive})
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("output lacks %q:\n%s", tc.out, out)
			}
			if tc.interactive && !strings.Contains(out.String(), "Do you want to perform these actions?\n  Waymark will perform the actions described above on stack \"growth\".\n  Only 'yes' will be accepted to approve.") {
				t.Errorf("no question asked:\n%s", out)
			}
			if got, want := f.serial() == 1, tc.deployed; got != want {
				t.Errorf("deployed %v, want %v", got, want)
			}
		})
	}
}
