// Package statuscmd implements waymark status: a journey's live funnel,
// paths, actions and KPIs against their targets, read from the runtime's
// analytics API through runtime/client and drawn for a terminal (Render),
// or printed as the API's JSON (runtime/apiv1's Analytics).
//
// It must not compute analytics itself: the runtime does; it only reads
// the stack's name and the runtime's address from the configuration.
package statuscmd
