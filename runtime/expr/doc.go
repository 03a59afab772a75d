// Package expr compiles the runtime's expressions and message templates
// into evaluators, once per deployment, and evaluates them per event or
// decision.
//
// Deployed expressions arrive as canonical HCL native-syntax source that the
// language has already type-checked (lang/rtexpr). Compile parses one
// against an Env (what customer, event, context, segment, journey and the
// priority scope hold), checks it again the way HCL itself would by
// evaluating it over unknown values, and builds a tree of typed Go closures
// that read attributes by slot from Records: no parsing, no maps of names
// and no allocation per evaluation on the common paths.
//
// The semantics are HCL's, evaluated natively. What the compiler does not
// fast-path (for expressions, splats, objects, functions it has no native
// version of, conversions between mixed types) it evaluates through
// hclsyntax and go-cty with an EvalContext built from the Activation, so
// that every expression HCL accepts still works; a differential test keeps
// the two paths in agreement, with cty's own evaluation as the oracle.
//
// An evaluation that HCL would fail (a null operand of a comparison, an
// arithmetic or a boolean operator, an index out of range, a failing
// function) yields null: a condition that meets a null is false, and
// EvalBool tells the caller so that it can count it.
//
// Numbers are float64, where cty uses arbitrary-precision floats (512 bits
// for literals, exact products). Comparisons with literals are exact, as
// cty's are; arithmetic rounds to float64 at every step. The two agree on
// integers up to 2^53 and on the dyadic fractions of amounts and shares
// (0.5, 0.25), and can differ in the last digits of other fractions: not a
// difference a journey's condition can observe, unless it tests a computed
// fraction for equality.
//
// Each evaluation has a budget of work and memory (Budget, Env.Budget):
// every call, conversion, concatenation and iteration is charged from the
// sizes of what it is given (the cost model of lang/rtexpr/cost) before it
// runs, on both paths, and one that would go over the budget does not run.
// The evaluation then fails: a condition is false and Program.OverBudget
// reports it, a template's Render fails with ErrOverBudget. Programs that
// charge nothing (comparisons and logic over records) pay nothing for it.
//
// A context key that the decide request did not send is null. A Record
// holds each attribute as its slot's kind or null; a value of another kind
// reads as null, on both paths.
//
// The package must not know about journeys, stores, deployments or HTTP:
// it takes source text and slots and returns values.
package expr
