package deploy

import "strings"

// The KPI functions' names.
const (
	KPIConversion  = "conversion"
	KPIDropoff     = "dropoff"
	KPITimeInStage = "time_in_stage"
	KPITimeToGoal  = "time_to_goal"
	KPIRate        = "rate"
	KPIAverage     = "average"
	KPINPS         = "nps"
)

// KPIFunc is one KPI metric function: what the language checks a call
// of, the runtime's check of a deployment and the generated docs take from
// here. A new function is added to kpiFuncs, and computed by
// runtime/analytics (whose test fails for a registered function it does
// not compute).
type KPIFunc struct {
	Name string
	// Params are its arguments in order: 's' a stage reference, 'e' an
	// event type reference, 'a' an event attribute reference, 'q' a
	// quantile, 'c' an action of the journey that delivers. A name may be
	// registered more than once with different numbers of arguments
	// (conversion() and conversion(action.<name>)).
	Params string
	// NeedsGoal is set for a function that measures reaching the goal.
	NeedsGoal bool
	// Unit is what its value is in: share (0 to 1), seconds, nps (-100 to
	// 100) or number.
	Unit string
	// Usage is how it is called, Signature its form in the docs, Doc what
	// its value is (Markdown).
	Usage, Signature, Doc string
}

var kpiFuncs = []KPIFunc{
	{KPIConversion, "", true, "share", "conversion()", "conversion()",
		"of the entries whose `goal.within` ended inside the window, the share that reached the goal; needs a `goal`"},
	{KPIConversion, "c", true, "share", "conversion(action.<name>)", "conversion(action.<name>)",
		"of the journey runs sent the action (queued for delivery) whose first send of it was in the window and that have ended, the share that reached the goal after that send; needs a `goal` and an action on a channel that delivers"},
	{KPIDropoff, "s", false, "share", "dropoff(stage.<name>)", "dropoff(stage.<name>)",
		"of the customers who reached the stage in the window and left it, the share who left the journey from it without reaching the goal"},
	{KPITimeInStage, "sq", false, "seconds", "time_in_stage(stage.<name>, 0.9)", "time_in_stage(stage.<name>, q)",
		"the q-quantile of time spent in the stage by customers who left it in the window"},
	{KPITimeToGoal, "q", true, "seconds", "time_to_goal(0.5)", "time_to_goal(q)",
		"the q-quantile of entry-to-goal time of goals in the window; needs a `goal`"},
	{KPIRate, "e", false, "share", "rate(event.<type>)", "rate(event.<type>)",
		"the share of customers in the journey during the window who sent at least one such event"},
	{KPIAverage, "a", false, "number", "average(event.<type>.<attribute>)", "average(event.<type>.<attr>)",
		"the mean of a number attribute over such events of customers in the journey"},
	{KPINPS, "a", false, "nps", "nps(event.<type>.<attribute>)", "nps(event.<type>.<attr>)",
		"% of 9–10 minus % of 0–6 over such events, from −100 to 100"},
}

// KPIFuncs returns the KPI functions in the order the docs list them.
func KPIFuncs() []KPIFunc { return append([]KPIFunc(nil), kpiFuncs...) }

// LookupKPIFunc returns the KPI function named name (the first
// registered, for a name registered with several numbers of arguments).
func LookupKPIFunc(name string) (KPIFunc, bool) {
	for _, f := range kpiFuncs {
		if f.Name == name {
			return f, true
		}
	}
	return KPIFunc{}, false
}

// LookupKPICall returns the KPI function named name that takes args
// arguments.
func LookupKPICall(name string, args int) (KPIFunc, bool) {
	for _, f := range kpiFuncs {
		if f.Name == name && len(f.Params) == args {
			return f, true
		}
	}
	return KPIFunc{}, false
}

// KPIOverloads returns the KPI functions named name, in the order
// registered.
func KPIOverloads(name string) []KPIFunc {
	var out []KPIFunc
	for _, f := range kpiFuncs {
		if f.Name == name {
			out = append(out, f)
		}
	}
	return out
}

// KPISignatures lists the functions' signatures for messages and docs:
// "`conversion()`, `dropoff(stage.<name>)`, ..." with quote around each.
func KPISignatures(quote string) string {
	var b strings.Builder
	for i, f := range kpiFuncs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote + f.Signature + quote)
	}
	return b.String()
}
