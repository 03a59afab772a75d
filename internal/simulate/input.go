package simulate

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
)

// Events are recorded events to replay: JSON Lines, as waymark events
// export writes them and events send reads them.
type Events struct {
	// Lines are the events, one JSON text each, in the order given.
	Lines [][]byte
	// Latest is the latest timestamp among them; zero when none has one.
	Latest time.Time
	// batches are Lines decoded by ReadEvents, maxBatch lines a batch.
	batches [][]events.Raw
}

// maxLine is the longest line read.
const maxLine = 16 << 20

// ReadEvents reads JSON Lines (blank lines are skipped). name names the
// input in errors.
func ReadEvents(r io.Reader, name string) (*Events, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	ev := &Events{}
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if b[0] != '{' {
			return nil, fmt.Errorf("%s:%d: expected JSON Lines, one event object a line (as waymark events export writes), not %q", name, line, abbrev(b))
		}
		ev.Lines = append(ev.Lines, bytes.Clone(b))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	// Each batch is decoded once, as the runtimes' Ingest would, and
	// replayed from that in every runtime. The timestamps as each shape
	// gives them; an unreadable one is left for the runtime to reject.
	for i := 0; i < len(ev.Lines); i += maxBatch {
		body := ev.batchText(i)
		raws, err := events.Decode(body, decodeLimits())
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
		}
		ev.batches = append(ev.batches, raws)
		tooLarge := false
		for _, r := range raws {
			tooLarge = tooLarge || r.Err != nil && r.Err.Code == events.CodeTooLarge
		}
		if tooLarge {
			// The runtime refuses those, but their timestamps count.
			if raws, err = events.Decode(body, events.Limits{MaxEvents: maxBatch, MaxEventBytes: maxLine}); err != nil {
				return nil, fmt.Errorf("reading %s: %w", name, err)
			}
		}
		for _, r := range raws {
			if r.Timestamp == "" {
				continue
			}
			if t, err := time.Parse(time.RFC3339Nano, r.Timestamp); err == nil && t.After(ev.Latest) {
				ev.Latest = t.UTC()
			}
		}
	}
	return ev, nil
}

// batchText is the batch of events that starts at Lines[i], as Ingest
// takes it.
func (ev *Events) batchText(i int) []byte {
	return bytes.Join(ev.Lines[i:min(i+maxBatch, len(ev.Lines))], []byte("\n"))
}

// batch returns the batch of events that starts at Lines[i], decoded: as
// ReadEvents decoded it, or now for Events made otherwise.
func (ev *Events) batch(i int) ([]events.Raw, error) {
	if len(ev.batches) == (len(ev.Lines)+maxBatch-1)/maxBatch {
		return ev.batches[i/maxBatch], nil
	}
	return events.Decode(ev.batchText(i), decodeLimits())
}

func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
