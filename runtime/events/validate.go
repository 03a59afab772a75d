package events

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Code says why an event was rejected.
type Code string

// The rejection codes.
const (
	CodeMalformed     Code = "malformed"
	CodeTooLarge      Code = "too_large"
	CodeUnknownType   Code = "unknown_type"
	CodeWrongType     Code = "wrong_type"
	CodeMissing       Code = "missing_required"
	CodeNoCustomer    Code = "no_customer_id"
	CodeBadTimestamp  Code = "bad_timestamp"
	CodeFutureTime    Code = "timestamp_in_future"
	CodeFieldTooLong  Code = "field_too_long"
	CodeBadID         Code = "bad_id"
	CodeNoEventSchema Code = "nothing_deployed"
)

// Rejection is why one event was refused.
type Rejection struct {
	Code   Code
	Reason string
}

// MaxAhead is how far past its arrival an event may be stamped.
const MaxAhead = 5 * time.Minute

// Schema is what events are checked against: the declared event types and
// customer attributes of every stack.
type Schema struct {
	// Types are the event types by name.
	Types map[string]*Type
	// Aliases maps each alias to its type's name.
	Aliases map[string]string
	// Customer holds the customer attributes, which traits update.
	Customer map[string]Attr
}

// Type is a declared event type.
type Type struct {
	Name       string
	Attributes map[string]Attr
}

// Attr is a declared attribute of an event type or of the customer.
type Attr struct {
	Kind      Kind
	Required  bool
	Sensitive bool
	// Default is the value an event that leaves the attribute out gets;
	// null unless declared.
	Default Value
}

// Lookup resolves a type name or alias.
func (s *Schema) Lookup(name string) (*Type, bool) {
	if t, ok := s.Types[name]; ok {
		return t, true
	}
	if n, ok := s.Aliases[name]; ok {
		t, ok := s.Types[n]
		return t, ok
	}
	return nil, false
}

// Field is one named value of an event.
type Field struct {
	Name  string
	Value Value
}

// Event is a checked event. Attributes holds every declared attribute of its
// type (null where left out without a default); Traits the declared traits
// it sent. Both are sorted by name. Type is empty for a traits-only update
// (Segment identify).
type Event struct {
	ID         string
	Type       string
	Customer   string
	Time       time.Time
	Attributes []Field
	Traits     []Field
}

// Attribute returns the named attribute, null if absent.
func (e *Event) Attribute(name string) Value {
	for _, f := range e.Attributes {
		if f.Name == name {
			return f.Value
		}
	}
	return Value{}
}

// Dropped counts attributes and traits that were sent but not declared, by
// event type ("" for identify) and name; traits are named "traits.<name>".
type Dropped map[DroppedKey]int

// DroppedKey names one dropped attribute.
type DroppedKey struct {
	Type string
	Name string
}

// Result is the outcome for one event of a batch: Event, or Rejected.
type Result struct {
	Index    int
	ID       string
	Event    Event
	Rejected *Rejection
}

// Validate checks each decoded event against schema. arrival is when the
// batch arrived: events without a timestamp get it, and those stamped more
// than MaxAhead after it are rejected. Undeclared attributes and traits are
// dropped and counted in dropped, which may be nil.
func Validate(raws []Raw, schema *Schema, arrival time.Time, dropped Dropped) []Result {
	out := make([]Result, len(raws))
	for i := range raws {
		r := &raws[i]
		res := Result{Index: r.Index, ID: r.ID}
		if r.Err != nil {
			res.Rejected = r.Err
		} else if ev, rej := validate(r, schema, arrival, dropped); rej != nil {
			res.Rejected = rej
		} else {
			res.Event = ev
		}
		out[i] = res
	}
	return out
}

func rej(code Code, format string, args ...any) *Rejection {
	return &Rejection{Code: code, Reason: fmt.Sprintf(format, args...)}
}

