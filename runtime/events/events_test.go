package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/rtexpr/cost"
)

var arrival = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func testSchema() *Schema {
	return &Schema{
		Types: map[string]*Type{
			"cart_updated": {Name: "cart_updated", Attributes: map[string]Attr{
				"cart_value": {Kind: KindNumber},
				"items":      {Kind: KindList},
				"currency":   {Kind: KindString, Default: Value{Kind: KindString, Str: "EUR"}},
			}},
			"order_placed": {Name: "order_placed", Attributes: map[string]Attr{
				"amount": {Kind: KindNumber, Required: true},
			}},
			"ticket_opened": {Name: "ticket_opened"},
		},
		Aliases:  map[string]string{"Order Completed": "order_placed", "com.acme.ticket.opened": "ticket_opened"},
		Customer: map[string]Attr{"tier": {Kind: KindString}, "email_opt_in": {Kind: KindBool}},
	}
}

// outcome renders a result compactly for comparison.
func outcome(r Result) string {
	if r.Rejected != nil {
		return fmt.Sprintf("rejected %s", r.Rejected.Code)
	}
	e := r.Event
	var b strings.Builder
	fmt.Fprintf(&b, "id=%s type=%s customer=%s time=%s", e.ID, e.Type, e.Customer, e.Time.Format(time.RFC3339))
	for _, f := range e.Attributes {
		fmt.Fprintf(&b, " %s=%#v", f.Name, f.Value)
	}
	for _, f := range e.Traits {
		fmt.Fprintf(&b, " traits.%s=%#v", f.Name, f.Value)
	}
	return b.String()
}

