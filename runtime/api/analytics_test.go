package api_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store/boltstore"
)

// hook is a webhook receiver that records every POST.
type hook struct {
	mu    sync.Mutex
	posts []hookPost
}

// hookPost is one request as the receiving end sees it.
type hookPost struct {
	Key       string // the Idempotency-Key header
	Signature string
	Raw       []byte
	Body      struct {
		Kind           string `json:"kind"`
		IdempotencyKey string `json:"idempotency_key"`
		Stack          string `json:"stack"`
		Journey        string `json:"journey"`
		Channel        string `json:"channel"`
		Alert          *struct {
			KPI    string  `json:"kpi"`
			Value  float64 `json:"value"`
			Target float64 `json:"target"`
			State  string  `json:"state"`
		} `json:"alert"`
	}
}

func startHook(t *testing.T) (*hook, string) {
	t.Helper()
	h := &hook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		p := hookPost{Key: r.Header.Get("Idempotency-Key"), Signature: r.Header.Get("X-Waymark-Signature"), Raw: b}
		if err := json.Unmarshal(b, &p.Body); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.posts = append(h.posts, p)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL + "/alerts"
}

func (h *hook) received() []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookPost(nil), h.posts...)
}

const hookSecret = "alert-signing-secret"

// shopDoc is stack shop: journey checkout enters on visit, moves from
// browsing to paying on pay, reaches its goal on order and exits on leave.
// Its KPIs: dropoff(stage.browsing) below 0.4 alerting on the webhook
// channel ops, rate(event.click) and average(event.rating.score). Action
// offer is on the inbound channel web in both stages.
func shopDoc(hookURL string) *deploy.Document {
	below := 0.4
	return fixture.New("shop").
		Event("visit", nil).Event("pay", nil).Event("order", nil, "amount", "number").Event("leave", nil).
		Event("click", nil).Event("rating", nil, "score", "number").
		Journey(deploy.Journey{Name: "checkout", Entry: deploy.Criterion{Event: "visit"},
			Goal: &deploy.Goal{Criterion: deploy.Criterion{Event: "order"}}, Exits: []deploy.Criterion{{Event: "leave"}},
			Stages: []string{"browsing", "paying"}}).
		Stage(deploy.Stage{Journey: "checkout", Name: "browsing", Index: 0}).
		Stage(deploy.Stage{Journey: "checkout", Name: "paying", Index: 1, Entry: &deploy.Criterion{Event: "pay"}}).
		Channel(deploy.Channel{Name: "ops", Provider: "webhook", Delivers: true,
			Config: map[string]json.RawMessage{"url": json.RawMessage(strconv.Quote(hookURL)), "secret": json.RawMessage(strconv.Quote(hookSecret))}},
			"config.secret").
		Web().
		Action(deploy.Action{Journey: "checkout", Name: "offer", Channel: "web", Stages: []string{"browsing", "paying"}}).
		KPI(deploy.KPI{Journey: "checkout", Name: "dropoff", Window: "7d",
			Metric: deploy.Metric{Function: "dropoff", Stage: "browsing", Source: "dropoff(stage.browsing)"},
			Target: &deploy.Target{Below: &below, MinSamples: 3}, Alert: &deploy.Alert{Channel: "ops"}}).
		KPI(deploy.KPI{Journey: "checkout", Name: "clicks", Window: "7d",
			Metric: deploy.Metric{Function: "rate", Event: "click", Source: "rate(event.click)"}}).
		KPI(deploy.KPI{Journey: "checkout", Name: "rating", Window: "7d",
			Metric: deploy.Metric{Function: "average", Event: "rating", Attribute: "score", Source: "average(event.rating.score)"}}).
		Done()
}

// stream stamps events one second apart from a fixed hour, for a runtime
// on the event clock.
type stream struct {
	base time.Time
	n    int
}

