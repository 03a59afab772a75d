package cost

import (
	"math"
	"strings"

	"github.com/zclconf/go-cty/cty"
)

// The runtime's defaults, which the static analysis assumes too.
const (
	// DefaultSteps is the work one evaluation may do, in steps of about a
	// nanosecond.
	DefaultSteps = 16_000_000
	// DefaultBytes is what one evaluation may allocate for the strings and
	// collections it builds.
	DefaultBytes = 16 << 20
	// MaxValueBytes is the largest text a runtime value can hold: an event
	// is at most 64 KiB of JSON, a customer attribute is set by an event,
	// and a decide request's context is at most 64 KiB of JSON.
	MaxValueBytes = 64 << 10
)

// What one collection element costs, as measured: go-cty makes a number
// for the key of every element it iterates over, and a call iterates over
// its arguments several times (for marks, for conversions).
const (
	ElemSteps = 500 // to make
	ReadSteps = 400 // to read
	ElemBytes = 400 // to make
	ReadBytes = 300 // to read
)

// Arg is what is known of an argument, or of any value.
type Arg struct {
	// Bytes bounds the bytes of its text: a string's length, a number's
	// decimal digits, the sum over a collection's elements.
	Bytes float64
	// Elems bounds the elements of a collection, nested ones included.
	Elems float64
	// Seq is set for a collection (list, set, tuple, map or object).
	Seq bool
	// Known is set when the value itself is known: Str holds a string's,
	// Num a number's.
	Known bool
	Str   string
	Num   float64
}

// Cost bounds what a call does.
type Cost struct {
	Steps float64
	Bytes float64
	// Result bounds the call's result.
	Result Arg
}

// Of returns what v is: known when v is known and not null.
func Of(v cty.Value) Arg {
	v, _ = v.UnmarkDeep()
	if !v.IsKnown() || v.IsNull() {
		return Arg{}
	}
	t := v.Type()
	switch {
	case t == cty.String:
		s := v.AsString()
		return Arg{Bytes: float64(len(s)), Known: true, Str: s}
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return Arg{Bytes: Digits(v), Known: true, Num: f}
	case t == cty.Bool:
		return Arg{Bytes: 5}
	case t.IsCollectionType() || t.IsTupleType() || t.IsObjectType():
		a := Arg{Seq: true}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			ea := Of(e)
			a.Bytes += ea.Bytes
			a.Elems += 1 + ea.Elems
			if t.IsMapType() || t.IsObjectType() {
				a.Bytes += Of(k).Bytes
			}
		}
		return a
	}
	return Arg{Bytes: 16}
}

// Digits bounds the decimal digits of the number n as cty writes it out:
// its integer part, and a fractional part of at most its precision.
func Digits(n cty.Value) float64 {
	bf := n.AsBigFloat()
	if bf.IsInf() || bf.Sign() == 0 {
		return 4
	}
	exp := bf.MantExp(nil)
	return math.Abs(float64(exp))*0.302 + float64(bf.Prec())*0.302 + 4
}

// Sum is the cost of a template or a concatenation: of joining parts.
func Sum(parts []Arg) Cost {
	var in Arg
	for _, p := range parts {
		in.Bytes += p.Bytes
		in.Elems += p.Elems
	}
	out := Arg{Bytes: in.Bytes}
	return finish(in, out, 0)
}

// Iterate is the cost of n iterations of a for expression or a splat whose
// body has the given number of nodes.
func Iterate(n float64, bodyNodes int) Cost {
	per := float64(ElemSteps + 100*bodyNodes)
	return Cost{Steps: n * per, Bytes: n * float64(ElemBytes+100*bodyNodes), Result: Arg{Elems: n, Seq: true}}
}

