package engine

import (
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/events"
)

// A run remembers its first send of each action, in its state across a
// restart, and the transition that ends it hands them to analytics; a
// run that sent nothing, and every transition that does not end a run,
// carry none.
func TestRunSendsReachAnalytics(t *testing.T) {
	h := newHarness(t, true)
	h.deploy(outbound(nil, deploy.Action{Name: "remind", Trigger: after("1h")}, deploy.Action{Name: "nudge", Trigger: after("2h")}))
	cart := func(c string, at time.Duration) *events.Event {
		return ev("cart_updated", c, at, "cart_value", 30, "trait:email_opt_in", true, "trait:email", c+"@example.com")
	}
	h.send(cart("c1", 0), cart("c2", 0), ev("order_placed", "c2", 30*time.Minute), tick(time.Hour+time.Second))
	if got := h.sends(); fmt.Sprint(got) != "[c1:remind@1h0m0s]" {
		t.Fatalf("sends %v", got)
	}
	h.restart() // the run's sends are in its state
	h.send(tick(2*time.Hour+time.Second), ev("order_placed", "c1", 3*time.Hour))
	if got := h.sends(); fmt.Sprint(got) != "[c1:nudge@2h0m0s]" {
		t.Fatalf("sends after the restart %v", got)
	}
	var got []string
	for _, r := range h.records() {
		if tr := r.Transition; tr != nil {
			var sent []string
			for _, s := range tr.Sent {
				sent = append(sent, fmt.Sprintf("%s@%s", s.Action, s.Time.Sub(t0)))
			}
			got = append(got, fmt.Sprintf("%s %s %v", tr.Customer, tr.Reason, sent))
		}
	}
	sort.Strings(got) // the facts come by partition
	want := "c1 completed [remind@1h0m0s nudge@2h0m0s];c1 entered [];c2 completed [];c2 entered []"
	if strings.Join(got, ";") != want {
		t.Fatalf("transitions\n got %s\nwant %s", strings.Join(got, ";"), want)
	}
	if r := h.run("c1", "cart_recovery"); r.Status != StatusCompleted {
		t.Fatalf("c1's run %+v", r)
	}
}

// noteSent keeps the first send of each action only, and at most maxSent.
func TestNoteSent(t *testing.T) {
	r := &run{}
	r.noteSent("a", t0)
	r.noteSent("a", t0.Add(time.Hour))
	r.noteSent("b", t0.Add(2*time.Hour))
	if fmt.Sprint(r.sent) != fmt.Sprint([]sent{{"a", t0}, {"b", t0.Add(2 * time.Hour)}}) {
		t.Fatalf("sent %v", r.sent)
	}
	for i := range 2 * maxSent {
		r.noteSent(fmt.Sprint("x", i), t0)
	}
	if len(r.sent) != maxSent {
		t.Fatalf("%d sends kept", len(r.sent))
	}
}

// State written in version 3, before runs remembered their sends (the
// bytes the version 3 encoder wrote, in testdata), decodes with no sends
// and is written again in the current version, which keeps them.
func TestDecodeStateVersion3(t *testing.T) {
	raw, err := os.ReadFile("testdata/customer-v3.hex")
	if err != nil {
		t.Fatal(err)
	}
	v3, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if v3[0] != 3 {
		t.Fatalf("fixture of version %d", v3[0])
	}
	c, err := decodeCustomer("c1", v3)
	if err != nil {
		t.Fatal(err)
	}
	r := c.runs[0]
	if len(c.runs) != 2 || r.stage != "browsing" || len(r.timers) != 2 || r.timers[1].action != "remind" || r.sent != nil ||
		!c.contacts[0].pending || !c.optedOut("sms") {
		t.Fatalf("decoded %+v, run %+v", c, r)
	}
	r.noteSent("remind", t0.Add(time.Hour))
	b := c.encode(nil)
	if b[0] != stateVersion || stateVersion != 4 {
		t.Fatalf("written as version %d", b[0])
	}
	again, err := decodeCustomer("c1", b)
	if err != nil {
		t.Fatal(err)
	}
	if s := again.runs[0].sent; len(s) != 1 || s[0].action != "remind" || !s[0].at.Equal(t0.Add(time.Hour)) || again.runs[1].sent != nil {
		t.Fatalf("sends after a round trip: %+v", s)
	}
	if string(again.encode(nil)) != string(b) {
		t.Fatal("state does not round trip")
	}
}
