package engine

import (
	"encoding/binary"
	"errors"

	"github.com/waymarkhq/waymark/runtime/events"
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
	return putString([]byte{tagErase}, customer)
}

func decodeErase(b []byte) (string, error) {
	d := &rd{b: b}
	id := d.string()
	if d.err || len(d.b) != 0 || id == "" {
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
	b = putString(b, stack)
	return binary.AppendUvarint(b, uint64(serial))
}

func decodeActivation(b []byte) (string, int64, error) {
	d := &rd{b: b}
	stack := d.string()
	serial := d.uvarint()
	if d.err || len(d.b) != 0 {
		return "", 0, errors.New("corrupt activation record")
	}
	return stack, int64(serial), nil
}
