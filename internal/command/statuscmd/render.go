package statuscmd

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fatih/color"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/units"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

const barWidth = 24

// Render draws a journey's analytics for people.
func Render(s *cmdutil.Streams, r *apiv1.Analytics) {
	v := &view{w: s.Out, bold: s.Colorize(color.Bold), faint: s.Colorize(color.Faint),
		states: map[apiv1.KPIState]func(string, ...any) string{
			apiv1.KPIMet:              s.Colorize(color.FgGreen),
			apiv1.KPIMissed:           s.Colorize(color.FgRed, color.Bold),
			apiv1.KPIInsufficientData: s.Colorize(color.FgYellow),
			apiv1.KPINoTarget:         s.Colorize(color.Faint),
		}}
	v.header(r)
	v.funnel(r)
	v.kpis(r)
	v.paths(r)
	v.actions(r)
	v.experiments(r)
	v.hourly(r)
}

type view struct {
	w           io.Writer
	bold, faint func(string, ...any) string
	states      map[apiv1.KPIState]func(string, ...any) string
}

func (v *view) line(format string, a ...any) { fmt.Fprintf(v.w, format+"\n", a...) }

func (v *view) header(r *apiv1.Analytics) {
	v.line("%s", v.bold("Journey %s/%s at %s", r.Stack, r.Journey, stamp(r.Now)))
	win := fmt.Sprintf("Window %s from %s", r.Window, stamp(r.From))
	if !r.To.IsZero() && !r.To.Equal(r.Now) {
		win += " to " + stamp(r.To)
	}
	parts := []string{win, fmt.Sprintf("%d in the journey now", r.Active)}
	if r.Score != nil {
		parts = append(parts, fmt.Sprintf("success score %s", strconv.FormatFloat(*r.Score, 'f', -1, 64)))
	}
	v.line("%s", strings.Join(parts, " · "))
	t := r.Totals
	removed := ""
	if t.Removed > 0 {
		removed = fmt.Sprintf(", %d removed (by a deployment or an erasure)", t.Removed)
	}
	v.line("%d entered, %d reached the goal, %d exited, %d expired, %d timed out%s", t.Entries, t.Completed, t.Exited, t.Expired, t.TimedOut, removed)
}

func (v *view) funnel(r *apiv1.Analytics) {
	v.line("")
	v.line("%s", v.bold("Funnel: runs that reached each stage in the window"))
	if len(r.Funnel) == 0 {
		v.line("  (no stages)")
		return
	}
	top := int64(0)
	nameW, numW := 0, 0
	for _, f := range r.Funnel {
		top = max(top, f.Reached)
		nameW = max(nameW, width(f.Stage))
		numW = max(numW, len(strconv.FormatInt(f.Reached, 10)))
	}
	for i, f := range r.Funnel {
		var detail []string
		if i+1 < len(r.Funnel) || f.MovedOn > 0 {
			detail = append(detail, fmt.Sprintf("moved on %d", f.MovedOn))
		}
		detail = append(detail, fmt.Sprintf("goal %d", f.Completed), fmt.Sprintf("dropped %d", f.Dropped))
		if f.StillThere > 0 {
			detail = append(detail, fmt.Sprintf("still there %d", f.StillThere))
		}
		if f.Median != nil {
			detail = append(detail, "median "+units.Duration(*f.Median, 2))
		}
		if f.P90 != nil {
			detail = append(detail, "p90 "+units.Duration(*f.P90, 2))
		}
		v.line("  %s  %s  %*d  %s", pad(f.Stage, nameW), pad(bar(f.Reached, top, barWidth), barWidth), numW, f.Reached,
			v.faint("%s", strings.Join(detail, " · ")))
	}
}

