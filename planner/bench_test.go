package planner_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang"
	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/planner/plans"
	"github.com/waymarkhq/waymark/planner/views"
)

// The quality target (quality.md): validate + plan of 1,000 journeys with
// 10,000 actions against a runtime that has them, in at most 2 s.
const (
	benchJourneys          = 1000
	benchActionsPerJourney = 10
)

// benchDocument builds, without the loader, a stack of 1,000 journeys of 3
// stages, 10 actions and a KPI each. variant changes one action's value in
// every tenth journey.
func benchDocument(variant bool) *deploy.Document {
	d := &deploy.Document{FormatVersion: deploy.FormatVersion, Stack: "bench"}
	add := func(o deploy.Object) { d.Objects = append(d.Objects, o) }
	add(deploy.Object{Address: "customer.attribute.tier", Kind: deploy.KindCustomerAttribute,
		CustomerAttribute: &deploy.CustomerAttribute{Name: "tier", Type: "string"}})
	add(deploy.Object{Address: "event.cart_updated", Kind: deploy.KindEvent, Event: &deploy.Event{Name: "cart_updated",
		Attributes: []deploy.EventAttribute{{Name: "cart_value", Type: "number"}}}})
	add(deploy.Object{Address: "channel.web", Kind: deploy.KindChannel, Channel: &deploy.Channel{Name: "web", Provider: "inbound", Source: "waymark/inbound"}})
	stages := []string{"browsing", "checkout", "paying"}
	for j := 0; j < benchJourneys; j++ {
		jn := fmt.Sprintf("j%04d", j)
		add(deploy.Object{Address: "journey." + jn, Kind: deploy.KindJourney, Journey: &deploy.Journey{
			Name: jn, State: "active", Reentry: "never", Stages: stages,
			Entry: deploy.Criterion{Event: "cart_updated", Condition: "event.cart_value > 20"}}})
		for i, s := range stages {
			add(deploy.Object{Address: "journey." + jn + ".stage." + s, Kind: deploy.KindStage,
				Stage: &deploy.Stage{Journey: jn, Name: s, Index: i}})
		}
		for a := 0; a < benchActionsPerJourney; a++ {
			an := fmt.Sprintf("a%02d", a)
			value := "1"
			if variant && j%10 == 0 && a == 0 {
				value = "2"
			}
			add(deploy.Object{Address: "journey." + jn + ".action." + an, Kind: deploy.KindAction, Action: &deploy.Action{
				Journey: jn, Name: an, Channel: "web", Stages: stages[:2], Eligible: `customer.tier == "gold"`,
				Value: value, Lever: 1, Limit: &deploy.Limit{Max: 1, Per: "3d"}}})
		}
		add(deploy.Object{Address: "journey." + jn + ".kpi.conversion", Kind: deploy.KindKPI, KPI: &deploy.KPI{
			Journey: jn, Name: "conversion", Metric: deploy.Metric{Function: "rate", Event: "cart_updated", Source: "rate(event.cart_updated)"}, Window: "7d"}})
	}
	d.Normalize()
	return d
}

