// Package decide is the decision pipeline of runtime.md ("Decisions"):
// for one customer and one channel it gathers the candidate actions,
// filters them by consent, eligibility and the contact policies (limits
// over rolling windows, quiet hours, suppression after ignored contacts),
// estimates each one's propensity with its adaptive model, ranks them by
// the arbitration's priority and returns the top ones, recording for every
// candidate why it was kept or dropped. The same pipeline ranks outbound
// actions that fall due together (triggered actions). Transactional actions
// skip the marketing policies (the channel's and arbitration's limits,
// quiet hours, the channel's consent), do not count toward those limits
// and are chosen ahead of the rest (docs/governance.md). An action's experiment gives each candidate the
// customer's variant (experiment.go), whose value is ranked and whose
// holdout takes it out of the answer.
//
// Build compiles the decisioning part of a deployment (actions, channels,
// the arbitration, message templates) into a Catalog; Decide runs the
// pipeline over a Subject, the snapshot of a customer that the engine
// hands it. Decisions are encoded compactly for the store (actions by
// their place in their stack's deployment) and written off the request
// path by a Recorder, in group commits.
//
// It must not know how customers are stored or processed, nor about HTTP:
// the engine builds the Subject, the service answers the API.
package decide
