package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/client"
)

// GET /v1/events pages through the recorded events in log order, with a
// read token, leaving out a customer erased later; what it returns is
// taken again by POST /v1/events as the same events.
func TestExportEvents(t *testing.T) {
	p := serve(t, t.TempDir(), "-clock=event")
	admin := p.client(p.token)
	c := ctx(t)
	if _, err := admin.Deploy(c, "growth", 0, growth()); err != nil {
		t.Fatal(err)
	}
	sent := strings.Join([]string{
		`{"id":"e1","type":"cart_updated","customer_id":"c-1","timestamp":"2026-11-01T10:00:00Z","attributes":{"cart_value":80},"traits":{"tier":"gold"}}`,
		`{"id":"e2","type":"cart_updated","customer_id":"c-2","timestamp":"2026-11-01T11:00:00Z","attributes":{"cart_value":30}}`,
		`{"id":"e3","type":"checkout_started","customer_id":"c-1","timestamp":"2026-11-02T09:00:00Z"}`,
		`{"id":"e4","type":"Order Completed","customer_id":"c-3","timestamp":"2026-11-03T09:00:00Z","attributes":{"amount":12.5}}`,
		`{"type":"identify","userId":"c-4","messageId":"e5","timestamp":"2026-11-03T10:00:00Z","traits":{"tier":"silver"}}`,
	}, "\n")
	if res, err := admin.SendEvents(c, []byte(sent)); err != nil || res.Accepted != 5 {
		t.Fatalf("sending: %+v %v", res, err)
	}
	if err := admin.Sync(c); err != nil {
		t.Fatal(err)
	}
	if err := admin.DeleteCustomer(c, "c-2"); err != nil {
		t.Fatal(err)
	}
	reader, err := admin.CreateToken(c, "reader", []apiv1.Scope{apiv1.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	ingester, err := admin.CreateToken(c, "ingester", []apiv1.Scope{apiv1.ScopeIngest})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.client(ingester).Events(c, apiv1.EventsQuery{}); !client.IsCode(err, apiv1.CodeForbidden) {
		t.Fatalf("an ingest token reads events: %v", err)
	}
	if _, err := p.client(reader).Events(c, apiv1.EventsQuery{After: "x"}); !client.IsCode(err, apiv1.CodeBadRequest) {
		t.Fatalf("a bad cursor: %v", err)
	}

	// Pages of two, until Next is empty.
	var got []string
	q := apiv1.EventsQuery{Limit: 2}
	pages := 0
	for {
		page, err := p.client(reader).Events(c, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range page.Events {
			b, _ := json.Marshal(e)
			got = append(got, string(b))
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	want := []string{
		`{"id":"e1","type":"cart_updated","customer_id":"c-1","timestamp":"2026-11-01T10:00:00Z","attributes":{"cart_value":80},"traits":{"tier":"gold"}}`,
		`{"id":"e3","type":"checkout_started","customer_id":"c-1","timestamp":"2026-11-02T09:00:00Z"}`,
		`{"id":"e4","type":"order_placed","customer_id":"c-3","timestamp":"2026-11-03T09:00:00Z","attributes":{"amount":12.5}}`,
		`{"type":"identify","userId":"c-4","messageId":"e5","timestamp":"2026-11-03T10:00:00Z","traits":{"tier":"silver"}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("exported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if pages != 3 {
		t.Errorf("%d pages of two for five events, one erased; want 3", pages)
	}

	// since inclusive, until exclusive.
	page, err := p.client(reader).Events(c, apiv1.EventsQuery{Since: mustTime(t, "2026-11-02T09:00:00Z"), Until: mustTime(t, "2026-11-03T10:00:00Z")})
	if err != nil || len(page.Events) != 2 || page.Events[0].ID != "e3" || page.Events[1].ID != "e4" {
		t.Fatalf("since/until: %+v %v", page, err)
	}

	// The export is a batch a runtime takes as it is.
	q2 := serve(t, t.TempDir(), "-clock=event")
	other := q2.client(q2.token)
	if _, err := other.Deploy(c, "growth", 0, growth()); err != nil {
		t.Fatal(err)
	}
	res, err := other.SendEvents(c, []byte(strings.Join(got, "\n")))
	if err != nil || res.Accepted != 4 || len(res.Rejected) != 0 || res.Dropped != 0 {
		t.Fatalf("sending the export again: %+v %v", res, err)
	}
	if err := other.Sync(c); err != nil {
		t.Fatal(err)
	}
	again, err := other.Events(c, apiv1.EventsQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, e := range again.Events {
		b, _ := json.Marshal(e)
		buf.WriteString(string(b) + "\n")
	}
	if buf.String() != strings.Join(want, "\n")+"\n" {
		t.Fatalf("exported from the second runtime:\n%s", buf.String())
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}
