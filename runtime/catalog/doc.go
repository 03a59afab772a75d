// Package catalog turns the active deployments of every stack into the
// runtime-wide view the rest of the runtime works from: the union of
// customer attributes, event types and channels (refusing a stack whose
// declaration of one differs from another stack's), and each stack's
// journeys with their stages in order and durations parsed.
//
// Build validates what it is given on its own and reports every problem
// with the address of the object at fault; it never trusts that the CLI
// validated anything. It must not know how expressions are evaluated, how
// events arrive or how state is stored.
package catalog