// batch encodes events written as "customer type [attr=value]".
func (s *stream) batch(evs ...string) []byte {
	var b bytes.Buffer
	for _, e := range evs {
		f := strings.Fields(e)
		attrs := map[string]float64{}
		for _, kv := range f[2:] {
			k, v, _ := strings.Cut(kv, "=")
			attrs[k], _ = strconv.ParseFloat(v, 64)
		}
		s.n++
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("ev-%d", s.n), "type": f[1], "customer_id": f[0],
			"timestamp": s.base.Add(time.Duration(s.n) * time.Second).Format(time.RFC3339), "attributes": attrs})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// report fetches a journey's analytics: the raw answer and its decoding.
func report(t *testing.T, p *proc, stack, journey string) ([]byte, *apiv1.Analytics) {
	t.Helper()
	resp, err := http.Get(p.addr + "/v1/journeys/" + stack + "/" + journey + "/analytics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("analytics: %d %s", resp.StatusCode, b)
	}
	var r apiv1.Analytics
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("analytics: %v\n%s", err, b)
	}
	return b, &r
}

func kpiOf(r *apiv1.Analytics, name string) *apiv1.KPI {
	for i := range r.KPIs {
		if r.KPIs[i].Name == name {
			return &r.KPIs[i]
		}
	}
	return nil
}

// scrape reads GET /metrics into values by name and labels, written as
// name{k="v",...} with the labels sorted.
func scrape(t testing.TB, p *proc) map[string]float64 {
	t.Helper()
	resp, err := getMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			sort.Strings(ls)
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue()
			out[name+"{"+strings.Join(ls, ",")+"}"] = v
		}
	}
	return out
}

