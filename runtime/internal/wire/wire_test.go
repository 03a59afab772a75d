package wire

import (
	"testing"
	"time"
)

func TestRoundTripAndTruncation(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 5, time.UTC)
	var b []byte
	b = append(b, 7)
	b = AppendString(b, "journey")
	b = AppendTime(b, at)
	b = AppendTime(b, time.Time{})
	b = AppendTime(b, time.Unix(-5, 0).UTC())
	d := &Reader{B: b}
	if d.Byte() != 7 || d.Intern() != "journey" || !d.Time().Equal(at) || !d.Time().IsZero() || !d.Time().Equal(time.Unix(-5, 0)) || d.Err || len(d.B) != 0 {
		t.Fatalf("round trip failed: %+v", d)
	}
	// Every truncation of the record is noticed, never a panic.
	for i := 0; i < len(b)-1; i++ {
		d := &Reader{B: b[:i]}
		d.Byte()
		_ = d.String()
		d.Time()
		d.Time()
		d.Time()
		if !d.Err {
			t.Errorf("truncated at %d bytes: no error", i)
		}
	}
	// A count larger than what is left is malformed.
	if d := (&Reader{B: []byte{100, 1}}); d.Count() != 0 || !d.Err {
		t.Error("an impossible count was accepted")
	}
}
