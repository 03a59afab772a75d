package graph_test

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/graph"
	"github.com/waymarkhq/waymark/planner/plannertest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func load(t *testing.T) *deploy.Document {
	t.Helper()
	src, err := os.ReadFile("testdata/journeys/main.wm.hcl")
	if err != nil {
		t.Fatal(err)
	}
	return plannertest.Load(t, "testdata/journeys", map[string]string{"main.wm.hcl": string(src)}).Document
}

func TestGolden(t *testing.T) {
	d := load(t)
	for _, tc := range []struct {
		name   string
		render func(io.Writer, *deploy.Document) error
	}{
		{"journeys.dot", graph.DOT},
		{"journeys.mmd", graph.Mermaid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tc.render(&buf, d); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs (run with -update to accept):\n%s", path, buf.Bytes())
			}
		})
	}
}

// What the graphs must say, whatever their layout: every stage, action and
// used channel once, stages chained in order, a condition never shown.
func TestContent(t *testing.T) {
	d := load(t)
	var dot, mmd bytes.Buffer
	if err := graph.DOT(&dot, d); err != nil {
		t.Fatal(err)
	}
	if err := graph.Mermaid(&mmd, d); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"journey.cart_recovery.stage.browsing" -> "journey.cart_recovery.stage.checkout";`,
		`"journey.cart_recovery.stage.checkout" -> "journey.cart_recovery.stage.rescue";`,
		`"journey.cart_recovery.stage.checkout" -> "journey.cart_recovery.stage.rescue" [style=dashed, label="timeout 2h"];`,
		`"journey.cart_recovery.action.reminder_email" -> "channel.email";`,
		`"journey.onboarding.action.alert_team" -> "channel.ops";`,
		`label="stage rescue (timeout 1d)"`,
	} {
		if !strings.Contains(dot.String(), want) {
			t.Errorf("DOT lacks %s", want)
		}
	}
	for _, want := range []string{"j1_s1 --> j1_s2", "j1_s2 --> j1_s3", `j1_s2 -.->|"timeout 2h"| j1_s3`, "j1_a1 --> c1", "j2_a1 --> c2", `c3[("channel web (inbound)")]`} {
		if !strings.Contains(mmd.String(), want) {
			t.Errorf("Mermaid lacks %s", want)
		}
	}
	for _, out := range []string{dot.String(), mmd.String()} {
		if strings.Contains(out, "cart_value > 20") || strings.Contains(out, "gold") {
			t.Errorf("a graph shows a condition:\n%s", out)
		}
	}
	// An empty Document draws an empty graph.
	var empty bytes.Buffer
	if err := graph.Mermaid(&empty, &deploy.Document{}); err != nil || empty.String() != "flowchart LR\n" {
		t.Errorf("empty Mermaid: %q, %v", empty.String(), err)
	}
}
