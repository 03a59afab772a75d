package engine

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/store"
)

// A customer may hold more transitions than it keeps: its state, as
// stored, holds the last timelineLen of them.
func TestTimelineKeepsTheLatest(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := &customer{id: "c1"}
	for i := range 2*timelineLen - 3 {
		c.timeline = append(c.timeline, store.Transition{Time: t0.Add(time.Duration(i) * time.Minute), Stack: "s", Journey: "j", Customer: "c1", Run: uint64(i + 1), To: "a", Reason: ReasonEntered})
	}
	got, err := decodeCustomer("c1", c.encode(nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.timeline) != timelineLen || got.timeline[0].Run != timelineLen-2 || got.timeline[timelineLen-1].Run != 2*timelineLen-3 {
		t.Fatalf("the stored timeline holds %d transitions, runs %d to %d; want the last %d", len(got.timeline),
			got.timeline[0].Run, got.timeline[len(got.timeline)-1].Run, timelineLen)
	}
}

// Without a timeline (Options.NoTimeline) a customer's view shows no
// transitions, while analytics gets the same facts and the runs are the
// same.
func TestNoTimeline(t *testing.T) {
	facts := map[bool][]string{}
	for _, none := range []bool{false, true} {
		h := newHarnessWith(t, true, func(o *Options) { o.NoTimeline = none })
		h.deploy(fixture.New("growth").Shared().CartRecovery(nil).Done())
		h.send(ev("cart_updated", "c1", 0, "cart_value", 30), ev("ticket_opened", "c1", time.Hour))
		c, _, err := h.e.Customer(context.Background(), "c1")
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 2, true: 0}[none]; len(c.Timeline) != want {
			t.Errorf("NoTimeline %v: the timeline holds %d transitions, want %d", none, len(c.Timeline), want)
		}
		if r := h.run("c1", "cart_recovery"); r.Status != StatusExited || r.N != 1 {
			t.Errorf("NoTimeline %v: run %+v", none, r)
		}
		fs, err := h.st.Facts(context.Background(), nil, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			facts[none] = append(facts[none], string(f.Data))
		}
	}
	if len(facts[false]) != 2 || !slices.Equal(facts[false], facts[true]) {
		t.Fatalf("facts with a timeline %q, without %q", facts[false], facts[true])
	}
}
