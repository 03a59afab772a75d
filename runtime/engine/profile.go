package engine

import (
	"sort"
	"unique"

	"github.com/waymarkhq/waymark/runtime/events"
)

// profile holds a customer's traits sorted by name: a slice, not a map,
// since a profile has a few declared attributes and a million customers
// each hold one (a small map costs several times the slice).
type profile []field

type field struct {
	name string
	v    events.Value
}

func (p profile) find(name string) (int, bool) {
	i := sort.Search(len(p), func(i int) bool { return p[i].name >= name })
	return i, i < len(p) && p[i].name == name
}

// get returns the named trait.
func (p profile) get(name string) (events.Value, bool) {
	if i, ok := p.find(name); ok {
		return p[i].v, true
	}
	return events.Value{}, false
}

// set sets a trait; a null value removes it.
func (p *profile) set(name string, v events.Value) {
	i, ok := p.find(name)
	switch {
	case v.IsNull() && ok:
		*p = append((*p)[:i], (*p)[i+1:]...)
	case v.IsNull():
	case ok:
		(*p)[i].v = v
	default:
		*p = append(*p, field{})
		copy((*p)[i+1:], (*p)[i:])
		(*p)[i] = field{name: unique.Make(name).Value(), v: v}
	}
}

// profileOf makes a profile of a map, for tests.
func profileOf(m map[string]events.Value) profile {
	var p profile
	for k, v := range m {
		p.set(k, v)
	}
	return p
}
