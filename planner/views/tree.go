package views

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/planner/plans"
)

// A change is rendered from a tree that pairs what was deployed with what is
// desired, attribute by attribute and block by block, as the configuration
// writes them.

type attrDiff struct {
	name          string
	action        plans.Action // Create, Delete, Update or NoOp
	before, after any          // nil when absent
	style         style
	prefix        string
	metric        bool
	sensitive     bool
	replace       bool
}

type blockDiff struct {
	typ, label string
	action     plans.Action
	body       bodyDiff
}

type bodyDiff struct {
	attrs  []attrDiff  // by name
	blocks []blockDiff // by type, then in order
}

type builder struct {
	sensitive []string // paths sensitive before or after
	replace   map[string]bool
}

func newBuilder(c *plans.Change) *builder {
	b := &builder{replace: map[string]bool{}}
	b.sensitive = append(append(b.sensitive, c.BeforeSensitive...), c.AfterSensitive...)
	for _, p := range c.ReplacePaths {
		b.replace[p] = true
	}
	return b
}

// isSensitive reports whether the value at path is, holds or is part of a
// sensitive value.
func (b *builder) isSensitive(path string) bool {
	for _, s := range b.sensitive {
		if s == path || strings.HasPrefix(path, s+".") || strings.HasPrefix(s, path+".") {
			return true
		}
	}
	return false
}

func actionOf(hasBefore, hasAfter bool, before, after any) plans.Action {
	switch {
	case !hasBefore && !hasAfter:
		return plans.NoOp
	case !hasBefore:
		return plans.Create
	case !hasAfter:
		return plans.Delete
	case reflect.DeepEqual(before, after):
		return plans.NoOp
	}
	return plans.Update
}

func present(m map[string]any, k string) (any, bool) {
	v, ok := m[k]
	return v, ok && v != nil
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// body pairs two objects' keys; before or after may be nil for a block that
// is created or deleted. prefix is the path of the object, ending in a dot,
// or empty at the top.
func (b *builder) body(before, after map[string]any, sh shape, prefix string) bodyDiff {
	var out bodyDiff
	for _, key := range unionKeys(before, after) {
		bv, bok := present(before, key)
		av, aok := present(after, key)
		path := prefix + key
		f, known := sh[key]
		if !known {
			f = inferField(bv, av)
		}
		switch {
		case f.hidden:
		case f.flat:
			bm, am := asMap(bv), asMap(av)
			for _, k := range unionKeys(bm, am) {
				out.attrs = append(out.attrs, b.attr(k, path+"."+k, bm, am, k, field{style: f.style}))
			}
		case f.entries:
			bm, am := asMap(bv), asMap(av)
			inner := shape{}
			for _, k := range unionKeys(bm, am) {
				inner[k] = field{style: f.style}
			}
			out.blocks = append(out.blocks, b.block(key, "", bok, aok, bm, am, inner, path+"."))
		case f.block != nil && f.list:
			out.blocks = append(out.blocks, b.blockList(key, f, asList(bv), asList(av), path)...)
		case f.block != nil:
			out.blocks = append(out.blocks, b.block(key, blockLabel(f, asMap(bv), asMap(av)), bok, aok, asMap(bv), asMap(av), *f.block, path+"."))
		default:
			out.attrs = append(out.attrs, b.attr(key, path, before, after, key, f))
		}
	}
	sort.SliceStable(out.attrs, func(i, j int) bool { return out.attrs[i].name < out.attrs[j].name })
	sort.SliceStable(out.blocks, func(i, j int) bool { return out.blocks[i].typ < out.blocks[j].typ })
	return out
}

// inferField prints an object as a block, a list of objects as blocks, and
// anything else as a literal.
func inferField(vs ...any) field {
	for _, v := range vs {
		switch x := v.(type) {
		case map[string]any:
			if !deploy.IsWithheld(x) {
				return field{block: &shape{}}
			}
		case []any:
			if len(x) > 0 {
				if _, ok := x[0].(map[string]any); ok {
					return field{block: &shape{}, list: true}
				}
			}
		}
	}
	return field{}
}

func (b *builder) attr(name, path string, before, after map[string]any, key string, f field) attrDiff {
	bv, bok := present(before, key)
	av, aok := present(after, key)
	a := attrDiff{
		name: name, before: bv, after: av, style: f.style, prefix: f.prefix, metric: f.metric,
		action:    actionOf(bok, aok, bv, av),
		sensitive: b.isSensitive(path) || deploy.IsWithheld(bv) || deploy.IsWithheld(av),
		replace:   b.replace[path],
	}
	return a
}

func (b *builder) block(typ, label string, hasBefore, hasAfter bool, before, after map[string]any, sh shape, prefix string) blockDiff {
	return blockDiff{
		typ:    typ,
		label:  label,
		action: actionOf(hasBefore && before != nil, hasAfter && after != nil, before, after),
		body:   b.body(before, after, sh, prefix),
	}
}

// blockLabel is the label of a single block whose field names a label key:
// the desired one's, or "old -> new" when it changed.
func blockLabel(f field, before, after map[string]any) string {
	if f.label == "" {
		return ""
	}
	bl, _ := before[f.label].(string)
	al, _ := after[f.label].(string)
	switch {
	case after == nil:
		return bl
	case before != nil && bl != al:
		return bl + " -> " + al
	}
	return al
}

// blockList pairs repeated blocks: by their label when the field has one,
// else by position.
func (b *builder) blockList(key string, f field, before, after []any, path string) []blockDiff {
	typ := key
	if f.as != "" {
		typ = f.as
	}
	var out []blockDiff
	if f.label == "" {
		for i := 0; i < len(before) || i < len(after); i++ {
			var bm, am map[string]any
			if i < len(before) {
				bm = asMap(before[i])
			}
			if i < len(after) {
				am = asMap(after[i])
			}
			out = append(out, b.block(typ, "", bm != nil, am != nil, bm, am, *f.block, path+"."+strconv.Itoa(i)+"."))
		}
		return out
	}
	type pair struct {
		before, after map[string]any
		index         int
	}
	byLabel := map[string]*pair{}
	var labels []string
	add := func(items []any, isAfter bool) {
		for i, it := range items {
			m := asMap(it)
			l, _ := m[f.label].(string)
			p := byLabel[l]
			if p == nil {
				p = &pair{index: i}
				byLabel[l] = p
				labels = append(labels, l)
			}
			if isAfter {
				p.after, p.index = m, i
			} else {
				p.before = m
			}
		}
	}
	add(before, false)
	add(after, true)
	sort.Strings(labels)
	for _, l := range labels {
		p := byLabel[l]
		out = append(out, b.block(typ, l, p.before != nil, p.after != nil, p.before, p.after, *f.block, path+"."+strconv.Itoa(p.index)+"."))
	}
	return out
}
