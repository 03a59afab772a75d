package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/service"
)

// docCache keeps the decoded document of each stack's active deployment,
// by serial: a journey page reads the journey's shape from it.
type docCache struct {
	mu   sync.Mutex
	docs map[string]cachedDoc
}

type cachedDoc struct {
	st  apiv1.Stack
	doc *deploy.Document
}

// stack returns a stack's active deployment as GET /v1/stacks/{stack}
// answers it (sensitive values withheld), and its decoded document, kept
// until the stack's next deployment; service.ErrNotFound for a stack never
// deployed.
func (h *Handler) stack(ctx context.Context, name string) (apiv1.Stack, *deploy.Document, error) {
	var serial int64
	for _, d := range h.svc.DeployedStacks() {
		if d.Name == name {
			serial = d.Serial
		}
	}
	h.docs.mu.Lock()
	c, ok := h.docs.docs[name]
	h.docs.mu.Unlock()
	if ok && serial != 0 && c.st.Serial == serial {
		return c.st, c.doc, nil
	}
	st, err := h.svc.Stack(ctx, name)
	if err != nil {
		return apiv1.Stack{}, nil, err
	}
	doc, err := deploy.Decode(st.Document)
	if err != nil {
		return apiv1.Stack{}, nil, fmt.Errorf("reading the deployment of stack %q: %w", name, err)
	}
	h.docs.mu.Lock()
	defer h.docs.mu.Unlock()
	if h.docs.docs == nil {
		h.docs.docs = map[string]cachedDoc{}
	}
	h.docs.docs[name] = cachedDoc{st: st, doc: doc}
	return st, doc, nil
}

// journeyDef is a journey's shape as deployed.
type journeyDef struct {
	Name, Description, State string
	Entry                    deploy.Criterion
	Goal                     *deploy.Goal
	Exits                    []deploy.Criterion
	Stages                   []stageDef
}

type stageDef struct {
	Name, Description string
	Entry             *deploy.Criterion
	Timeout           string
	TimeoutTo         string
	Actions           []actionDef
}

type actionDef struct{ Name, Channel string }

