package funcs

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2/ext/customdecode"
	"github.com/zclconf/go-cty/cty/function"
)

// Doc documents one function for the generated language reference.
type Doc struct {
	Name        string
	Description string     // one line
	Params      []ParamDoc // in order; the last is variadic when Variadic
	Variadic    bool
	Runtime     bool // runtime expressions may call it, as well as config-time ones
}

// ParamDoc documents one parameter of a function.
type ParamDoc struct {
	Name        string
	Type        string // a type constraint in words: "string", "list of string", "any type"
	Description string
}

// Signature returns how a call is written, such as "join(separator, lists...)".
func (d Doc) Signature() string {
	names := make([]string, len(d.Params))
	for i, p := range d.Params {
		names[i] = p.Name
	}
	if d.Variadic && len(names) > 0 {
		names[len(names)-1] += "..."
	}
	return fmt.Sprintf("%s(%s)", d.Name, strings.Join(names, ", "))
}

// Docs returns the documentation of every function that Config offers,
// sorted by name.
func Docs() []Doc {
	all := Config(".", nil)
	inRuntime := Runtime()
	docs := make([]Doc, 0, len(all))
	for name, f := range all {
		d := Doc{Name: name, Description: f.Description()}
		_, d.Runtime = inRuntime[name]
		for _, p := range f.Params() {
			d.Params = append(d.Params, paramDoc(p))
		}
		if vp := f.VarParam(); vp != nil {
			d.Params = append(d.Params, paramDoc(*vp))
			d.Variadic = true
		}
		docs = append(docs, d)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
	return docs
}

func paramDoc(p function.Parameter) ParamDoc {
	ty := p.Type.FriendlyNameForConstraint()
	if p.Type.Equals(customdecode.ExpressionClosureType) {
		ty = "expression"
	}
	return ParamDoc{Name: p.Name, Type: ty, Description: p.Description}
}

// Describe returns the one-line description of the function called name, or
// "" if there is no such function.
func Describe(name string) string {
	f, ok := Config(".", nil)[name]
	if !ok {
		return ""
	}
	return f.Description()
}

// descriptions fills in or corrects the descriptions that go-cty's stdlib
// gives its functions. An empty string keeps the existing text; params has
// one entry per parameter, the variadic one last.
var descriptions = map[string]struct {
	desc   string
	params []string
}{
	"abs":             {"", []string{"A number."}},
	"can":             {"Returns true if the given expression evaluates without an error, and false otherwise.", []string{"The expression to try."}},
	"ceil":            {"", []string{"A number."}},
	"chomp":           {"", []string{"A string."}},
	"compact":         {"", []string{"A list of strings."}},
	"concat":          {"", []string{"Lists or tuples to concatenate."}},
	"contains":        {"", []string{"The list, tuple or set to search.", "The value to look for."}},
	"csvdecode":       {"Parses the given string as CSV (RFC 4180) and returns a list of objects, one per row, whose attributes are named by the first row.", []string{"CSV text whose first row is a header."}},
	"distinct":        {"", []string{"A list."}},
	"element":         {"", []string{"A list or tuple.", "The position of the element, from 0; wraps around the length."}},
	"flatten":         {"Replaces every element of the given list, set or tuple that is itself a sequence by its elements, recursively.", []string{"A list, set or tuple."}},
	"floor":           {"", []string{"A number."}},
	"format":          {`Produces a string by applying printf-style formatting verbs ("%s", "%d", "%.2f") to the given values.`, []string{"The format string.", "The values for the verbs."}},
	"formatdate":      {"", []string{"The format specification, such as \"YYYY-MM-DD\".", "An RFC 3339 timestamp."}},
	"formatlist":      {`Produces a list of strings by applying printf-style formatting verbs to the corresponding elements of the given lists.`, []string{"The format string.", "Values or lists of values for the verbs; lists must be of equal length."}},
	"jsondecode":      {"", []string{"A JSON document."}},
	"jsonencode":      {"", []string{"Any value."}},
	"log":             {"", []string{"A positive number.", "The base of the logarithm."}},
	"lookup":          {"", []string{"A map or object.", "The key to look up.", "The value to return when the key is absent."}},
	"lower":           {"", []string{"A string."}},
	"max":             {"", []string{"One or more numbers."}},
	"merge":           {"", []string{"Maps or objects; later ones win when keys repeat."}},
	"min":             {"", []string{"One or more numbers."}},
	"parseint":        {"", []string{"A string of digits in the given base.", "The base, from 2 to 62."}},
	"pow":             {"", []string{"The base.", "The exponent."}},
	"range":           {"Returns a list of numbers from start (default 0) up to but not including limit, counting by step (default 1); at most 1024 numbers.", []string{"limit, start and limit, or start, limit and step."}},
	"regex":           {"", []string{"A regular expression (RE2 syntax).", "The string to search."}},
	"regexall":        {"", []string{"A regular expression (RE2 syntax).", "The string to search."}},
	"reverse":         {"", []string{"A list or tuple."}},
	"setintersection": {"", []string{"A set.", "More sets."}},
	"setsubtract":     {"Returns the elements of the first set that are not in the second.", []string{"The set to take elements from.", "The set of elements to remove."}},
	"setunion":        {"", []string{"A set.", "More sets."}},
	"signum":          {"", []string{"A number."}},
	"slice":           {"Returns the elements of the given list or tuple from start_index up to but not including end_index.", []string{"A list or tuple.", "The first position to include, from 0.", "The first position to leave out."}},
	"sort":            {"Returns the given list of strings sorted lexicographically.", []string{"A list of strings."}},
	"strrev":          {"", []string{"A string."}},
	"timeadd":         {`Adds a Go-style duration ("1h30m", "-10m"; no days or weeks) to an RFC 3339 timestamp and returns the resulting RFC 3339 timestamp.`, []string{"An RFC 3339 timestamp.", `A duration such as "1h30m", with the units h, m, s, ms, us or ns.`}},
	"title":           {"Returns the given string with the first letter of each word in upper case.", []string{"A string."}},
	"tobool":          {`Converts the given value to a bool ("true" and "false" are accepted), or raises an error if it cannot.`, []string{"The value to convert."}},
	"tolist":          {"Converts the given value (such as a tuple or set) to a list, or raises an error if it cannot.", []string{"The value to convert."}},
	"tomap":           {"Converts the given value (such as an object) to a map, or raises an error if it cannot.", []string{"The value to convert."}},
	"tonumber":        {"Converts the given value (such as a string of digits) to a number, or raises an error if it cannot.", []string{"The value to convert."}},
	"toset":           {"Converts the given value (such as a list or tuple) to a set, or raises an error if it cannot.", []string{"The value to convert."}},
	"tostring":        {"Converts the given value (a number or bool) to a string, or raises an error if it cannot.", []string{"The value to convert."}},
	"trimspace":       {"", []string{"A string."}},
	"trimsuffix":      {"Removes the given suffix from the end of the given string, if present.", nil},
	"try":             {"Returns the value of the first of the given expressions that evaluates without an error, or raises an error if none does.", []string{"The expressions to try, in order."}},
	"upper":           {"", []string{"A string."}},
	"values":          {"", []string{"A map or object."}},
	"zipmap":          {"", []string{"A list of strings to use as keys.", "A list or tuple of values, as long as the keys."}},
}

// describe returns f with the descriptions of the entry for name filled in.
func describe(name string, f function.Function) function.Function {
	d, ok := descriptions[name]
	if !ok {
		return f
	}
	params := f.Params()
	if vp := f.VarParam(); vp != nil {
		params = append(params, *vp)
	}
	descs := make([]string, len(params))
	for i, p := range params {
		descs[i] = p.Description
		if i < len(d.params) && d.params[i] != "" {
			descs[i] = d.params[i]
		}
	}
	desc := f.Description()
	if d.desc != "" {
		desc = d.desc
	}
	return f.WithNewDescriptions(desc, descs)
}
