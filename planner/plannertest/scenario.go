package plannertest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plans"
)

// Scenario is a plan test case, read from a txtar archive whose files are:
//
//	prior/NAME.wm.hcl    the configuration deployed (none: never deployed)
//	desired/NAME.wm.hcl  the configuration planned
//	both/NAME.wm.hcl     a file of both
//	customers            lines "STAGE-ADDRESS COUNT": customers in flight
//	flags                words: destroy (plan the removal), nokey (the
//	                     runtime gives no digest key), nobase (leave out
//	                     the base configuration)
//	secrets              lines: sensitive values that no output may show
//
// The archive's comment says what the case shows.
type Scenario struct {
	Name           string
	Prior, Desired map[string]string // nil Prior: never deployed
	Customers      map[string]int64
	Destroy        bool
	NoDigestKey    bool
	Secrets        []string
}

// CreatedAt is the time of every scenario's plan.
func CreatedAt() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }

// ReadScenario reads the archive at path. base holds files added to both
// sides unless the flags say nobase.
func ReadScenario(t testing.TB, path string, base map[string]string) *Scenario {
	t.Helper()
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &Scenario{Name: strings.TrimSuffix(filepath.Base(path), ".txtar"), Desired: map[string]string{}, Customers: map[string]int64{}}
	both := map[string]string{}
	nobase := false
	for _, f := range a.Files {
		dir, name, _ := strings.Cut(f.Name, "/")
		switch {
		case dir == "prior":
			if s.Prior == nil {
				s.Prior = map[string]string{}
			}
			s.Prior[name] = string(f.Data)
		case dir == "desired":
			s.Desired[name] = string(f.Data)
		case dir == "both":
			both[name] = string(f.Data)
		case f.Name == "customers":
			for _, l := range lines(f.Data) {
				addr, n, _ := strings.Cut(l, " ")
				c, err := strconv.ParseInt(strings.TrimSpace(n), 10, 64)
				if err != nil {
					t.Fatalf("%s: customers: %q", path, l)
				}
				s.Customers[addr] = c
			}
		case f.Name == "flags":
			for _, w := range strings.Fields(string(f.Data)) {
				switch w {
				case "destroy":
					s.Destroy = true
				case "nokey":
					s.NoDigestKey = true
				case "nobase":
					nobase = true
				default:
					t.Fatalf("%s: unknown flag %q", path, w)
				}
			}
		case f.Name == "secrets":
			s.Secrets = lines(f.Data)
		default:
			t.Fatalf("%s: unexpected file %q", path, f.Name)
		}
	}
	if len(both) > 0 && s.Prior == nil {
		s.Prior = map[string]string{}
	}
	for _, side := range []map[string]string{s.Prior, s.Desired} {
		if side == nil {
			continue
		}
		for n, d := range both {
			side[n] = d
		}
		if !nobase {
			for n, d := range base {
				side[n] = d
			}
		}
	}
	return s
}

func lines(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// ReadBase reads the files of a base configuration directory.
func ReadBase(t testing.TB, dir string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.wm.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out["base_"+filepath.Base(p)] = string(b)
	}
	return out
}

// Runtime returns a runtime with the prior configuration deployed (when
// there is one) and the scenario's customers in flight.
func (s *Scenario) Runtime(t testing.TB, dir string) *Runtime {
	t.Helper()
	rt := &Runtime{NoDigestKey: s.NoDigestKey}
	stack := ""
	if s.Prior != nil {
		cfg := Load(t, dir, s.Prior)
		stack = cfg.Document.Stack
		if _, err := rt.Deploy(context.Background(), stack, 0, cfg.Document); err != nil {
			t.Fatal(err)
		}
	}
	for addr, n := range s.Customers {
		rt.SetCustomers(stack, addr, n)
	}
	return rt
}

// Plan plans the desired configuration against the scenario's runtime.
func (s *Scenario) Plan(t testing.TB, dir string) *plans.Plan {
	t.Helper()
	rt := s.Runtime(t, dir)
	cfg := Load(t, dir, s.Desired)
	vars, err := planner.Variables(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Plan(context.Background(), rt, cfg.Document, planner.Options{
		Variables: vars, Destroy: s.Destroy, Now: CreatedAt,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
