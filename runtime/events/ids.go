package events

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxIDLen is the longest id the runtime takes, in bytes: an event's id, a
// customer's, a decision's.
const MaxIDLen = 256

// MinTimestamp is the earliest timestamp an event may carry, the Unix
// epoch: times before it are mistakes (a zero time, 0001-01-01), and the
// event log stores times as nanoseconds since it, which reach back only
// to 1677.
const MinTimestamp = "1970-01-01T00:00:00Z"

// IDError is what is wrong with an id. Its message describes the id,
// never quotes it: ids can identify people.
type IDError struct {
	Code   Code // CodeFieldTooLong or CodeBadID
	Reason string
}

func (e *IDError) Error() string { return e.Reason }

// CheckID reports what is wrong with id: nil when it is at most MaxIDLen
// bytes of valid UTF-8 with no control character. JSON decoding turns an
// invalid UTF-8 sequence (and an unpaired surrogate escape) into U+FFFD,
// so U+FFFD is refused too: two different ids sent must not become one.
// An empty id is not judged here.
func CheckID(id string) error {
	if len(id) > MaxIDLen {
		return &IDError{CodeFieldTooLong, fmt.Sprintf("is %d bytes long; at most %d are allowed", len(id), MaxIDLen)}
	}
	for i, r := range id {
		switch {
		case r == utf8.RuneError:
			return &IDError{CodeBadID, fmt.Sprintf("is not valid UTF-8 (at byte %d; U+FFFD, which stands for an invalid sequence, is refused too)", i)}
		case unicode.IsControl(r):
			return &IDError{CodeBadID, fmt.Sprintf("holds a control character (U+%04X at byte %d)", r, i)}
		}
	}
	return nil
}
