package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/events"
)

// reencode writes v as JSON without HTML escaping.
func reencode(t *testing.T, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("an accepted request does not encode: %v", err)
	}
	return b.Bytes()
}

// checkRefusal checks that err is a refusal the API answers 400.
func checkRefusal(t *testing.T, err error) {
	var re *requestError
	if !errors.As(err, &re) || re.msg == "" {
		t.Fatalf("a refusal that is not a request error with a message: %T %v", err, err)
	}
}

// FuzzDecideRequest parses arbitrary decide bodies: never a panic; a
// refusal is a 400 with a reason; an accepted request has an id the
// runtime takes and a context within the limit, and reads back the same
// once written out.
func FuzzDecideRequest(f *testing.F) {
	for _, s := range []string{
		`{"customer_id":"c-42","channel":"web","context":{"page":"checkout","n":3,"tags":["a"],"x":null},"limit":2,"explain":true}`,
		`{"customer_id":"c-\ud800","channel":"web"}`,
		"{\"customer_id\":\"c-\xff\",\"channel\":\"web\"}",
		`{"customer_id":"c","channel":"web","context":null}`,
		`{"customer_id":"c","channel":"web","context":[1]}`,
		`{"customer_id":"c","nope":1}`,
		`{"customer_id":"c"} {}`,
		`{"customer_id":"` + strings.Repeat("x", 300) + `"}`,
		``, `null`, `[]`, `{`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseDecide(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if events.CheckID(req.CustomerID) != nil || len(req.Channel) > events.MaxIDLen {
			t.Fatalf("accepted ids %q, %q", req.CustomerID, req.Channel)
		}
		ctx, _ := json.Marshal(req.Context)
		if len(req.Context) > 0 && len(ctx) > 3*MaxContextBytes {
			t.Fatalf("accepted a context of %d bytes", len(ctx))
		}
		if len(ctx) > MaxContextBytes {
			return // written out, its text can be longer than it was sent
		}
		back, err := parseDecide(reencode(t, req))
		if err != nil {
			t.Fatalf("an accepted request, written out, is refused: %v", err)
		}
		if !reflect.DeepEqual(back, req) {
			t.Fatalf("an accepted request reads back as %+v, was %+v", back, req)
		}
	})
}

// FuzzResponseRequest parses arbitrary response bodies, as
// FuzzDecideRequest does decide bodies.
func FuzzResponseRequest(f *testing.F) {
	for _, s := range []string{
		`{"decision_id":"d-1","action":"growth/journey.cart_recovery.action.banner","outcome":"clicked"}`,
		`{"decision_id":"d-\udfff","action":"a","outcome":"clicked"}`,
		`{"decision_id":"d","action":"a\u0000","outcome":"clicked"}`,
		`{"decision_id":"` + strings.Repeat("d", 300) + `","action":"a","outcome":"clicked"}`,
		`{"decision_id":1}`, ``, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseResponse(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if events.CheckID(req.DecisionID) != nil || events.CheckID(req.Action) != nil || len(req.Outcome) > events.MaxIDLen {
			t.Fatalf("accepted %q, %q, %q", req.DecisionID, req.Action, req.Outcome)
		}
		back, err := parseResponse(reencode(t, req))
		if err != nil || back != req {
			t.Fatalf("an accepted request reads back as %+v (%v), was %+v", back, err, req)
		}
	})
}

// TestParseDecideContext: the context is read as it was sent, and the
// fields as the service has them.
func TestParseDecideContext(t *testing.T) {
	req, err := parseDecide([]byte(`{"customer_id":"c","channel":"web","context":{"page":"checkout","n":3},"limit":2}`))
	want := apiv1.DecideRequest{CustomerID: "c", Channel: "web", Context: map[string]any{"page": "checkout", "n": 3.0}, Limit: 2}
	if err != nil || !reflect.DeepEqual(req, want) {
		t.Fatalf("parseDecide = %+v, %v", req, err)
	}
}
