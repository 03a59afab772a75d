package limits

import (
	"math/big"
	"strconv"

	"github.com/zclconf/go-cty/cty"
)

// Size is how large a value is: its elements and object attributes at every
// level, and the bytes of its strings (and attribute names, and numbers as
// printed) at every level. Values that share memory are counted each time
// they appear, as they would be when the value is encoded.
type Size struct {
	Elements int64
	Bytes    int64
}

// Measure returns v's size, stopping early once it is over maxElements
// elements or maxBytes bytes. The error is an *Error when v nests more than
// MaxValueDepth levels or holds a number beyond MaxNumberExp.
func Measure(v cty.Value, maxElements, maxBytes int64) (Size, error) {
	m := &measure{maxE: maxElements, maxB: maxBytes}
	err := m.walk(v, 0)
	return m.size, err
}

// Check refuses a value over MaxElements, MaxStringBytes, MaxValueDepth or
// MaxNumberExp; what names the value in the message ("The result").
func Check(v cty.Value, what string) error {
	s, err := Measure(v, MaxElements, MaxStringBytes)
	if err != nil {
		return err
	}
	return CheckSize(s, what)
}

// CheckSize refuses a size over MaxElements or MaxStringBytes.
func CheckSize(s Size, what string) error {
	if s.Elements > MaxElements {
		return errorf("Value too large", "%s would hold more than %d elements; a value may hold at most %d.", what, int64(MaxElements), int64(MaxElements))
	}
	if s.Bytes > MaxStringBytes {
		return errorf("Value too large", "%s would hold more than %d bytes of strings; a value may hold at most %d (16 MiB).", what, int64(MaxStringBytes), int64(MaxStringBytes))
	}
	return nil
}

type measure struct {
	maxE, maxB int64
	size       Size
}

func (m *measure) over() bool { return m.size.Elements > m.maxE || m.size.Bytes > m.maxB }

func (m *measure) walk(v cty.Value, depth int) error {
	if depth > MaxValueDepth {
		return errorf("Value nested too deeply", "The value nests more than %d levels deep.", MaxValueDepth)
	}
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		m.size.Bytes += int64(len(v.AsString()))
	case ty == cty.Number:
		// Numbers count only where they are printed (templates, format,
		// jsonencode), which estimate their length themselves.
		if err := CheckNumber(v); err != nil {
			return err
		}
	case ty.IsObjectType():
		for name := range ty.AttributeTypes() {
			m.size.Bytes += int64(len(name))
		}
		fallthrough
	case ty.IsCollectionType() || ty.IsTupleType():
		m.size.Elements += int64(v.LengthInt())
		if m.over() {
			return nil
		}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if ty.IsMapType() {
				m.size.Bytes += int64(len(k.AsString()))
			}
			if err := m.walk(e, depth+1); err != nil || m.over() {
				return err
			}
		}
	}
	return nil
}

const (
	numberTooLarge       = "config-time numbers must be within it"
	numberTooLargeDetail = "This number is beyond ±2^4096 (about 1e±1233); " + numberTooLarge + "."
)

// CheckNumber refuses a number whose binary exponent is beyond
// MaxNumberExp; printing such a number would take very long.
func CheckNumber(v cty.Value) error {
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() || v.Type() != cty.Number {
		return nil
	}
	bf := v.AsBigFloat()
	if bf.IsInf() {
		return nil
	}
	if e := bf.MantExp(nil); e > MaxNumberExp || e < -MaxNumberExp {
		return errorf("Number too large", "%s", numberTooLargeDetail)
	}
	return nil
}

// NumberBytes bounds the length of v, a known number within MaxNumberExp,
// printed in decimal.
func NumberBytes(v cty.Value) int64 {
	bf := v.AsBigFloat()
	if i, acc := bf.Int64(); acc == big.Exact {
		return int64(len(strconv.FormatInt(i, 10)))
	}
	e := int64(bf.MantExp(nil))
	if e < 0 {
		e = -e
	}
	return 40 + e*31/100
}