// js is v as JSON, for messages.
func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// storedAnalytics opens the store of a stopped runtime and returns its
// analytics snapshot and how many facts are stored after it.
func storedAnalytics(t *testing.T, dir string) ([]byte, int) {
	t.Helper()
	st, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snap, upTo, err := st.AnalyticsSnapshot(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	facts, err := st.Facts(ctx(t), upTo, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return snap, len(facts)
}

// kpiSeries names a KPI's series in scrape's form, with extra labels.
func kpiSeries(metric, kpi string, extra ...string) string {
	ls := append([]string{`journey="checkout"`, fmt.Sprintf("kpi=%q", kpi), `stack="shop"`}, extra...)
	sort.Strings(ls)
	return metric + "{" + strings.Join(ls, ",") + "}"
}

// alertEntries counts the outbox's alert entries by state.
func alertEntries(t *testing.T, c *client.Client) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, state := range []apiv1.DeliveryState{apiv1.DeliveryPending, apiv1.DeliveryDelivered, apiv1.DeliveryFailed, apiv1.DeliveryCancelled} {
		ds, err := c.Deliveries(ctx(t), state, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			if strings.HasPrefix(d.ID, "alert:") {
				out[string(state)]++
			}
		}
	}
	return out
}

// sentAlert is an alert the webhook should have received.
type sentAlert struct {
	state string
	value float64
}

// shopWant is what journey checkout should show, computed by hand.
type shopWant struct {
	dropoff     float64
	dropSamples int64
	state       string  // dropoff's
	clicks      float64 // rate(event.click): runs that clicked in the journey / runs in the journey
	rating      float64 // average(event.rating.score) of customers in the journey
	ratings     int64
	score       float64
	active      int64
	totals      apiv1.Totals
	browsing    apiv1.FunnelStage
	payingReach int64
	// alerts are every alert sent so far, in order.
	alerts []sentAlert
	// raised are waymark_kpi_alerts_total of this process, by state; nil
	// leaves them unchecked.
	raised map[string]float64
}

// checkShop waits until the runtime's report shows w's dropoff, then
// compares the rest of the report, /metrics, the outbox and the webhook
// with w, and returns the report.
func checkShop(t *testing.T, p *proc, h *hook, w shopWant) []byte {
	t.Helper()
	var r *apiv1.Analytics
	eventually(t, 10*time.Second, func() error {
		_, r = report(t, p, "shop", "checkout")
		if k := kpiOf(r, "dropoff"); k == nil || k.Value == nil || *k.Value != w.dropoff || k.Samples != w.dropSamples || r.Active != w.active {
			return fmt.Errorf("active %d, KPIs %s; want dropoff %v of %d samples, active %d", r.Active, js(r.KPIs), w.dropoff, w.dropSamples, w.active)
		}
		return nil
	})
	// A second read waits for a feed in flight, and puts the alerts it
	// computes in the outbox before it answers.
	raw, r := report(t, p, "shop", "checkout")
	if k := kpiOf(r, "dropoff"); string(k.State) != w.state || k.Metric != "dropoff(stage.browsing)" || k.Unit != "share" || k.Alert != "ops" ||
		k.Target == nil || k.Target.Below == nil || *k.Target.Below != 0.4 || k.Target.MinSamples != 3 {
		t.Errorf("dropoff %s, want state %s", js(k), w.state)
	}
	if k := kpiOf(r, "clicks"); k == nil || k.Value == nil || *k.Value != w.clicks || k.State != apiv1.KPINoTarget || k.Series != nil {
		t.Errorf("clicks %s, want %v", js(k), w.clicks)
	}
	if k := kpiOf(r, "rating"); k == nil || k.Value == nil || *k.Value != w.rating || k.Samples != w.ratings || k.Unit != "number" {
		t.Errorf("rating %s, want %v of %d samples", js(k), w.rating, w.ratings)
	}
	if r.Score == nil || *r.Score != w.score {
		t.Errorf("score %s, want %v", js(r.Score), w.score)
	}
	if r.Totals != w.totals {
		t.Errorf("totals %+v, want %+v", r.Totals, w.totals)
	}
	if len(r.Funnel) != 2 || r.Funnel[0].Stage != "browsing" || r.Funnel[1].Stage != "paying" {
		t.Fatalf("funnel %+v", r.Funnel)
	}
	if f := r.Funnel[0]; f.Reached != w.browsing.Reached || f.MovedOn != w.browsing.MovedOn || f.Completed != w.browsing.Completed ||
		f.Dropped != w.browsing.Dropped || f.Left != w.browsing.Left {
		t.Errorf("browsing %+v, want %+v", f, w.browsing)
	}
	if f := r.Funnel[1]; f.Reached != w.payingReach || f.Left != 0 {
		t.Errorf("paying %+v, want %d reached and none left", f, w.payingReach)
	}

	m := scrape(t, p)
	gauges := []struct {
		series string
		want   float64
	}{
		{kpiSeries("waymark_kpi_value", "dropoff"), w.dropoff},
		{kpiSeries("waymark_kpi_samples", "dropoff"), float64(w.dropSamples)},
		{kpiSeries("waymark_kpi_value", "clicks"), w.clicks},
		{kpiSeries("waymark_kpi_state", "clicks", `state="no_target"`), 1},
		{kpiSeries("waymark_kpi_value", "rating"), w.rating},
		{kpiSeries("waymark_kpi_samples", "rating"), float64(w.ratings)},
		{`waymark_journey_success_score{journey="checkout",stack="shop"}`, w.score},
	}
	for _, st := range []string{"met", "missed", "insufficient_data", "no_target"} {
		g := struct {
			series string
			want   float64
		}{kpiSeries("waymark_kpi_state", "dropoff", fmt.Sprintf("state=%q", st)), 0}
		if st == w.state {
			g.want = 1
		}
		gauges = append(gauges, g)
	}
	for _, g := range gauges {
		if v, ok := m[g.series]; !ok || v != g.want {
			t.Errorf("%s = %v (present %v), want %v", g.series, v, ok, g.want)
		}
	}
	for _, st := range []string{"missed", "met"} {
		if v := m[kpiSeries("waymark_kpi_alerts_total", "dropoff", fmt.Sprintf("state=%q", st))]; w.raised != nil && v != w.raised[st] {
			t.Errorf("waymark_kpi_alerts_total of dropoff, %s: %v, want %v", st, v, w.raised[st])
		}
	}

	// Every alert due is in the outbox by now; once all are delivered the
	// webhook has had each.
	c := p.client("")
	eventually(t, 10*time.Second, func() error {
		got := alertEntries(t, c)
		if got["delivered"] != len(w.alerts) || got["pending"]+got["failed"]+got["cancelled"] != 0 {
			return fmt.Errorf("alert entries by state %v, want %d delivered", got, len(w.alerts))
		}
		return nil
	})
	posts := h.received()
	if len(posts) != len(w.alerts) {
		t.Fatalf("the webhook received %d alerts, want %d: %+v", len(posts), len(w.alerts), posts)
	}
	keys := map[string]bool{}
	for i, a := range w.alerts {
		ps := posts[i]
		b := ps.Body
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write(ps.Raw)
		if b.Kind != "alert" || b.Stack != "shop" || b.Journey != "checkout" || b.Channel != "ops" || b.Alert == nil ||
			b.Alert.KPI != "dropoff" || b.Alert.State != a.state || b.Alert.Value != a.value || b.Alert.Target != 0.4 {
			t.Errorf("alert %d: %s, want %s at %v", i+1, ps.Raw, a.state, a.value)
		}
		if ps.Key != b.IdempotencyKey || !strings.HasSuffix(ps.Key, fmt.Sprintf("shop/journey.checkout.kpi.dropoff#%d", i+1)) || keys[ps.Key] {
			t.Errorf("alert %d: Idempotency-Key %q, body's %q", i+1, ps.Key, b.IdempotencyKey)
		}
		keys[ps.Key] = true
		if ps.Signature != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			t.Errorf("alert %d: signature %q does not sign the body", i+1, ps.Signature)
		}
	}
	return raw
}