// journeys returns every journey of doc, sorted by name.
func journeys(doc *deploy.Document) []*journeyDef {
	by := map[string]*journeyDef{}
	var out []*journeyDef
	for i := range doc.Objects {
		if j := doc.Objects[i].Journey; j != nil {
			d := &journeyDef{Name: j.Name, Description: j.Description, State: j.State, Entry: j.Entry, Goal: j.Goal, Exits: j.Exits}
			for _, s := range j.Stages {
				d.Stages = append(d.Stages, stageDef{Name: s})
			}
			by[j.Name] = d
			out = append(out, d)
		}
	}
	for i := range doc.Objects {
		o := &doc.Objects[i]
		switch {
		case o.Stage != nil:
			if j := by[o.Stage.Journey]; j != nil {
				for k := range j.Stages {
					if s := &j.Stages[k]; s.Name == o.Stage.Name {
						s.Description, s.Entry, s.Timeout, s.TimeoutTo = o.Stage.Description, o.Stage.Entry, o.Stage.Timeout, o.Stage.TimeoutTo
					}
				}
			}
		case o.Action != nil:
			if j := by[o.Action.Journey]; j != nil {
				for k := range j.Stages {
					s := &j.Stages[k]
					for _, at := range o.Action.Stages {
						if at == s.Name {
							s.Actions = append(s.Actions, actionDef{Name: o.Action.Name, Channel: actionChannels(o.Action)})
						}
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// window is the time window a page shows, as its selector has it.
type window struct {
	// Choice is 24h, 7d, 30d, all or custom; empty for the default.
	Choice   string
	From, To string
}

var windowChoices = []struct{ Value, Label string }{
	{"24h", "Last 24 hours"}, {"7d", "Last 7 days"}, {"30d", "Last 30 days"}, {"all", "All time"}, {"custom", "Custom range"},
}

// readWindow reads the selector from a page's query and returns the
// query the analytics API takes for it.
func readWindow(q url.Values) (window, url.Values) {
	w := window{Choice: q.Get("window"), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to"))}
	api := url.Values{}
	switch w.Choice {
	case "":
		if w.From != "" || w.To != "" {
			w.Choice = "custom"
		} else {
			w.Choice = "7d"
			return w, api
		}
	case "custom":
	default:
		api.Set(apiv1.QueryWindow, w.Choice)
		w.From, w.To = "", ""
		return w, api
	}
	if w.From != "" {
		api.Set(apiv1.QueryFrom, w.From)
	}
	if w.To != "" {
		api.Set(apiv1.QueryTo, w.To)
	}
	return w, api
}

// Query is the window as a page's query string, for links.
func (w window) Query() string {
	v := url.Values{}
	if w.Choice != "" {
		v.Set("window", w.Choice)
	}
	if w.Choice == "custom" {
		v.Set("from", w.From)
		v.Set("to", w.To)
	}
	return v.Encode()
}

// report reads a journey's analytics for a page's query; a message for a
// person when the window cannot be had.
func (h *Handler) report(ctx context.Context, stack, journey string, q url.Values) (*apiv1.Analytics, string, error) {
	rg, err := h.opts.Range(q)
	if err != nil {
		return nil, err.Error(), nil
	}
	rep, err := h.svc.Analytics(ctx, stack, journey, rg)
	if errors.Is(err, analytics.ErrRange) {
		return nil, err.Error(), nil
	}
	return rep, "", err
}

type overviewPage struct {
	page
	Groups []overviewStack
}

type overviewStack struct {
	Stack    apiv1.Stack
	Journeys []overviewJourney
}

type overviewJourney struct {
	Def    *journeyDef
	Report *apiv1.Analytics
}

func (h *Handler) overview(w http.ResponseWriter, r *http.Request) {
	data := &overviewPage{page: page{Title: "Journeys"}}
	for _, d := range h.svc.DeployedStacks() {
		name := d.Name
		st, doc, err := h.stack(r.Context(), name)
		if errors.Is(err, service.ErrNotFound) {
			continue
		}
		if err != nil {
			h.internal(w, r, err)
			return
		}
		g := overviewStack{Stack: st}
		for _, j := range journeys(doc) {
			rep, err := h.svc.Analytics(r.Context(), name, j.Name, analytics.Range{})
			if err != nil && !errors.Is(err, service.ErrUnknownJourney) {
				h.internal(w, r, err)
				return
			}
			g.Journeys = append(g.Journeys, overviewJourney{Def: j, Report: rep})
		}
		data.Groups = append(data.Groups, g)
	}
	h.render(w, r, http.StatusOK, "overview", data)
}

type journeyPage struct {
	page
	Stack   apiv1.Stack
	Def     *journeyDef
	Window  window
	Choices []struct{ Value, Label string }
	// Problem says why the window could not be had.
	Problem string
	Report  *apiv1.Analytics
	Map     *journeyMap
	Funnel  *funnelChart
	// Alerts are the KPIs off their target now.
	Alerts  []apiv1.KPI
	LiveURL string
}

// journeyData reads everything a journey page shows; a status and message
// for a person when it cannot.
func (h *Handler) journeyData(r *http.Request) (*journeyPage, int, string, error) {
	stack, name := r.PathValue("stack"), r.PathValue("journey")
	st, doc, err := h.stack(r.Context(), stack)
	if errors.Is(err, service.ErrNotFound) {
		return nil, http.StatusNotFound, fmt.Sprintf("Stack %q has never been deployed.", stack), nil
	}
	if err != nil {
		return nil, 0, "", err
	}
	var def *journeyDef
	for _, j := range journeys(doc) {
		if j.Name == name {
			def = j
		}
	}
	if def == nil {
		return nil, http.StatusNotFound, fmt.Sprintf("Stack %q has no journey %q deployed.", stack, name), nil
	}
	win, q := readWindow(r.URL.Query())
	data := &journeyPage{page: page{Title: name + " · " + stack}, Stack: st, Def: def, Window: win, Choices: windowChoices}
	var rep *apiv1.Analytics
	var problem string
	if win.Choice == "custom" && win.From == "" {
		problem = "A custom range needs a From date (and optionally a To date)."
	} else {
		rep, problem, err = h.report(r.Context(), stack, name, q)
	}
	if errors.Is(err, service.ErrUnknownJourney) {
		return nil, http.StatusNotFound, fmt.Sprintf("Stack %q has no journey %q deployed.", stack, name), nil
	}
	if err != nil {
		return nil, 0, "", err
	}
	data.Problem = problem
	if rep != nil {
		data.Report = rep
		data.Map = drawMap(def, rep)
		data.Funnel = drawFunnel(rep)
		for _, k := range rep.KPIs {
			if k.State == apiv1.KPIMissed {
				data.Alerts = append(data.Alerts, k)
			}
		}
	}
	data.LiveURL = "/ui/journeys/" + url.PathEscape(stack) + "/" + url.PathEscape(name) + "/live?" + win.Query()
	return data, http.StatusOK, "", nil
}

func (h *Handler) journey(w http.ResponseWriter, r *http.Request) {
	data, status, msg, err := h.journeyData(r)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if data == nil {
		h.fail(w, r, status, msg)
		return
	}
	if data.Problem != "" {
		status = http.StatusBadRequest
	}
	h.render(w, r, status, "journey", data)
}

// journeyLive answers the figures of a journey page alone, which the
// page's script swaps in.
func (h *Handler) journeyLive(w http.ResponseWriter, r *http.Request) {
	data, status, msg, err := h.journeyData(r)
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if data == nil {
		http.Error(w, msg, status)
		return
	}
	if data.Problem != "" {
		http.Error(w, data.Problem, http.StatusBadRequest)
		return
	}
	h.write(w, r, http.StatusOK, h.pages["live"], "figures", data)
}

// actionChannels names an action's channel, or its treatments' channels
// ("email, sms") for an action with treatments.
func actionChannels(a *deploy.Action) string {
	return strings.Join(a.Channels(), ", ")
}
