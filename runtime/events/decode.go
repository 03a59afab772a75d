package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Shape is the format an event was sent in.
type Shape string

// The accepted shapes.
const (
	ShapeWaymark         Shape = "waymark"
	ShapeSegmentTrack    Shape = "segment_track"
	ShapeSegmentIdentify Shape = "segment_identify"
	// ShapeSegmentOther is a Segment page, screen, group or alias call,
	// mapped to the event type of the same name (see docs/trackers.md).
	ShapeSegmentOther Shape = "segment_other"
	ShapeCloudEvents  Shape = "cloudevents"
)

// Limits bound what one batch may hold.
type Limits struct {
	// MaxEvents is the most events in one batch.
	MaxEvents int
	// MaxEventBytes is the longest JSON text of one event.
	MaxEventBytes int
}

// DefaultLimits are the limits of the API.
var DefaultLimits = Limits{MaxEvents: 10000, MaxEventBytes: 64 << 10}

// maxTypeLen bounds an event type's name, in bytes; ids are bounded by
// MaxIDLen.
const maxTypeLen = 256

// Raw is one event as sent, in a shape-independent form, before it is
// checked against the declared types.
type Raw struct {
	// Index is the event's position in the batch, from 0.
	Index int
	Shape Shape
	ID    string
	// Type is the type or alias as sent; empty for an identify.
	Type     string
	Customer string
	// Timestamp is the text sent, empty for none.
	Timestamp  string
	Attributes map[string]any
	Traits     map[string]any
	// SentAt is a Segment call's sentAt, empty for none: the device's
	// clock when it sent, used to correct the skew of Timestamp.
	SentAt string
	// Context holds a Segment call's context flattened to attribute names
	// ("context_page_url"); only the declared ones are kept.
	Context map[string]any
	// Err, when set, rejects the event: it could not be read.
	Err *Rejection
}

// BatchError is a batch that cannot be read at all.
type BatchError struct {
	// TooLarge is set when the batch holds more events than the limit.
	TooLarge bool
	Msg      string
}

func (e *BatchError) Error() string { return e.Msg }

// Decode reads a batch: a JSON array of events, or JSON Lines (one event per
// line; blank lines are skipped). A malformed event in JSON Lines is
// returned with Err set; a malformed array, an empty batch or one past the
// limits is a *BatchError.
func Decode(body []byte, lim Limits) ([]Raw, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, &BatchError{Msg: "the batch is empty: send a JSON array of events or one JSON event per line"}
	}
	var texts [][]byte
	switch trimmed[0] {
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return nil, &BatchError{Msg: "the batch is not a valid JSON array: " + jsonErr(err)}
		}
		if len(arr) > lim.MaxEvents {
			return nil, &BatchError{TooLarge: true, Msg: fmt.Sprintf("the batch holds %d events; at most %d are allowed in one request", len(arr), lim.MaxEvents)}
		}
		for _, a := range arr {
			texts = append(texts, a)
		}
	case '{':
		if env, ok := envelope(trimmed); ok {
			if len(env) > lim.MaxEvents {
				return nil, &BatchError{TooLarge: true, Msg: fmt.Sprintf("the batch holds %d events; at most %d are allowed in one request", len(env), lim.MaxEvents)}
			}
			texts = env
			break
		}
		rest := trimmed
		for len(rest) > 0 {
			line := rest
			if i := bytes.IndexByte(rest, '\n'); i >= 0 {
				line, rest = rest[:i], rest[i+1:]
			} else {
				rest = nil
			}
			line = bytes.TrimSpace(line)
			if len(line) == 0 {
				continue
			}
			if len(texts) == lim.MaxEvents {
				return nil, &BatchError{TooLarge: true, Msg: fmt.Sprintf("the batch holds more than %d events, the most allowed in one request", lim.MaxEvents)}
			}
			texts = append(texts, line)
		}
	default:
		return nil, &BatchError{Msg: "the batch must be a JSON array of events or JSON Lines (one JSON object per line)"}
	}
	out := make([]Raw, len(texts))
	for i, t := range texts {
		out[i] = decodeOne(t, lim)
		out[i].Index = i
	}
	return out, nil
}

// envelope reads a body that is one JSON object: a Segment batch (see
// Unbatch) or one event, possibly pretty-printed. ok is false for
// anything else (JSON Lines).
func envelope(body []byte) ([][]byte, bool) {
	if calls, ok := Unbatch(body); ok {
		return calls, true
	}
	// Not one JSON value (JSON Lines), or one event, rejected or not when
	// decoded.
	return [][]byte{body}, json.Valid(body)
}