func (v *view) kpis(r *apiv1.Analytics) {
	v.line("")
	v.line("%s", v.bold("KPIs"))
	if len(r.KPIs) == 0 {
		v.line("  (none declared)")
		return
	}
	type row struct{ name, value, target, state, spark, note string }
	rows := make([]row, len(r.KPIs))
	var w [4]int
	for i, k := range r.KPIs {
		rw := row{name: k.Name, value: "–", target: "no target", state: strings.ReplaceAll(string(k.State), "_", " ")}
		if k.Value != nil {
			rw.value = format(k.Unit, *k.Value)
		}
		if t := k.Target; t != nil {
			switch {
			case t.Above != nil:
				rw.target = "target ≥ " + format(k.Unit, *t.Above)
			case t.Below != nil:
				rw.target = "target ≤ " + format(k.Unit, *t.Below)
			}
		}
		if k.State == apiv1.KPINoTarget {
			rw.state = ""
		}
		if len(k.Series) > 0 {
			rw.spark = spark(k.Series)
		}
		notes := []string{fmt.Sprintf("%d samples", k.Samples)}
		if k.State == apiv1.KPIInsufficientData && k.Target != nil {
			notes[0] = fmt.Sprintf("%d of %d samples", k.Samples, k.Target.MinSamples)
		}
		if k.Pending != nil {
			notes = append(notes, fmt.Sprintf("%d pending (%d converted)", *k.Pending, *k.PendingConverted))
		}
		notes = append(notes, k.Window)
		if k.Alert != "" {
			notes = append(notes, "alerts to "+k.Alert)
		}
		rw.note = strings.Join(notes, " · ")
		rows[i] = rw
		for j, c := range []string{rw.name, rw.value, rw.target, rw.state} {
			w[j] = max(w[j], width(c))
		}
	}
	sparkW := 0
	for _, rw := range rows {
		sparkW = max(sparkW, width(rw.spark))
	}
	for i, rw := range rows {
		st := v.states[r.KPIs[i].State]
		if st == nil {
			st = v.faint
		}
		v.line("  %s  %s  %s  %s  %s  %s", pad(rw.name, w[0]), st("%s", padLeft(rw.value, w[1])), pad(rw.target, w[2]),
			st("%s", pad(rw.state, w[3])), pad(rw.spark, sparkW), v.faint("%s", rw.note))
		if h := r.KPIs[i].Holdout; h != nil {
			v.line("  %s", v.faint("%s", holdoutLine(r.KPIs[i].Unit, h)))
		}
	}
}

// holdoutLine is a KPI against the global holdout: each side's value with
// its interval and samples, the lift with its interval, and the
// sequential test.
func holdoutLine(unit string, h *apiv1.KPIHoldout) string {
	side := func(name string, s apiv1.HoldoutSide) string {
		if s.Value == nil {
			return name + " – of 0"
		}
		return fmt.Sprintf("%s %s [%s, %s] of %d", name, format(unit, *s.Value), format(unit, s.Low), format(unit, s.High), s.Samples)
	}
	lift := "lift –"
	if l := h.Lift; l != nil {
		lift = fmt.Sprintf("lift %s [%s, %s]", signed(l.Value), signed(l.Low), signed(l.High))
	}
	test := fmt.Sprintf("%s (p %s)", h.Test.State, strconv.FormatFloat(h.Test.PValue, 'g', 2, 64))
	return fmt.Sprintf("  ↳ vs holdout %s: %s", units.Percent(h.Share), strings.Join([]string{side("treated", h.Treated), side("holdout", h.Holdout), lift, test}, " · "))
}

// signed prints a relative change as a percentage with its sign.
func signed(v float64) string {
	if v >= 0 {
		return "+" + units.Percent(v)
	}
	return "−" + units.Percent(-v)
}

func (v *view) paths(r *apiv1.Analytics) {
	v.line("")
	v.line("%s", v.bold("Paths: runs that ended in the window"))
	if len(r.Paths) == 0 {
		v.line("  (no run ended)")
		return
	}
	numW, pathW := 0, 0
	names := make([]string, len(r.Paths))
	for i, p := range r.Paths {
		names[i] = strings.Join(p.Stages, " → ")
		numW = max(numW, len(strconv.FormatInt(p.Runs, 10)))
		pathW = max(pathW, width(names[i]))
	}
	for i, p := range r.Paths {
		v.line("  %*d  %s  %s", numW, p.Runs, pad(names[i], pathW), v.faint("%s reached the goal", units.Percent(p.GoalShare)))
	}
}

func (v *view) actions(r *apiv1.Analytics) {
	v.line("")
	v.line("%s", v.bold("Actions"))
	if len(r.Actions) == 0 {
		v.line("  (none decided in the window)")
		return
	}
	head := []string{"action", "channel", "decided", "delivered", "failed", "responded", "converted", "conversion"}
	rows := [][]string{head}
	add := func(name string, a apiv1.ActionReport) {
		conv := "–"
		if a.Conversion != nil {
			conv = units.Percent(*a.Conversion)
		}
		rows = append(rows, []string{name, a.Channel, itoa(a.Decided), itoa(a.Delivered), itoa(a.Failed), itoa(a.Responded), itoa(a.Converted), conv})
	}
	for _, a := range r.Actions {
		name := a.Action
		if a.Treatment != "" {
			name += " (" + a.Treatment + ")"
		}
		add(name, a)
	}
	for _, c := range r.Channels {
		add("(all on "+c.Channel+")", c)
	}
	v.table(rows, func(j int) bool { return j < 2 }, func(i int) bool { return i == 0 || i > len(r.Actions) })
}

