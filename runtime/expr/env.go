package expr

import (
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// Env tells the compiler what the names of a runtime expression mean. One
// Env serves every expression of one kind of place in a deployment (a
// journey's entry conditions for one event type, the segments, the
// arbitration); it must not change while programs compiled against it are in
// use.
type Env struct {
	// Customer is the profile's layout; nil means one with only customer.id.
	Customer *Layout
	// Events holds the layout of every event type.
	Events map[string]*Layout
	// Event is the type of the event in hand, "" where there is none: event
	// is in scope only when it is set.
	Event string
	// Segments maps segment names to their index in Activation.Segments.
	Segments map[string]int
	// Journeys maps journey names to their index in Activation.Stages.
	Journeys map[string]int
	// Context puts context (a decide request's context) in scope.
	Context bool
	// Priority puts propensity, value and lever in scope
	// (arbitration.priority).
	Priority bool
	// Functions are the functions expressions may call, by name; nil means
	// StdFunctions(). They must be pure: calls with constant arguments are
	// evaluated once, at compile time. Those that are go-cty stdlib
	// functions this package implements natively (lower, upper, length,
	// strlen, contains, coalesce, min, max, abs, floor, ceil) run natively.
	// Each call is charged to the evaluation's budget by the cost model of
	// lang/rtexpr/cost, by name: a function it does not know must build
	// no more than twice what it is given.
	Functions map[string]function.Function
	// Budget bounds each evaluation of the programs and templates compiled
	// against the Env; the zero Budget is the default one.
	Budget Budget
}

// Activation is what one evaluation sees. It also keeps the budget of the
// evaluation in progress, so it serves one evaluation at a time: many
// programs may evaluate it one after the other, but not at once, and not
// while it is being filled in.
type Activation struct {
	Customer Record
	Event    Record
	// Context is the decide request's context; a key it lacks is null.
	Context map[string]Value
	// Segments holds, by Env.Segments index, whether the customer is in each
	// segment: a bool, or null where it is not known.
	Segments []Value
	// Stages holds, by Env.Journeys index, the customer's current stage in
	// each journey: a string, or null where the customer is not in it.
	Stages []Value
	// Propensity, ValueScore and Lever are propensity, value and lever in
	// arbitration.priority.
	Propensity, ValueScore, Lever float64

	meter meter // what the evaluation in progress has left of its budget
}

// StdFunctions returns the go-cty stdlib functions that runtime expressions
// may call by default, in a new map. It leaves out range, indent and
// setproduct, whose results grow without bound with their arguments: an
// expression is evaluated per event, and constant calls at compile time.
func StdFunctions() map[string]function.Function {
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"index":           stdlib.IndexFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          stdlib.LengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         stdlib.ReplaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"strlen":          stdlib.StrlenFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"title":           stdlib.TitleFunc,
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,
	}
}
