package eventscmd

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

// read returns the events of input as "LINE TEXT" (with " BAD" for those
// rejected here), and the error that ended them.
func read(t *testing.T, input string) ([]string, error) {
	t.Helper()
	s, err := newSource(strings.NewReader(input))
	if err != nil {
		return nil, err
	}
	src := &unbatching{src: s}
	var out []string
	for {
		ev, err := src.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		s := fmt.Sprintf("%d %s", ev.line, ev.text)
		if ev.bad != "" {
			s += " BAD"
		}
		out = append(out, s)
	}
}

func TestSource(t *testing.T) {
	tests := []struct {
		name, input string
		want        []string
		err         string // the error after the events, if any
	}{
		{"JSON Lines", "{\"a\": 1}\n\n  {\"b\": 2}  \n{\"c\":3}", []string{`1 {"a": 1}`, `3 {"b": 2}`, `4 {"c":3}`}, ""},
		{"JSON Lines, CRLF", "{\"a\":1}\r\n{\"b\":2}\r\n", []string{`1 {"a":1}`, `2 {"b":2}`}, ""},
		// A malformed line goes to the runtime, which rejects it alone; a
		// line that is not an object is rejected here.
		{"JSON Lines, malformed", "{\"a\":1}\n{\"b\": }\n[1]\n{\"c\":3}\n", []string{`1 {"a":1}`, `2 {"b": }`, `3 [1] BAD`, `4 {"c":3}`}, ""},
		{"JSON Lines, first malformed", "{\"type\": }\n{\"a\":1}\n", []string{`1 {"type": }`, `2 {"a":1}`}, ""},
		{"leading blank lines", "\n\n   \n{\"a\":1}\n", []string{`4 {"a":1}`}, ""},
		{"array", "[\n  {\"a\": 1},\n  {\n    \"b\": [1, 2]\n  }\n]\n", []string{`2 {"a":1}`, `3 {"b":[1,2]}`}, ""},
		{"array on one line", `[{"a":1},{"b":2}]`, []string{`1 {"a":1}`, `1 {"b":2}`}, ""},
		{"empty array", "[]", nil, ""},
		{"array of other values", "[\n{\"a\":1},\n\"x\",\n2\n]", []string{`2 {"a":1}`, `3 "x" BAD`, `4 2 BAD`}, ""},
		{"one pretty-printed event", "{\n  \"type\": \"cart_updated\",\n  \"customer_id\": \"c-1\"\n}\n", []string{`1 {"type":"cart_updated","customer_id":"c-1"}`}, ""},
		{"pretty-printed events", "\n{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n", []string{`2 {"a":1}`, `5 {"b":2}`}, ""},
		{"pretty-printed, then not an object", "{\n\"a\": 1\n}\n[2]\n", []string{`1 {"a":1}`, `4 [2] BAD`}, ""},
		// A Segment batch is its calls, with the envelope's sentAt.
		{"a pretty-printed Segment batch", "{\n  \"batch\": [\n    {\"type\": \"track\", \"event\": \"e\"},\n    {\"type\": \"page\", \"sentAt\": \"T2\"},\n    3\n  ],\n  \"sentAt\": \"T1\"\n}\n",
			[]string{`1 {"event":"e","sentAt":"T1","type":"track"}`, `1 {"sentAt":"T2","type":"page"}`, `1 3 BAD`}, ""},
		{"Segment batches as JSON Lines", "{\"batch\": [{\"a\": 1}]}\n{\"b\": 2}\n{\"batch\": [{\"c\": 3}, {\"d\": 4}]}\n",
			[]string{`1 {"a":1}`, `2 {"b": 2}`, `3 {"c":3}`, `3 {"d":4}`}, ""},
		{"an empty Segment batch", "{\"batch\": []}\n", nil, "line 1: the Segment batch holds no calls"},
		{"array, syntax error", "[\n{\"a\":1},\n{\"b\":\n  }\n]", []string{`2 {"a":1}`}, "line 4: not valid JSON: invalid character '}' looking for beginning of value"},
		{"array, missing comma", "[\n{\"a\":1}\n{\"b\":2}\n]", []string{`2 {"a":1}`}, "line 3: not valid JSON"},
		{"array, cut short", "[\n{\"a\":1},\n{\"b\":", []string{`2 {"a":1}`}, "line 3: the input ends inside a JSON value"},
		{"array, then more", "[{\"a\":1}]\n{\"b\":2}", []string{`1 {"a":1}`}, "line 2: more after the end of the array of events"},
		{"pretty-printed, cut short", "{\n  \"a\": 1,\n", nil, "line 2: the input ends inside a JSON value"},
		{"neither", "\n  hello\n", nil, `line 2: expected JSON Lines, a JSON array of events or JSON objects, not "hello"`},
		{"empty", "", nil, ""},
		{"only spaces", " \n\t\n", nil, ""},
		// More blank input than the reader's buffer before the first event.
		{"a long blank start", strings.Repeat("\n", 70000) + "{\n\"a\":1\n}", []string{`70001 {"a":1}`}, ""},
		{"a long blank start, JSON Lines", strings.Repeat(" \n", 40000) + "{\"a\":1}\n{\"b\":2}", []string{`40001 {"a":1}`, `40002 {"b":2}`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := read(t, tt.input)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.err != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.err)):
				t.Errorf("error %v, want %s...", err, tt.err)
			}
		})
	}
}

// The input is read as it comes: the first event of a pipe is read before
// the producer has written the rest, in each format.
func TestSourceStreams(t *testing.T) {
	for _, first := range []string{"{\"a\":1}\n", "[{\"a\":1},", "{\n\"a\":1\n}\n"} {
		r, w := io.Pipe()
		got := make(chan string, 1)
		go func() {
			src, err := newSource(r)
			if err != nil {
				got <- err.Error()
				return
			}
			ev, err := src.next()
			got <- fmt.Sprintf("%s %v", ev.text, err)
		}()
		w.Write([]byte(first))
		select {
		case g := <-got:
			if g != `{"a":1} <nil>` {
				t.Errorf("%q: first event %s", first, g)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%q: the first event waited for more input", first)
		}
		w.Close()
	}
}
