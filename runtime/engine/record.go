package engine

import (
	"encoding/binary"
	"errors"

	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/internal/wire"
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
)

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
