package expr

import (
	"math"
	"math/big"

	"github.com/zclconf/go-cty/cty"
)

// ctyType returns the cty type of a kind; DynamicPseudoType for Dynamic.
func ctyType(k Kind) cty.Type {
	switch k {
	case KindString:
		return cty.String
	case KindNumber:
		return cty.Number
	case KindBool:
		return cty.Bool
	case KindStringList:
		return cty.List(cty.String)
	}
	return cty.DynamicPseudoType
}

// kindOf returns the kind that represents values of cty type t, and whether
// there is one. Tuples of strings are lists to this package.
func kindOf(t cty.Type) (k Kind, tuple bool, ok bool) {
	switch {
	case t == cty.String:
		return KindString, false, true
	case t == cty.Number:
		return KindNumber, false, true
	case t == cty.Bool:
		return KindBool, false, true
	case t == cty.DynamicPseudoType:
		return KindDynamic, false, true
	case t.IsListType() && t.ElementType() == cty.String:
		return KindStringList, false, true
	case t.IsTupleType():
		for _, et := range t.TupleElementTypes() {
			if et != cty.String {
				return 0, false, false
			}
		}
		return KindStringList, true, true
	}
	return 0, false, false
}

// toCty returns v as cty sees it: a typed null when v is null and kind says
// which type, a tuple rather than a list when tuple is set.
func toCty(v Value, kind Kind, tuple bool) cty.Value {
	if kind != KindDynamic && v.kind != kind {
		v = Value{}
	}
	switch v.kind {
	case KindString:
		return cty.StringVal(v.str)
	case KindNumber:
		return cty.NumberFloatVal(v.num)
	case KindBool:
		return cty.BoolVal(v.b)
	case KindStringList:
		if tuple {
			if len(v.list) == 0 {
				return cty.EmptyTupleVal
			}
			vals := make([]cty.Value, len(v.list))
			for i, s := range v.list {
				vals[i] = cty.StringVal(s)
			}
			return cty.TupleVal(vals)
		}
		if len(v.list) == 0 {
			return cty.ListValEmpty(cty.String)
		}
		vals := make([]cty.Value, len(v.list))
		for i, s := range v.list {
			vals[i] = cty.StringVal(s)
		}
		return cty.ListVal(vals)
	}
	if tuple {
		return cty.NullVal(cty.EmptyTuple)
	}
	return cty.NullVal(ctyType(kind))
}

// fromCty returns cv as a Value, failing for values this package cannot
// represent (objects, maps, lists of anything but strings) and unknowns.
func fromCty(cv cty.Value) (Value, st) {
	cv, _ = cv.UnmarkDeep()
	if !cv.IsWhollyKnown() {
		return Value{}, stFail
	}
	if cv.IsNull() {
		if _, _, ok := kindOf(cv.Type()); !ok {
			return Value{}, stFail
		}
		return Value{}, stNull
	}
	t := cv.Type()
	switch {
	case t == cty.String:
		return Value{kind: KindString, str: cv.AsString()}, stOK
	case t == cty.Number:
		f, _ := cv.AsBigFloat().Float64()
		return Value{kind: KindNumber, num: f}, stOK
	case t == cty.Bool:
		return Value{kind: KindBool, b: cv.True()}, stOK
	case t.IsListType() || t.IsSetType() || t.IsTupleType():
		ss := make([]string, 0, cv.LengthInt())
		for it := cv.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e.Type() != cty.String || e.IsNull() {
				return Value{}, stFail
			}
			ss = append(ss, e.AsString())
		}
		return Value{kind: KindStringList, list: ss}, stOK
	}
	return Value{}, stFail
}

// bigOf returns cv's number when cv is a known, non-null number.
func bigOf(cv cty.Value) (*big.Float, bool) {
	if cv.Type() != cty.Number || !cv.IsKnown() || cv.IsNull() {
		return nil, false
	}
	return cv.AsBigFloat(), true
}

// numConst is a number literal of the source: its float64 value and what
// comparisons with float64 values need to agree with cty, which compares
// exactly.
type numConst struct {
	f float64
	// exact is set when f is the constant's value exactly.
	exact bool
	// lo and hi are the float64 values either side of an inexact constant.
	lo, hi float64
	// eqable is set when some float64 equals the constant as cty decides
	// equality (by the shortest decimal text of both).
	eqable bool
}

func newNumConst(b *big.Float) numConst {
	f, acc := b.Float64()
	c := numConst{f: f, exact: acc == big.Exact, lo: f, hi: f}
	switch acc {
	case big.Above:
		c.lo = math.Nextafter(f, math.Inf(-1))
	case big.Below:
		c.hi = math.Nextafter(f, math.Inf(1))
	}
	// Beyond float64's range no float64 equals the constant; and Text
	// would write out all its digits.
	c.eqable = c.exact || (inFloatRange(b) && formatNumber(f) == b.Text('f', -1))
	return c
}

// readSlot returns rec[slot] when it is of kind (any kind for Dynamic), and
// null otherwise: past the end of rec, or holding a value of another kind,
// which a caller that breaks Record's contract may have put there.
func readSlot(rec []Value, slot int, kind Kind) Value {
	if uint(slot) >= uint(len(rec)) {
		return Value{}
	}
	v := rec[slot]
	if kind != KindDynamic && v.kind != kind {
		return Value{}
	}
	return v
}
