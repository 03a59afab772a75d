package funcs

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/limits"
)

// precheck says, from a call's arguments and before the function allocates
// anything, whether its result would pass limits.MaxElements or
// limits.MaxStringBytes. Only the functions whose result can be much larger
// than their arguments have one; every result is measured after the call
// too (see safe).
var precheck = map[string]func(name string, args []cty.Value) error{
	"setproduct": checkSetProduct,
	"indent":     checkIndent,
	"join":       checkJoin,
	"replace":    checkReplace,
	"format":     checkFormat,
	"formatlist": checkFormatList,
	"concat":     checkSumLengths,
	"merge":      checkSumLengths,
	"setunion":   checkSumLengths,
	"flatten":    checkFlatten,
	"split":      checkSplit,
	"regexall":   checkRegexAll,
	"jsonencode": checkJSONEncode,
	"jsondecode": checkJSONDecode,
	"csvdecode":  checkCSVDecode,
	"parseint":   checkNumberString,
	"tonumber":   checkNumberString,
}

// known returns v unmarked, and whether it is known and not null.
func known(v cty.Value) (cty.Value, bool) {
	v, _ = v.Unmark()
	return v, v.IsKnown() && !v.IsNull()
}

func tooManyElements(name string, n float64) error {
	return &limits.Error{Summary: "Value too large", Detail: fmt.Sprintf(
		"The result of %s would hold %s elements; a value may hold at most %d.", name, count(n), int64(limits.MaxElements))}
}

func tooManyBytes(name string, n float64) error {
	return &limits.Error{Summary: "Value too large", Detail: fmt.Sprintf(
		"The result of %s would be %s bytes long; a value may hold at most %d bytes of strings (16 MiB).", name, count(n), int64(limits.MaxStringBytes))}
}

func count(n float64) string {
	if n >= 1e15 {
		return fmt.Sprintf("about %.3g", n)
	}
	return fmt.Sprintf("%d", int64(n))
}

func checkElements(name string, n float64) error {
	if n > limits.MaxElements {
		return tooManyElements(name, n)
	}
	return nil
}

func checkBytes(name string, n float64) error {
	if n > limits.MaxStringBytes {
		return tooManyBytes(name, n)
	}
	return nil
}

// length is the number of elements of a known collection, tuple or object.
func length(v cty.Value) (float64, bool) {
	v, ok := known(v)
	if !ok {
		return 0, false
	}
	ty := v.Type()
	if !ty.IsCollectionType() && !ty.IsTupleType() && !ty.IsObjectType() {
		return 0, false
	}
	return float64(v.LengthInt()), true
}

func checkSetProduct(name string, args []cty.Value) error {
	product := 1.0
	for _, a := range args {
		n, ok := length(a)
		if !ok {
			return nil
		}
		product *= n
	}
	if len(args) == 0 {
		return nil
	}
	// Each element of the result is a tuple of one element of each set.
	return checkElements(name, product*float64(1+len(args)))
}

func checkSumLengths(name string, args []cty.Value) error {
	total := 0.0
	for _, a := range args {
		if n, ok := length(a); ok {
			total += n
		}
	}
	return checkElements(name, total)
}

func checkFlatten(name string, args []cty.Value) error {
	s, err := limits.Measure(args[0], limits.MaxElements, math.MaxInt64)
	if err != nil {
		return err
	}
	return checkElements(name, float64(s.Elements))
}

func checkIndent(name string, args []cty.Value) error {
	spaces, ok1 := known(args[0])
	str, ok2 := known(args[1])
	if !ok1 || !ok2 || spaces.Type() != cty.Number || str.Type() != cty.String {
		return nil
	}
	n, _ := spaces.AsBigFloat().Float64()
	s := str.AsString()
	return checkBytes(name, float64(len(s))+math.Max(n, 0)*float64(strings.Count(s, "\n")))
}

func checkJoin(name string, args []cty.Value) error {
	sep, ok := known(args[0])
	if !ok || sep.Type() != cty.String {
		return nil
	}
	total, elems := 0.0, 0.0
	for _, l := range args[1:] {
		l, ok := known(l)
		if !ok || !(l.Type().IsCollectionType() || l.Type().IsTupleType()) {
			continue
		}
		for it := l.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if e, ok := known(e); ok && e.Type() == cty.String {
				total += float64(len(e.AsString()))
			}
			elems++
			if total > limits.MaxStringBytes {
				return tooManyBytes(name, total)
			}
		}
	}
	if elems > 1 {
		total += float64(len(sep.AsString())) * (elems - 1)
	}
	return checkBytes(name, total)
}