func validate(r *Raw, schema *Schema, arrival time.Time, dropped Dropped) (Event, *Rejection) {
	ev := Event{ID: r.ID, Customer: r.Customer}
	var idErr *IDError
	switch {
	case errors.As(CheckID(r.ID), &idErr):
		return ev, rej(idErr.Code, "the id %s", idErr.Reason)
	case r.Customer == "":
		return ev, rej(CodeNoCustomer, "%s", noCustomer(r.Shape))
	case errors.As(CheckID(r.Customer), &idErr):
		return ev, rej(idErr.Code, "the customer id %s", idErr.Reason)
	case len(r.Type) > maxTypeLen:
		return ev, rej(CodeFieldTooLong, "the event type is %d bytes long; at most %d are allowed", len(r.Type), maxTypeLen)
	}
	ev.Time = arrival
	if r.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, r.Timestamp)
		if err != nil {
			return ev, rej(CodeBadTimestamp, "the timestamp %q is not an RFC 3339 time such as 2026-11-23T10:00:00Z", r.Timestamp)
		}
		if r.SentAt != "" {
			// As Segment does: the device's clock was off by sentAt minus
			// arrival, so the event happened (sentAt - timestamp) before
			// it arrived.
			sent, err := time.Parse(time.RFC3339Nano, r.SentAt)
			if err != nil {
				return ev, rej(CodeBadTimestamp, "sentAt %q is not an RFC 3339 time such as 2026-11-23T10:00:00Z", r.SentAt)
			}
			t = arrival.Add(-sent.Sub(t))
		}
		if t.Before(time.Unix(0, 0)) {
			return ev, rej(CodeBadTimestamp, "the timestamp %q is before %s, the earliest accepted", r.Timestamp, MinTimestamp)
		}
		if t.Sub(arrival) > MaxAhead {
			return ev, rej(CodeFutureTime, "the timestamp %s is %s after the event arrived; at most %s is allowed", r.Timestamp, t.Sub(arrival).Round(time.Second), MaxAhead)
		}
		ev.Time = t.UTC()
	}
	if schema == nil {
		return ev, rej(CodeNoEventSchema, "no stack is deployed, so no event type is declared")
	}
	if r.Shape != ShapeSegmentIdentify {
		typ, ok := schema.Lookup(r.Type)
		if !ok {
			return ev, rej(CodeUnknownType, "the event type %q is not declared by any deployed stack (nor as an alias)", r.Type)
		}
		ev.Type = typ.Name
		fields, rj := typed(withContext(r.Attributes, r.Context, typ.Attributes), typ.Attributes, true, "attribute", typ.Name, dropped, "")
		if rj != nil {
			return ev, rj
		}
		ev.Attributes = fields
	}
	sent, consent, rj := consentTraits(r.Traits, schema.Customer)
	if rj != nil {
		return ev, rj
	}
	traits, rj := typed(sent, schema.Customer, false, "trait", ev.Type, dropped, "traits.")
	if rj != nil {
		return ev, rj
	}
	if len(consent) > 0 {
		traits = append(traits, consent...)
		sort.Slice(traits, func(i, j int) bool { return traits[i].Name < traits[j].Name })
	}
	ev.Traits = traits
	return ev, nil
}

// ConsentTrait is the prefix of the reserved traits that set the
// customer's consent to a channel: consent.<channel>, a bool, sent flat
// ("consent.email": true) or nested ("consent": {"email": true}). They
// are kept whether or not the schema declares them (docs/governance.md).
const ConsentTrait = "consent."

// maxChannelLen bounds the channel name of a consent trait.
const maxChannelLen = 64

// consentTraits takes the reserved consent traits out of sent: it returns
// the other traits and the consent ones, typed, or why they are refused.
// A declared customer attribute of the same name is an ordinary trait.
func consentTraits(sent map[string]any, decl map[string]Attr) (map[string]any, []Field, *Rejection) {
	var rest map[string]any
	var out []Field
	take := func(name string) {
		if rest == nil {
			rest = make(map[string]any, len(sent))
			for k, v := range sent {
				rest[k] = v
			}
		}
		delete(rest, name)
	}
	add := func(channel string, v any) *Rejection {
		if channel == "" || len(channel) > maxChannelLen || CheckID(channel) != nil {
			return rej(CodeMalformed, "the trait %s%s does not name a channel", ConsentTrait, channel)
		}
		b, ok := v.(bool)
		if !ok {
			return rej(CodeWrongType, "the trait %s%s must be a bool, not %s", ConsentTrait, channel, describe(v))
		}
		for _, f := range out {
			if f.Name == ConsentTrait+channel {
				return rej(CodeMalformed, "the trait %s%s is sent twice, flat and nested", ConsentTrait, channel)
			}
		}
		out = append(out, Field{ConsentTrait + channel, Value{Kind: KindBool, Bool: b}})
		return nil
	}
	for name, v := range sent {
		if _, ok := decl[name]; ok {
			continue
		}
		if ch, ok := strings.CutPrefix(name, ConsentTrait); ok {
			take(name)
			if r := add(ch, v); r != nil {
				return nil, nil, r
			}
			continue
		}
		if m, ok := v.(map[string]any); ok && name == strings.TrimSuffix(ConsentTrait, ".") {
			take(name)
			for ch, b := range m {
				if r := add(ch, b); r != nil {
					return nil, nil, r
				}
			}
		}
	}
	if rest == nil {
		return sent, nil, nil
	}
	return rest, out, nil
}

