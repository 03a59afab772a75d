package apiv1

import "time"

// Analytics answers GET RouteAnalytics: a journey's funnel, paths, action
// performance and KPIs, over windows that end at the runtime's clock
// (Now). Durations are in seconds; a figure with no samples is null.
type Analytics struct {
	Stack   string    `json:"stack"`
	Journey string    `json:"journey"`
	Now     time.Time `json:"now"`
	// Window is the window of the totals, funnel, paths and actions: a
	// duration ("7d"), "all" or "custom" (see AnalyticsQuery). From is its
	// start, widened to the whole UTC hour (or UTC day, for a window
	// longer than the hours the runtime keeps); To is its end.
	Window string    `json:"window"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// Active is how many runs are in the journey now.
	Active int64  `json:"active"`
	Totals Totals `json:"totals"`
	// Funnel has the journey's stages in order.
	Funnel []FunnelStage `json:"funnel"`
	// Paths are the most common paths of runs that ended in the window,
	// most frequent first.
	Paths []Path `json:"paths"`
	// Actions are each action's figures; Channels each channel's, over
	// all its actions (Action empty).
	Actions  []ActionReport `json:"actions"`
	Channels []ActionReport `json:"channels"`
	KPIs     []KPI          `json:"kpis"`
	// Experiments are the journey's experiments, by action; absent when
	// it has none.
	Experiments []Experiment `json:"experiments,omitempty"`
	// Score is the journey's success score from 0 to 100, from the KPIs
	// that have a target and enough samples; null when none has.
	Score *float64 `json:"score"`
	// Hourly are the 24 UTC hours up to To, oldest first.
	Hourly []Hour `json:"hourly"`
}

// Totals count the transitions of the window by when they happened.
type Totals struct {
	Entries   int64 `json:"entries"`
	Completed int64 `json:"completed"`
	Exited    int64 `json:"exited"`
	Expired   int64 `json:"expired"`
	TimedOut  int64 `json:"timed_out"`
	Removed   int64 `json:"removed"`
}

// FunnelStage is one stage's figures. Reached counts the runs that reached
// the stage in the window; MovedOn, Completed and Dropped say how those
// left it (to a later stage, by reaching the goal, or out of the journey
// without it), and StillThere counts the rest, which are in it now:
// MovedOn + Completed + Dropped + StillThere = Reached. Median and P90 are times in
// the stage of the runs that left it in the window, whenever they reached
// it (Left of them).
type FunnelStage struct {
	Stage      string   `json:"stage"`
	Reached    int64    `json:"reached"`
	MovedOn    int64    `json:"moved_on"`
	Completed  int64    `json:"completed"`
	Dropped    int64    `json:"dropped"`
	StillThere int64    `json:"still_there"`
	Left       int64    `json:"left"`
	Median     *float64 `json:"median_seconds"`
	P90        *float64 `json:"p90_seconds"`
}

// Path is a sequence of stages that runs went through, with how many of
// those that ended in the window took it and the share that reached the
// goal. A path of "(other)" sums the rarest paths beyond those kept.
type Path struct {
	Stages    []string `json:"stages"`
	Runs      int64    `json:"runs"`
	Goals     int64    `json:"goals"`
	GoalShare float64  `json:"goal_share"`
}

// ActionReport is how an action (or every action of a channel) did in
// the window. Conversion is Converted / Decided; Responded counts every
// response but impressions; Positive counts accepted, clicked and
// converted.
type ActionReport struct {
	Action string `json:"action,omitempty"`
	// Treatment names the action's treatment the row counts, for an
	// action with treatments.
	Treatment   string   `json:"treatment,omitempty"`
	Channel     string   `json:"channel"`
	Decided     int64    `json:"decided"`
	Delivered   int64    `json:"delivered"`
	Failed      int64    `json:"failed"`
	Impressions int64    `json:"impressions"`
	Responded   int64    `json:"responded"`
	Positive    int64    `json:"positive"`
	Converted   int64    `json:"converted"`
	Conversion  *float64 `json:"conversion"`
}

// KPI is a KPI's value over its window against its target.
type KPI struct {
	Name   string `json:"name"`
	Metric string `json:"metric"`
	Window string `json:"window"`
	// Unit is "share" (0 to 1), "seconds", "nps" (−100 to 100) or
	// "number".
	Unit    string   `json:"unit"`
	Value   *float64 `json:"value"`
	Target  *Target  `json:"target,omitempty"`
	State   KPIState `json:"state"`
	Samples int64    `json:"samples"`
	// Pending and PendingConverted are set for conversion() with a
	// goal.within: entries whose within has not ended, and how many of
	// them already reached the goal.
	Pending          *int64 `json:"pending,omitempty"`
	PendingConverted *int64 `json:"pending_converted,omitempty"`
	// Series is the value over the window cut in twelve equal slices,
	// oldest first (null where a slice has no samples); empty for rate().
	Series []*float64 `json:"series,omitempty"`
	// Alert is the channel alerts are sent on, if any.
	Alert string `json:"alert,omitempty"`
	// Holdout compares the treated customers with the global holdout
	// (arbitration's holdout), for a KPI that is a share of runs
	// (conversion, dropoff, rate) once a held-out customer has entered the
	// journey.
	Holdout *KPIHoldout `json:"holdout,omitempty"`
}

// KPIHoldout is a KPI over the treated customers against the same KPI over
// the global holdout, who receive nothing from any journey.
type KPIHoldout struct {
	// Share is the holdout's share configured now.
	Share float64 `json:"share"`
	// Treated and Holdout add up to the KPI's own count and samples.
	Treated HoldoutSide `json:"treated"`
	Holdout HoldoutSide `json:"holdout"`
	// Lift is the treated value's relative lift over the holdout's,
	// (treated - holdout) / holdout, with its 95% interval; null when the
	// holdout's value is 0.
	Lift *HoldoutLift `json:"lift"`
	// Test is the always-valid sequential test of the two values (mSPRT,
	// alpha 0.05): insufficient, running, winner (the treated value is
	// higher) or loser (lower), whatever the KPI's direction.
	Test HoldoutTest `json:"test"`
}

// HoldoutSide is one side of a KPIHoldout: Count of Samples runs, the
// value (null without samples) and its 95% Wilson interval.
type HoldoutSide struct {
	Count   int64    `json:"count"`
	Samples int64    `json:"samples"`
	Value   *float64 `json:"value"`
	Low     float64  `json:"low"`
	High    float64  `json:"high"`
}

// HoldoutLift is a relative lift with its 95% interval.
type HoldoutLift struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// HoldoutTest is a sequential test's state, its always-valid p-value and
// the always-valid 95% interval of the difference of the values
// (treated - holdout).
type HoldoutTest struct {
	State          string  `json:"state"`
	PValue         float64 `json:"p_value"`
	DifferenceLow  float64 `json:"difference_low"`
	DifferenceHigh float64 `json:"difference_high"`
}

// Target is what a KPI should be: exactly one of Above and Below.
type Target struct {
	Above      *float64 `json:"above,omitempty"`
	Below      *float64 `json:"below,omitempty"`
	MinSamples int      `json:"min_samples"`
}

// KPIState is a KPI's state against its target.
type KPIState string

// The KPI states.
const (
	KPIMet              KPIState = "met"
	KPIMissed           KPIState = "missed"
	KPIInsufficientData KPIState = "insufficient_data"
	KPINoTarget         KPIState = "no_target"
)

// Hour is one UTC hour of the journey.
type Hour struct {
	Hour    time.Time `json:"hour"`
	Entries int64     `json:"entries"`
	Goals   int64     `json:"goals"`
	Dropped int64     `json:"dropped"`
}

// Experiment is an action's experiment with each variant's figures since
// it started (not over the report's window). Rates are per assigned
// customer: a holdout variant has one too.
type Experiment struct {
	// Action is the action's name in the journey.
	Action string `json:"action"`
	Name   string `json:"name"`
	// Metric is "conversion" or "kpi.<name>".
	Metric  string `json:"metric"`
	Control string `json:"control"`
	// State is running or stopped (everyone gets the control, and the
	// figures are frozen).
	State    string    `json:"state"`
	Variants []Variant `json:"variants"`
}

// Variant is one variant's figures: customers assigned, those the action
// was delivered to, those who converted after their assignment, the
// conversion rate with its 95% Wilson interval, and, but for the control,
// the relative lift over the control with its 95% interval and the
// sequential test's decision.
type Variant struct {
	Name       string       `json:"name"`
	Control    bool         `json:"control,omitempty"`
	Assigned   int64        `json:"assigned"`
	Delivered  int64        `json:"delivered"`
	Converted  int64        `json:"converted"`
	Conversion Rate         `json:"conversion"`
	Lift       *Lift        `json:"lift,omitempty"`
	Test       *VariantTest `json:"test,omitempty"`
}

// Rate is a share with its 95% interval.
type Rate struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// Lift is a relative lift, (variant - control) / control, with its 95%
// interval; Defined is false while the control has converted no one.
type Lift struct {
	Value   float64 `json:"value"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Defined bool    `json:"defined"`
}

// VariantTest is the sequential test of a variant against the control
// (an mSPRT, valid however often it is looked at; see docs/experiments.md).
// State is insufficient, running, winner or loser; PValue is always
// valid; DifferenceLow and DifferenceHigh bound the difference of rates.
type VariantTest struct {
	State          string  `json:"state"`
	PValue         float64 `json:"p_value"`
	DifferenceLow  float64 `json:"difference_low"`
	DifferenceHigh float64 `json:"difference_high"`
}