// BenchmarkDiffRender: Diff and the human rendering of a stack of 1,000
// journeys and 10,000 actions, against its deployment with 100 actions
// changed.
func BenchmarkDiffRender(b *testing.B) {
	prior := &planner.Deployment{Serial: 1, Document: benchDocument(false)}
	desired := benchDocument(true)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := plannertest.CPUTime()
	for b.Loop() {
		changes, err := planner.Diff(prior, desired)
		if err != nil {
			b.Fatal(err)
		}
		p := planFrom(changes, desired)
		if s := p.Summary(); s.Change != benchJourneys/10 {
			b.Fatalf("%d changes, want %d", s.Change, benchJourneys/10)
		}
		if err := views.Human(io.Discard, p, views.HumanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// BenchmarkPlan: what `waymark plan` does after validation: read the
// deployment from the runtime's wire form, diff, ask for impacts, render.
func BenchmarkPlan(b *testing.B) {
	ctx := context.Background()
	rt := &plannertest.Runtime{}
	if _, err := rt.Deploy(ctx, "bench", 0, benchDocument(false)); err != nil {
		b.Fatal(err)
	}
	desired := benchDocument(true)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := plannertest.CPUTime()
	for b.Loop() {
		p, err := planner.Plan(ctx, rt, desired, planner.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if s := p.Summary(); s.Change != benchJourneys/10 {
			b.Fatalf("%d changes, want %d", s.Change, benchJourneys/10)
		}
		if err := views.Human(io.Discard, p, views.HumanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// benchConfig is the same stack as HCL, for the loader.
func benchConfig(variant bool) string {
	return benchHeader + benchJourneyText(variant, 0, benchJourneys)
}

const benchHeader = `waymark {
  stack = "bench"
}
customer {
  attribute "tier" { type = string }
}
event "cart_updated" {
  attribute "cart_value" { type = number }
}
channel "web" {
  provider = inbound
}
`

// benchJourneyText is the HCL of journeys from to to-1.
func benchJourneyText(variant bool, from, to int) string {
	var sb strings.Builder
	for j := from; j < to; j++ {
		fmt.Fprintf(&sb, "journey \"j%04d\" {\n  entry {\n    event     = event.cart_updated\n    condition = event.cart_value > 20\n  }\n", j)
		sb.WriteString("  stage \"browsing\" {}\n  stage \"checkout\" {}\n  stage \"paying\" {}\n")
		for a := 0; a < benchActionsPerJourney; a++ {
			value := 1
			if variant && j%10 == 0 && a == 0 {
				value = 2
			}
			fmt.Fprintf(&sb, "  action \"a%02d\" {\n    channel  = channel.web\n    stages   = [stage.browsing, stage.checkout]\n    eligible = customer.tier == \"gold\"\n    value    = %d\n    limit {\n      max = 1\n      per = \"3d\"\n    }\n  }\n", a, value)
		}
		sb.WriteString("  kpi \"conversion\" {\n    metric = rate(event.cart_updated)\n    window = \"7d\"\n  }\n}\n")
	}
	return sb.String()
}

// benchFiles is the same stack as benchConfig spread over files as a team
// might keep it: the schema in main.wm.hcl, 100 journeys in each of
// journeys_00.wm.hcl to journeys_09.wm.hcl.
func benchFiles(variant bool) map[string][]byte {
	files := map[string][]byte{"main.wm.hcl": []byte(benchHeader)}
	const n = 10
	per := benchJourneys / n
	for f := 0; f < n; f++ {
		files[fmt.Sprintf("journeys_%02d.wm.hcl", f)] = []byte(benchJourneyText(variant, f*per, (f+1)*per))
	}
	return files
}

// BenchmarkValidatePlan: the whole of `waymark plan` but the network: load
// and validate the configuration of 1,000 journeys and 10,000 actions, read
// the deployment (withheld form, as from the API), diff, ask for impacts,
// render. The target (issue #14) is 1 s.
func BenchmarkValidatePlan(b *testing.B) {
	benchValidatePlan(b, func(variant bool) map[string][]byte {
		return map[string][]byte{"main.wm.hcl": []byte(benchConfig(variant))}
	})
}

// BenchmarkValidatePlanFiles is BenchmarkValidatePlan with the
// configuration in 11 files (benchFiles) rather than one.
func BenchmarkValidatePlanFiles(b *testing.B) { benchValidatePlan(b, benchFiles) }

// benchValidatePlan deploys the stack of files(false), then loads, plans
// and renders files(true) against it, once an operation.
func benchValidatePlan(b *testing.B, files func(variant bool) map[string][]byte) {
	ctx := context.Background()
	rt := &plannertest.Runtime{}
	prior, diags := lang.LoadSources(ctx, ".", files(false), plannertest.Options())
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	if _, err := rt.Deploy(ctx, "bench", 0, prior.Document); err != nil {
		b.Fatal(err)
	}
	src := files(true)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := plannertest.CPUTime()
	for b.Loop() {
		cfg, diags := lang.LoadSources(ctx, ".", src, plannertest.Options())
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		p, err := planner.Plan(ctx, rt, cfg.Document, planner.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if s := p.Summary(); s.Change != benchJourneys/10 {
			b.Fatalf("%d changes, want %d", s.Change, benchJourneys/10)
		}
		if err := views.Human(io.Discard, p, views.HumanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}

// reportCPU reports the CPU time per operation since cpu, which the wall
// time of a shared machine does not tell.
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric((plannertest.CPUTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

func planFrom(changes []plans.Change, desired *deploy.Document) *plans.Plan {
	return &plans.Plan{Stack: desired.Stack, Desired: desired, Changes: changes}
}

// benchModuleDir writes the same stack as a module called with for_each
// over 1,000 keys, its 10 actions made by for_each too.
func benchModuleDir(b *testing.B, variant bool) string {
	dir := b.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	changed := "{}"
	if variant {
		changed = "{ for j in range(0, 1000, 10) : format(\"j%04d\", j) => true }"
	}
	write("main.wm.hcl", `waymark {
  stack = "bench"
}
customer {
  attribute "tier" { type = string }
}
event "cart_updated" {
  attribute "cart_value" { type = number }
}
channel "web" {
  provider = inbound
}
locals {
  changed = `+changed+`
}
module "cart" {
  source   = "./modules/cart"
  for_each = toset([for j in range(1000) : format("j%04d", j)])
  bumped   = lookup(local.changed, each.key, false)
}
`)
	write("modules/cart/main.wm.hcl", `variable "bumped" { type = bool }
journey "cart" {
  entry {
    event     = event.cart_updated
    condition = event.cart_value > 20
  }
  stage "browsing" {}
  stage "checkout" {}
  stage "paying" {}
  action "a" {
    for_each = { for a in range(10) : format("%02d", a) => a }
    channel  = channel.web
    stages   = [stage.browsing, stage.checkout]
    eligible = customer.tier == "gold"
    value    = var.bumped && each.value == 0 ? 2 : 1
    limit {
      max = 1
      per = "3d"
    }
  }
  kpi "conversion" {
    metric = rate(event.cart_updated)
    window = "7d"
  }
}
`)
	return dir
}

// BenchmarkValidatePlanModule is BenchmarkValidatePlan with the journeys
// and actions made by for_each, over a module.
func BenchmarkValidatePlanModule(b *testing.B) {
	ctx := context.Background()
	rt := &plannertest.Runtime{}
	prior, diags := lang.Load(ctx, benchModuleDir(b, false), plannertest.Options())
	if diags.HasErrors() {
		b.Fatal(diags.Error())
	}
	if n := len(prior.Document.Objects); n < benchJourneys*(benchActionsPerJourney+5) {
		b.Fatalf("%d objects, want the 1,000 journeys' %d", n, benchJourneys*(benchActionsPerJourney+5))
	}
	if _, err := rt.Deploy(ctx, "bench", 0, prior.Document); err != nil {
		b.Fatal(err)
	}
	dir := benchModuleDir(b, true)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := plannertest.CPUTime()
	for b.Loop() {
		cfg, diags := lang.Load(ctx, dir, plannertest.Options())
		if diags.HasErrors() {
			b.Fatal(diags.Error())
		}
		p, err := planner.Plan(ctx, rt, cfg.Document, planner.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if s := p.Summary(); s.Change != benchJourneys/10 {
			b.Fatalf("%d changes, want %d", s.Change, benchJourneys/10)
		}
		if err := views.Human(io.Discard, p, views.HumanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu)
}