func TestDecodeAndValidate(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		dropped map[DroppedKey]int
	}{
		{
			name: "waymark shape, array",
			body: `[{"id":"e-1","type":"cart_updated","customer_id":"c-42","timestamp":"2026-11-23T09:00:00Z","attributes":{"cart_value":80,"items":["a","b"]},"traits":{"tier":"gold"}}]`,
			want: []string{`id=e-1 type=cart_updated customer=c-42 time=2026-11-23T09:00:00Z cart_value=80 currency="EUR" items=["a", "b"] traits.tier="gold"`},
		},
		{
			name: "json lines, blank lines, no timestamp gets arrival, null keeps default",
			body: "{\"id\":\"e-1\",\"type\":\"cart_updated\",\"customer_id\":\"c-1\",\"attributes\":{\"currency\":null}}\n\n{\"type\":\"ticket_opened\",\"customer_id\":\"c-2\"}\n",
			want: []string{
				`id=e-1 type=cart_updated customer=c-1 time=2026-11-23T10:00:00Z cart_value=null currency="EUR" items=null`,
				`id= type=ticket_opened customer=c-2 time=2026-11-23T10:00:00Z`,
			},
		},
		{
			name: "undeclared attributes and traits are dropped and counted",
			body: `{"type":"ticket_opened","customer_id":"c","attributes":{"channel":"web","x":1},"traits":{"age":3,"tier":"gold"}}` + "\n" +
				`{"type":"ticket_opened","customer_id":"d","attributes":{"channel":"app"}}`,
			want: []string{
				`id= type=ticket_opened customer=c time=2026-11-23T10:00:00Z traits.tier="gold"`,
				`id= type=ticket_opened customer=d time=2026-11-23T10:00:00Z`,
			},
			dropped: map[DroppedKey]int{{"ticket_opened", "channel"}: 2, {"ticket_opened", "x"}: 1, {"ticket_opened", "traits.age"}: 1},
		},
		{
			name: "segment track and identify",
			body: `[{"type":"track","event":"Order Completed","userId":"u-1","anonymousId":"a-1","messageId":"m-1","timestamp":"2026-11-23T09:59:00.5Z","properties":{"amount":12.5}},` +
				`{"type":"identify","anonymousId":"a-2","messageId":"m-2","traits":{"email_opt_in":true}},` +
				`{"type":"track","event":"Nope","userId":"u-3"}]`,
			want: []string{
				`id=m-1 type=order_placed customer=u-1 time=2026-11-23T09:59:00Z amount=12.5`,
				`id=m-2 type= customer=a-2 time=2026-11-23T10:00:00Z traits.email_opt_in=true`,
				`rejected unknown_type`,
			},
		},
		{
			name: "reserved consent traits, flat and nested, kept undeclared",
			body: strings.Join([]string{
				`{"type":"identify","userId":"u-1","traits":{"consent.email":true,"tier":"gold"}}`,
				`{"type":"identify","userId":"u-1","traits":{"consent":{"email":false,"sms":true}}}`,
				`{"type":"identify","userId":"u-1","traits":{"consent.email":"yes"}}`,
				`{"type":"identify","userId":"u-1","traits":{"consent.":true}}`,
				`{"type":"identify","userId":"u-1","traits":{"consent.email":true,"consent":{"email":false}}}`,
				`{"type":"identify","userId":"u-1","traits":{"consent":"all"}}`,
			}, "\n"),
			want: []string{
				`id= type= customer=u-1 time=2026-11-23T10:00:00Z traits.consent.email=true traits.tier="gold"`,
				`id= type= customer=u-1 time=2026-11-23T10:00:00Z traits.consent.email=false traits.consent.sms=true`,
				`rejected wrong_type`, `rejected malformed`, `rejected malformed`,
				`id= type= customer=u-1 time=2026-11-23T10:00:00Z`,
			},
			dropped: map[DroppedKey]int{{"", "traits.consent"}: 1},
		},
		{
			name: "cloudevents",
			body: `{"specversion":"1.0","type":"com.acme.ticket.opened","source":"/helpdesk","id":"42","subject":"c-9","time":"2026-11-23T08:00:00Z","datacontenttype":"application/json","data":{}}` + "\n" +
				`{"specversion":"1.0","type":"order_placed","source":"/shop","id":"43","subject":"c-9","data":{"amount":3}}` + "\n" +
				`{"specversion":"0.3","type":"order_placed","source":"/shop","id":"44","subject":"c-9"}` + "\n" +
				`{"specversion":"1.0","type":"order_placed","source":"/shop","id":"45","subject":"c-9","data_base64":"eyJ9"}` + "\n" +
				`{"specversion":"1.0","type":"order_placed","source":"/shop","id":"46","subject":"c-9","datacontenttype":"text/plain","data":"x"}`,
			want: []string{
				`id=/helpdesk/42 type=ticket_opened customer=c-9 time=2026-11-23T08:00:00Z`,
				`id=/shop/43 type=order_placed customer=c-9 time=2026-11-23T10:00:00Z amount=3`,
				`rejected malformed`, `rejected malformed`, `rejected malformed`,
			},
		},
		{
			name: "rejections one by one",
			body: strings.Join([]string{
				`{"type":"cart_updated","customer_id":"c","attributes":{"cart_value":"80"}}`,
				`{"type":"cart_updated","customer_id":"c","attributes":{"items":["a",1]}}`,
				`{"type":"order_placed","customer_id":"c"}`,
				`{"type":"order_placed","customer_id":"c","attributes":{"amount":null}}`,
				`{"type":"nope","customer_id":"c"}`,
				`{"type":"ticket_opened"}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"2026-11-23T10:05:01Z"}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"2026-11-23T10:05:00Z"}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"yesterday"}`,
				`{"type":"ticket_opened","customer_id":"c","traits":{"tier":1}}`,
				`{"type":"ticket_opened","customer_id":"c"`,
				`{"customer_id":"c"}`,
				`{"type":"ticket_opened","customer_id":{"a":1}}`,
				`[1]`,
				`{"type":"ticket_opened","customer_id":"` + strings.Repeat("x", 300) + `"}`,
				`{"type":"ticket_opened","customer_id":7}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"0001-01-01T00:00:00Z"}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"1969-12-31T23:59:59Z"}`,
				`{"type":"ticket_opened","customer_id":"c","timestamp":"1970-01-01T00:00:00Z"}`,
				"{\"type\":\"ticket_opened\",\"customer_id\":\"c\xff\"}",
				`{"type":"ticket_opened","customer_id":"c\ud800"}`,
				`{"type":"ticket_opened","customer_id":"c\u0000"}`,
				"{\"type\":\"ticket_opened\",\"customer_id\":\"c\",\"id\":\"e\xc3\"}",
				`{"type":"ticket_opened","customer_id":"c","id":"` + strings.Repeat("é", 129) + `"}`,
				`{"type":"ticket_opened","customer_id":"` + strings.Repeat("é", 128) + `"}`,
			}, "\n"),
			want: []string{
				"rejected wrong_type", "rejected wrong_type", "rejected missing_required", "rejected missing_required",
				"rejected unknown_type", "rejected no_customer_id", "rejected timestamp_in_future",
				"id= type=ticket_opened customer=c time=2026-11-23T10:05:00Z",
				"rejected bad_timestamp", "rejected wrong_type", "rejected malformed", "rejected unknown_type",
				"rejected malformed", "rejected malformed", "rejected field_too_long",
				"id= type=ticket_opened customer=7 time=2026-11-23T10:00:00Z",
				"rejected bad_timestamp", "rejected bad_timestamp",
				"id= type=ticket_opened customer=c time=1970-01-01T00:00:00Z",
				"rejected bad_id", "rejected bad_id", "rejected bad_id", "rejected bad_id", "rejected field_too_long",
				"id= type=ticket_opened customer=" + strings.Repeat("é", 128) + " time=2026-11-23T10:00:00Z",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raws, err := Decode([]byte(tt.body), DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			dropped := Dropped{}
			res := Validate(raws, testSchema(), arrival, dropped)
			var got []string
			for i, r := range res {
				if r.Index != i {
					t.Errorf("result %d has index %d", i, r.Index)
				}
				if r.Rejected != nil && r.Rejected.Reason == "" {
					t.Errorf("result %d rejected without a reason", i)
				}
				got = append(got, outcome(r))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			if tt.dropped == nil {
				tt.dropped = map[DroppedKey]int{}
			}
			if !reflect.DeepEqual(map[DroppedKey]int(dropped), tt.dropped) {
				t.Errorf("dropped %v, want %v", dropped, tt.dropped)
			}
		})
	}
}

func TestRejectionNeverQuotesValues(t *testing.T) {
	raws, err := Decode([]byte(`{"type":"cart_updated","customer_id":"c","attributes":{"cart_value":"secret-value"}}`), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	res := Validate(raws, testSchema(), arrival, nil)
	if res[0].Rejected == nil || strings.Contains(res[0].Rejected.Reason, "secret-value") {
		t.Fatalf("reason %+v quotes the value", res[0].Rejected)
	}
}

func TestBatchErrors(t *testing.T) {
	lim := Limits{MaxEvents: 2, MaxEventBytes: 100}
	tests := []struct {
		body     string
		tooLarge bool
		msg      string
	}{
		{"", false, "empty"},
		{"   \n", false, "empty"},
		{"[1,", false, "not a valid JSON array"},
		{"hello", false, "JSON array of events or JSON Lines"},
		{"[{},{},{}]", true, "at most 2"},
		{"{}\n{}\n{}", true, "more than 2"},
	}
	for _, tt := range tests {
		_, err := Decode([]byte(tt.body), lim)
		be, ok := err.(*BatchError)
		if !ok || be.TooLarge != tt.tooLarge || !strings.Contains(be.Msg, tt.msg) {
			t.Errorf("Decode(%q): %v, want a BatchError about %q (too large: %v)", tt.body, err, tt.msg, tt.tooLarge)
		}
	}
	raws, err := Decode([]byte(`{"type":"ticket_opened","customer_id":"`+strings.Repeat("x", 100)+`"}`), lim)
	if err != nil || raws[0].Err == nil || raws[0].Err.Code != CodeTooLarge {
		t.Fatalf("an event past MaxEventBytes: %+v %v", raws, err)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	e := Event{
		ID: "e-1", Type: "cart_updated", Customer: "c-ü", Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		Attributes: []Field{{"a", Value{}}, {"b", Value{Kind: KindNumber, Num: -1.5}}, {"c", Value{Kind: KindList, List: []string{"x", ""}}}},
		Traits:     []Field{{"t", Value{Kind: KindBool, Bool: true}}, {"u", Value{Kind: KindString, Str: "gold"}}},
	}
	b := e.AppendBinary(nil)
	var got Event
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
	for i := 0; i < len(b); i++ {
		var x Event
		if err := x.UnmarshalBinary(b[:i]); err == nil {
			t.Fatalf("a record cut at %d bytes decoded", i)
		}
	}
}

// FuzzDecodeEvents feeds arbitrary batches through Decode and Validate:
// neither may panic, every event is accepted or rejected with a code and a
// reason, and an accepted event survives the log encoding.
func FuzzDecodeEvents(f *testing.F) {
	seeds := []string{
		`[{"id":"e-1","type":"cart_updated","customer_id":"c-42","timestamp":"2026-11-23T10:00:00Z","attributes":{"cart_value":80},"traits":{"tier":"gold"}}]`,
		`{"type":"track","event":"Order Completed","userId":"u","messageId":"m","properties":{"amount":1}}`,
		`{"type":"identify","anonymousId":"a","traits":{"tier":"x"}}`,
		`{"specversion":"1.0","type":"order_placed","source":"/s","id":"1","subject":"c","data":{"amount":2}}`,
		"{\"type\":\"ticket_opened\",\"customer_id\":\"c\"}\n{bad\n",
		`[{"type":"cart_updated","customer_id":"c","attributes":{"items":["a",{"b":1}]}}]`,
		`[`, `{}`, `null`, `[null]`, `"x"`,
		`{"type":"ticket_opened","customer_id":"c\ud800","timestamp":"0001-01-01T00:00:00Z"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	schema := testSchema()
	f.Fuzz(func(t *testing.T, body []byte) {
		raws, err := Decode(body, DefaultLimits)
		if err != nil {
			if _, ok := err.(*BatchError); !ok || err.Error() == "" {
				t.Fatalf("Decode error %T %q", err, err)
			}
			return
		}
		for _, r := range Validate(raws, schema, arrival, Dropped{}) {
			if r.Rejected != nil {
				if r.Rejected.Code == "" || r.Rejected.Reason == "" {
					t.Fatalf("rejection without code or reason: %+v", r.Rejected)
				}
				continue
			}
			b := r.Event.AppendBinary(nil)
			var back Event
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatalf("an accepted event does not decode: %v", err)
			}
			if !back.Time.Equal(r.Event.Time) || back.ID != r.Event.ID || back.Customer != r.Event.Customer {
				t.Fatalf("the log changes an accepted event: %v %q %q, was %v %q %q", back.Time, back.ID, back.Customer, r.Event.Time, r.Event.ID, r.Event.Customer)
			}
			if CheckID(back.ID) != nil || CheckID(back.Customer) != nil || back.Customer == "" {
				t.Fatalf("an accepted event has ids %q and %q", back.ID, back.Customer)
			}
			if _, err := json.Marshal(back.Attribute("cart_value").JSON()); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// FuzzEventBinary reads arbitrary event log records: never a panic, and
// what reads encodes to a record that reads back the same (the reader
// accepts some non-canonical encodings, such as a bool byte of 2).
func FuzzEventBinary(f *testing.F) {
	e := Event{ID: "e-1", Type: "cart_updated", Customer: "c", Time: arrival,
		Attributes: []Field{{"a", Value{Kind: KindList, List: []string{"x"}}}, {"b", Value{Kind: KindNumber, Num: 2}}},
		Traits:     []Field{{"t", Value{Kind: KindBool, Bool: true}}, {"u", Value{Kind: KindString, Str: "gold"}}}}
	f.Add(e.AppendBinary(nil))
	f.Add([]byte{codecVersion})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if ev.UnmarshalBinary(b) != nil {
			return
		}
		once := ev.AppendBinary(nil)
		var back Event
		if err := back.UnmarshalBinary(once); err != nil {
			t.Fatalf("a record read does not encode to one that reads: %v", err)
		}
		if twice := back.AppendBinary(nil); string(twice) != string(once) {
			t.Fatal("a record read and written changes when read and written again")
		}
	})
}

// TestLimitsAgreeWithCostModel: expressions are costed for values as large
// as an event can hold.
func TestLimitsAgreeWithCostModel(t *testing.T) {
	if DefaultLimits.MaxEventBytes != cost.MaxValueBytes {
		t.Fatalf("events are at most %d bytes, but expressions are costed for values of %d", DefaultLimits.MaxEventBytes, cost.MaxValueBytes)
	}
}
