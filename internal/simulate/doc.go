// Package simulate runs the runtime in the process, over an in-memory
// store, on the event clock, with deliveries recorded instead of sent: the
// real service and engine, so that what it does is what a runtime would
// do. Runtime is that harness; Replay feeds it recorded events under one
// configuration and measures the outcome (funnels, KPIs, deliveries,
// each customer's journey states); Compare says what a change of
// configuration would change in that outcome, as plan -simulate prints
// it. waymark dev serves a Runtime's API.
//
// Everything a replay reports is sorted and read off the event clock, so
// the same events and configurations give byte-identical reports.
package simulate
