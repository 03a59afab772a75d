package planner_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
)

func now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func plan(t *testing.T, rt planner.Runtime, d *deploy.Document, opts planner.Options) *plans.Plan {
	t.Helper()
	opts.Now = now
	p, err := planner.Plan(context.Background(), rt, d, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func apply(t *testing.T, rt planner.Runtime, p *plans.Plan) int64 {
	t.Helper()
	serial, err := planner.Apply(context.Background(), rt, p)
	if err != nil {
		t.Fatal(err)
	}
	return serial
}

// Plan, apply, plan again: the second plan has nothing to do, and applying
// it deploys nothing.
func TestPlanApplyCycle(t *testing.T) {
	rt := &plannertest.Runtime{}
	d := doc(t, journey+strings.Replace(secretChannel, "%s", "pw", 1))

	p := plan(t, rt, d, planner.Options{WaymarkVersion: "9.9.9"})
	if p.BaseSerial != 0 || p.Prior != nil || !p.HasChanges() || p.Stack != "growth" {
		t.Fatalf("first plan: base %d, prior %v, changes %v, stack %q", p.BaseSerial, p.Prior, p.HasChanges(), p.Stack)
	}
	if p.WaymarkVersion != "9.9.9" || !p.CreatedAt.Equal(now()) || p.FormatVersion != plans.FormatVersion {
		t.Errorf("plan metadata: %q %v %d", p.WaymarkVersion, p.CreatedAt, p.FormatVersion)
	}
	if s := p.Summary(); s.Add != len(d.Objects) || s.Change+s.Destroy != 0 {
		t.Errorf("summary %+v, want %d to add", s, len(d.Objects))
	}
	if serial := apply(t, rt, p); serial != 1 {
		t.Fatalf("serial after the first apply = %d, want 1", serial)
	}

	again := plan(t, rt, d, planner.Options{})
	if again.HasChanges() {
		t.Errorf("second plan has changes: %+v %+v", again.Summary(), again.ProviderChanges)
	}
	if again.BaseSerial != 1 || again.Prior == nil {
		t.Errorf("second plan: base %d, prior %v", again.BaseSerial, again.Prior)
	}
	if serial := apply(t, rt, again); serial != 1 || rt.Deploys != 1 {
		t.Errorf("applying an empty plan: serial %d, %d deployments; want 1 and 1", serial, rt.Deploys)
	}
}

// A saved plan made before another deployment is refused as stale, with the
// message the CLI specification gives.
func TestApplyStalePlan(t *testing.T) {
	rt := &plannertest.Runtime{}
	apply(t, rt, plan(t, rt, doc(t, journey), planner.Options{}))
	changed := doc(t, strings.Replace(journey, `window = "7d"`, `window = "14d"`, 1))
	stale := plan(t, rt, changed, planner.Options{})
	apply(t, rt, plan(t, rt, doc(t, ""), planner.Options{})) // someone else deploys
	_, err := planner.Apply(context.Background(), rt, stale)
	var se *planner.StaleError
	if !errors.As(err, &se) || se.Serial != 2 || se.BaseSerial != 1 {
		t.Fatalf("Apply of a stale plan: %v", err)
	}
	if want := "the plan is stale: the stack was changed by deployment 2 after this plan was made"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if rt.Deploys != 2 {
		t.Errorf("%d deployments, want 2: the stale plan must deploy nothing", rt.Deploys)
	}
}

// Two applies of plans made against the same deployment, at once: exactly
// one wins, the other is refused as stale.
func TestApplyRace(t *testing.T) {
	for round := 0; round < 20; round++ {
		rt := &plannertest.Runtime{}
		apply(t, rt, plan(t, rt, doc(t, journey), planner.Options{}))
		a := plan(t, rt, doc(t, strings.Replace(journey, `window = "7d"`, `window = "1d"`, 1)), planner.Options{})
		b := plan(t, rt, doc(t, strings.Replace(journey, `window = "7d"`, `window = "2d"`, 1)), planner.Options{})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []*plans.Plan{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = planner.Apply(context.Background(), rt, p)
			}()
		}
		wg.Wait()
		won, stale := 0, 0
		for _, err := range errs {
			var se *planner.StaleError
			switch {
			case err == nil:
				won++
			case errors.As(err, &se):
				stale++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if won != 1 || stale != 1 || rt.Deploys != 2 {
			t.Fatalf("round %d: %d won, %d stale, %d deployments; want 1, 1, 2", round, won, stale, rt.Deploys)
		}
	}
}

// The runtime's counts of customers in flight reach the changes that remove
// or move a journey or a stage, and only those.
func TestPlanImpact(t *testing.T) {
	rt := &plannertest.Runtime{}
	apply(t, rt, plan(t, rt, doc(t, journey), planner.Options{}))
	rt.SetCustomers("growth", "journey.j.stage.a", 4)
	rt.SetCustomers("growth", "journey.j.stage.b", 41)
	rt.SetCustomers("growth", "journey.j.stage.c", 7)
	desired := strings.Replace(journey, "stage \"b\" {}\n", "", 1)
	desired = strings.Replace(desired, "stage \"c\" {}", "stage \"see\" {}", 1)
	desired += "moved {\n  from = journey.j.stage.c\n  to   = journey.j.stage.see\n}\n"
	p := plan(t, rt, doc(t, desired), planner.Options{})
	want := map[string]int64{"journey.j.stage.b": 41, "journey.j.stage.see": 7}
	for _, c := range p.Changes {
		n, ok := want[c.Address]
		switch {
		case ok && (c.Impact == nil || c.Impact.Customers != n):
			t.Errorf("%s: impact %v, want %d customers", c.Address, c.Impact, n)
		case !ok && c.Impact != nil:
			t.Errorf("%s: impact %v, want none", c.Address, c.Impact)
		}
	}
}

// A destroy plan removes every object; applying it removes the stack.
func TestPlanDestroy(t *testing.T) {
	rt := &plannertest.Runtime{}
	d := doc(t, journey)
	apply(t, rt, plan(t, rt, d, planner.Options{}))
	p := plan(t, rt, d, planner.Options{Destroy: true})
	if !p.Destroy || len(p.Desired.Objects) != 0 || p.Desired.Stack != "growth" {
		t.Fatalf("destroy plan: %v, %d objects, stack %q", p.Destroy, len(p.Desired.Objects), p.Desired.Stack)
	}
	if s := p.Summary(); s.Destroy != len(d.Objects) || s.Add+s.Change != 0 {
		t.Errorf("summary %+v, want %d to destroy", s, len(d.Objects))
	}
	apply(t, rt, p)
	dep, err := rt.Stack(context.Background(), "growth")
	if err != nil {
		t.Fatal(err)
	}
	if len(dep.Document.Objects) != 0 {
		t.Errorf("%d objects left", len(dep.Document.Objects))
	}
}

// Failing runtimes give errors that say what failed.
func TestPlanRuntimeErrors(t *testing.T) {
	boom := errors.New("connection refused")
	_, err := planner.Plan(context.Background(), failing{stack: boom}, doc(t, ""), planner.Options{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `reading the deployment of stack "growth"`) {
		t.Errorf("Stack failure: %v", err)
	}
	rt := &plannertest.Runtime{}
	apply(t, rt, plan(t, rt, doc(t, journey), planner.Options{}))
	_, err = planner.Plan(context.Background(), failing{Runtime: rt, impact: boom}, doc(t, ""), planner.Options{})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "how many customers") {
		t.Errorf("Impact failure: %v", err)
	}
	p := plan(t, rt, doc(t, ""), planner.Options{})
	_, err = planner.Apply(context.Background(), failing{Runtime: rt, deploy: boom}, p)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `deploying stack "growth"`) {
		t.Errorf("Deploy failure: %v", err)
	}
}

// failing is a runtime whose calls fail with the errors set.
type failing struct {
	*plannertest.Runtime
	stack, impact, deploy error
}

func (f failing) Stack(ctx context.Context, s string) (*planner.Deployment, error) {
	if f.stack != nil {
		return nil, f.stack
	}
	return f.Runtime.Stack(ctx, s)
}

func (f failing) Impact(ctx context.Context, s string, d *deploy.Document) ([]planner.Impact, error) {
	if f.impact != nil {
		return nil, f.impact
	}
	return f.Runtime.Impact(ctx, s, d)
}

func (f failing) Deploy(ctx context.Context, s string, base int64, d *deploy.Document) (int64, error) {
	if f.deploy != nil {
		return 0, f.deploy
	}
	return f.Runtime.Deploy(ctx, s, base, d)
}

// Variables are recorded with their JSON values; a sensitive one is flagged.
func TestVariables(t *testing.T) {
	cfg := plannertest.Load(t, ".", map[string]string{
		"base.wm.hcl": base,
		"main.wm.hcl": strings.Replace(secretChannel, "%s", "pw", 1) + "variable \"n\" {\n  default = 3\n}\n",
	})
	vars, err := planner.Variables(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if v := vars["n"]; string(v.Value) != "3" || v.Sensitive {
		t.Errorf("n = %s (sensitive %v)", v.Value, v.Sensitive)
	}
	if v := vars["password"]; string(v.Value) != `"pw"` || !v.Sensitive {
		t.Errorf("password = %s (sensitive %v)", v.Value, v.Sensitive)
	}
}
