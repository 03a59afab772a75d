package eventscmd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/waymarkhq/waymark/runtime/events"
)

// event is one event of the input.
type event struct {
	// line is the line of the input the event starts on.
	line int
	// text is the event as one line of JSON.
	text []byte
	// bad, when set, rejects the event here, unsent: it is not a JSON
	// object, and would not be read as one event in a batch.
	bad string
	// end is the offset in the input just past the event (about, with
	// CRLF line ends), for showing progress.
	end int64
}

// errNotObject is the reason an event that is not a JSON object is
// rejected, in the runtime's words.
const errNotObject = "an event must be a JSON object"

// source reads the events of an input one at a time, streaming: next
// returns io.EOF after the last.
type source interface {
	next() (event, error)
}

// maxLine is the longest line of JSON Lines read; the runtime takes far
// smaller events, and says so for each.
const maxLine = 16 << 20

// newSource reads r as JSON Lines, a JSON array of events, or JSON
// documents one after another (one pretty-printed event, say), telling
// them apart by the first non-space byte and its line: '[' is an array; '{'
// is JSON Lines when that line holds a whole JSON value (or ends with '}',
// a malformed event the runtime rejects alone), else documents.
func newSource(r io.Reader) (source, error) {
	lc := &lineCounter{r: r}
	br := bufio.NewReaderSize(lc, 64<<10)
	first, line, sk, err := peekFirst(br)
	if err != nil {
		return nil, err
	}
	switch {
	case first == nil:
		return emptySource{}, nil
	case first[0] == '[':
		return newDocSource(br, lc, sk, true)
	case first[0] != '{':
		return nil, fmt.Errorf("line %d: expected JSON Lines, a JSON array of events or JSON objects, not %q", line, abbrev(first))
	}
	if t := bytes.TrimSpace(first); json.Valid(t) || t[len(t)-1] == '}' {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 64<<10), maxLine)
		return &lineSource{sc: sc, n: sk.lines, off: sk.bytes}, nil
	}
	return newDocSource(br, lc, sk, false)
}

// skipped is the blank input before the first event that peekFirst
// dropped, when it filled a whole buffer.
type skipped struct {
	bytes int64
	lines int
}

// peekFirst returns, without consuming them, the bytes from the first
// non-space byte of br to the end of its line (nil for an input of only
// spaces), and that line's number; for an array, only what is there of
// it. It reads no more than it must, so that a slow producer on a pipe is
// not waited for.
func peekFirst(br *bufio.Reader) ([]byte, int, skipped, error) {
	var sk skipped
	for {
		b, _ := br.Peek(br.Buffered()) // what is there, without waiting
		start := bytes.IndexFunc(b, func(r rune) bool { return !isSpace(r) })
		if start >= 0 {
			line := sk.lines + 1 + bytes.Count(b[:start], []byte("\n"))
			if end := bytes.IndexByte(b[start:], '\n'); end >= 0 {
				return b[start : start+end], line, sk, nil
			}
			if b[start] == '[' { // an array: its first line does not matter
				return b[start:], line, sk, nil
			}
		}
		if _, err := br.Peek(len(b) + 1); err != nil {
			b, _ = br.Peek(br.Buffered())
			start = bytes.IndexFunc(b, func(r rune) bool { return !isSpace(r) })
			switch {
			case start >= 0: // the first line runs to the end of the input, or of the buffer
				return b[start:], sk.lines + 1 + bytes.Count(b[:start], []byte("\n")), sk, nil
			case errors.Is(err, io.EOF):
				return nil, 0, sk, nil
			case !errors.Is(err, bufio.ErrBufferFull):
				return nil, 0, sk, err
			}
			// A buffer of spaces: drop them and look further.
			sk.bytes += int64(len(b))
			sk.lines += bytes.Count(b, []byte("\n"))
			if _, err := br.Discard(len(b)); err != nil {
				return nil, 0, sk, err
			}
		}
	}
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

func abbrev(b []byte) string {
	if len(b) > 20 {
		return string(b[:20]) + "..."
	}
	return string(b)
}

type emptySource struct{}

func (emptySource) next() (event, error) { return event{}, io.EOF }

// lineSource reads JSON Lines: each line that is not blank is an event,
// sent as it is, so that the runtime judges a malformed one alone.
type lineSource struct {
	sc  *bufio.Scanner
	n   int
	off int64
}

func (s *lineSource) next() (event, error) {
	for s.sc.Scan() {
		s.n++
		s.off += int64(len(s.sc.Bytes())) + 1
		text := bytes.TrimSpace(s.sc.Bytes())
		if len(text) == 0 {
			continue
		}
		ev := event{line: s.n, text: bytes.Clone(text), end: s.off}
		if text[0] != '{' {
			ev.bad = errNotObject
		}
		return ev, nil
	}
	if err := s.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return event{}, fmt.Errorf("line %d: a line longer than %d bytes", s.n+1, maxLine)
		}
		return event{}, err
	}
	return event{}, io.EOF
}

