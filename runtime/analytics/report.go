package analytics

import "time"

// Report is a journey's funnel, paths, action performance and KPIs, over
// windows that end at the runtime's clock (Now). Durations are in seconds;
// a figure with no samples is nil. The runtime serves it as the API's
// analytics (runtime/apiv1), which is not this type.
type Report struct {
	Stack   string
	Journey string
	Now     time.Time
	// Window is the window of the totals, funnel, paths and actions: a
	// length ("7d"), "all" or "custom". From is its start, widened to the
	// whole UTC hour (or day, beyond the hours a journey keeps); To is its
	// end.
	Window   string
	From, To time.Time
	// Active is how many runs are in the journey now.
	Active int64
	Totals Totals
	// Funnel has the journey's stages in order.
	Funnel []FunnelStage
	// Paths are the most common paths of runs that ended in the window,
	// most frequent first.
	Paths    []Path
	Actions  []ActionReport
	Channels []ActionReport
	KPIs     []KPIReport
	// Experiments are the journey's experiments, since each started
	// (not over the window), by action.
	Experiments []ExperimentReport
	// Score is the journey's success score from 0 to 100, from the KPIs
	// that have a target and enough samples; nil when none has.
	Score *float64
	// Hourly are the 24 UTC hours up to To, oldest first.
	Hourly []Hour
}

// Totals count the transitions of the window by when they happened.
type Totals struct {
	Entries   int64
	Completed int64
	Exited    int64
	Expired   int64
	TimedOut  int64
	Removed   int64
}

// FunnelStage is one stage's figures. Reached counts the runs that reached
// the stage in the window; MovedOn, Completed and Dropped say how those
// left it (to a later stage, by reaching the goal, or out of the journey
// without it), and StillThere counts the rest, which are in it now:
// MovedOn + Completed + Dropped + StillThere = Reached. Median and P90 are times in
// the stage of the runs that left it in the window, whenever they reached
// it (Left of them).
type FunnelStage struct {
	Stage     string
	Reached   int64
	MovedOn   int64
	Completed int64
	Dropped   int64
	// StillThere is counted from the runs in flight, not derived.
	StillThere int64
	Left       int64
	Median     *float64
	P90        *float64
}

// Path is a sequence of stages that runs went through, with how many of
// those that ended in the window took it and the share that reached the
// goal. A path of "(other)" sums the rarest paths beyond those kept.
type Path struct {
	Stages    []string
	Runs      int64
	Goals     int64
	GoalShare float64
}

// ActionReport is how an action (or every action of a channel) did in
// the window. Conversion is Converted / Decided; Responded counts every
// response but impressions; Positive counts accepted, clicked and
// converted.
type ActionReport struct {
	Action string
	// Treatment names the action's treatment the row counts, "" for an
	// action without treatments (or a channel's row).
	Treatment   string
	Channel     string
	Decided     int64
	Delivered   int64
	Failed      int64
	Impressions int64
	Responded   int64
	Positive    int64
	Converted   int64
	Conversion  *float64
}

// KPI states.
const (
	StateMet              = "met"
	StateMissed           = "missed"
	StateInsufficientData = "insufficient_data"
	StateNoTarget         = "no_target"
)

// KPIReport is a KPI's value over its window against its target.
type KPIReport struct {
	Name   string
	Metric string
	Window string
	// Unit is "share" (0 to 1), "seconds", "nps" (−100 to 100) or
	// "number".
	Unit    string
	Value   *float64
	Target  *Target
	State   string
	Samples int64
	// Pending and PendingConverted are set for conversion() with a
	// goal.within: entries whose within has not ended, and how many of
	// them already reached the goal.
	Pending          *int64
	PendingConverted *int64
	// Series is the value over the window cut in twelve equal slices,
	// oldest first (nil where a slice has no samples); empty for rate().
	Series []*float64
	// Alert is the channel alerts are sent on, if any.
	Alert string
	// Holdout compares the treated customers with the global holdout, for
	// a KPI that is a share of runs once a held-out customer has entered
	// the journey; nil otherwise.
	Holdout *KPIHoldout
}

// Hour is one UTC hour of the journey.
type Hour struct {
	Hour    time.Time
	Entries int64
	Goals   int64
	Dropped int64
}