func checkReplace(name string, args []cty.Value) error {
	str, ok1 := known(args[0])
	sub, ok2 := known(args[1])
	repl, ok3 := known(args[2])
	if !ok1 || !ok2 || !ok3 || str.Type() != cty.String || sub.Type() != cty.String || repl.Type() != cty.String {
		return nil
	}
	s, old, with := str.AsString(), sub.AsString(), repl.AsString()
	if len(old) > 1 && strings.HasPrefix(old, "/") && strings.HasSuffix(old, "/") {
		re, err := regexp.Compile(old[1 : len(old)-1])
		if err != nil {
			return nil // replace reports it
		}
		return checkRegexReplace(name, re, s, with)
	}
	n := 0
	if old == "" {
		n = utf8.RuneCountInString(s) + 1
	} else {
		n = strings.Count(s, old)
	}
	return checkBytes(name, float64(len(s))+float64(n)*float64(len(with)-len(old)))
}

// checkRegexReplace works out the length of re.ReplaceAllString(s, with)
// without building it: each replacement is expanded on its own.
func checkRegexReplace(name string, re *regexp.Regexp, s, with string) error {
	matches := re.FindAllStringSubmatchIndex(s, limits.MaxElements+1)
	if len(matches) > limits.MaxElements {
		return &limits.Error{Summary: "Value too large", Detail: fmt.Sprintf(
			"The pattern given to %s matches more than %d times; one call makes at most %d replacements.", name, int64(limits.MaxElements), int64(limits.MaxElements))}
	}
	refs := float64(strings.Count(with, "$"))
	total := float64(len(s))
	var buf []byte
	for _, m := range matches {
		matched := float64(m[1] - m[0])
		// A group lies within the match, so this bounds one expansion
		// before it is made.
		if bound := float64(len(with)) + refs*matched; bound > limits.MaxStringBytes {
			return tooManyBytes(name, total+bound-matched)
		}
		buf = re.ExpandString(buf[:0], with, s, m)
		total += float64(len(buf)) - matched
		if total > limits.MaxStringBytes {
			return tooManyBytes(name, total)
		}
	}
	return checkBytes(name, total)
}

// verb is one %... of a format string: its width and precision.
type verb struct{ width, prec float64 }

// verbs parses the verbs of a format string as stdlib's format reads them.
func verbs(f string) []verb {
	var out []verb
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		var v verb
		for i < len(f) && strings.IndexByte("-+# 0", f[i]) >= 0 {
			i++
		}
		if i < len(f) && f[i] == '[' {
			for i < len(f) && f[i] != ']' {
				i++
			}
			i++
		}
		for i < len(f) && f[i] >= '0' && f[i] <= '9' {
			v.width = v.width*10 + float64(f[i]-'0')
			i++
		}
		if i < len(f) && f[i] == '.' {
			i++
			for i < len(f) && f[i] >= '0' && f[i] <= '9' {
				v.prec = v.prec*10 + float64(f[i]-'0')
				i++
			}
		}
		out = append(out, v)
	}
	return out
}

// printed bounds the length of v as format prints it.
func printed(v cty.Value) float64 {
	s, err := limits.Measure(v, limits.MaxElements, limits.MaxStringBytes)
	if err != nil {
		return math.Inf(1)
	}
	return float64(s.Bytes) + 4*float64(s.Elements) + 8
}

func checkFormat(name string, args []cty.Value) error {
	f, ok := known(args[0])
	if !ok || f.Type() != cty.String {
		return nil
	}
	widest := 0.0
	for _, a := range args[1:] {
		widest = math.Max(widest, printed(a))
	}
	total := float64(len(f.AsString()))
	for _, v := range verbs(f.AsString()) {
		total += v.width + v.prec + widest
		if total > limits.MaxStringBytes {
			break
		}
	}
	return checkBytes(name, total)
}

