// Package limits bounds the work of loading a configuration, so that hostile
// input gets a diagnostic instead of exhausting memory, stack or time: how
// deeply source may nest before it is parsed (CheckNesting), how large a
// config-time value may be (Measure, Check), and how much evaluating
// config-time expressions may do in all (Budget, Eval).
//
// Eval evaluates an expression with hooks put into its syntax tree for the
// length of the call: each for expression's collection, each template part
// and each multiplication or division passes through a function of the
// Budget that counts the work and refuses what is over a limit, before HCL
// allocates the result. The limits are documented in docs/limits.md.
//
// It must not know about blocks, the loader, the language's functions or
// the runtime: callers give it expressions, contexts and values.
package limits
