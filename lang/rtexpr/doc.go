// Package rtexpr is the static analysis of Waymark runtime expressions and
// message templates: it partially evaluates their config-time parts (var,
// local, literals, config functions, file and templatefile), type-checks
// what is left against the declared schemas of a Scope, and prints the
// result as canonical native-syntax source, the text that is deployed.
//
// The loader calls Expression and Template with the scope of each
// attribute; the runtime calls CheckSource and CheckTemplateSource to
// re-validate deployed text. Every problem is an hcl.Diagnostic with the
// range of the offending text. Expression and Template also bound the
// worst case of one evaluation with the cost model of package cost, and
// warn about an expression far over the runtime's evaluation budget.
//
// The package knows the runtime scopes (customer, event, context, segment,
// journey, propensity, value, lever) and nothing else of Waymark: it does not
// know which block an attribute belongs to (the Scope says what is allowed),
// how configurations are loaded, which functions exist (the caller passes the
// function tables) or how the runtime evaluates what it deploys.
package rtexpr
