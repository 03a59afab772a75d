package events

import (
	"testing"
	"time"
)

// TestSegmentShapes reads Segment calls as analytics.js and analytics-go
// send them (testdata/segment_*.json): the batch envelope, page, screen,
// group and alias, sentAt's skew correction and declared context values.
func TestSegmentShapes(t *testing.T) {
	schema := &Schema{Types: map[string]*Type{
		"Signed Up": {Name: "Signed Up", Attributes: map[string]Attr{"plan": {Kind: KindString}, "context_page_url": {Kind: KindString}}},
		"page":      {Name: "page", Attributes: map[string]Attr{"name": {Kind: KindString}, "url": {Kind: KindString}}},
		"screen":    {Name: "screen", Attributes: map[string]Attr{"name": {Kind: KindString}}},
		"group":     {Name: "group", Attributes: map[string]Attr{"group_id": {Kind: KindString}, "plan": {Kind: KindString}}},
		"alias":     {Name: "alias", Attributes: map[string]Attr{"previous_id": {Kind: KindString}}},
	}, Customer: map[string]Attr{}}
	arrival := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	body := `{"batch": [
	  {"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "m1", "properties": {"plan": "pro"},
	   "timestamp": "2026-12-03T13:00:00Z", "context": {"page": {"url": "https://x.test/a"}, "ip": "1.2.3.4"}},
	  {"type": "page", "anonymousId": "a1", "messageId": "m2", "name": "Home", "properties": {"url": "https://x.test/"}},
	  {"type": "screen", "userId": "u1", "messageId": "m3", "name": "Settings", "sentAt": "2026-12-03T13:00:10Z", "timestamp": "2026-12-03T13:00:00Z"},
	  {"type": "group", "userId": "u1", "messageId": "m4", "groupId": "g1", "traits": {"plan": "team"}},
	  {"type": "alias", "userId": "u1", "messageId": "m5", "previousId": "a1"},
	  {"type": "group", "userId": "u1", "messageId": "m6"}
	], "sentAt": "2026-12-03T13:00:05Z"}`
	raws, err := Decode([]byte(body), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res := Validate(raws, schema, arrival, nil)
	if len(res) != 6 {
		t.Fatalf("got %d results, want 6", len(res))
	}
	want := []struct {
		typ, customer string
		time          time.Time
		attr, value   string
	}{
		// sentAt from the envelope: 5s after the event on the device's clock.
		{"Signed Up", "u1", arrival.Add(-5 * time.Second), "context_page_url", "https://x.test/a"},
		{"page", "a1", arrival, "name", "Home"},
		{"screen", "u1", arrival.Add(-10 * time.Second), "name", "Settings"},
		{"group", "u1", arrival, "group_id", "g1"},
		{"alias", "u1", arrival, "previous_id", "a1"},
	}
	for i, w := range want {
		r := res[i]
		if r.Rejected != nil {
			t.Errorf("event %d rejected: %s", i, r.Rejected.Reason)
			continue
		}
		if r.Event.Type != w.typ || r.Event.Customer != w.customer || !r.Event.Time.Equal(w.time) {
			t.Errorf("event %d = %s/%s at %s, want %s/%s at %s", i, r.Event.Type, r.Event.Customer, r.Event.Time, w.typ, w.customer, w.time)
		}
		if got := r.Event.Attribute(w.attr).Str; got != w.value {
			t.Errorf("event %d: %s = %q, want %q", i, w.attr, got, w.value)
		}
	}
	if r := res[5].Rejected; r == nil || r.Reason != `the Segment group call has no "groupId"` {
		t.Errorf("group without groupId: got %+v", r)
	}
}
