package analytics

import (
	"encoding/binary"
	"errors"
	"math"
	"sort"
	"time"
)

// Record payload tags.
const (
	tagTransition = 'T'
	tagEvent      = 'E'
	tagDecision   = 'D'
	tagDelivery   = 'L'
	tagResponse   = 'R'
	tagAssignment = 'A'
	// tagVariantDelivery is a delivery of a variant of an experiment:
	// tagDelivery's fields, then the variant.
	tagVariantDelivery = 'V'
	// tagSentTransition is a transition that ends a run which sent
	// actions: tagTransition's fields, then the run's first sends.
	tagSentTransition = 'S'
	tagErasure        = 'X'
)

var errCorrupt = errors.New("corrupt analytics record")

// MarshalBinary encodes the record (without its Seq and Partition) for a store that
// keeps records as bytes.
func (r Record) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 128) // most records fit: one allocation, not five
	switch {
	case r.Transition != nil:
		t := r.Transition
		tag := byte(tagTransition)
		if len(t.Sent) > 0 {
			tag = tagSentTransition
		}
		b = append(b, tag)
		b = putTime(b, t.Time)
		b = putStrings(b, t.Stack, t.Journey, t.Customer)
		b = binary.AppendUvarint(b, t.Run)
		b = putStrings(b, t.From, t.To, t.Reason)
		b = putTime(b, t.Entered)
		b = putTime(b, t.Since)
		if len(t.Sent) > 0 {
			b = binary.AppendUvarint(b, uint64(len(t.Sent)))
			for _, x := range t.Sent {
				b = putStrings(b, x.Action)
				b = putTime(b, x.Time)
			}
		}
	case r.Event != nil:
		e := r.Event
		b = append(b, tagEvent)
		b = putTime(b, e.Time)
		b = putStrings(b, e.Stack, e.Journey, e.Customer)
		b = binary.AppendUvarint(b, e.Run)
		b = putStrings(b, e.Type)
		names := make([]string, 0, len(e.Attributes))
		for n := range e.Attributes {
			names = append(names, n)
		}
		sort.Strings(names)
		b = binary.AppendUvarint(b, uint64(len(names)))
		for _, n := range names {
			b = putStrings(b, n)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(e.Attributes[n]))
		}
	case r.Decision != nil:
		d := r.Decision
		b = append(b, tagDecision)
		b = putTime(b, d.Time)
		b = putStrings(b, d.DecisionID, d.Customer, d.Stack, d.Journey, d.Action, d.Channel)
		if d.Explore {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	case r.Delivery != nil:
		d := r.Delivery
		tag := byte(tagDelivery)
		if d.Variant != "" {
			tag = tagVariantDelivery
		}
		b = append(b, tag)
		b = putTime(b, d.Time)
		b = putStrings(b, d.Customer, d.Stack, d.Journey, d.Action, d.Channel, d.Outcome)
		if d.Variant != "" {
			b = putStrings(b, d.Variant)
		}
	case r.Assignment != nil:
		x := r.Assignment
		b = append(b, tagAssignment)
		b = putTime(b, x.Time)
		b = putStrings(b, x.Customer, x.Stack, x.Journey, x.Action, x.Experiment, x.Variant)
	case r.Response != nil:
		d := r.Response
		b = append(b, tagResponse)
		b = putTime(b, d.Time)
		b = putStrings(b, d.DecisionID, d.Customer, d.Stack, d.Journey, d.Action, d.Channel, d.Outcome)
	case r.Erasure != nil:
		b = append(b, tagErasure)
		b = putTime(b, r.Erasure.Time)
		b = putStrings(b, r.Erasure.Customer)
	default:
		return nil, errors.New("empty analytics record")
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded; Seq and Partition
// are left as they are.
func (r *Record) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errCorrupt
	}
	d := &reader{b: data[1:]}
	seq, part := r.Seq, r.Partition
	*r = Record{Seq: seq, Partition: part}
	switch data[0] {
	case tagTransition, tagSentTransition:
		t := &Transition{Time: d.time()}
		t.Stack, t.Journey, t.Customer = d.str(), d.str(), d.str()
		t.Run = d.uvarint()
		t.From, t.To, t.Reason = d.str(), d.str(), d.str()
		t.Entered, t.Since = d.time(), d.time()
		if data[0] == tagSentTransition {
			n := d.uvarint()
			if n == 0 || n > uint64(len(d.b)) {
				return errCorrupt
			}
			t.Sent = make([]Sent, 0, n)
			for i := uint64(0); i < n && !d.err; i++ {
				t.Sent = append(t.Sent, Sent{Action: d.str(), Time: d.time()})
			}
		}
		r.Transition = t
	case tagEvent:
		e := &Event{Time: d.time()}
		e.Stack, e.Journey, e.Customer = d.str(), d.str(), d.str()
		e.Run = d.uvarint()
		e.Type = d.str()
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			return errCorrupt
		}
		if n > 0 {
			e.Attributes = make(map[string]float64, n)
		}
		for i := uint64(0); i < n && !d.err; i++ {
			name := d.str()
			e.Attributes[name] = math.Float64frombits(d.u64())
		}
		r.Event = e
	case tagDecision:
		x := &Decision{Time: d.time()}
		x.DecisionID, x.Customer, x.Stack, x.Journey, x.Action, x.Channel = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		x.Explore = d.byte() == 1
		r.Decision = x
	case tagDelivery, tagVariantDelivery:
		x := &Delivery{Time: d.time()}
		x.Customer, x.Stack, x.Journey, x.Action, x.Channel, x.Outcome = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		if data[0] == tagVariantDelivery {
			x.Variant = d.str()
		}
		r.Delivery = x
	case tagAssignment:
		x := &Assignment{Time: d.time()}
		x.Customer, x.Stack, x.Journey, x.Action, x.Experiment, x.Variant = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		r.Assignment = x
	case tagResponse:
		x := &Response{Time: d.time()}
		x.DecisionID, x.Customer, x.Stack, x.Journey, x.Action, x.Channel, x.Outcome = d.str(), d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
		r.Response = x
	case tagErasure:
		x := &Erasure{Time: d.time()}
		x.Customer = d.str()
		r.Erasure = x
	default:
		return errCorrupt
	}
	if d.err || len(d.b) != 0 {
		*r = Record{Seq: seq, Partition: part}
		return errCorrupt
	}
	return nil
}

func putStrings(b []byte, ss ...string) []byte {
	for _, s := range ss {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func putTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

type reader struct {
	b   []byte
	err bool
}

func (d *reader) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *reader) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *reader) byte() byte {
	if len(d.b) < 1 {
		d.err = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *reader) u64() uint64 {
	if len(d.b) < 8 {
		d.err = true
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *reader) str() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.b)) {
		d.err = true
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *reader) time() time.Time {
	switch d.byte() {
	case 0:
		return time.Time{}
	case 1:
		sec := d.varint()
		ns := d.uvarint()
		if ns >= 1e9 {
			d.err = true
			return time.Time{}
		}
		return time.Unix(sec, int64(ns)).UTC()
	}
	d.err = true
	return time.Time{}
}