// checkActions waits until the report's action and channel performance
// are want's.
func checkActions(t *testing.T, p *proc, want apiv1.ActionReport) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		_, r := report(t, p, "shop", "checkout")
		wantCh := want
		wantCh.Action = ""
		if len(r.Actions) != 1 || len(r.Channels) != 1 {
			return fmt.Errorf("actions %+v, channels %+v", r.Actions, r.Channels)
		}
		for i, got := range []apiv1.ActionReport{r.Actions[0], r.Channels[0]} {
			w := []apiv1.ActionReport{want, wantCh}[i]
			if got.Conversion == nil || *got.Conversion != *w.Conversion {
				return fmt.Errorf("%s, want conversion %v", js(got), *w.Conversion)
			}
			got.Conversion = w.Conversion
			if got != w {
				return fmt.Errorf("%+v, want %+v", got, w)
			}
		}
		return nil
	})
}

// decideAndRespond asks for customer's action on web, which must be
// offer, and reports outcomes for it.
func decideAndRespond(t *testing.T, c *client.Client, customer string, outcomes ...string) {
	t.Helper()
	d, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: customer, Channel: "web"})
	if err != nil || len(d.Actions) != 1 || d.Actions[0].Address != "shop/journey.checkout.action.offer" {
		t.Fatalf("decide for %s: %+v %v", customer, d, err)
	}
	for _, o := range outcomes {
		if r, err := c.Respond(ctx(t), d.DecisionID, "offer", o); err != nil || r.Duplicate {
			t.Fatalf("%s responds %s: %+v %v", customer, o, r, err)
		}
	}
}