// docSource reads the elements of one JSON array, or JSON values one
// after another, each made one line.
type docSource struct {
	dec *json.Decoder
	lc  *lineCounter
	// base is the offset in the input of the decoder's first byte.
	base  int64
	array bool
	done  bool
}

func newDocSource(br *bufio.Reader, lc *lineCounter, sk skipped, array bool) (*docSource, error) {
	s := &docSource{dec: json.NewDecoder(br), lc: lc, base: sk.bytes, array: array}
	if array {
		if _, err := s.dec.Token(); err != nil { // the '['
			return nil, s.syntax(err)
		}
	}
	return s, nil
}

func (s *docSource) next() (event, error) {
	if s.done {
		return event{}, io.EOF
	}
	if s.array && !s.dec.More() {
		s.done = true
		if _, err := s.dec.Token(); err != nil { // the ']'
			return event{}, s.syntax(err)
		}
		if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
			return event{}, fmt.Errorf("line %d: more after the end of the array of events", s.lc.lineAt(s.base+s.dec.InputOffset()))
		}
		return event{}, io.EOF
	}
	var raw json.RawMessage
	if err := s.dec.Decode(&raw); err != nil {
		if !s.array && errors.Is(err, io.EOF) {
			s.done = true
			return event{}, io.EOF
		}
		return event{}, s.syntax(err)
	}
	end := s.base + s.dec.InputOffset()
	ev := event{line: s.lc.lineAt(end - int64(len(raw))), end: end}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return event{}, s.syntax(err)
	}
	ev.text = b.Bytes()
	if raw[0] != '{' {
		ev.bad = errNotObject
	}
	return ev, nil
}

// syntax says where the input stopped being JSON. The decoder's own
// offsets count only what it scanned of values, so the value it failed on,
// which starts its unread buffer, is scanned again to find the line.
func (s *docSource) syntax(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		off := s.base + s.dec.InputOffset()
		rest, _ := io.ReadAll(s.dec.Buffered())
		var v json.RawMessage
		var at *json.SyntaxError
		switch err := json.NewDecoder(bytes.NewReader(rest)).Decode(&v); {
		case err == nil: // the value is whole: what is wrong is where it starts
			off += int64(len(rest) - len(bytes.TrimLeft(rest, " \t\r\n")))
		case errors.As(err, &at) && at.Offset > 0:
			off += at.Offset - 1
		}
		return fmt.Errorf("line %d: not valid JSON: %s", s.lc.lineAt(off), se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("line %d: the input ends inside a JSON value", s.lc.lineAt(max(s.lc.off-1, 0)))
	}
	return err
}

// lineCounter counts the lines of what is read through it, so that a byte
// offset of the input can be told as a line.
type lineCounter struct {
	r   io.Reader
	off int64 // bytes read
	// nls are the offsets of the newlines read that lineAt has not passed.
	nls  []int64
	line int // newlines before the last offset lineAt was asked for
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.nls = append(c.nls, c.off+int64(i))
		}
	}
	c.off += int64(n)
	return n, err
}

// lineAt returns the line of offset off, from 1; the offsets asked for
// must not decrease.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.nls) && c.nls[i] < off {
		i++
	}
	c.line += i
	c.nls = c.nls[i:]
	return c.line + 1
}

// unbatching reads a Segment batch envelope ({"batch": [...]}, as
// /v1/batch takes it) of its source as the calls it holds, each on the
// envelope's line and given its sentAt and context, so that a file of
// captured batches is sent as its events and each rejection is told apart.
type unbatching struct {
	src     source
	pending []event
}

func (u *unbatching) next() (event, error) {
	if len(u.pending) == 0 {
		ev, err := u.src.next()
		if err != nil || ev.bad != "" || !bytes.Contains(ev.text, []byte(`"batch"`)) {
			return ev, err
		}
		calls, ok := events.Unbatch(ev.text)
		if !ok {
			return ev, nil
		}
		for _, c := range calls {
			var b bytes.Buffer
			if json.Compact(&b, c) != nil {
				b.Reset()
				b.Write(bytes.TrimSpace(c))
			}
			e := event{line: ev.line, text: b.Bytes(), end: ev.end}
			if len(e.text) == 0 || e.text[0] != '{' {
				e.bad = errNotObject
			}
			u.pending = append(u.pending, e)
		}
		if len(u.pending) == 0 {
			return event{}, fmt.Errorf("line %d: the Segment batch holds no calls", ev.line)
		}
	}
	ev := u.pending[0]
	u.pending = u.pending[1:]
	return ev, nil
}
