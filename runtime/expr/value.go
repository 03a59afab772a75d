package expr

import (
	"math"
	"strconv"

	"golang.org/x/text/unicode/norm"
)

// Kind is the type of a value or of a slot.
type Kind uint8

// The kinds. Dynamic is a slot whose type is known only at run time (a
// decide request's context); it is also the kind of the null value.
const (
	KindDynamic Kind = iota
	KindString
	KindNumber
	KindBool
	KindStringList
)

// String returns the kind's name in the language: string, number, bool,
// list(string) or dynamic.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindStringList:
		return "list(string)"
	}
	return "dynamic"
}

// Value is a string, a number, a bool, a list of strings, or null. The zero
// Value is null. Values are immutable: a List's elements must not be
// changed after it was made.
type Value struct {
	kind Kind
	b    bool
	num  float64
	str  string
	list []string
}

// NullValue returns null.
func NullValue() Value { return Value{} }

// String returns a string value. Strings are kept in Unicode normal form C,
// as cty keeps them, so that equality and length agree with the language.
func String(s string) Value { return Value{kind: KindString, str: nfc(s)} }

// Number returns a number value; NaN, which the language has not, is null.
func Number(f float64) Value {
	if math.IsNaN(f) {
		return Value{}
	}
	return Value{kind: KindNumber, num: f}
}

// Bool returns a bool value.
func Bool(b bool) Value { return Value{kind: KindBool, b: b} }

// List returns a list of strings. A nil slice is an empty list, not null.
// The elements are normalized as String does; ss itself is kept when they
// already are.
func List(ss []string) Value {
	if ss == nil {
		ss = []string{}
	}
	for i, s := range ss {
		if n := nfc(s); n != s {
			c := append([]string(nil), ss...)
			c[i] = n
			for j := i + 1; j < len(c); j++ {
				c[j] = nfc(c[j])
			}
			ss = c
			break
		}
	}
	return Value{kind: KindStringList, list: ss}
}

// Kind returns the value's kind; Dynamic for null.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.kind == KindDynamic }

// AsString returns the string; "" unless v is a string.
func (v Value) AsString() string { return v.str }

// AsNumber returns the number; 0 unless v is a number.
func (v Value) AsNumber() float64 { return v.num }

// AsBool returns the bool; false unless v is a bool.
func (v Value) AsBool() bool { return v.b }

// AsList returns the list; nil unless v is a list. It must not be modified.
func (v Value) AsList() []string { return v.list }

// Equal reports whether v and w are the same value, as the language's ==
// decides: nulls are equal, values of different kinds are not.
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case KindString:
		return v.str == w.str
	case KindNumber:
		return v.num == w.num
	case KindBool:
		return v.b == w.b
	case KindStringList:
		if len(v.list) != len(w.list) {
			return false
		}
		for i := range v.list {
			if v.list[i] != w.list[i] {
				return false
			}
		}
	}
	return true
}

// GoString formats v as a literal of the language, for tests and debugging.
// Values can be sensitive: never log them.
func (v Value) GoString() string {
	switch v.kind {
	case KindString:
		return strconv.Quote(v.str)
	case KindNumber:
		return formatNumber(v.num)
	case KindBool:
		return strconv.FormatBool(v.b)
	case KindStringList:
		b := []byte{'['}
		for i, s := range v.list {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendQuote(b, s)
		}
		return string(append(b, ']'))
	}
	return "null"
}

// formatNumber formats f as cty converts a number to a string.
func formatNumber(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// appendNumber appends f as formatNumber formats it.
func appendNumber(b []byte, f float64) []byte {
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// nfc returns s in normal form C; ASCII text is returned as it is, quickly.
func nfc(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if norm.NFC.IsNormalString(s) {
				return s
			}
			return norm.NFC.String(s)
		}
	}
	return s
}