// Unbatch returns the calls of a Segment batch envelope ({"batch": [...],
// "sentAt": ..., "context": ...}), each given the envelope's sentAt and
// context where it has none; ok is false when text is not one.
func Unbatch(text []byte) (calls [][]byte, ok bool) {
	var env struct {
		Batch   []json.RawMessage `json:"batch"`
		SentAt  json.RawMessage   `json:"sentAt"`
		Context json.RawMessage   `json:"context"`
	}
	if err := json.Unmarshal(text, &env); err != nil || env.Batch == nil {
		return nil, false
	}
	out := make([][]byte, len(env.Batch))
	for i, m := range env.Batch {
		out[i] = inherit(m, env.SentAt, env.Context)
	}
	return out, true
}

// inherit adds sentAt and context to a message that lacks them.
func inherit(m, sentAt, ctx json.RawMessage) []byte {
	if len(sentAt) == 0 && len(ctx) == 0 {
		return m
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(m, &fields) != nil {
		return m // rejected as it is, when decoded
	}
	if _, ok := fields["sentAt"]; !ok && len(sentAt) > 0 {
		fields["sentAt"] = sentAt
	}
	if _, ok := fields["context"]; !ok && len(ctx) > 0 {
		fields["context"] = ctx
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return m
	}
	return b
}

// wire holds the fields of every shape.
type wire struct {
	// Waymark
	ID         flexString     `json:"id"`
	Type       string         `json:"type"`
	CustomerID flexString     `json:"customer_id"`
	Timestamp  string         `json:"timestamp"`
	Attributes map[string]any `json:"attributes"`
	Traits     map[string]any `json:"traits"`
	// Segment
	Event       string         `json:"event"`
	UserID      flexString     `json:"userId"`
	AnonymousID flexString     `json:"anonymousId"`
	MessageID   flexString     `json:"messageId"`
	Properties  map[string]any `json:"properties"`
	SentAt      string         `json:"sentAt"`
	Context     map[string]any `json:"context"`
	Name        string         `json:"name"`
	Category    string         `json:"category"`
	GroupID     flexString     `json:"groupId"`
	PreviousID  flexString     `json:"previousId"`
	// CloudEvents
	SpecVersion     string          `json:"specversion"`
	Source          string          `json:"source"`
	Subject         string          `json:"subject"`
	Time            string          `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	DataBase64      *string         `json:"data_base64"`
}

// flexString is an id that trackers send as a string or a number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return errors.New("must be a string")
	}
	*f = flexString(b)
	return nil
}

func reject(code Code, format string, args ...any) Raw {
	return Raw{Err: &Rejection{Code: code, Reason: fmt.Sprintf(format, args...)}}
}

func decodeOne(text []byte, lim Limits) Raw {
	if len(text) > lim.MaxEventBytes {
		return reject(CodeTooLarge, "the event is %d bytes of JSON; at most %d are allowed", len(text), lim.MaxEventBytes)
	}
	if len(text) == 0 || text[0] != '{' {
		return reject(CodeMalformed, "an event must be a JSON object")
	}
	var w wire
	if err := json.Unmarshal(text, &w); err != nil {
		return reject(CodeMalformed, "the event is not valid JSON: %s", jsonErr(err))
	}
	switch {
	case w.SpecVersion != "":
		return cloudEvent(&w)
	case segmentTypes[w.Type] && w.CustomerID == "" && w.Attributes == nil:
		return segment(&w)
	}
	r := Raw{Shape: ShapeWaymark, ID: string(w.ID), Type: w.Type, Customer: string(w.CustomerID),
		Timestamp: w.Timestamp, Attributes: w.Attributes, Traits: w.Traits}
	if r.Type == "" {
		return rejected(r, CodeUnknownType, `the event has no "type"`)
	}
	return r
}

func rejected(r Raw, code Code, format string, args ...any) Raw {
	r.Err = &Rejection{Code: code, Reason: fmt.Sprintf(format, args...)}
	return r
}

// segmentTypes are the Segment calls read as Segment's shape.
var segmentTypes = map[string]bool{"track": true, "identify": true, "page": true, "screen": true, "group": true, "alias": true}

func segment(w *wire) Raw {
	r := Raw{ID: string(w.MessageID), Timestamp: w.Timestamp, Customer: string(w.UserID),
		SentAt: w.SentAt, Context: flatContext(w.Context)}
	if r.Customer == "" {
		r.Customer = string(w.AnonymousID)
	}
	switch w.Type {
	case "identify":
		r.Shape = ShapeSegmentIdentify
		r.Traits = w.Traits
		return r
	case "page", "screen":
		r.Shape, r.Type = ShapeSegmentOther, w.Type
		r.Attributes = with(w.Properties, map[string]string{"name": w.Name, "category": w.Category})
		return r
	case "group":
		r.Shape, r.Type = ShapeSegmentOther, w.Type
		r.Attributes = with(w.Traits, map[string]string{"group_id": string(w.GroupID)})
		if w.GroupID == "" {
			return rejected(r, CodeMalformed, `the Segment group call has no "groupId"`)
		}
		return r
	case "alias":
		r.Shape, r.Type = ShapeSegmentOther, w.Type
		r.Attributes = with(nil, map[string]string{"previous_id": string(w.PreviousID)})
		if w.PreviousID == "" {
			return rejected(r, CodeMalformed, `the Segment alias call has no "previousId"`)
		}
		return r
	}
	r.Shape = ShapeSegmentTrack
	r.Type = w.Event
	r.Attributes = w.Properties
	if r.Type == "" {
		return rejected(r, CodeUnknownType, `the Segment track call has no "event"`)
	}
	return r
}

// with returns attrs plus the non-empty extra values, which do not replace
// values sent in attrs.
func with(attrs map[string]any, extra map[string]string) map[string]any {
	out := make(map[string]any, len(attrs)+len(extra))
	for k, v := range attrs {
		out[k] = v
	}
	for k, v := range extra {
		if _, ok := out[k]; !ok && v != "" {
			out[k] = v
		}
	}
	return out
}

// maxContextDepth bounds how deep a context is flattened.
const maxContextDepth = 4

// flatContext flattens a Segment context's values to attribute names:
// {"page": {"url": u}} becomes {"context_page_url": u}. Lists are kept as
// they are; objects deeper than maxContextDepth are left out.
func flatContext(ctx map[string]any) map[string]any {
	if len(ctx) == 0 {
		return nil
	}
	out := map[string]any{}
	var walk func(prefix string, m map[string]any, depth int)
	walk = func(prefix string, m map[string]any, depth int) {
		for k, v := range m {
			name := prefix + "_" + k
			if sub, ok := v.(map[string]any); ok {
				if depth < maxContextDepth {
					walk(name, sub, depth+1)
				}
				continue
			}
			out[name] = v
		}
	}
	walk("context", ctx, 1)
	return out
}

func cloudEvent(w *wire) Raw {
	r := Raw{Shape: ShapeCloudEvents, Type: w.Type, Customer: w.Subject, Timestamp: w.Time}
	if w.ID != "" {
		r.ID = w.Source + "/" + string(w.ID)
	}
	if w.SpecVersion != "1.0" {
		return rejected(r, CodeMalformed, "CloudEvents specversion %q is not supported; send 1.0", w.SpecVersion)
	}
	if w.DataBase64 != nil {
		return rejected(r, CodeMalformed, "CloudEvents data_base64 is not supported; send the data as JSON in \"data\"")
	}
	if ct := w.DataContentType; ct != "" && !strings.HasPrefix(ct, "application/json") && !strings.HasSuffix(strings.SplitN(ct, ";", 2)[0], "+json") {
		return rejected(r, CodeMalformed, "CloudEvents datacontenttype %q is not JSON", ct)
	}
	if len(w.Data) > 0 && string(w.Data) != "null" {
		if err := json.Unmarshal(w.Data, &r.Attributes); err != nil {
			return rejected(r, CodeMalformed, "CloudEvents data must be a JSON object of attributes")
		}
	}
	if r.Type == "" {
		return rejected(r, CodeUnknownType, `the CloudEvent has no "type"`)
	}
	return r
}

// jsonErr turns encoding/json's messages into ones about the event.
func jsonErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			return fmt.Sprintf("expected %s, found a JSON %s", goTypeName(te.Type.String()), te.Value)
		}
		return fmt.Sprintf("%q must be %s, not a JSON %s", field, goTypeName(te.Type.String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", strings.TrimPrefix(se.Error(), "json: "), se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func goTypeName(t string) string {
	switch {
	case t == "string" || t == "events.flexString":
		return "a string"
	case strings.HasPrefix(t, "map["):
		return "an object"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	}
	return t
}
