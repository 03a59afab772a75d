package expr

import (
	"math/big"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// st is how an evaluation went, besides its value.
type st uint8

const (
	stOK   st = iota
	stNull    // the value is null
	stFail    // HCL would have failed: the whole expression is null
)

// tri is the outcome of a boolean node: false, true, null or failed. False
// and null are the even values: x&1 == 0 tests "not true and not failed".
type tri uint8

const (
	triFalse tri = iota
	triTrue
	triNull
	triFail
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// Typed evaluators. Each node has the one of its kind, and v.
type (
	boolFn func(*Activation) tri
	numFn  func(*Activation) (float64, st)
	strFn  func(*Activation) (string, st)
	listFn func(*Activation) ([]string, st)
	valFn  func(*Activation) (Value, st)
)

// recSrc says which record a slot node reads.
type recSrc uint8

const (
	recNone recSrc = iota
	recCustomer
	recEvent
)

// node is one compiled expression: its static kind, a typed evaluator for
// that kind, v for every kind, and what the compiler may use to specialize
// its parent.
type node struct {
	kind  Kind
	tuple bool // a StringList that cty types as a tuple
	rng   hcl.Range

	b boolFn
	n numFn
	s strFn
	l listFn
	v valFn

	// constant
	isConst bool
	k       Value
	kc      cty.Value // the constant as cty has it (numbers at full precision)
	nc      numConst  // for Number constants

	// slot read (rec != recNone)
	rec  recSrc
	slot int
}

// isNull reports whether n is a constant null (the literal null).
func (n *node) isNull() bool { return n.isConst && n.k.kind == KindDynamic }

func newBoolNode(f boolFn) *node {
	return &node{kind: KindBool, b: f, v: func(a *Activation) (Value, st) {
		switch f(a) {
		case triFalse:
			return Value{kind: KindBool}, stOK
		case triTrue:
			return Value{kind: KindBool, b: true}, stOK
		case triNull:
			return Value{}, stNull
		}
		return Value{}, stFail
	}}
}

func newNumNode(f numFn) *node {
	return &node{kind: KindNumber, n: f, v: func(a *Activation) (Value, st) {
		x, s := f(a)
		if s != stOK {
			return Value{}, s
		}
		return Value{kind: KindNumber, num: x}, stOK
	}}
}

func newStrNode(f strFn) *node {
	return &node{kind: KindString, s: f, v: func(a *Activation) (Value, st) {
		x, s := f(a)
		if s != stOK {
			return Value{}, s
		}
		return Value{kind: KindString, str: x}, stOK
	}}
}

func newListNode(f listFn, tuple bool) *node {
	return &node{kind: KindStringList, tuple: tuple, l: f, v: func(a *Activation) (Value, st) {
		x, s := f(a)
		if s != stOK {
			return Value{}, s
		}
		return Value{kind: KindStringList, list: x}, stOK
	}}
}

// newValNode returns a node of the given static kind evaluated by f, whose
// values are of that kind or null (any kind for Dynamic).
func newValNode(kind Kind, tuple bool, f valFn) *node {
	n := &node{kind: kind, tuple: tuple, v: f}
	switch kind {
	case KindBool:
		n.b = func(a *Activation) tri {
			v, s := f(a)
			switch {
			case s != stOK:
				return tri(s) + 1 // stNull→triNull, stFail→triFail
			case v.kind != KindBool:
				return triFail
			}
			return triOf(v.b)
		}
	case KindNumber:
		n.n = func(a *Activation) (float64, st) {
			v, s := f(a)
			switch {
			case s != stOK:
				return 0, s
			case v.kind != KindNumber:
				return 0, stFail
			}
			return v.num, stOK
		}
	case KindString:
		n.s = func(a *Activation) (string, st) {
			v, s := f(a)
			switch {
			case s != stOK:
				return "", s
			case v.kind != KindString:
				return "", stFail
			}
			return v.str, stOK
		}
	case KindStringList:
		n.l = func(a *Activation) ([]string, st) {
			v, s := f(a)
			switch {
			case s != stOK:
				return nil, s
			case v.kind != KindStringList:
				return nil, stFail
			}
			return v.list, stOK
		}
	}
	return n
}

// newConstNode returns a node for the constant cv, or nil when this package
// cannot represent it.
func newConstNode(cv cty.Value, rng hcl.Range) *node {
	kind, tuple, ok := kindOf(cv.Type())
	if !ok {
		return nil
	}
	v, s := fromCty(cv)
	if s == stFail {
		return nil
	}
	n := &node{kind: kind, tuple: tuple, rng: rng, isConst: true, k: v, kc: cv}
	if s == stNull {
		n.v = func(*Activation) (Value, st) { return Value{}, stNull }
		n.b = func(*Activation) tri { return triNull }
		n.n = func(*Activation) (float64, st) { return 0, stNull }
		n.s = func(*Activation) (string, st) { return "", stNull }
		n.l = func(*Activation) ([]string, st) { return nil, stNull }
		return n
	}
	n.v = func(*Activation) (Value, st) { return v, stOK }
	switch v.kind {
	case KindBool:
		t := triOf(v.b)
		n.b = func(*Activation) tri { return t }
	case KindNumber:
		if b, ok := bigOf(cv); ok {
			n.nc = newNumConst(b)
		}
		n.n = func(*Activation) (float64, st) { return v.num, stOK }
	case KindString:
		n.s = func(*Activation) (string, st) { return v.str, stOK }
	case KindStringList:
		n.l = func(*Activation) ([]string, st) { return v.list, stOK }
	}
	return n
}

// Conversions, as cty's convert package makes them where HCL converts an
// operand or an argument. A conversion that cty has not (a number to a
// bool) fails whatever the value; a null converts to null.

// asBool returns n's value converted to a bool.
func asBool(n *node) boolFn {
	switch n.kind {
	case KindBool:
		return n.b
	case KindString, KindDynamic:
		v := n.v
		return func(a *Activation) tri {
			x, s := v(a)
			if s != stOK {
				return tri(s) + 1
			}
			t, _ := valueToBool(x)
			return t
		}
	}
	return func(*Activation) tri { return triFail }
}

// valueToBool converts v to a bool; conv reports a failed conversion.
func valueToBool(v Value) (t tri, conv bool) {
	switch v.kind {
	case KindBool:
		return triOf(v.b), false
	case KindDynamic:
		return triNull, false
	case KindString:
		switch v.str {
		case "true", "1":
			return triTrue, false
		case "false", "0":
			return triFalse, false
		}
	}
	return triFail, true
}

// asNum returns n's value converted to a number.
func asNum(n *node) numFn {
	switch n.kind {
	case KindNumber:
		return n.n
	case KindString, KindDynamic:
		v := n.v
		return func(a *Activation) (float64, st) {
			x, s := v(a)
			if s != stOK {
				return 0, s
			}
			return valueToNum(x)
		}
	}
	return func(*Activation) (float64, st) { return 0, stFail }
}

func valueToNum(v Value) (float64, st) {
	switch v.kind {
	case KindNumber:
		return v.num, stOK
	case KindDynamic:
		return 0, stNull
	case KindString:
		return parseNumber(v.str)
	}
	return 0, stFail
}

// MaxNumberText is the longest string that converts to a number: math/big
// takes time quadratic in the length of a decimal, and no number of the
// language needs more digits.
const MaxNumberText = 4096

// parseNumber parses s as cty converts a string to a number, failing for
// text longer than MaxNumberText.
func parseNumber(s string) (float64, st) {
	if len(s) > MaxNumberText {
		return 0, stFail
	}
	f, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
	if err != nil {
		return 0, stFail
	}
	x, _ := f.Float64()
	return x, stOK
}

// asStr returns n's value converted to a string.
func asStr(n *node) strFn {
	switch n.kind {
	case KindString:
		return n.s
	case KindNumber:
		f := n.n
		return func(a *Activation) (string, st) {
			x, s := f(a)
			if s != stOK {
				return "", s
			}
			return formatNumber(x), stOK
		}
	case KindBool:
		f := n.b
		return func(a *Activation) (string, st) {
			switch f(a) {
			case triFalse:
				return "false", stOK
			case triTrue:
				return "true", stOK
			case triNull:
				return "", stNull
			}
			return "", stFail
		}
	case KindDynamic:
		v := n.v
		return func(a *Activation) (string, st) {
			x, s := v(a)
			if s != stOK {
				return "", s
			}
			return valueToStr(x)
		}
	}
	return func(*Activation) (string, st) { return "", stFail }
}

func valueToStr(v Value) (string, st) {
	switch v.kind {
	case KindString:
		return v.str, stOK
	case KindNumber:
		return formatNumber(v.num), stOK
	case KindBool:
		if v.b {
			return "true", stOK
		}
		return "false", stOK
	case KindDynamic:
		return "", stNull
	}
	return "", stFail
}

// asList returns n's value as a list of strings.
func asList(n *node) listFn {
	switch n.kind {
	case KindStringList:
		return n.l
	case KindDynamic:
		v := n.v
		return func(a *Activation) ([]string, st) {
			x, s := v(a)
			switch {
			case s != stOK:
				return nil, s
			case x.kind != KindStringList:
				return nil, stFail
			}
			return x.list, stOK
		}
	}
	return func(*Activation) ([]string, st) { return nil, stFail }
}

// concat joins parts and normalizes the result, as cty.StringVal does.
func concat(parts []string) string {
	if len(parts) == 1 {
		return nfc(parts[0])
	}
	return nfc(strings.Join(parts, ""))
}
