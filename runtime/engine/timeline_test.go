package engine

import (
	"testing"
	"time"

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
