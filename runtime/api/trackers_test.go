package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/segmentio/analytics-go/v3"

	"github.com/waymarkhq/waymark/runtime/api"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/service"
	"github.com/waymarkhq/waymark/runtime/store"
	"github.com/waymarkhq/waymark/runtime/store/memstore"
)

// trackerClock is the runtime's clock in the tracker tests: every event
// arrives at it, so sentAt's correction can be checked to the nanosecond.
var trackerClock = time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

// trackerRuntime is a runtime served in the test's process with tokens
// required, declaring what Segment's calls and CloudEvents map to.
type trackerRuntime struct {
	url   string
	store *memstore.Store
	svc   *service.Service
	// ingest is a write key; read a token without the ingest scope.
	ingest, read string
}

func serveTrackers(t *testing.T) *trackerRuntime {
	t.Helper()
	st := memstore.New(memstore.Options{})
	svc, err := service.New(context.Background(), service.Config{Store: st, SecretKey: make([]byte, service.KeySize),
		Now: func() time.Time { return trackerClock }})
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
	doc := fixture.New("web").
		Customer("email", "string", nil, false).
		Event("order_completed", []string{"Order Completed"}, "revenue", "number", "context_page_url", "string").
		Event("page", nil, "name", "string", "url", "string", "context_page_url", "string", "context_campaign_name", "string").
		Event("screen", nil, "name", "string").
		Event("group", nil, "group_id", "string", "plan", "string").
		Event("alias", nil, "previous_id", "string").
		Event("order_shipped", []string{"order.shipped"}, "carrier", "string").
		Done()
	if _, err := svc.Deploy(ctxShort(t), doc.Stack, 0, doc, "test"); err != nil {
		t.Fatal(err)
	}
	rt := &trackerRuntime{store: st, svc: svc}
	if rt.ingest, err = svc.CreateToken(ctxShort(t), "tracker", []store.Scope{store.ScopeIngest}); err != nil {
		t.Fatal(err)
	}
	if rt.read, err = svc.CreateToken(ctxShort(t), "reader", []store.Scope{store.ScopeRead}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(svc, api.Options{}))
	t.Cleanup(srv.Close)
	rt.url = srv.URL
	return rt
}

