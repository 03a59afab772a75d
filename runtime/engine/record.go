package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Log record payloads: an event, the activation of a deployment, the
// erasure of a customer, a response to a decision, or the outcome of a
// delivery.
const (
	tagEvent      = 'E'
	tagActivation = 'D'
	tagErase      = 'X'
	tagResponse   = 'R'
	tagOutcome    = 'O'
	tagClock      = 'C'
	// tagAlertAction is an action a KPI alert triggers for a customer.
	tagAlertAction = 'K'
	// TagSealed starts a payload sealed with its customer's key (the
	// service's crypto-shredding of events); Options.Open opens it.
	TagSealed = 'S'
	// TagShredded is the whole payload Options.Open leaves in place of a
	// sealed one whose key erasure destroyed: the engine skips it.
	TagShredded = 'Z'
)

// ClockRecord returns a log record that names no customer and only moves
// the event clock to t: the timers due before t fire when it is
// processed, as they would at an event stamped t. waymark test uses it to
// look at customers at a moment no event marks.
func ClockRecord(t, arrival time.Time) store.LogRecord {
	return store.LogRecord{Partition: 0, Arrival: arrival, Time: t, Data: []byte{tagClock}}
}

// EncodeErase returns the log payload that erases a customer at its place
// in the log.
func EncodeErase(customer string) []byte {
	return wire.AppendString([]byte{tagErase}, customer)
}

func decodeErase(b []byte) (string, error) {
	d := &wire.Reader{B: b}
	id := d.String()
	if d.Err || len(d.B) != 0 || id == "" {
		return "", errors.New("corrupt erase record")
	}
	return id, nil
}

// EncodeEvent returns the log payload of an event.
func EncodeEvent(ev *events.Event) []byte {
	return ev.AppendBinary([]byte{tagEvent})
}

// EncodeActivation returns the log payload that activates a stack's
// deployment at its place in the log.
func EncodeActivation(stack string, serial int64) []byte {
	b := []byte{tagActivation}
	b = wire.AppendString(b, stack)
	return binary.AppendUvarint(b, uint64(serial))
}

func decodeActivation(b []byte) (string, int64, error) {
	d := &wire.Reader{B: b}
	stack := d.String()
	serial := d.Uvarint()
	if d.Err || len(d.B) != 0 {
		return "", 0, errors.New("corrupt activation record")
	}
	return stack, int64(serial), nil
}

// EventRecord returns the log record of an event, in its customer's
// partition.
func EventRecord(ev *events.Event, arrival time.Time) store.LogRecord {
	return store.LogRecord{Partition: store.PartitionOf(ev.Customer), ID: ev.ID, Arrival: arrival, Time: ev.Time, Data: EncodeEvent(ev)}
}

// Record returns the log record of a payload that EncodeErase,
// EncodeResponse, EncodeDeliveryOutcome, EncodeActivation or EncodeEvent
// made, in the partition it concerns, with id to deduplicate it.
func Record(payload []byte, id string, arrival time.Time) (store.LogRecord, error) {
	rec := store.LogRecord{ID: id, Arrival: arrival, Data: payload}
	if len(payload) == 0 {
		return rec, errors.New("empty log payload")
	}
	var customer string
	switch payload[0] {
	case tagActivation:
		rec.Partition = store.AllPartitions
		return rec, nil
	case tagEvent:
		ev := &events.Event{}
		if err := ev.UnmarshalBinary(payload[1:]); err != nil {
			return rec, err
		}
		customer, rec.Time = ev.Customer, ev.Time
	case tagErase:
		id, err := decodeErase(payload[1:])
		if err != nil {
			return rec, err
		}
		customer = id
	case tagResponse:
		r, err := decodeResponse(payload[1:])
		if err != nil {
			return rec, err
		}
		customer = r.Customer
	case tagClock:
		return rec, errors.New("a clock record carries its time: use ClockRecord")
	case tagOutcome:
		o, err := decodeOutcome(payload[1:])
		if err != nil {
			return rec, err
		}
		customer = o.Customer
	case tagAlertAction:
		a, err := decodeAlertAction(payload[1:])
		if err != nil {
			return rec, err
		}
		customer = a.Customer
	default:
		return rec, fmt.Errorf("unknown log payload %q", payload[0])
	}
	rec.Partition = store.PartitionOf(customer)
	return rec, nil
}

// DecodeLogEvent reads a log payload: the event when it holds one, the
// customer when it erases one; neither for the other payloads.
func DecodeLogEvent(payload []byte) (ev *events.Event, erased string, err error) {
	if len(payload) == 0 {
		return nil, "", errors.New("empty log payload")
	}
	switch payload[0] {
	case tagEvent:
		ev = &events.Event{}
		if err := ev.UnmarshalBinary(payload[1:]); err != nil {
			return nil, "", err
		}
		return ev, "", nil
	case tagErase:
		id, err := decodeErase(payload[1:])
		return nil, id, err
	}
	return nil, "", nil
}
