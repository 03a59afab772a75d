package eventscmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/waymarkhq/waymark/internal/cmdutil"
	"github.com/waymarkhq/waymark/internal/command/rtclient"
	"github.com/waymarkhq/waymark/internal/command/rtclient/rttest"
	"github.com/waymarkhq/waymark/planner/plannertest"
	"github.com/waymarkhq/waymark/runtime/client"
	"github.com/waymarkhq/waymark/runtime/events"
)

const config = `
waymark {
  stack = "growth"
}
customer {
  attribute "tier" { type = string }
}
event "cart_updated" {
  attribute "cart_value" { type = number }
}
channel "web" {
  provider = inbound
}
journey "cart" {
  entry { event = event.cart_updated }
  stage "browsing" {}
}
`

// runtime starts a runtime with config deployed and returns its address.
func runtime(t *testing.T) string {
	t.Helper()
	addr := rttest.Start(t)
	rt := rtclient.New(func(k string) string {
		if k == "WAYMARK_ADDR" {
			return addr
		}
		return ""
	}, "")
	doc := plannertest.Load(t, ".", map[string]string{"main.wm.hcl": config}).Document
	if _, err := rt.Deploy(context.Background(), "growth", 0, doc); err != nil {
		t.Fatal(err)
	}
	return addr
}

// cart is an event of customer c with the cart's value (a string is the
// wrong type), as a JSON object.
func cart(id, c string, value any) string {
	v := fmt.Sprint(value)
	if s, ok := value.(string); ok {
		v = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`{"id": %q, "type": "cart_updated", "customer_id": %q, "attributes": {"cart_value": %s}}`, id, c, v)
}

type result struct {
	out, err string
	code     int
}

func send(t *testing.T, addr, input string, opts Options, terminal bool) result {
	t.Helper()
	s, out, errb := cmdutil.Test()
	s.In = strings.NewReader(input)
	s.ErrTerminal = terminal
	opts.Client = client.New(addr, "", nil)
	err := Run(context.Background(), s, &opts)
	r := result{out: out.String(), err: errb.String()}
	if err != nil {
		r.code = 1
		r.err += "Error: " + err.Error() + "\n"
	}
	return r
}

// Each format is sent, and each rejection names its line in the input.
func TestSendFormats(t *testing.T) {
	addr := runtime(t)
	tests := []struct {
		name, input string
		want        string // stdout
		code        int
	}{
		{"JSON Lines",
			cart("l1", "c-1", 10) + "\n\n" + cart("l2", "c-2", `"ten"`) + "\n" + `{"type": }` + "\n" + cart("l3", "c-3", 30) + "\n",
			"rejected standard input:3 (id \"l2\"): wrong_type: the attribute \"cart_value\" must be a number, not a string\n" +
				"rejected standard input:4: malformed: the event is not valid JSON: invalid character '}' looking for beginning of value (at byte 10)\n" +
				"Sent 4 events: 2 accepted, 0 duplicates, 2 rejected.\n", 1},
		{"array",
			"[\n  " + cart("a1", "c-1", 10) + ",\n  42,\n  " + cart("a2", "c-2", `"x"`) + "\n]\n",
			"rejected standard input:3: malformed: an event must be a JSON object\n" +
				"rejected standard input:4 (id \"a2\"): wrong_type: the attribute \"cart_value\" must be a number, not a string\n" +
				"Sent 3 events: 1 accepted, 0 duplicates, 2 rejected.\n", 1},
		{"one pretty-printed event",
			"{\n  \"id\": \"p1\",\n  \"type\": \"cart_updated\",\n  \"customer_id\": \"c-1\"\n}\n",
			"Sent 1 events: 1 accepted, 0 duplicates, 0 rejected.\n", 0},
		{"the same again: a duplicate",
			"{\n  \"id\": \"p1\",\n  \"type\": \"cart_updated\",\n  \"customer_id\": \"c-1\"\n}\n",
			"Sent 1 events: 0 accepted, 1 duplicates, 0 rejected.\n", 0},
		{"a syntax error after some events",
			"[\n" + cart("s1", "c-1", 1) + ",\n{\"type\":\n}\n]",
			"Sent 1 events: 1 accepted, 0 duplicates, 0 rejected.\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, addr, tt.input, Options{BatchSize: 2}, false)
			if got.out != tt.want || got.code != tt.code {
				t.Errorf("stdout:\n%s(exit %d) want:\n%s(exit %d)", got.out, got.code, tt.want, tt.code)
			}
			if tt.code == 0 && got.err != "" {
				t.Errorf("stderr: %s", got.err)
			}
		})
	}
	got := send(t, addr, "[\n"+cart("s2", "c-1", 1)+",\n{\"type\":\n}\n]", Options{}, false)
	if want := "Error: reading standard input: line 4: not valid JSON: invalid character '}' looking for beginning of value; the event before it was sent\n"; got.err != want {
		t.Errorf("stderr %q, want %q", got.err, want)
	}
}

