package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/internal/version"
	"github.com/waymarkhq/waymark/runtime/apiv1"
)

// series returns the scraped series of metric.
func series(all map[string]float64, metric string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range all {
		if strings.HasPrefix(k, metric+"{") {
			out[k] = v
		}
	}
	return out
}

// TestOperationalMetrics scrapes a runtime serve process after requests,
// a decision and a delivery its provider keeps failing: each operational
// series is there with labels from route patterns and the deployment, and
// ten thousand distinct undeclared attribute names add no series.
func TestOperationalMetrics(t *testing.T) {
	mb := startMailbox(t)
	mb.failNext = 1 << 20 // every attempt is answered 451: retried, pending
	p := serve(t, t.TempDir(), "-insecure-dev")
	c := p.client("")
	if _, err := c.Deploy(ctx(t), "growth", 0, mailing(mb.port)); err != nil {
		t.Fatal(err)
	}
	res, err := c.SendEvents(ctx(t), []byte(`{"id":"e1","type":"cart_updated","customer_id":"c-1","attributes":{"cart_value":80,"amount":3,"coupon":"X"},"traits":{"email":"ana@example.test","email_opt_in":true,"shoe":"9"}}`))
	if err != nil || res.Accepted != 1 || res.Dropped != 3 {
		t.Fatalf("events %+v %v", res, err)
	}
	if err := c.Sync(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"c-1", "c-2"} {
		resp, err := http.Get(p.addr + apiv1.CustomerPath(id))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if resp, err := http.Get(p.addr + "/v1/nothing/here"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown path: %v %v", resp, err)
	}
	if _, err := c.Decide(ctx(t), apiv1.DecideRequest{CustomerID: "c-1", Channel: "email"}); err != nil {
		t.Fatal(err)
	}

	var m map[string]float64
	errKey := `waymark_provider_errors_total{channel="email",provider="waymark/smtp",retryable="true"}`
	eventually(t, 20*time.Second, func() error {
		m = scrape(t, p)
		if m[errKey] < 1 || m[`waymark_outbox_pending{channel="email"}`] != 1 {
			return fmt.Errorf("no provider error and pending delivery yet: %v %v", series(m, "waymark_provider_errors_total"), series(m, "waymark_outbox_pending"))
		}
		return nil
	})
	want := map[string]float64{
		`waymark_http_requests_total{code="200",method="GET",route="/v1/customers/{id...}"}`:         1,
		`waymark_http_requests_total{code="404",method="GET",route="/v1/customers/{id...}"}`:         1,
		`waymark_http_requests_total{code="404",method="GET",route="/"}`:                             1,
		`waymark_http_requests_total{code="200",method="POST",route="/v1/events"}`:                   1,
		`waymark_http_requests_total{code="200",method="POST",route="/v1/decide"}`:                   1,
		`waymark_event_attributes_dropped_total{event_type="cart_updated",name="amount"}`:            1,
		`waymark_event_attributes_dropped_total{event_type="cart_updated",name="undeclared"}`:        1,
		`waymark_event_attributes_dropped_total{event_type="cart_updated",name="traits.undeclared"}`: 1,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	bi := series(m, "waymark_build_info")
	if len(bi) != 1 {
		t.Errorf("build info %v", bi)
	}
	for k, v := range bi {
		if v != 1 || !strings.Contains(k, fmt.Sprintf("version=%q", version.Version)) || !strings.Contains(k, `go_version="go1.`) {
			t.Errorf("build info %s %v", k, v)
		}
	}
	for k := range series(m, "waymark_http_requests_total") {
		if strings.Contains(k, "c-1") || strings.Contains(k, "nothing") {
			t.Errorf("a raw path became a label: %s", k)
		}
	}
	if _, ok := m[`waymark_outbox_oldest_pending_seconds{channel="email"}`]; !ok {
		t.Errorf("no outbox age: %v", series(m, "waymark_outbox_oldest_pending_seconds"))
	}
	// scrape does not flatten histograms: check them in the exposition.
	resp, err := http.Get(p.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`waymark_decide_duration_seconds_count{channel="email"} 1`,
		`waymark_http_request_duration_seconds_count{method="POST",route="/v1/decide"} 1`,
		`waymark_http_request_duration_seconds_bucket{method="GET",route="/v1/customers/{id...}",le="+Inf"} 2`,
	} {
		if !strings.Contains(string(body), line) {
			t.Errorf("metrics lack %q", line)
		}
	}

	// Ten thousand distinct undeclared names, in 100 events: no new series.
	before := len(series(m, "waymark_event_attributes_dropped_total"))
	var batch strings.Builder
	for e := range 100 {
		fmt.Fprintf(&batch, `{"id":"n%d","type":"cart_updated","customer_id":"c-9","attributes":{"cart_value":1`, e)
		for a := range 100 {
			fmt.Fprintf(&batch, `,"k%d_%d":1`, e, a)
		}
		batch.WriteString("}}\n")
	}
	if res, err := c.SendEvents(ctx(t), []byte(batch.String())); err != nil || res.Dropped != 10000 {
		t.Fatalf("events %+v %v", res, err)
	}
	m = scrape(t, p)
	if after := series(m, "waymark_event_attributes_dropped_total"); len(after) != before {
		t.Errorf("%d dropped-attribute series after 10000 undeclared names, %d before", len(after), before)
	}
	if got := m[`waymark_event_attributes_dropped_total{event_type="cart_updated",name="undeclared"}`]; got != 10001 {
		t.Errorf("undeclared counted %v times, want 10001", got)
	}
}