// withContext adds to attrs the context values the type declares, which do
// not replace sent attributes. Undeclared context values are left out
// without being counted as dropped: every tracker sends many.
func withContext(attrs, ctx map[string]any, decl map[string]Attr) map[string]any {
	if len(ctx) == 0 {
		return attrs
	}
	var out map[string]any
	for name, v := range ctx {
		if _, ok := decl[name]; !ok {
			continue
		}
		if _, ok := attrs[name]; ok {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(attrs)+1)
			for k, a := range attrs {
				out[k] = a
			}
		}
		out[name] = v
	}
	if out == nil {
		return attrs
	}
	return out
}

// typed checks sent values against declared attributes. With all, every
// declared attribute is returned (defaults or null for those left out);
// otherwise only those sent.
func typed(sent map[string]any, decl map[string]Attr, all bool, what, typ string, dropped Dropped, prefix string) ([]Field, *Rejection) {
	var out []Field
	for name, v := range sent {
		a, ok := decl[name]
		if !ok {
			if dropped != nil {
				dropped[DroppedKey{typ, prefix + name}]++
			}
			continue
		}
		val, ok := convert(v, a.Kind)
		if !ok {
			return nil, rej(CodeWrongType, "the %s %q must be %s, not %s", what, name, article(a.Kind), describe(v))
		}
		if val.IsNull() && a.Required {
			return nil, rej(CodeMissing, "the required %s %q is null", what, name)
		}
		if val.IsNull() && !a.Default.IsNull() {
			val = a.Default
		}
		out = append(out, Field{name, val})
	}
	if all {
		for name, a := range decl {
			if _, ok := sent[name]; ok {
				continue
			}
			if a.Required {
				return nil, rej(CodeMissing, "the required %s %q is missing", what, name)
			}
			out = append(out, Field{name, a.Default})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// convert types a JSON value as kind; null converts to null.
func convert(v any, kind Kind) (Value, bool) {
	if v == nil {
		return Value{}, true
	}
	switch kind {
	case KindString:
		s, ok := v.(string)
		return Value{Kind: KindString, Str: s}, ok
	case KindNumber:
		f, ok := v.(float64)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return Value{}, false
		}
		return Value{Kind: KindNumber, Num: f}, true
	case KindBool:
		b, ok := v.(bool)
		return Value{Kind: KindBool, Bool: b}, ok
	case KindList:
		arr, ok := v.([]any)
		if !ok {
			return Value{}, false
		}
		ss := make([]string, len(arr))
		for i, e := range arr {
			s, ok := e.(string)
			if !ok {
				return Value{}, false
			}
			ss[i] = s
		}
		return Value{Kind: KindList, List: ss}, true
	}
	return Value{}, false
}

func article(k Kind) string {
	switch k {
	case KindList:
		return "a list of strings"
	case KindNumber:
		return "a number"
	case KindBool:
		return "a bool"
	}
	return "a string"
}

// describe names the JSON type of v, never its value (it may be sensitive).
func describe(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a bool"
	case []any:
		return "an array (or one holding something other than strings)"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// noCustomer says which field of a shape holds the customer id.
func noCustomer(sh Shape) string {
	switch sh {
	case ShapeSegmentTrack, ShapeSegmentIdentify, ShapeSegmentOther:
		return `the Segment call has no customer id: send "userId" or "anonymousId"`
	case ShapeCloudEvents:
		return `the CloudEvent has no customer id: send it as "subject" (ce-subject in binary mode)`
	}
	return `the event has no customer id: send "customer_id"`
}