// A batch size above the runtime's limit is lowered to it, with a note.
func TestBatchSizeCapped(t *testing.T) {
	addr := runtime(t)
	most := events.DefaultLimits.MaxEvents
	var in strings.Builder
	for i := range most + 5 {
		fmt.Fprintln(&in, cart(fmt.Sprintf("cap-%d", i), fmt.Sprintf("c-%d", i%100), i))
	}
	got := send(t, addr, in.String(), Options{BatchSize: most * 3}, false)
	if want := fmt.Sprintf("Sent %d events: %d accepted, 0 duplicates, 0 rejected.\n", most+5, most+5); got.out != want || got.code != 0 {
		t.Errorf("stdout %q (exit %d), want %q", got.out, got.code, want)
	}
	if want := fmt.Sprintf("Note: the runtime takes at most %d events in one request: -batch-size %d is lowered to %d.\n", most, most*3, most); got.err != want {
		t.Errorf("stderr %q, want %q", got.err, want)
	}
}

// A runtime that takes fewer events in one request than the batch size
// (here, a proxy in front of a real one that answers 413 above 3) gets
// smaller batches, and every event arrives once.
func TestBatchTooLarge(t *testing.T) {
	target, _ := url.Parse(runtime(t))
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	var sizes []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/events" {
			body, _ := io.ReadAll(r.Body)
			n := bytes.Count(body, []byte("\n"))
			mu.Lock()
			sizes = append(sizes, n)
			mu.Unlock()
			if n > 3 {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusRequestEntityTooLarge)
				fmt.Fprintf(w, `{"error": {"code": "batch_too_large", "message": "the batch holds more than 3 events"}}`)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	}))
	defer srv.Close()

	var in strings.Builder
	for i := range 20 {
		value := any(i)
		if i == 13 {
			value = "x"
		}
		fmt.Fprintln(&in, cart(fmt.Sprintf("big-%d", i), "c-1", value))
	}
	got := send(t, srv.URL, in.String(), Options{BatchSize: 10}, false)
	want := "rejected standard input:14 (id \"big-13\"): wrong_type: the attribute \"cart_value\" must be a number, not a string\n" +
		"Sent 20 events: 19 accepted, 0 duplicates, 1 rejected.\n"
	if got.out != want {
		t.Errorf("stdout:\n%swant:\n%s", got.out, want)
	}
	if !strings.Contains(got.err, "Note: the runtime refused 10 events in one request as too many: sending at most 5 at a time.\n") ||
		!strings.Contains(got.err, "sending at most 2 at a time.\n") {
		t.Errorf("stderr:\n%s", got.err)
	}
	// 10 refused, then halves of 5 refused and sent in 2 and 3; the rest
	// in twos.
	if fmt.Sprint(sizes[:7]) != "[10 5 2 3 5 2 3]" {
		t.Errorf("requests of %v events", sizes)
	}
}

// On a terminal, a progress bar shows the input read, with the rate and
// the time left; elsewhere nothing but notes goes to standard error.
func TestProgress(t *testing.T) {
	addr := runtime(t)
	var in strings.Builder
	for i := range 50 {
		fmt.Fprintln(&in, cart(fmt.Sprintf("pr-%d", i), "c-1", i))
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(in.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	got := send(t, addr, "", Options{File: path, BatchSize: 10, throttle: -1}, true)
	if got.code != 0 || got.out != "Sent 50 events: 50 accepted, 0 duplicates, 0 rejected.\n" {
		t.Fatalf("stdout %q (exit %d)", got.out, got.code)
	}
	for _, want := range []string{"sending events", "50 events sent", "█", "4.8 kB", "B/s", "[0s:0s]"} {
		if !strings.Contains(got.err, want) {
			t.Errorf("the progress shown on the terminal does not say %q:\n%q", want, got.err)
		}
	}
	got = send(t, addr, in.String(), Options{BatchSize: 10}, false)
	if got.err != "" || got.out != "Sent 50 events: 0 accepted, 50 duplicates, 0 rejected.\n" {
		t.Errorf("not on a terminal: stdout %q, stderr %q", got.out, got.err)
	}
}
