package apiv1

import "time"

// DecideRequest is the body of POST RouteDecide: a customer's next best
// actions on a channel.
type DecideRequest struct {
	CustomerID string `json:"customer_id"`
	Channel    string `json:"channel"`
	// Context holds strings, numbers, bools and lists of strings.
	Context map[string]any `json:"context,omitempty"`
	// Limit is the most actions wanted; 0 for the arbitration's
	// max_actions, which also caps it.
	Limit int `json:"limit,omitempty"`
	// Explain asks for every candidate with the reason it was kept or
	// dropped.
	Explain bool `json:"explain,omitempty"`
}

// Decision answers POST RouteDecide.
type Decision struct {
	DecisionID string    `json:"decision_id"`
	CustomerID string    `json:"customer_id"`
	Channel    string    `json:"channel"`
	Time       time.Time `json:"time"`
	// Control is set when the customer is in the control group: the
	// actions were picked at random among those that passed the filters.
	Control bool `json:"control,omitempty"`
	// Holdout is set when the customer is in the global holdout
	// (arbitration's holdout): they receive nothing from any journey, and
	// Actions is empty.
	Holdout bool           `json:"holdout,omitempty"`
	Actions []RankedAction `json:"actions"`
	// Candidates explain the decision, when asked.
	Candidates []Candidate `json:"candidates,omitempty"`
}

// RankedAction is one chosen action, best first.
type RankedAction struct {
	Stack   string `json:"stack"`
	Journey string `json:"journey"`
	Action  string `json:"action"`
	// Address is the action outside its stack: <stack>/<address>.
	Address string `json:"address"`
	// Treatment names the action's treatment the decision chose, for an
	// action with treatments.
	Treatment string `json:"treatment,omitempty"`
	// Propensity is the model's mean estimate that the customer responds
	// positively.
	Propensity float64 `json:"propensity"`
	Priority   float64 `json:"priority"`
	// Explore is set when a Thompson draw of the model, not its mean,
	// chose the action.
	Explore bool `json:"explore"`
	// Experiment and Variant name the action's experiment and the
	// customer's variant of it, when the action has one: the caller shows
	// the variant. While the experiment is stopped, Variant is its control.
	Experiment string `json:"experiment,omitempty"`
	Variant    string `json:"variant,omitempty"`
}

// Candidate is one action the pipeline considered, with why it was kept
// or dropped.
type Candidate struct {
	Address string `json:"address"`
	Stack   string `json:"stack"`
	Journey string `json:"journey"`
	Action  string `json:"action"`
	// Treatment names the action's treatment this candidate is.
	Treatment string `json:"treatment,omitempty"`
	Kept      bool   `json:"kept"`
	// Reason is why it was dropped: not_in_stage, no_consent,
	// not_eligible, limit, quiet_hours, suppressed, no_value, ranked_out,
	// holdout (the customer is in the global holdout), experiment_holdout
	// (in a holdout variant of the action's experiment).
	Reason     string   `json:"reason,omitempty"`
	Propensity *float64 `json:"propensity,omitempty"`
	Priority   *float64 `json:"priority,omitempty"`
	Explore    bool     `json:"explore,omitempty"`
	// Variant is the customer's variant of the action's experiment, in
	// the answer of an explained decide; a recorded decision has none.
	Variant string `json:"variant,omitempty"`
}

// DecisionRecord answers GET RouteDecision: a recorded decision with
// every candidate.
type DecisionRecord struct {
	DecisionID string     `json:"decision_id"`
	CustomerID string     `json:"customer_id"`
	Channel    string     `json:"channel"`
	Time       time.Time  `json:"time"`
	Trigger    bool       `json:"trigger,omitempty"`
	Control    bool       `json:"control,omitempty"`
	Holdout    bool       `json:"holdout,omitempty"`
	Deferred   *time.Time `json:"deferred_until,omitempty"`
	// Actions are the chosen actions' addresses, best first.
	Actions    []string    `json:"actions"`
	Candidates []Candidate `json:"candidates"`
}