func checkFormatList(name string, args []cty.Value) error {
	f, ok := known(args[0])
	if !ok || f.Type() != cty.String {
		return nil
	}
	rows := 1.0
	argBytes := 0.0
	for _, a := range args[1:] {
		if n, ok := length(a); ok && !a.Type().IsObjectType() {
			rows = math.Max(rows, n)
		}
		argBytes += printed(a)
	}
	vs := verbs(f.AsString())
	perRow := float64(len(f.AsString()))
	for _, v := range vs {
		perRow += v.width + v.prec
	}
	if err := checkElements(name, rows); err != nil {
		return err
	}
	return checkBytes(name, rows*perRow+float64(len(vs))*argBytes)
}

func checkSplit(name string, args []cty.Value) error {
	sep, ok1 := known(args[0])
	str, ok2 := known(args[1])
	if !ok1 || !ok2 || sep.Type() != cty.String || str.Type() != cty.String {
		return nil
	}
	n := 0
	if sep.AsString() == "" {
		n = utf8.RuneCountInString(str.AsString())
	} else {
		n = strings.Count(str.AsString(), sep.AsString()) + 1
	}
	return checkElements(name, float64(n))
}

func checkRegexAll(name string, args []cty.Value) error {
	pat, ok1 := known(args[0])
	str, ok2 := known(args[1])
	if !ok1 || !ok2 || pat.Type() != cty.String || str.Type() != cty.String {
		return nil
	}
	re, err := regexp.Compile(pat.AsString())
	if err != nil {
		return nil
	}
	n := len(re.FindAllStringIndex(str.AsString(), limits.MaxElements+1))
	return checkElements(name, float64(n)*float64(1+re.NumSubexp()))
}

func checkJSONEncode(name string, args []cty.Value) error {
	n, err := jsonSize(args[0], 0)
	if err != nil {
		return err
	}
	return checkBytes(name, n)
}

// jsonSize bounds the length of v encoded as JSON, stopping once it is over
// the limit.
func jsonSize(v cty.Value, depth int) (float64, error) {
	if depth > limits.MaxValueDepth {
		return 0, &limits.Error{Summary: "Value nested too deeply", Detail: fmt.Sprintf("The value nests more than %d levels deep.", limits.MaxValueDepth)}
	}
	v, _ = v.Unmark()
	if !v.IsKnown() || v.IsNull() {
		return 4, nil
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		s := v.AsString()
		n := float64(len(s) + 2)
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				n += 5
			}
		}
		return n, nil
	case ty == cty.Number:
		if err := limits.CheckNumber(v); err != nil {
			return 0, err
		}
		return float64(limits.NumberBytes(v)), nil
	case ty == cty.Bool:
		return 5, nil
	case ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType():
		total := 2.0
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if ty.IsMapType() || ty.IsObjectType() {
				total += float64(len(k.AsString())) + 4
			}
			n, err := jsonSize(e, depth+1)
			if err != nil {
				return 0, err
			}
			total += n + 1
			if total > limits.MaxStringBytes {
				return total, nil
			}
		}
		return total, nil
	}
	return 0, nil
}

func checkJSONDecode(name string, args []cty.Value) error {
	str, ok := known(args[0])
	if !ok || str.Type() != cty.String {
		return nil
	}
	s := str.AsString()
	if d := limits.CheckNesting([]byte(s), "", hcl.InitialPos, limits.JSONData); d != nil {
		return &limits.Error{Summary: d.Summary, Detail: "In the JSON text given to " + name + ": " + d.Detail}
	}
	// Each element or attribute follows a bracket, a comma or a colon.
	n := 1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', ',', ':':
			n++
		}
	}
	return checkElements(name, float64(n))
}

func checkCSVDecode(name string, args []cty.Value) error {
	str, ok := known(args[0])
	if !ok || str.Type() != cty.String {
		return nil
	}
	s := str.AsString()
	return checkElements(name, float64(strings.Count(s, ",")+2*strings.Count(s, "\n")+1))
}

func checkNumberString(name string, args []cty.Value) error {
	str, ok := known(args[0])
	if !ok || str.Type() != cty.String {
		return nil
	}
	if n := len(str.AsString()); n > limits.MaxNumberDigits+16 {
		return &limits.Error{Summary: "Number too long", Detail: fmt.Sprintf(
			"The string given to %s is %d bytes long, too long to be a number (at most %d digits).", name, n, limits.MaxNumberDigits)}
	}
	return nil
}
