// Package wire is the small binary codec the runtime's own records share:
// the engine's customer state and log records, and decision records.
// Values are varints and length-prefixed strings; a Reader notes the first
// malformed field and returns zero values after it, so a decoder checks
// Err once at the end.
//
// It must not know what the records mean.
package wire

import (
	"encoding/binary"
	"math"
	"time"
	"unique"
)

// AppendString appends s with its length.
func AppendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// AppendTime appends t: zero as 0, others as nanoseconds since 1970 plus
// one (minus nothing below 1970), so that the zero time survives.
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	n := t.UnixNano()
	if n >= 0 {
		n++
	}
	return binary.AppendVarint(b, n)
}

// Reader reads what the Append functions wrote.
type Reader struct {
	B   []byte // what is left to read
	Err bool   // a field was malformed or cut short
}

// Byte reads one byte.
func (d *Reader) Byte() byte {
	if len(d.B) == 0 {
		d.Err = true
		return 0
	}
	c := d.B[0]
	d.B = d.B[1:]
	return c
}

// Uvarint reads an unsigned varint.
func (d *Reader) Uvarint() uint64 {
	n, w := binary.Uvarint(d.B)
	if w <= 0 {
		d.Err, d.B = true, nil
		return 0
	}
	d.B = d.B[w:]
	return n
}

// Varint reads a signed varint.
func (d *Reader) Varint() int64 {
	n, w := binary.Varint(d.B)
	if w <= 0 {
		d.Err, d.B = true, nil
		return 0
	}
	d.B = d.B[w:]
	return n
}

// Count reads the length of a list that follows. A count larger than the
// bytes left (each element takes at least one) is malformed, so a corrupt
// record cannot make a decoder allocate or loop without bound.
func (d *Reader) Count() uint64 {
	n := d.Uvarint()
	if n > uint64(len(d.B)) || n > math.MaxInt32 {
		d.Err = true
		return 0
	}
	return n
}

// String reads a length-prefixed string.
func (d *Reader) String() string {
	n := d.Uvarint()
	if n > uint64(len(d.B)) {
		d.Err, d.B = true, nil
		return ""
	}
	s := string(d.B[:n])
	d.B = d.B[n:]
	return s
}

// Intern reads a string that many records share (names of stacks,
// journeys, stages, actions), interned so that a million customers hold
// one copy of each.
func (d *Reader) Intern() string {
	s := d.String()
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// Time reads what AppendTime wrote.
func (d *Reader) Time() time.Time {
	n := d.Varint()
	switch {
	case d.Err || n == 0:
		return time.Time{}
	case n > 0:
		n--
	}
	return time.Unix(0, n).UTC()
}

// Uint32 reads four bytes, big-endian.
func (d *Reader) Uint32() uint32 {
	if len(d.B) < 4 {
		d.Err, d.B = true, nil
		return 0
	}
	v := binary.BigEndian.Uint32(d.B)
	d.B = d.B[4:]
	return v
}