// table prints rows in columns two spaces apart, each column as wide as
// its widest cell: the cells of a left column padded on the right, the
// others on the left (numbers); a faint row in faint.
func (v *view) table(rows [][]string, left func(col int) bool, faint func(row int) bool) {
	w := make([]int, 0, 8)
	for _, rw := range rows {
		for j, c := range rw {
			if j == len(w) {
				w = append(w, 0)
			}
			w[j] = max(w[j], width(c))
		}
	}
	for i, rw := range rows {
		cells := make([]string, len(rw))
		for j, c := range rw {
			if left(j) {
				cells[j] = pad(c, w[j])
			} else {
				cells[j] = padLeft(c, w[j])
			}
		}
		line := strings.TrimRight(strings.Join(cells, "  "), " ")
		if faint(i) {
			line = v.faint("%s", line)
		}
		v.line("  %s", line)
	}
}

func (v *view) hourly(r *apiv1.Analytics) {
	if len(r.Hourly) == 0 {
		return
	}
	v.line("")
	v.line("%s", v.bold("Last %d hours, from %s", len(r.Hourly), stamp(r.Hourly[0].Hour)))
	series := func(get func(apiv1.Hour) int64) ([]*float64, int64) {
		out := make([]*float64, len(r.Hourly))
		var total int64
		for i, h := range r.Hourly {
			x := float64(get(h))
			out[i] = &x
			total += get(h)
		}
		return out, total
	}
	for _, s := range []struct {
		name string
		get  func(apiv1.Hour) int64
	}{
		{"entered", func(h apiv1.Hour) int64 { return h.Entries }},
		{"goal   ", func(h apiv1.Hour) int64 { return h.Goals }},
		{"dropped", func(h apiv1.Hour) int64 { return h.Dropped }},
	} {
		vals, total := series(s.get)
		v.line("  %s  %s  %s", s.name, sparkFrom0(vals), v.faint("%d", total))
	}
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// width is the number of characters s shows.
func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, w int) string     { return s + strings.Repeat(" ", max(0, w-width(s))) }
func padLeft(s string, w int) string { return strings.Repeat(" ", max(0, w-width(s))) + s }

// format prints a KPI value in its unit.
func format(unit string, v float64) string {
	switch unit {
	case "share":
		return units.Percent(v)
	case "seconds":
		return units.Duration(v, 2)
	case "nps":
		return fmt.Sprintf("%+.0f", v)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

var eighths = []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}

// bar draws n of top as a bar of up to w characters, in eighths.
func bar(n, top int64, w int) string {
	if top <= 0 || n <= 0 {
		return ""
	}
	e := int(math.Round(float64(n) / float64(top) * float64(w*8)))
	if e == 0 {
		e = 1
	}
	return strings.Repeat("█", e/8) + eighths[e%8]
}

var ticks = []rune("▁▂▃▄▅▆▇█")

// spark draws values between their own lowest and highest; a missing one
// is a dot.
func spark(vals []*float64) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range vals {
		if p != nil {
			lo, hi = math.Min(lo, *p), math.Max(hi, *p)
		}
	}
	return sparkRange(vals, lo, hi, ticks[3])
}

// sparkFrom0 draws counts from zero to their highest.
func sparkFrom0(vals []*float64) string {
	hi := 0.0
	for _, p := range vals {
		hi = math.Max(hi, *p)
	}
	return sparkRange(vals, 0, hi, ticks[0])
}

// sparkRange draws values between lo and hi, all as flat when they are
// equal.
func sparkRange(vals []*float64, lo, hi float64, flat rune) string {
	var b strings.Builder
	for _, p := range vals {
		switch {
		case p == nil:
			b.WriteRune('·')
		case hi <= lo:
			b.WriteRune(flat)
		default:
			b.WriteRune(ticks[int(math.Round((*p-lo)/(hi-lo)*float64(len(ticks)-1)))])
		}
	}
	return b.String()
}
