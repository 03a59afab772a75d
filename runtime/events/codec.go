package events

import (
	"encoding/binary"
	"errors"
	"math"
	"time"
)

const codecVersion = 1

var errCorrupt = errors.New("corrupt event record")

// AppendBinary appends the event's encoding for the event log to b.
func (e *Event) AppendBinary(b []byte) []byte {
	b = append(b, codecVersion)
	b = appendString(b, e.ID)
	b = appendString(b, e.Type)
	b = appendString(b, e.Customer)
	b = binary.AppendVarint(b, e.Time.UnixNano())
	b = appendFields(b, e.Attributes)
	return appendFields(b, e.Traits)
}

// UnmarshalBinary reads an encoding made by AppendBinary.
func (e *Event) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	if d.byte() != codecVersion {
		return errCorrupt
	}
	e.ID = d.string()
	e.Type = d.string()
	e.Customer = d.string()
	e.Time = time.Unix(0, d.varint()).UTC()
	e.Attributes = d.fields()
	e.Traits = d.fields()
	if d.err || len(d.b) != 0 {
		return errCorrupt
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendFields(b []byte, fs []Field) []byte {
	b = binary.AppendUvarint(b, uint64(len(fs)))
	for _, f := range fs {
		b = appendString(b, f.Name)
		b = AppendValue(b, f.Value)
	}
	return b
}

// AppendValue appends a binary encoding of v to b.
func AppendValue(b []byte, v Value) []byte {
	b = append(b, byte(v.Kind))
	switch v.Kind {
	case KindString:
		b = appendString(b, v.Str)
	case KindNumber:
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.Num))
	case KindBool:
		if v.Bool {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case KindList:
		b = binary.AppendUvarint(b, uint64(len(v.List)))
		for _, s := range v.List {
			b = appendString(b, s)
		}
	}
	return b
}

// ReadValue reads a value encoded by AppendValue from the front of b and
// returns the rest.
func ReadValue(b []byte) (Value, []byte, error) {
	d := decoder{b: b}
	v := d.value()
	if d.err {
		return Value{}, nil, errCorrupt
	}
	return v, d.b, nil
}

type decoder struct {
	b   []byte
	err bool
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 {
	n, w := binary.Uvarint(d.b)
	if w <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[w:]
	return n
}

func (d *decoder) varint() int64 {
	n, w := binary.Varint(d.b)
	if w <= 0 {
		d.err = true
		d.b = nil
		return 0
	}
	d.b = d.b[w:]
	return n
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		d.b = nil
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) value() Value {
	switch k := Kind(d.byte()); k {
	case KindNull:
		return Value{}
	case KindString:
		return Value{Kind: k, Str: d.string()}
	case KindNumber:
		if len(d.b) < 8 {
			d.err = true
			return Value{}
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
		d.b = d.b[8:]
		return Value{Kind: k, Num: f}
	case KindBool:
		return Value{Kind: k, Bool: d.byte() == 1}
	case KindList:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.err = true
			return Value{}
		}
		l := make([]string, n)
		for i := range l {
			l[i] = d.string()
		}
		return Value{Kind: k, List: l}
	}
	d.err = true
	return Value{}
}

func (d *decoder) fields() []Field {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.err = true
		return nil
	}
	var fs []Field
	for i := uint64(0); i < n && !d.err; i++ {
		name := d.string()
		fs = append(fs, Field{name, d.value()})
	}
	return fs
}
