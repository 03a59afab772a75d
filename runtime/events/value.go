package events

import (
	"strconv"
	"strings"
)

// Kind is the type of an attribute: string, number, bool or list(string).
type Kind uint8

// The kinds; KindNull is only the kind of the null value.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindList
)

// ParseKind reads a type as the language writes it.
func ParseKind(s string) (Kind, bool) {
	switch s {
	case "string":
		return KindString, true
	case "number":
		return KindNumber, true
	case "bool":
		return KindBool, true
	case "list(string)":
		return KindList, true
	}
	return KindNull, false
}

// String returns the kind as the language writes it.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindBool:
		return "bool"
	case KindList:
		return "list(string)"
	}
	return "null"
}

// Value is a typed attribute value; the zero Value is null.
type Value struct {
	Kind Kind
	Str  string
	Num  float64
	Bool bool
	List []string
}

// IsNull reports whether v is null.
func (v Value) IsNull() bool { return v.Kind == KindNull }

// Equal reports whether v and w are the same value.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind {
		return false
	}
	switch v.Kind {
	case KindString:
		return v.Str == w.Str
	case KindNumber:
		return v.Num == w.Num
	case KindBool:
		return v.Bool == w.Bool
	case KindList:
		if len(v.List) != len(w.List) {
			return false
		}
		for i := range v.List {
			if v.List[i] != w.List[i] {
				return false
			}
		}
	}
	return true
}

// JSON returns v as a JSON-encodable Go value.
func (v Value) JSON() any {
	switch v.Kind {
	case KindString:
		return v.Str
	case KindNumber:
		return v.Num
	case KindBool:
		return v.Bool
	case KindList:
		return append([]string{}, v.List...)
	}
	return nil
}

// GoString formats v as a literal, for tests. Values can be sensitive:
// never log them.
func (v Value) GoString() string {
	switch v.Kind {
	case KindString:
		return strconv.Quote(v.Str)
	case KindNumber:
		return strconv.FormatFloat(v.Num, 'f', -1, 64)
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindList:
		q := make([]string, len(v.List))
		for i, s := range v.List {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return "null"
}
