package planfile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/planfile"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

const scenarios = "../views/testdata/plans"

func scenario(t *testing.T, name string) (*plannertest.Scenario, *plannertest.Runtime, *plans.Plan) {
	t.Helper()
	s := plannertest.ReadScenario(t, filepath.Join(scenarios, name+".txtar"), plannertest.ReadBase(t, scenarios))
	rt := s.Runtime(t, scenarios)
	cfg := plannertest.Load(t, scenarios, s.Desired)
	vars, err := planner.Variables(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Plan(context.Background(), rt, cfg.Document, planner.Options{Variables: vars, Now: plannertest.CreatedAt})
	if err != nil {
		t.Fatal(err)
	}
	return s, rt, p
}

// A plan read back renders as it did when it was made, and applies.
func TestRoundTrip(t *testing.T) {
	for _, name := range []string{"channel", "move", "spec_example", "create_everything", "sensitive"} {
		t.Run(name, func(t *testing.T) {
			_, rt, p := scenario(t, name)
			path := filepath.Join(t.TempDir(), "plan.out")
			if err := planfile.Write(path, p); err != nil {
				t.Fatal(err)
			}
			info, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("mode %v, want 0600", info.Mode().Perm())
			}
			back, err := planfile.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, view := range []func(*plans.Plan) []byte{
				func(p *plans.Plan) []byte {
					var b bytes.Buffer
					views.Human(&b, p, views.HumanOptions{})
					return b.Bytes()
				},
				func(p *plans.Plan) []byte { b, _ := views.MarshalJSON(p); return b },
			} {
				if want, got := view(p), view(back); !bytes.Equal(want, got) {
					t.Errorf("the plan read back renders otherwise:\n%s\n--- was ---\n%s", got, want)
				}
			}
			if (len(p.Variables) > 0 || len(back.Variables) > 0) && !reflect.DeepEqual(p.Variables, back.Variables) || back.BaseSerial != p.BaseSerial || back.WaymarkVersion != p.WaymarkVersion {
				t.Errorf("variables, base serial or version differ: %v %d %q", back.Variables, back.BaseSerial, back.WaymarkVersion)
			}
			want, _ := p.Desired.Encode()
			got, _ := back.Desired.Encode()
			if !bytes.Equal(want, got) {
				t.Error("the desired Document read back differs")
			}
			if _, err := planner.Apply(context.Background(), rt, back); err != nil {
				t.Errorf("applying the plan read back: %v", err)
			}
		})
	}
}

// Writing over an existing, more open file leaves a 0600 file.
func TestWriteReplacesWithPrivateMode(t *testing.T) {
	_, _, p := scenario(t, "spec_example")
	path := filepath.Join(t.TempDir(), "plan.out")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := planfile.Write(path, p); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the plan", len(entries))
	}
}

// A saved plan is refused as stale once the stack has moved on.
func TestSavedPlanGoesStale(t *testing.T) {
	_, rt, p := scenario(t, "spec_example")
	path := filepath.Join(t.TempDir(), "plan.out")
	if err := planfile.Write(path, p); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Deploy(context.Background(), "growth", p.BaseSerial, p.Prior); err != nil {
		t.Fatal(err)
	}
	back, err := planfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = planner.Apply(context.Background(), rt, back)
	var se *planner.StaleError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "changed by deployment 2 after this plan was made") {
		t.Errorf("Apply of a saved stale plan: %v", err)
	}
}

func TestReadRefuses(t *testing.T) {
	_, _, p := scenario(t, "spec_example")
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := planfile.Write(good, p); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(good)
	var generic map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	rewrite := func(f func(map[string]any)) []byte {
		m := map[string]any{}
		for k, v := range generic {
			m[k] = v
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	cases := []struct {
		name, want string
		data       []byte
	}{
		{"another format version", "has format version 2 (written by waymark 0.1.0); this waymark reads format version 1 only",
			rewrite(func(m map[string]any) { m["format_version"] = 2 })},
		{"not a plan", "is not a Waymark plan file", []byte(`{"format_version": "1.2", "resource_changes": []}`)},
		{"not JSON", "is not a Waymark plan file", []byte("PK\x03\x04")},
		{"empty", "is empty", nil},
		{"unknown field", `unknown field "surprise"`, rewrite(func(m map[string]any) { m["surprise"] = true })},
		{"a Document for another stack", `its configuration is for stack "growth", not "other"`,
			rewrite(func(m map[string]any) { m["stack"] = "other" })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := planfile.Read(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := planfile.Read(filepath.Join(dir, "missing")); err == nil {
		t.Error("Read of a missing file succeeded")
	}
}
