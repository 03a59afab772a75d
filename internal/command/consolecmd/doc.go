// Package consolecmd implements waymark console: an interactive evaluator
// of expressions against the configuration, as terraform console is.
// Config-time expressions (var, local, functions) print their values;
// runtime ones (customer, event, segment, journey, context) are checked
// against the configuration's schema and print their type and what they
// read, since their values exist only in the runtime.
//
// It must not know how expressions are checked: package lang does that.
package consolecmd
