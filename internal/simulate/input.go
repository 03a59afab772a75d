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
	// The timestamps as each shape gives them; an unreadable one is left
	// for the runtime to reject.
	lim := events.Limits{MaxEvents: maxBatch, MaxEventBytes: maxLine}
	for i := 0; i < len(ev.Lines); i += maxBatch {
		raws, err := events.Decode(bytes.Join(ev.Lines[i:min(i+maxBatch, len(ev.Lines))], []byte("\n")), lim)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", name, err)
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

func abbrev(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}
