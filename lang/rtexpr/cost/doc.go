// Package cost is the cost model of runtime expressions: from what is known
// of a function call's arguments, a bound on the work the call does and
// the bytes it builds, before it runs.
//
// Two callers apply the same model. The runtime (runtime/expr) applies it
// to the values in hand, before each call, and stops an evaluation that
// would go over its budget; the static analysis (lang/rtexpr) applies it
// to the largest values the runtime accepts, and warns about an expression
// whose worst case is over the budget.
//
// The bounds are upper bounds of the order of magnitude, not predictions:
// a step is about a nanosecond of work, and the bytes count what is
// allocated for strings and collections. A function the model does not
// know by name is assumed to build at most twice what it is given, which
// the functions of lang/funcs.Runtime that it does not name satisfy.
//
// It must not know about HCL syntax, scopes or how expressions are
// evaluated: it takes sizes and returns costs.
package cost
