package api_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// inproc is a runtime served in the test's process, with its metrics.
type inproc struct {
	svc *service.Service
	url string
	c   *client.Client
	reg *prometheus.Registry
}

func serveInProcess(t *testing.T, doc *deploy.Document) *inproc {
	t.Helper()
	reg := prometheus.NewRegistry()
	svc, err := service.New(context.Background(), service.Config{Store: memstore.New(memstore.Options{}),
		SecretKey: make([]byte, service.KeySize), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- svc.Run(rctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	})
	srv := httptest.NewServer(api.New(svc, api.Options{Insecure: true}))
	t.Cleanup(srv.Close)
	p := &inproc{svc: svc, url: srv.URL, c: client.New(srv.URL, "", nil), reg: reg}
	if doc != nil {
		if _, err := svc.Deploy(ctxShort(t), doc.Stack, 0, doc, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// counter returns the value of the counter name whose label is value.
func (p *inproc) counter(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := p.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestHostileCondition sends one event whose attribute makes a journey's
// entry condition cost the square of its size: it used to stall the
// engine for minutes and take gigabytes; it is now counted as over budget
// and the engine goes on.
func TestHostileCondition(t *testing.T) {
	doc := fixture.New("growth").Shared().Event("note", nil, "s", "string").
		Journey(deploy.Journey{Name: "notes", Entry: deploy.Criterion{Event: "note", Condition: `join(event.s, split("", event.s)) == "x"`}, Stages: []string{"one"}}).
		Stage(deploy.Stage{Journey: "notes", Name: "one", Index: 0}).Done()
	p := serveInProcess(t, doc)
	s := strings.Repeat("ab", 30<<10) // 60 KiB
	body := `{"type":"note","customer_id":"c-1","attributes":{"s":"` + s + `"}}` + "\n" +
		`{"type":"note","customer_id":"c-2","attributes":{"s":"x"}}`
	start := time.Now()
	if res, err := p.c.SendEvents(ctxShort(t), []byte(body)); err != nil || res.Accepted != 2 {
		t.Fatalf("send: %+v %v", res, err)
	}
	if err := p.svc.SyncAll(ctxShort(t)); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the two events took %v to process", d)
	}
	if got := p.counter(t, "waymark_condition_over_budget_total", "expression", "growth/journey.notes entry.condition"); got != 1 {
		t.Errorf("over budget counted %v times, want 1", got)
	}
	if got := p.counter(t, "waymark_condition_nulls_total", "expression", "growth/journey.notes entry.condition"); got != 0 {
		t.Errorf("counted %v times as a null condition, want 0", got)
	}
	// The engine went on: c-2's condition is true, c-1's was false.
	for id, want := range map[string]int{"c-1": 0, "c-2": 1} {
		c, err := p.c.Customer(ctxShort(t), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Journeys) != want {
			t.Errorf("%s is in %d journeys, want %d", id, len(c.Journeys), want)
		}
	}
}

// TestIDEdges sends ids the runtime must not take: too long, not UTF-8,
// with a control character. Each is answered 400 and stored nowhere; the
// same request with a clean id is answered.
func TestIDEdges(t *testing.T) {
	p := serveInProcess(t, shop())
	post := func(path, body string) (int, string) {
		t.Helper()
		status, _, m := raw(t, "POST", p.url+path, "", body)
		return status, errCode(m)
	}
	long := strings.Repeat("x", 40<<10)
	bigContext := `{"k":"` + strings.Repeat("y", 64<<10) + `"}`
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"clean decide", "/v1/decide", `{"customer_id":"c-1","channel":"web"}`, 200},
		{"long customer id", "/v1/decide", `{"customer_id":"` + long + `","channel":"web"}`, 400},
		{"invalid UTF-8", "/v1/decide", "{\"customer_id\":\"c-\xff\",\"channel\":\"web\"}", 400},
		{"unpaired surrogate", "/v1/decide", `{"customer_id":"c-\ud800","channel":"web"}`, 400},
		{"control character", "/v1/decide", `{"customer_id":"c-\u0007","channel":"web"}`, 400},
		{"long channel", "/v1/decide", `{"customer_id":"c-1","channel":"` + long + `"}`, 400},
		{"context past the limit", "/v1/decide", `{"customer_id":"c-1","channel":"web","context":` + bigContext + `}`, 400},
		{"context not an object", "/v1/decide", `{"customer_id":"c-1","channel":"web","context":[1]}`, 400},
		{"two values", "/v1/decide", `{"customer_id":"c-1","channel":"web"} {}`, 400},
		{"long decision id", "/v1/responses", `{"decision_id":"` + long + `","action":"a","outcome":"clicked"}`, 400},
		{"bad decision id", "/v1/responses", "{\"decision_id\":\"d\xc3\",\"action\":\"a\",\"outcome\":\"clicked\"}", 400},
		{"long action", "/v1/responses", `{"decision_id":"d","action":"` + long + `","outcome":"clicked"}`, 400},
		{"unknown decision", "/v1/responses", `{"decision_id":"d","action":"a","outcome":"clicked"}`, 404},
	}
	for _, tt := range tests {
		status, code := post(tt.path, tt.body)
		if status != tt.status || (status == 400 && code != "bad_request") {
			t.Errorf("%s: %d %s, want %d", tt.name, status, code, tt.status)
		}
	}
	for _, path := range []string{"/v1/customers/" + strings.Repeat("x", 300), "/v1/customers/c-%FF", "/v1/customers/c-%00", "/v1/decisions/" + strings.Repeat("d", 300)} {
		status, _, m := raw(t, "GET", p.url+path, "", "")
		if status != 400 || errCode(m) != "bad_request" {
			t.Errorf("GET %.40s: %d %v", path, status, m)
		}
	}
	if status, _, m := raw(t, "DELETE", p.url+"/v1/customers/c-%FF", "", ""); status != 400 {
		t.Errorf("DELETE of a bad id: %d %v", status, m)
	}
	// Nothing of the refused requests was recorded: the recorder writes
	// the one clean decision and drops nothing.
	if err := p.svc.SyncAll(ctxShort(t)); err != nil {
		t.Fatal(err)
	}
	if got := p.counter(t, "waymark_decisions_total", "channel", "web"); got != 1 {
		t.Errorf("%v decisions made, want 1", got)
	}
}