// TestAnalyticsAlertsMetricsAndDurability runs journey checkout on a real
// runtime on the event clock: dropoff(stage.browsing)'s alert reaches a
// webhook once when the KPI leaves its target and once when it returns;
// rate() and average() read only the events of customers in the journey;
// the analytics API and /metrics agree with figures computed by hand;
// action performance counts the decisions and responses made; and the
// report survives SIGTERM and SIGKILL with no alert sent twice.
func TestAnalyticsAlertsMetricsAndDurability(t *testing.T) {
	h, hookURL := startHook(t)
	dir := t.TempDir()
	flags := []string{"-insecure-dev", "-clock=event"}
	p := serve(t, dir, flags...)
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "shop", 0, shopDoc(hookURL)); err != nil {
		t.Fatal(err)
	}
	s := &stream{base: time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)}
	// Alerts are evaluated at hour boundaries of event time: each send
	// ends with an event of x1 (never in the journey) an hour later, which
	// moves the clock past the next boundary.
	send := func(c *client.Client, evs []string) {
		t.Helper()
		res, err := c.SendEvents(ctx(t), s.batch(evs...))
		if err != nil || res.Accepted != len(evs) {
			t.Fatalf("events: %+v %v", res, err)
		}
		s.base = s.base.Add(time.Hour)
		if res, err := c.SendEvents(ctx(t), s.batch("x1 click")); err != nil || res.Accepted != 1 {
			t.Fatalf("events: %+v %v", res, err)
		}
		// Processed, and fed to analytics, whose alerts are then in the
		// outbox.
		if err := c.Sync(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}

	missed1 := sentAlert{"missed", 2.0 / 3}
	met2 := sentAlert{"met", 3.0 / 8}
	phases := []struct {
		name   string
		events []string
		want   shopWant
	}{{
		// c1 and c2 leave from browsing, c3 moves on: 2 of 3 dropped.
		// c1 clicks in the journey and again after leaving; c2 rates 4 in
		// it, c1 rates 0 after leaving; x1 never enters.
		name: "the KPI leaves its target",
		events: []string{"c1 visit", "c1 click", "c1 leave", "c1 click", "c1 rating score=0",
			"c2 visit", "c2 rating score=4", "c2 leave", "c3 visit", "c3 pay", "x1 click", "x1 rating score=1"},
		want: shopWant{dropoff: 2.0 / 3, dropSamples: 3, state: "missed",
			clicks: 1.0 / 3, rating: 4, ratings: 1,
			score:  33.3, // 1 − (2/3 − 0.4)/0.4
			active: 1, totals: apiv1.Totals{Entries: 3, Exited: 2},
			browsing: apiv1.FunnelStage{Reached: 3, MovedOn: 1, Dropped: 2, Left: 3}, payingReach: 1,
			alerts: []sentAlert{missed1}, raised: map[string]float64{"missed": 1}},
	}, {
		// 3 of 5 dropped: still missed, no alert. c5 clicks twice: one run.
		name:   "the KPI stays missed",
		events: []string{"c4 visit", "c4 leave", "c5 visit", "c5 click", "c5 click", "c5 pay"},
		want: shopWant{dropoff: 3.0 / 5, dropSamples: 5, state: "missed",
			clicks: 2.0 / 5, rating: 4, ratings: 1,
			score:  50, // 1 − (0.6 − 0.4)/0.4
			active: 2, totals: apiv1.Totals{Entries: 5, Exited: 3},
			browsing: apiv1.FunnelStage{Reached: 5, MovedOn: 2, Dropped: 3, Left: 5}, payingReach: 2,
			alerts: []sentAlert{missed1}, raised: map[string]float64{"missed": 1}},
	}, {
		// 3 of 8 dropped (c8 reaches the goal from browsing): met again.
		name:   "the KPI returns to its target",
		events: []string{"c6 visit", "c6 pay", "c7 visit", "c7 rating score=5", "c7 pay", "c8 visit", "c8 order amount=30"},
		want: shopWant{dropoff: 3.0 / 8, dropSamples: 8, state: "met",
			clicks: 2.0 / 8, rating: 4.5, ratings: 2, score: 100,
			active: 4, totals: apiv1.Totals{Entries: 8, Completed: 1, Exited: 3},
			browsing: apiv1.FunnelStage{Reached: 8, MovedOn: 4, Completed: 1, Dropped: 3, Left: 8}, payingReach: 4,
			alerts: []sentAlert{missed1, met2}, raised: map[string]float64{"missed": 1, "met": 1}},
	}}
	for _, ph := range phases {
		send(c, ph.events)
		checkShop(t, p, h, ph.want)
		if t.Failed() {
			t.Fatalf("after %q", ph.name)
		}
	}
	afterC := phases[2].want

	// Action performance: offers decided for c3, c5 and c6, who respond.
	decideAndRespond(t, c, "c3", "impression", "clicked")
	decideAndRespond(t, c, "c5", "impression", "rejected")
	decideAndRespond(t, c, "c6", "converted")
	conv := 1.0 / 3
	checkActions(t, p, apiv1.ActionReport{Action: "offer", Channel: "web", Decided: 3, Impressions: 2, Responded: 3,
		Positive: 2, Converted: 1, Conversion: &conv})
	before, _ := report(t, p, "shop", "checkout")

	// SIGTERM saves a snapshot that holds every fact: the next start
	// reports the same and raises no alert.
	p.stop()
	snap, facts := storedAnalytics(t, dir)
	if len(snap) == 0 || facts != 0 {
		t.Fatalf("after SIGTERM the store holds a snapshot of %d bytes and %d facts after it; want one and none", len(snap), facts)
	}
	p = serveReady(t, dir, flags...)
	c = p.client("")
	if after, _ := report(t, p, "shop", "checkout"); !bytes.Equal(after, before) {
		t.Fatalf("the report after SIGTERM and a restart:\n%s\nwant\n%s", after, before)
	}
	afterC.raised = map[string]float64{}
	checkShop(t, p, h, afterC)
	if strings.Contains(p.out.String(), `msg="KPI alert"`) {
		t.Errorf("the restarted runtime raised an alert:\n%s", p.out.String())
	}

	// Facts after the snapshot: c9 and c10 leave, 5 of 10 dropped, missed
	// again; c9 rates 2 in the journey, c8 rates 9 after its goal; c7's
	// offer is accepted.
	send(c, []string{"c9 visit", "c9 click", "c9 rating score=2", "c9 leave", "c10 visit", "c10 leave", "x1 rating score=10", "c8 rating score=9"})
	afterD := shopWant{dropoff: 5.0 / 10, dropSamples: 10, state: "missed",
		clicks: 3.0 / 10, rating: 11.0 / 3, ratings: 3,
		score:  75, // 1 − (0.5 − 0.4)/0.4
		active: 4, totals: apiv1.Totals{Entries: 10, Completed: 1, Exited: 5},
		browsing: apiv1.FunnelStage{Reached: 10, MovedOn: 4, Completed: 1, Dropped: 5, Left: 10}, payingReach: 4,
		alerts: []sentAlert{missed1, met2, {"missed", 0.5}}, raised: map[string]float64{"missed": 1}}
	checkShop(t, p, h, afterD)
	decideAndRespond(t, c, "c7", "accepted")
	conv = 1.0 / 4
	checkActions(t, p, apiv1.ActionReport{Action: "offer", Channel: "web", Decided: 4, Impressions: 2, Responded: 4,
		Positive: 3, Converted: 1, Conversion: &conv})
	before, _ = report(t, p, "shop", "checkout")

	// SIGKILL within the minute: no snapshot holds those facts, the next
	// start replays them. The third alert is raised again, with the same
	// id, and not sent again: the outbox has it.
	p.kill()
	if snap2, facts := storedAnalytics(t, dir); !bytes.Equal(snap2, snap) || facts == 0 {
		t.Fatalf("after SIGKILL the store holds %d facts after its snapshot, which changed: %v; want the SIGTERM one and the new facts", facts, !bytes.Equal(snap2, snap))
	}
	p = serveReady(t, dir, flags...)
	c = p.client("")
	if after, _ := report(t, p, "shop", "checkout"); !bytes.Equal(after, before) {
		t.Fatalf("the report after SIGKILL and a restart:\n%s\nwant\n%s", after, before)
	}
	afterD.raised = map[string]float64{}
	checkShop(t, p, h, afterD)

	// A KPI that returns to its target and leaves it again after the
	// snapshot, across a crash: the met alert is sent before the kill;
	// after the restart the next change is a new alert, sent, not taken
	// for one already sent.
	send(c, []string{"c11 visit", "c11 pay", "c12 visit", "c12 pay", "c13 visit", "c13 pay"}) // 5 of 13 dropped
	waitAlerts(t, h, 4, "met", 5.0/13)
	p.kill()
	p = serveReady(t, dir, flags...)
	c = p.client("")
	send(c, []string{"c14 visit", "c14 leave", "c15 visit", "c15 leave"}) // 7 of 15 dropped
	waitAlerts(t, h, 5, "missed", 7.0/15)
	if strings.Contains(p.out.String(), hookSecret) {
		t.Errorf("the runtime's output holds the webhook's secret:\n%s", p.out.String())
	}
}

