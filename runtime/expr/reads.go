package expr

import "math"

// Nodes that read the activation.

// slotNode reads slot of the customer or the event record. A slot past the
// record's end or holding a value of another kind reads as null.
func slotNode(src recSrc, slot int, kind Kind) *node {
	ev := src == recEvent
	var n *node
	switch kind {
	case KindString:
		n = newStrNode(func(a *Activation) (string, st) {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindString {
					return v.str, stOK
				}
			}
			return "", stNull
		})
	case KindNumber:
		n = newNumNode(func(a *Activation) (float64, st) {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindNumber {
					return v.num, stOK
				}
			}
			return 0, stNull
		})
	case KindBool:
		n = newBoolNode(func(a *Activation) tri {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindBool {
					return triOf(v.b)
				}
			}
			return triNull
		})
	case KindStringList:
		n = newListNode(func(a *Activation) ([]string, st) {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) {
				if v := &rec[slot]; v.kind == KindStringList {
					return v.list, stOK
				}
			}
			return nil, stNull
		}, false)
	default:
		n = newValNode(KindDynamic, false, func(a *Activation) (Value, st) {
			rec := a.Customer
			if ev {
				rec = a.Event
			}
			if uint(slot) < uint(len(rec)) && rec[slot].kind != KindDynamic {
				return rec[slot], stOK
			}
			return Value{}, stNull
		})
	}
	n.rec, n.slot = src, slot
	return n
}

// contextNode reads a key of the decide request's context.
func contextNode(key string) *node {
	return newValNode(KindDynamic, false, func(a *Activation) (Value, st) {
		v, ok := a.Context[key]
		if !ok || v.kind == KindDynamic {
			return Value{}, stNull
		}
		return v, stOK
	})
}

// segmentNode reads whether the customer is in segment i.
func segmentNode(i int) *node {
	return newBoolNode(func(a *Activation) tri {
		if uint(i) < uint(len(a.Segments)) {
			if v := &a.Segments[i]; v.kind == KindBool {
				return triOf(v.b)
			}
		}
		return triNull
	})
}

// stageNode reads the customer's current stage in journey i.
func stageNode(i int) *node {
	return newStrNode(func(a *Activation) (string, st) {
		if uint(i) < uint(len(a.Stages)) {
			if v := &a.Stages[i]; v.kind == KindString {
				return v.str, stOK
			}
		}
		return "", stNull
	})
}

// priorityNode reads propensity, value or lever; NaN reads as null.
func priorityNode(get func(*Activation) float64) *node {
	return newNumNode(func(a *Activation) (float64, st) {
		x := get(a)
		if math.IsNaN(x) {
			return 0, stNull
		}
		return x, stOK
	})
}

// indexNode indexes a list of strings, as hcl.Index does: a null list or
// key, a key that is not a whole number, negative or past the end fails.
func indexNode(coll, key *node) *node {
	l := asList(coll)
	if key.isConst {
		k, s := valueToNum(key.k)
		idx := -1
		if s == stOK && k >= 0 && k == math.Trunc(k) && k < math.MaxInt32 {
			idx = int(k)
		}
		return newStrNode(func(a *Activation) (string, st) {
			xs, s := l(a)
			if s != stOK || uint(idx) >= uint(len(xs)) {
				return "", stFail
			}
			return xs[idx], stOK
		})
	}
	kf := asNum(key)
	return newStrNode(func(a *Activation) (string, st) {
		xs, s := l(a)
		k, ks := kf(a)
		if s != stOK || ks != stOK || k < 0 || k != math.Trunc(k) || k >= float64(len(xs)) {
			return "", stFail
		}
		return xs[int(k)], stOK
	})
}
