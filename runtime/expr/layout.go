package expr

import "sort"

// Layout maps the attribute names of a customer profile or of an event type
// to slots of a Record, with their kinds. It is built once per deployment
// from the customer and event declarations and never changes.
type Layout struct {
	names []string
	kinds []Kind
	slots map[string]int
}

// IDAttribute is the attribute every layout has in slot 0, as a string:
// customer.id for the customer layout.
const IDAttribute = "id"

// NewLayout returns the layout of the given attributes: "id" in slot 0, a
// string whatever attrs says, then the others sorted by name.
func NewLayout(attrs map[string]Kind) *Layout {
	names := make([]string, 0, len(attrs)+1)
	for n := range attrs {
		if n != IDAttribute {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append([]string{IDAttribute}, names...)
	l := &Layout{names: names, kinds: make([]Kind, len(names)), slots: make(map[string]int, len(names))}
	for i, n := range names {
		l.slots[n] = i
		l.kinds[i] = attrs[n]
	}
	l.kinds[0] = KindString
	return l
}

// Slot returns the slot of the named attribute.
func (l *Layout) Slot(name string) (int, bool) {
	i, ok := l.slots[name]
	return i, ok
}

// Kind returns the kind of the attribute in slot; Dynamic for a slot the
// layout has not.
func (l *Layout) Kind(slot int) Kind {
	if slot < 0 || slot >= len(l.kinds) {
		return KindDynamic
	}
	return l.kinds[slot]
}

// Names returns the attribute names in slot order.
func (l *Layout) Names() []string { return append([]string(nil), l.names...) }

// Len returns the number of slots.
func (l *Layout) Len() int { return len(l.names) }

// NewRecord returns a Record of the layout's length with every attribute
// null.
func (l *Layout) NewRecord() Record { return make(Record, len(l.names)) }

// Record holds one customer's or one event's attributes by slot, as a
// Layout assigns them. Each value is null or of its slot's kind (any kind
// for a Dynamic slot). A Record shorter than its layout reads as null past
// its end.
type Record []Value