// waitAlerts waits until the webhook has received n alerts, the last
// (by its id's count) the KPI dropoff changing to state at value, each
// once.
func waitAlerts(t *testing.T, h *hook, n int, state string, value float64) {
	t.Helper()
	var posts []hookPost
	deadline := time.Now().Add(15 * time.Second)
	for {
		posts = h.received()
		if len(posts) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // and no more arrive
	posts = h.received()
	if len(posts) != n {
		t.Fatalf("the webhook received %d alerts, want %d", len(posts), n)
	}
	last := fmt.Sprintf("#%d", n)
	for _, p := range posts {
		if !strings.HasSuffix(p.Key, last) {
			continue
		}
		if a := p.Body.Alert; a == nil || a.KPI != "dropoff" || a.State != state || math.Abs(a.Value-value) > 1e-9 {
			t.Fatalf("alert %s: %+v, want dropoff %s at %v", p.Key, a, state, value)
		}
		return
	}
	t.Fatalf("no alert %s among the %d received", last, len(posts))
}

// serveReady starts the runtime on dir and waits until it has caught up
// with its log.
func serveReady(t *testing.T, dir string, flags ...string) *proc {
	t.Helper()
	p := serve(t, dir, flags...)
	c := p.client("")
	eventually(t, 20*time.Second, func() error {
		if ok, err := c.Ready(ctx(t)); !ok {
			return fmt.Errorf("not ready: %v", err)
		}
		return nil
	})
	return p
}

// TestAnalyticsWindow asks for the analytics of one journey over every
// kind of window, over HTTP, and checks each against the entries sent:
// one 40 days ago, one 20 days ago, one 3 days ago and one an hour ago.
func TestAnalyticsWindow(t *testing.T) {
	p := serveInProcess(t, shopDoc("http://127.0.0.1:1/alerts"))
	now := time.Now().UTC()
	var b bytes.Buffer
	for i, ago := range []time.Duration{40 * 24 * time.Hour, 20 * 24 * time.Hour, 3 * 24 * time.Hour, time.Hour} {
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("w-%d", i), "type": "visit", "customer_id": fmt.Sprintf("c%d", i),
			"timestamp": now.Add(-ago).Format(time.RFC3339)})
		b.Write(line)
		b.WriteByte('\n')
	}
	if res, err := p.c.SendEvents(ctxShort(t), b.Bytes()); err != nil || res.Accepted != 4 {
		t.Fatalf("events: %+v %v", res, err)
	}
	if err := p.c.Sync(ctxShort(t)); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	for _, tt := range []struct {
		q       apiv1.AnalyticsQuery
		entries int64
		window  string
	}{
		{apiv1.AnalyticsQuery{}, 2, "7d"},
		{apiv1.AnalyticsQuery{Window: "24h"}, 1, "1d"},
		{apiv1.AnalyticsQuery{Window: "30d"}, 3, "30d"},
		{apiv1.AnalyticsQuery{Window: "all"}, 4, "all"},
		{apiv1.AnalyticsQuery{From: now.Add(-25 * day), To: now.Add(-2 * day)}, 2, "custom"},
	} {
		r, err := p.c.Analytics(ctxShort(t), "shop", "checkout", tt.q)
		if err != nil {
			t.Fatalf("%+v: %v", tt.q, err)
		}
		if r.Totals.Entries != tt.entries || r.Window != tt.window {
			t.Errorf("%v: %d entries over window %q, want %d over %q", tt.q.Values(), r.Totals.Entries, r.Window, tt.entries, tt.window)
		}
	}

	for q, want := range map[string]string{
		"window=fortnight":              `is not a window: give a duration`,
		"window=-3d":                    `is not a window`,
		"from=yesterday":                `is not a time: give RFC 3339`,
		"window=all&from=2026-01-01":    "covers everything",
		"window=7d&from=2026-01-01":     "not both",
		"window=7d&window=30d":          "given 2 times",
		"from=2026-02-01&to=2026-01-01": "starts",
	} {
		resp, err := http.Get(p.url + apiv1.AnalyticsPath("shop", "checkout") + "?" + q)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), want) {
			t.Errorf("?%s: %d %s, want 400 saying %q", q, resp.StatusCode, body, want)
		}
	}
}

// getMetrics reads GET /metrics with p's token, which has the read scope
// that /metrics needs by default.
func getMetrics(p *proc) (*http.Response, error) {
	req, err := http.NewRequest("GET", p.addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if p.token != "" {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	return http.DefaultClient.Do(req)
}