// Call returns the cost of calling the function name with args.
func Call(name string, args []Arg) Cost {
	var in Arg
	for _, a := range args {
		in.Bytes += a.Bytes
		in.Elems += a.Elems
		in.Seq = in.Seq || a.Seq
	}
	arg := func(i int) Arg {
		if i < len(args) {
			return args[i]
		}
		return Arg{}
	}
	var out Arg
	extra := 0.0
	switch name {
	case "join":
		n, b := 0.0, 0.0
		for _, l := range args[min(1, len(args)):] {
			n += l.Elems
			b += l.Bytes
		}
		out.Bytes = b + arg(0).Bytes*math.Max(n-1, 0)
	case "split":
		sep, s := arg(0), arg(1)
		out = Arg{Bytes: s.Bytes, Elems: s.Bytes + 1, Seq: true}
		if sep.Known && sep.Str != "" {
			out.Elems = math.Floor(s.Bytes/float64(len(sep.Str))) + 1
		}
	case "replace":
		s, sub, r := arg(0), arg(1), arg(2)
		matches := s.Bytes + 1 // an empty substring, or a pattern, matches at every position
		if sub.Known && !isPattern(sub.Str) && sub.Str != "" {
			matches = math.Floor(s.Bytes/float64(len(sub.Str))) + 1
		}
		out.Bytes = s.Bytes + matches*r.Bytes
		if !sub.Known || isPattern(sub.Str) {
			// Each $n of the replacement writes out a group; the groups
			// of the matches, which do not overlap, add up to at most s.
			refs := r.Bytes
			if r.Known {
				refs = float64(strings.Count(r.Str, "$"))
			}
			out.Bytes += refs * s.Bytes
			extra = s.Bytes * (sub.Bytes + 1) // the automaton's simulation
		}
	case "format":
		f := arg(0)
		verbs, widths := formatVerbs(f)
		most := 0.0
		for _, a := range args[min(1, len(args)):] {
			most = math.Max(most, a.Bytes)
		}
		out.Bytes = f.Bytes + verbs*(6*most+16) + widths
	case "formatlist":
		f := arg(0)
		verbs, widths := formatVerbs(f)
		n, lists, scalars := 1.0, 0.0, 0.0
		for _, a := range args[min(1, len(args)):] {
			if a.Seq {
				n = math.Max(n, a.Elems)
				lists += a.Bytes
			} else {
				scalars += a.Bytes
			}
		}
		out = Arg{Bytes: n*(f.Bytes+widths+16) + verbs*6*(lists+n*scalars), Elems: n, Seq: true}
	case "indent":
		spaces, s := arg(0), arg(1)
		sp := math.Inf(1)
		if spaces.Known {
			sp = math.Max(spaces.Num, 0)
		}
		lines := s.Bytes + 1
		if s.Known {
			lines = float64(strings.Count(s.Str, "\n") + 1)
		}
		out.Bytes = s.Bytes + sp*lines
	case "chunklist":
		l, size := arg(0), arg(1)
		sz := 1.0
		if size.Known {
			sz = math.Max(size.Num, 1)
		}
		out = Arg{Bytes: l.Bytes, Elems: l.Elems + l.Elems/sz + 1, Seq: true}
	case "jsonencode":
		out.Bytes = 6*in.Bytes + 4*in.Elems + 4
	case "range":
		n := math.Inf(1)
		if known(args) {
			switch len(args) {
			case 1:
				n = math.Abs(args[0].Num)
			case 2:
				n = math.Abs(args[1].Num - args[0].Num)
			case 3:
				n = math.Abs((args[1].Num - args[0].Num) / args[2].Num)
			}
		}
		out = Arg{Bytes: 24 * n, Elems: n, Seq: true}
	case "setproduct":
		n := 1.0
		for _, a := range args {
			n *= math.Max(a.Elems, 1)
		}
		out = Arg{Bytes: n * in.Bytes, Elems: n * float64(len(args)+1), Seq: true}
	case "regex", "regexall":
		out = Arg{Bytes: arg(1).Bytes, Elems: arg(1).Bytes + 1, Seq: true}
		extra = arg(1).Bytes * (arg(0).Bytes + 1)
	case "formatdate":
		out.Bytes = 8*arg(0).Bytes + 32
	case "strrev", "substr", "title", "strlen":
		out = Arg{Bytes: 2*in.Bytes + 16}
		extra = 40 * in.Bytes // grapheme clusters
	case "parseint", "tonumber":
		out = Arg{Bytes: in.Bytes + 32}
		extra = in.Bytes * in.Bytes / 256 // decimal to binary
	case "contains", "startswith", "endswith", "strcontains", "length", "index", "tobool",
		"abs", "ceil", "floor", "log", "max", "min", "pow", "signum":
		out.Bytes = 32
	default:
		out = Arg{Bytes: 2*in.Bytes + 16, Elems: in.Elems, Seq: in.Seq}
	}
	return finish(in, out, extra)
}

func finish(in, out Arg, extra float64) Cost {
	c := Cost{
		Steps:  in.Bytes + ReadSteps*in.Elems + out.Bytes + ElemSteps*out.Elems + extra,
		Bytes:  out.Bytes + ElemBytes*out.Elems + ReadBytes*in.Elems,
		Result: out,
	}
	// An infinite bound times zero is not a bound.
	for _, f := range []*float64{&c.Steps, &c.Bytes, &c.Result.Bytes, &c.Result.Elems} {
		if math.IsNaN(*f) {
			*f = math.Inf(1)
		}
	}
	return c
}

// isPattern reports whether replace takes substr as a regular expression:
// written between slashes, as lang/funcs's replace does.
func isPattern(s string) bool {
	return len(s) > 1 && s[0] == '/' && s[len(s)-1] == '/'
}

func known(args []Arg) bool {
	for _, a := range args {
		if !a.Known {
			return false
		}
	}
	return true
}

// formatVerbs bounds the verbs of a format string and the padding its
// widths and precisions ask for.
func formatVerbs(f Arg) (verbs, widths float64) {
	if !f.Known {
		return f.Bytes/2 + 1, math.Inf(1)
	}
	s := f.Str
	verbs = float64(strings.Count(s, "%"))
	run := 0.0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run = run*10 + float64(s[i]-'0')
			continue
		}
		widths += run
		run = 0
	}
	return verbs, widths
}