// ResponseRequest is the body of POST RouteResponses: a customer's
// response to an action a decision returned.
type ResponseRequest struct {
	DecisionID string `json:"decision_id"`
	// Action is the action as decide named it, <stack>/<address>, or its
	// bare name where that is unique among the actions the decision
	// returned.
	Action string `json:"action"`
	// Treatment is the treatment the decision chose for the action; it
	// may be left out, as the decision names it, and must match it when
	// given.
	Treatment string `json:"treatment,omitempty"`
	// Outcome is impression, accepted, clicked, converted, rejected,
	// ignored or unsubscribed.
	Outcome string `json:"outcome"`
}

// ResponseResult answers POST RouteResponses: what was recorded.
type ResponseResult struct {
	DecisionID string `json:"decision_id"`
	Action     string `json:"action"`
	Treatment  string `json:"treatment,omitempty"`
	Outcome    string `json:"outcome"`
	// Duplicate is set when the same response was recorded before.
	Duplicate bool `json:"duplicate,omitempty"`
}

// ModelList answers GET RouteModels.
type ModelList struct {
	Models []Model `json:"models"`
}

// Model is an adaptive model with its figures.
type Model struct {
	// Key is <stack>/<action address>@<channel>, or for a treatment of
	// an action <stack>/<action address>#<treatment>.
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// Evidence counts labelled responses; Positives those that were
	// positive.
	Evidence  int `json:"evidence"`
	Positives int `json:"positives"`
	// Mean is the posterior mean of the positive rate.
	Mean float64 `json:"mean"`
	// Exploring is set while the model has too little evidence to be
	// trusted: the pipeline ranks it by a Thompson draw.
	Exploring bool `json:"exploring"`
	// Control counts the labelled responses to decisions made for the
	// control group, and ControlPositives the positive ones.
	Control          int `json:"control_evidence"`
	ControlPositives int `json:"control_positives"`
	// Lift is the positive rate of model-ranked decisions over that of the
	// control group, minus one; nil until both have responses. LiftLow and
	// LiftHigh bound its 95% interval.
	Lift     *float64 `json:"lift,omitempty"`
	LiftLow  *float64 `json:"lift_low,omitempty"`
	LiftHigh *float64 `json:"lift_high,omitempty"`
	// Window counts the recent responses that AUC, Calibration and ECE
	// read, each scored before the model learnt from it (prequential).
	Window int      `json:"window,omitempty"`
	AUC    *float64 `json:"auc,omitempty"`
	// Calibration is the mean predicted and observed positive rate per
	// tenth of the window by prediction; ECE the expected calibration
	// error (their mean absolute difference, weighted by count).
	Calibration []ModelDecile `json:"calibration,omitempty"`
	ECE         *float64      `json:"ece,omitempty"`
	// Predictors are what the model reads of a customer, best AUC first.
	Predictors []ModelPredictor `json:"predictors,omitempty"`
	// HalfLife or HalfLifeResponses is how fast the model forgets.
	HalfLife          string `json:"half_life,omitempty"`
	HalfLifeResponses int    `json:"half_life_responses,omitempty"`
}

// ModelDecile is a tenth of a model's recent responses, by prediction.
type ModelDecile struct {
	N         int     `json:"n"`
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
}

// ModelPredictor is one predictor of a model: its AUC alone (its bins
// ranked by positive rate), whether that makes it active (AUC >= 0.52),
// and its bins.
type ModelPredictor struct {
	Name   string     `json:"name"`
	AUC    float64    `json:"auc"`
	Active bool       `json:"active"`
	Bins   []ModelBin `json:"bins"`
}

// ModelBin is one bin of a predictor: a range of numbers, a symbol,
// "missing" or "other", with its (discounted) count of responses and
// their positive rate.
type ModelBin struct {
	Label        string  `json:"label"`
	Count        float64 `json:"count"`
	PositiveRate float64 `json:"positive_rate"`
}
