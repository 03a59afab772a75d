package ui

import (
	"fmt"
	"strings"

	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// journeyMap is a journey's map laid out for SVG: the entry, the stages
// in order with their actions, the goal, and the exits below; arrows
// carry the report's counts.
type journeyMap struct {
	Width, Height int
	Entry, Goal   mapNode
	Stages        []mapStage
	// Arrows run from the entry to the first stage, between consecutive
	// stages (moved on), and from the last stage to the goal (completed).
	Arrows []mapArrow
	// Drops run from each stage down to the exit band (dropped).
	Drops []mapArrow
	Exit  mapNode
	// Summary is the map in words, for the SVG's description.
	Summary string
}

type mapNode struct {
	X, Y, W, H int
	Label      string
	Detail     string
}

type mapStage struct {
	mapNode
	Funnel  apiv1.FunnelStage
	Actions []mapAction
	// TextX is where the stage's text starts.
	TextX int
}

type mapAction struct {
	Y             int
	Name, Channel string
}

type mapArrow struct {
	X1, Y1, X2, Y2 int
	LabelX, LabelY int
	Kind           string // entered, moved-on, completed, dropped
	Stage          string
	Count          int64
	Label          string
}

const (
	mapPad    = 16
	mapTop    = 24
	mapEntryW = 150
	mapStageW = 210
	mapGap    = 110
	mapLine   = 18
)

// drawMap lays out def with the counts of rep.
func drawMap(def *journeyDef, rep *apiv1.Analytics) *journeyMap {
	funnel := map[string]apiv1.FunnelStage{}
	for _, f := range rep.Funnel {
		funnel[f.Stage] = f
	}
	maxActions := 0
	for _, s := range def.Stages {
		maxActions = max(maxActions, len(s.Actions))
	}
	h := 70 + mapLine*max(maxActions, 1)
	m := &journeyMap{}
	x := mapPad
	m.Entry = mapNode{X: x, Y: mapTop, W: mapEntryW, H: h, Label: "Entry", Detail: criterion(def.Entry.Event, def.Entry.Condition)}
	x += mapEntryW + mapGap
	var words []string
	for i, s := range def.Stages {
		f := funnel[s.Name]
		st := mapStage{mapNode: mapNode{X: x, Y: mapTop, W: mapStageW, H: h, Label: s.Name}, Funnel: f, TextX: x + 12}
		for k, a := range s.Actions {
			st.Actions = append(st.Actions, mapAction{Y: mapTop + 78 + k*mapLine, Name: a.Name, Channel: a.Channel})
		}
		m.Stages = append(m.Stages, st)
		if i == 0 {
			m.Arrows = append(m.Arrows, arrow(x-mapGap, x, mapTop+h/2, "entered", s.Name, f.Reached, "entered"))
		} else {
			prev := def.Stages[i-1].Name
			m.Arrows = append(m.Arrows, arrow(x-mapGap, x, mapTop+h/2, "moved-on", prev, funnel[prev].MovedOn, "moved on"))
		}
		words = append(words, fmt.Sprintf("stage %d %s: reached %d, moved on %d, reached the goal %d, dropped off %d", i+1, s.Name, f.Reached, f.MovedOn, f.Completed, f.Dropped))
		x += mapStageW + mapGap
	}
	goal := "no goal"
	if def.Goal != nil {
		goal = criterion(def.Goal.Event, def.Goal.Condition)
		if def.Goal.Within != "" {
			goal += " within " + def.Goal.Within
		}
	}
	m.Goal = mapNode{X: x, Y: mapTop, W: mapEntryW, H: h, Label: "Goal", Detail: goal}
	if n := len(def.Stages); n > 0 {
		last := def.Stages[n-1].Name
		m.Arrows = append(m.Arrows, arrow(x-mapGap, x, mapTop+h/2, "completed", last, funnel[last].Completed, "goal"))
	}
	m.Width = x + mapEntryW + mapPad
	exitY := mapTop + h + 80
	var exits []string
	for _, e := range def.Exits {
		exits = append(exits, criterion(e.Event, e.Condition))
	}
	detail := "left without the goal: timed out, expired or exited"
	if len(exits) > 0 {
		detail = "exit on " + strings.Join(exits, " or ") + "; or timed out, expired"
	}
	m.Exit = mapNode{X: mapEntryW + mapGap + mapPad, Y: exitY, W: max(x-mapGap-(mapEntryW+mapGap+mapPad), mapStageW), H: 44, Label: "Drop-off", Detail: detail}
	for _, st := range m.Stages {
		cx := st.X + st.W/2
		m.Drops = append(m.Drops, mapArrow{X1: cx, Y1: st.Y + st.H, X2: cx, Y2: exitY, LabelX: cx + 8, LabelY: st.Y + st.H + 44,
			Kind: "dropped", Stage: st.Label, Count: st.Funnel.Dropped, Label: fmt.Sprintf("dropped %s", count(st.Funnel.Dropped))})
	}
	m.Height = exitY + 44 + mapPad
	m.Summary = fmt.Sprintf("Entry on %s; %s; goal: %s.", m.Entry.Detail, strings.Join(words, "; "), goal)
	return m
}

func arrow(x1, x2, y int, kind, stage string, n int64, what string) mapArrow {
	return mapArrow{X1: x1 + 4, Y1: y, X2: x2 - 6, Y2: y, LabelX: (x1 + x2) / 2, LabelY: y - 10, Kind: kind, Stage: stage, Count: n,
		Label: what + " " + count(n)}
}

// criterion is an entry, goal or exit in words.
func criterion(event, cond string) string {
	switch {
	case event != "" && cond != "":
		return event + " where " + cond
	case event != "":
		return event
	case cond != "":
		return cond
	}
	return "any event"
}

// funnelChart is the funnel as horizontal bars.
type funnelChart struct {
	Width, Height int
	Bars          []funnelBar
}

type funnelBar struct {
	Y, W    int
	Stage   string
	Reached int64
	Label   string
}

const (
	funnelLabelW = 160
	funnelBarW   = 520
	funnelRow    = 30
)

func drawFunnel(rep *apiv1.Analytics) *funnelChart {
	var top int64
	for _, f := range rep.Funnel {
		top = max(top, f.Reached)
	}
	c := &funnelChart{Width: funnelLabelW + funnelBarW + 220, Height: funnelRow*len(rep.Funnel) + 8}
	for i, f := range rep.Funnel {
		w := 0
		if top > 0 {
			w = int(int64(funnelBarW) * f.Reached / top)
		}
		label := count(f.Reached) + " reached"
		if i > 0 && rep.Funnel[0].Reached > 0 {
			label += fmt.Sprintf(" (%.1f%% of the first stage)", 100*float64(f.Reached)/float64(rep.Funnel[0].Reached))
		}
		c.Bars = append(c.Bars, funnelBar{Y: 4 + i*funnelRow, W: max(w, 1), Stage: f.Stage, Reached: f.Reached, Label: label})
	}
	return c
}

// sparkline is a KPI's series as the points of an SVG polyline in a box
// of w×h, one polyline per run of slices that have a value.
func sparkline(series []*float64, w, h int) []string {
	lo, hi, any := 0.0, 0.0, false
	for _, v := range series {
		if v == nil {
			continue
		}
		if !any || *v < lo {
			lo = *v
		}
		if !any || *v > hi {
			hi = *v
		}
		any = true
	}
	if !any {
		return nil
	}
	var out []string
	var cur []string
	n := len(series)
	for i, v := range series {
		if v == nil {
			if len(cur) > 0 {
				out = append(out, strings.Join(cur, " "))
				cur = nil
			}
			continue
		}
		x := 2.0
		if n > 1 {
			x = 2 + float64(i)*float64(w-4)/float64(n-1)
		}
		y := float64(h) / 2
		if hi > lo {
			y = 2 + (hi-*v)*float64(h-4)/(hi-lo)
		}
		cur = append(cur, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	if len(cur) > 0 {
		out = append(out, strings.Join(cur, " "))
	}
	return out
}