// stored returns the events in the log, by id.
func (rt *trackerRuntime) stored(t *testing.T) map[string]events.Event {
	t.Helper()
	from := make([]store.From, store.Partitions)
	for i := range from {
		from[i] = store.From{Partition: i}
	}
	recs, _, err := rt.store.Read(ctxShort(t), from, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.svc.OpenLog(ctxShort(t), recs); err != nil {
		t.Fatal(err)
	}
	out := map[string]events.Event{}
	for _, r := range recs {
		if len(r.Data) == 0 || r.Data[0] != 'E' {
			continue
		}
		var ev events.Event
		if err := ev.UnmarshalBinary(r.Data[1:]); err != nil {
			t.Fatal(err)
		}
		out[ev.ID] = ev
	}
	return out
}

// post sends body to path with the headers and returns the status and the
// answer.
func (rt *trackerRuntime) post(t *testing.T, path, body string, header ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rt.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// want is what one stored event should be.
type want struct {
	id, typ, customer string
	time              time.Time
	attrs             map[string]string
	traits            map[string]string
}

func checkStored(t *testing.T, got map[string]events.Event, wants []want) {
	t.Helper()
	for _, w := range wants {
		ev, ok := got[w.id]
		if !ok {
			ids := make([]string, 0, len(got))
			for id := range got {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			t.Errorf("event %q was not stored (stored: %q)", w.id, ids)
			continue
		}
		if ev.Type != w.typ || ev.Customer != w.customer {
			t.Errorf("event %q is %q of %q, want %q of %q", w.id, ev.Type, ev.Customer, w.typ, w.customer)
		}
		if !w.time.IsZero() && !ev.Time.Equal(w.time) {
			t.Errorf("event %q is at %s, want %s", w.id, ev.Time, w.time)
		}
		for k, v := range w.attrs {
			if got := jsonOf(ev.Attribute(k)); got != v {
				t.Errorf("event %q: attribute %s = %s, want %s", w.id, k, got, v)
			}
		}
		for k, v := range w.traits {
			found := ""
			for _, f := range ev.Traits {
				if f.Name == k {
					found = jsonOf(f.Value)
				}
			}
			if found != v {
				t.Errorf("event %q: trait %s = %s, want %s", w.id, k, found, v)
			}
		}
	}
}

func jsonOf(v events.Value) string {
	b, _ := json.Marshal(v.JSON())
	return string(b)
}

// callbacks records what analytics-go says became of each message.
type callbacks struct {
	mu       sync.Mutex
	ok       int
	failures []string
}

func (c *callbacks) Success(analytics.Message) { c.mu.Lock(); c.ok++; c.mu.Unlock() }
func (c *callbacks) Failure(_ analytics.Message, err error) {
	c.mu.Lock()
	c.failures = append(c.failures, err.Error())
	c.mu.Unlock()
}

type quiet struct{}

func (quiet) Logf(string, ...any)   {}
func (quiet) Errorf(string, ...any) {}

// TestAnalyticsGo sends every Segment call with Segment's Go library,
// which posts {"batch": [...]} to /v1/batch with the write key as the
// Basic auth username, and finds each stored as docs/trackers.md says.
func TestAnalyticsGo(t *testing.T) {
	rt := serveTrackers(t)
	send := func(key string, msgs ...analytics.Message) *callbacks {
		cb := &callbacks{}
		c, err := analytics.NewWithConfig(key, analytics.Config{Endpoint: rt.url, Callback: cb, Logger: quiet{},
			BatchSize: 100, Interval: time.Hour, RetryAfter: func(int) time.Duration { return time.Millisecond }})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if err := c.Enqueue(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Close(); err != nil { // flushes, and waits for the answer
			t.Fatal(err)
		}
		return cb
	}
	// analytics-go stamps sentAt with the machine's clock as it sends:
	// the runtime, whose clock is trackerClock, moves each event by as much
	// as that clock is off, so an event sent at once is stored within the
	// time the sending took of trackerClock - (now - timestamp).
	ts := time.Now().Add(-time.Minute)
	before := time.Now()
	cb := send(rt.ingest,
		analytics.Track{MessageId: "go-track", UserId: "u-1", Event: "Order Completed", Timestamp: ts,
			Properties: analytics.NewProperties().SetRevenue(42),
			Context:    &analytics.Context{Page: analytics.PageInfo{URL: "https://shop.test/checkout"}}},
		analytics.Identify{MessageId: "go-identify", UserId: "u-1", Timestamp: ts, Traits: analytics.NewTraits().SetEmail("u1@shop.test")},
		analytics.Page{MessageId: "go-page", AnonymousId: "anon-1", Name: "Home", Timestamp: ts,
			Properties: analytics.NewProperties().SetURL("https://shop.test/")},
		analytics.Screen{MessageId: "go-screen", UserId: "u-1", Name: "Settings", Timestamp: ts},
		analytics.Group{MessageId: "go-group", UserId: "u-1", GroupId: "acme", Timestamp: ts, Traits: analytics.NewTraits().Set("plan", "team")},
		analytics.Alias{MessageId: "go-alias", UserId: "u-1", PreviousId: "anon-1", Timestamp: ts},
	)
	took := time.Since(before)
	if cb.ok != 6 || len(cb.failures) > 0 {
		t.Fatalf("analytics-go: %d sent, failures %q", cb.ok, cb.failures)
	}
	got := rt.stored(t)
	checkStored(t, got, []want{
		{id: "go-track", typ: "order_completed", customer: "u-1", attrs: map[string]string{"revenue": "42", "context_page_url": `"https://shop.test/checkout"`}},
		{id: "go-identify", typ: "", customer: "u-1", traits: map[string]string{"email": `"u1@shop.test"`}},
		{id: "go-page", typ: "page", customer: "anon-1", attrs: map[string]string{"name": `"Home"`, "url": `"https://shop.test/"`}},
		{id: "go-screen", typ: "screen", customer: "u-1", attrs: map[string]string{"name": `"Settings"`}},
		{id: "go-group", typ: "group", customer: "u-1", attrs: map[string]string{"group_id": `"acme"`, "plan": `"team"`}},
		{id: "go-alias", typ: "alias", customer: "u-1", attrs: map[string]string{"previous_id": `"anon-1"`}},
	})
	for id, ev := range got {
		latest := trackerClock.Add(-before.Sub(ts))
		earliest := latest.Add(-took)
		if ev.Time.Before(earliest) || ev.Time.After(latest) {
			t.Errorf("event %q is at %s, want between %s and %s: sentAt's skew is not corrected", id, ev.Time, earliest, latest)
		}
	}

	// A retry of the same messages is deduplicated by messageId.
	if cb := send(rt.ingest, analytics.Track{MessageId: "go-track", UserId: "u-1", Event: "Order Completed"}); cb.ok != 1 {
		t.Errorf("resending: %d sent, failures %q", cb.ok, cb.failures)
	}
	if n := len(rt.stored(t)); n != 6 {
		t.Errorf("after a resend, %d events are stored, want 6", n)
	}

	// A wrong write key, or a token that cannot ingest, fails the send.
	for _, key := range []string{"wm_not-a-token", rt.read} {
		cb := send(key, analytics.Track{MessageId: "go-refused", UserId: "u-1", Event: "Order Completed"})
		if cb.ok != 0 || len(cb.failures) != 1 {
			t.Errorf("with write key %.6s...: %d sent, failures %q; want one failure", key, cb.ok, cb.failures)
		}
	}
	if _, ok := rt.stored(t)["go-refused"]; ok {
		t.Error("a message sent with a refused write key was stored")
	}
}

// TestAnalyticsJS posts what analytics.js sends (testdata/analyticsjs_*.json,
// captured from its segmentio plugin): a page with its context to /v1/p
// and a track to /v1/t as text/plain with "writeKey" in the body, and its
// batching dispatcher's {"batch": [...]} to /v1/b.
func TestAnalyticsJS(t *testing.T) {
	rt := serveTrackers(t)
	for _, c := range []struct {
		path, file string
		wants      []want
	}{
		{"/v1/p", "analyticsjs_page.json", []want{{id: "ajs-page-1", typ: "page", customer: "u-7",
			// Sent 120ms after it happened, on the device's clock.
			time: trackerClock.Add(-120 * time.Millisecond),
			attrs: map[string]string{"name": `"Pricing"`, "url": `"https://shop.test/pricing?utm_campaign=winter"`,
				"context_page_url": `"https://shop.test/pricing?utm_campaign=winter"`, "context_campaign_name": `"winter"`}}}},
		// The device's clock is an hour fast: sentAt 13:00:05, timestamp
		// 13:00:00, so the event happened 5s before it arrived.
		{"/v1/t", "analyticsjs_track_skew.json", []want{{id: "ajs-track-1", typ: "order_completed", customer: "anon-9",
			time: trackerClock.Add(-5 * time.Second), attrs: map[string]string{"revenue": "19.5", "context_page_url": `"https://shop.test/cart"`}}}},
		{"/v1/b", "analyticsjs_batch.json", []want{
			{id: "ajs-batch-1", typ: "order_completed", customer: "u-7", time: trackerClock.Add(-3 * time.Second)},
			{id: "ajs-batch-2", typ: "", customer: "u-7", traits: map[string]string{"email": `"u7@shop.test"`}},
		}},
	} {
		body, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		body = []byte(strings.ReplaceAll(string(body), "WRITE_KEY", rt.ingest))
		status, h, answer := rt.post(t, c.path, string(body), "Content-Type", "text/plain", "Origin", "https://shop.test")
		if status != 200 {
			t.Errorf("%s: %d %s", c.file, status, answer)
			continue
		}
		if h.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS header: a browser would not let analytics.js read the answer", c.file)
		}
		checkStored(t, rt.stored(t), c.wants)
	}
}

// TestSegmentRoutes sends each call to its own route, and what is wrong
// with a request is answered with the field at fault.
func TestSegmentRoutes(t *testing.T) {
	rt := serveTrackers(t)
	basic := func(key string) []string {
		req, _ := http.NewRequest("POST", "/", nil)
		req.SetBasicAuth(key, "")
		return []string{"Authorization", req.Header.Get("Authorization")}
	}
	key := basic(rt.ingest)
	for _, c := range []struct {
		name, path, body string
		header           []string
		status           int
		answer           string
		want             *want
	}{
		{"track", "/v1/track", `{"userId": "u-1", "event": "Order Completed", "messageId": "r-track", "properties": {"revenue": 5}}`,
			key, 200, `"accepted":1`, &want{id: "r-track", typ: "order_completed", customer: "u-1", time: trackerClock}},
		{"identify", "/v1/identify", `{"userId": "u-2", "messageId": "r-identify", "traits": {"email": "u2@shop.test"}}`,
			key, 200, `"accepted":1`, &want{id: "r-identify", customer: "u-2", traits: map[string]string{"email": `"u2@shop.test"`}}},
		{"page", "/v1/page", `{"anonymousId": "a-3", "messageId": "r-page", "name": "Home", "timestamp": "2026-12-03T11:00:00Z"}`,
			key, 200, `"accepted":1`, &want{id: "r-page", typ: "page", customer: "a-3", time: trackerClock.Add(-time.Hour)}},
		{"screen", "/v1/screen", `{"userId": "u-1", "messageId": "r-screen", "name": "Cart"}`,
			key, 200, `"accepted":1`, &want{id: "r-screen", typ: "screen", customer: "u-1"}},
		{"group", "/v1/group", `{"userId": "u-1", "messageId": "r-group", "groupId": "acme"}`,
			key, 200, `"accepted":1`, &want{id: "r-group", typ: "group", customer: "u-1", attrs: map[string]string{"group_id": `"acme"`}}},
		{"alias", "/v1/alias", `{"userId": "u-1", "messageId": "r-alias", "previousId": "a-3"}`,
			key, 200, `"accepted":1`, &want{id: "r-alias", typ: "alias", customer: "u-1", attrs: map[string]string{"previous_id": `"a-3"`}}},
		{"import", "/v1/import", `{"batch": [{"type": "track", "userId": "u-1", "event": "Order Completed", "messageId": "r-import", "timestamp": "2025-01-01T00:00:00Z"}]}`,
			key, 200, `"accepted":1`, &want{id: "r-import", typ: "order_completed", customer: "u-1", time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"type repeated", "/v1/track", `{"type": "track", "userId": "u-1", "event": "Order Completed", "messageId": "r-typed"}`,
			key, 200, `"accepted":1`, &want{id: "r-typed", typ: "order_completed", customer: "u-1"}},
		{"write key as bearer", "/v1/screen", `{"userId": "u-1", "messageId": "r-bearer", "name": "Cart"}`,
			[]string{"Authorization", "Bearer " + rt.ingest}, 200, `"accepted":1`, &want{id: "r-bearer", typ: "screen", customer: "u-1"}},
		{"a duplicate", "/v1/track", `{"userId": "u-1", "event": "Order Completed", "messageId": "r-track"}`,
			key, 200, `"duplicates":1`, nil},

		{"no write key", "/v1/track", `{"userId": "u-1", "event": "Order Completed"}`,
			nil, 401, `send it as the HTTP Basic auth username (password empty), as \"writeKey\" in the body`, nil},
		{"a wrong write key", "/v1/track", `{"userId": "u-1", "event": "Order Completed", "writeKey": "wm_nope"}`,
			nil, 401, `the write key is not a valid token`, nil},
		{"a token without ingest", "/v1/track", `{"userId": "u-1", "event": "Order Completed"}`,
			basic(rt.read), 403, `lacks the \"ingest\" scope`, nil},
		{"another call's type", "/v1/track", `{"type": "page", "userId": "u-1"}`,
			key, 400, `\"type\" is \"page\", but this route takes track calls`, nil},
		{"not an object", "/v1/track", `[{"userId": "u-1"}]`,
			key, 400, `the body of a Segment track call must be one JSON object`, nil},
		{"not JSON", "/v1/page", `{"userId": `,
			key, 400, `the body is not valid JSON`, nil},
		{"a batch on a call's route", "/v1/track", `{"batch": []}`,
			key, 400, `send batches to /v1/batch`, nil},
		{"no batch", "/v1/batch", `{"type": "track", "userId": "u-1", "event": "Order Completed"}`,
			key, 400, `the body has no \"batch\"`, nil},
		{"batch not an array", "/v1/batch", `{"batch": {"type": "track"}}`,
			key, 400, `\"batch\" must be an array of Segment calls`, nil},
		{"no event", "/v1/track", `{"userId": "u-1", "properties": {}}`,
			key, 422, `the event was rejected: the Segment track call has no \"event\"`, nil},
		{"no customer", "/v1/track", `{"event": "Order Completed"}`,
			key, 422, `send \"userId\" or \"anonymousId\"`, nil},
		{"a bad sentAt", "/v1/track", `{"userId": "u-1", "event": "Order Completed", "timestamp": "2026-12-03T11:00:00Z", "sentAt": "yesterday"}`,
			key, 422, `sentAt \"yesterday\" is not an RFC 3339 time`, nil},
		{"no group id", "/v1/group", `{"userId": "u-1"}`,
			key, 422, `the Segment group call has no \"groupId\"`, nil},
	} {
		status, _, answer := rt.post(t, c.path, c.body, c.header...)
		if status != c.status || !strings.Contains(answer, c.answer) {
			t.Errorf("%s: %d %s\nwant %d with %s", c.name, status, answer, c.status, c.answer)
		}
		if c.want != nil {
			checkStored(t, rt.stored(t), []want{*c.want})
		}
	}

	// Only POST, and a CORS preflight.
	req, _ := http.NewRequest(http.MethodOptions, rt.url+"/v1/t", nil)
	req.Header.Set("Origin", "https://shop.test")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Allow-Methods"), "POST") {
		t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = http.Get(rt.url + "/v1/batch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST, OPTIONS" {
		t.Errorf("GET /v1/batch: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestCloudEvents sends CloudEvents with the CloudEvents Go SDK in binary
// mode (ce-* headers) and structured mode, and a batch as the HTTP
// binding's batch mode has it.
func TestCloudEvents(t *testing.T) {
	rt := serveTrackers(t)
	at := trackerClock.Add(-time.Minute)
	for _, c := range []struct {
		name string
		ctx  func(context.Context) context.Context
	}{
		{"binary", func(ctx context.Context) context.Context { return ctx }},
		{"structured", cloudevents.WithEncodingStructured},
	} {
		client, err := cloudevents.NewClientHTTP(cehttp.WithTarget(rt.url+"/v1/events"), cehttp.WithHeader("Authorization", "Bearer "+rt.ingest))
		if err != nil {
			t.Fatal(err)
		}
		ev := cloudevents.NewEvent()
		ev.SetID(c.name + "-1")
		ev.SetSource("urn:shop:orders")
		ev.SetType("order.shipped")
		ev.SetSubject("u-5")
		ev.SetTime(at)
		if err := ev.SetData(cloudevents.ApplicationJSON, map[string]any{"carrier": "dhl"}); err != nil {
			t.Fatal(err)
		}
		if res := client.Send(c.ctx(ctxShort(t)), ev); !cloudevents.IsACK(res) {
			t.Fatalf("%s: %v", c.name, res)
		}
		checkStored(t, rt.stored(t), []want{{id: "urn:shop:orders/" + c.name + "-1", typ: "order_shipped", customer: "u-5", time: at,
			attrs: map[string]string{"carrier": `"dhl"`}}})

		// The same event again is a duplicate.
		if res := client.Send(c.ctx(ctxShort(t)), ev); !cloudevents.IsACK(res) {
			t.Errorf("%s, resent: %v", c.name, res)
		}
		// One the runtime refuses is not acknowledged, with the reason.
		bad := ev.Clone()
		bad.SetID(c.name + "-2")
		bad.SetSubject("")
		res := client.Send(c.ctx(ctxShort(t)), bad)
		if cloudevents.IsACK(res) {
			t.Errorf("%s: an event without a subject was acknowledged", c.name)
		}
	}
	if n := len(rt.stored(t)); n != 2 {
		t.Errorf("%d events stored, want 2", n)
	}

	auth := []string{"Authorization", "Bearer " + rt.ingest}
	batch := `[{"specversion": "1.0", "id": "b-1", "source": "urn:shop:orders", "type": "order.shipped", "subject": "u-6", "data": {"carrier": "ups"}},
	           {"specversion": "1.0", "id": "b-2", "source": "urn:shop:orders", "type": "order.shipped", "subject": "u-6", "time": "2026-12-03T11:00:00Z"}]`
	status, _, answer := rt.post(t, "/v1/events", batch, append(auth, "Content-Type", "application/cloudevents-batch+json")...)
	if status != 200 || !strings.Contains(answer, `"accepted":2`) {
		t.Errorf("batch mode: %d %s", status, answer)
	}
	checkStored(t, rt.stored(t), []want{
		{id: "urn:shop:orders/b-1", typ: "order_shipped", customer: "u-6", time: trackerClock, attrs: map[string]string{"carrier": `"ups"`}},
		{id: "urn:shop:orders/b-2", typ: "order_shipped", customer: "u-6", time: trackerClock.Add(-time.Hour)},
	})

	// Binary mode as curl sends it, and what is wrong with it.
	ce := func(id string, more ...string) []string {
		return append(append(auth, "Ce-Specversion", "1.0", "Ce-Id", id, "Ce-Source", "urn:shop:orders", "Ce-Type", "order.shipped"), more...)
	}
	for _, c := range []struct {
		name, body string
		header     []string
		status     int
		answer     string
	}{
		{"percent-encoded subject", `{"carrier": "dhl"}`, ce("h-1", "Ce-Subject", "u%207", "Content-Type", "application/json"), 200, `"accepted":1`},
		{"no data", ``, ce("h-2", "Ce-Subject", "u-7"), 200, `"accepted":1`},
		{"data not JSON", `{"carrier": `, ce("h-3", "Ce-Subject", "u-7", "Content-Type", "application/json"), 400, `is its data, and is not valid JSON`},
		{"data of another type", `carrier=dhl`, ce("h-4", "Ce-Subject", "u-7", "Content-Type", "text/plain"), 422, `datacontenttype \"text/plain\" is not JSON`},
		{"no subject", `{}`, ce("h-5"), 422, `send it as \"subject\" (ce-subject in binary mode)`},
		{"another specversion", `{}`, append(auth, "Ce-Specversion", "0.3", "Ce-Id", "h-6", "Ce-Type", "order.shipped", "Ce-Subject", "u-7"), 422, `specversion \"0.3\" is not supported`},
	} {
		status, _, answer := rt.post(t, "/v1/events", c.body, c.header...)
		if status != c.status || !strings.Contains(answer, c.answer) {
			t.Errorf("%s: %d %s\nwant %d with %s", c.name, status, answer, c.status, c.answer)
		}
	}
	// The webhook spec's validation handshake.
	req, _ := http.NewRequest(http.MethodOptions, rt.url+"/v1/events", nil)
	req.Header.Set("WebHook-Request-Origin", "eventgrid.azure.net")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("WebHook-Allowed-Origin") != "eventgrid.azure.net" {
		t.Errorf("webhook handshake: %d, WebHook-Allowed-Origin %q", resp.StatusCode, resp.Header.Get("WebHook-Allowed-Origin"))
	}

	checkStored(t, rt.stored(t), []want{{id: "urn:shop:orders/h-1", typ: "order_shipped", customer: "u 7", attrs: map[string]string{"carrier": `"dhl"`}}})
}

// The fixtures hold what analytics.js sends; this keeps them JSON.
func TestAnalyticsJSFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/analyticsjs_*.json")
	if len(files) != 3 {
		t.Fatalf("found %d analytics.js fixtures, want 3", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Errorf("%s is not JSON", f)
		}
	}
}
