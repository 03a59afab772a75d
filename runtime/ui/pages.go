package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

type customerPage struct {
	page
	ID       string
	Customer *apiv1.Customer
	Profile  []profileRow
	Problem  string
}

type profileRow struct {
	Name string
	// Value is the attribute's value as text; Withheld a sensitive one.
	Value    string
	Withheld bool
}

// profileRows are a profile's attributes, sorted by name; a sensitive
// one (an apiv1.Withheld) stays withheld.
func profileRows(p map[string]any) []profileRow {
	out := make([]profileRow, 0, len(p))
	for k, v := range p {
		row := profileRow{Name: k}
		switch v := v.(type) {
		case apiv1.Withheld, *apiv1.Withheld:
			row.Withheld = true
		case nil:
			row.Value = "—"
		case string:
			row.Value = v
		default:
			b, err := json.Marshal(v)
			if err != nil {
				row.Value = "(cannot be shown)"
			} else {
				row.Value = string(b)
			}
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (h *Handler) customer(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimSpace(r.URL.Query().Get("id"))
	data := &customerPage{page: page{Title: "Customers"}, ID: id}
	status := http.StatusOK
	if id != "" {
		data.Title = "Customer " + id
		c, err := h.svc.Customer(r.Context(), id)
		switch {
		case errors.Is(err, service.ErrNotFound):
			status = http.StatusNotFound
			data.Problem = fmt.Sprintf("No customer %q: the runtime has received no event for this id.", id)
		case err != nil:
			h.internal(w, r, err)
			return
		default:
			data.Customer = &c
			data.Profile = profileRows(c.Profile)
		}
	}
	h.render(w, r, status, "customer", data)
}

type deploymentsPage struct {
	page
	Stacks []stackHistory
}

type stackHistory struct {
	Stack       string
	Deployments []apiv1.Deployment
}

func (h *Handler) deployments(w http.ResponseWriter, r *http.Request) {
	data := &deploymentsPage{page: page{Title: "Deployments"}}
	for _, d := range h.svc.DeployedStacks() {
		name := d.Name
		hist, err := h.svc.History(r.Context(), name)
		if err != nil {
			h.internal(w, r, err)
			return
		}
		sh := stackHistory{Stack: name}
		for _, d := range hist {
			sh.Deployments = append(sh.Deployments, apiv1.Deployment{Stack: d.Stack, Serial: d.Serial, Time: d.Time, Who: d.Who, Digest: d.Digest, Summary: d.Summary})
		}
		data.Stacks = append(data.Stacks, sh)
	}
	h.render(w, r, http.StatusOK, "deployments", data)
}

type modelsPage struct {
	page
	Models []modelCard
}

// modelCard is one model with its calibration drawn and its best
// predictors.
type modelCard struct {
	apiv1.Model
	Chart *calibrationChart
	Top   []apiv1.ModelPredictor
}

// calibrationChart is a model's calibration drawn on a square of Size:
// one point per decile at (predicted, observed), and the diagonal that a
// calibrated model lies on.
type calibrationChart struct {
	Size   float64
	Points []calibrationPoint
}

type calibrationPoint struct {
	X, Y, R             float64
	Predicted, Observed float64
	N                   int
}

const chartSize = 160

func newCalibrationChart(ds []apiv1.ModelDecile) *calibrationChart {
	if len(ds) == 0 {
		return nil
	}
	most := 1
	for _, d := range ds {
		most = max(most, d.N)
	}
	c := &calibrationChart{Size: chartSize}
	for _, d := range ds {
		c.Points = append(c.Points, calibrationPoint{
			X: d.Predicted * chartSize, Y: (1 - d.Observed) * chartSize,
			R: 2 + 3*float64(d.N)/float64(most), Predicted: d.Predicted, Observed: d.Observed, N: d.N,
		})
	}
	return c
}

// topPredictors is how many predictors a model's card lists.
const topPredictors = 5

func (h *Handler) models(w http.ResponseWriter, r *http.Request) {
	ms := h.svc.Models()
	cards := make([]modelCard, len(ms))
	for i, m := range ms {
		cards[i] = modelCard{Model: m, Chart: newCalibrationChart(m.Calibration), Top: m.Predictors[:min(len(m.Predictors), topPredictors)]}
	}
	h.render(w, r, http.StatusOK, "models", &modelsPage{page: page{Title: "Models"}, Models: cards})
}

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"count":     count,
	"share":     share,
	"auc":       auc,
	"seconds":   seconds,
	"kpiValue":  kpiValue,
	"kpiTarget": kpiTarget,
	"stateText": stateText,
	"when":      when,
	"whenPtr": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return when(*t)
	},
	"score": func(s *float64) string {
		if s == nil {
			return "—"
		}
		return strconv.FormatFloat(math.Round(*s), 'f', 0, 64)
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"spark": func(series []*float64) []string { return sparkline(series, 120, 28) },
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"sub":   func(a, b int) int { return a - b },
	"mul":   func(a, b int) int { return a * b },
	"wrap":  wrap,
	"deref": func(p *int64) int64 { return *p },
	"ptr":   func(v float64) *float64 { return &v },
	"stillIn": func(f apiv1.FunnelStage) int64 {
		return max(f.Reached-f.MovedOn-f.Completed-f.Dropped, 0)
	},
	"dropped": func(m map[string]int) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, m[k])
		}
		return strings.Join(parts, ", ")
	},
}

// count is n with thousands separators.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// share is a share from 0 to 1 as a percentage.
func share(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(100**v, 'f', 1, 64) + "%"
}

// auc is an AUC to three places, or a dash.
func auc(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}

// seconds is a duration in seconds, in words.
func seconds(v *float64) string {
	if v == nil {
		return "—"
	}
	d := time.Duration(*v * float64(time.Second))
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.0fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%.0fm", d.Minutes())
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1fh", d.Hours())
	}
	return fmt.Sprintf("%.1fd", d.Hours()/24)
}

func inUnit(unit string, v float64) string {
	switch unit {
	case "share":
		return share(&v)
	case "seconds":
		return seconds(&v)
	case "nps":
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// kpiValue is a KPI's value in its unit.
func kpiValue(k apiv1.KPI) string {
	if k.Value == nil {
		return "—"
	}
	return inUnit(k.Unit, *k.Value)
}

// kpiTarget is a KPI's target in words.
func kpiTarget(k apiv1.KPI) string {
	switch t := k.Target; {
	case t == nil:
		return "no target"
	case t.Above != nil:
		return "above " + inUnit(k.Unit, *t.Above)
	case t.Below != nil:
		return "below " + inUnit(k.Unit, *t.Below)
	}
	return "no target"
}

// stateText is a KPI state in words.
func stateText(s apiv1.KPIState) string {
	switch s {
	case apiv1.KPIMet:
		return "met"
	case apiv1.KPIMissed:
		return "missed"
	case apiv1.KPIInsufficientData:
		return "too few samples"
	}
	return "no target"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// wrap cuts s into at most three lines of about n characters, at spaces.
func wrap(s string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range strings.Fields(s) {
		if cur != "" && len(cur)+1+len(w) > n {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	if len(lines) > 3 {
		lines = append(lines[:2], lines[2]+" …")
	}
	return lines
}
