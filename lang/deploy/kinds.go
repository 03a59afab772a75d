package deploy

import "encoding/json"

// Kind is the kind of a deployable object.
type Kind string

const (
	KindCustomerAttribute Kind = "customer_attribute"
	KindEvent             Kind = "event"
	KindChannel           Kind = "channel"
	KindSegment           Kind = "segment"
	KindJourney           Kind = "journey"
	KindStage             Kind = "stage"
	KindAction            Kind = "action"
	KindKPI               Kind = "kpi"
	KindArbitration       Kind = "arbitration"
)

// Expressions and templates below are canonical source text: a runtime
// expression in HCL native syntax ("customer.tier == \"gold\""), a template
// as the text between the quotes of an HCL template, unescaped HCL-wise
// ("${customer.first_name}, hello"). Durations are canonical duration
// strings ("2h", "14d", "1h30m").

// CustomerAttribute is one attribute of the customer profile; runtime-wide.
type CustomerAttribute struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"` // string, number, bool, list(string)
	Default     json.RawMessage `json:"default,omitempty"`
	Sensitive   bool            `json:"sensitive,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Description string          `json:"description,omitempty"`
}

// Event is an event type; runtime-wide.
type Event struct {
	Name        string           `json:"name"`
	Aliases     []string         `json:"aliases,omitempty"`
	Description string           `json:"description,omitempty"`
	Attributes  []EventAttribute `json:"attributes,omitempty"` // sorted by name
}

// EventAttribute is one attribute of an event type.
type EventAttribute struct {
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Default     json.RawMessage `json:"default,omitempty"`
	Sensitive   bool            `json:"sensitive,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Description string          `json:"description,omitempty"`
}

// Channel is a configured channel; runtime-wide.
type Channel struct {
	Name     string `json:"name"`
	Provider string `json:"provider"` // local name
	Source   string `json:"source"`   // waymark/smtp
	// Config holds the provider's config-time attributes as JSON values.
	Config map[string]json.RawMessage `json:"config,omitempty"`
	// PerDelivery holds the provider's per-delivery attributes as runtime
	// expressions (smtp's to).
	PerDelivery map[string]string `json:"per_delivery,omitempty"`
	Consent     string            `json:"consent,omitempty"`
	Limit       *Limit            `json:"limit,omitempty"`
	QuietHours  *QuietHours       `json:"quiet_hours,omitempty"`
	Rate        *Rate             `json:"rate,omitempty"`
	Delivers    bool              `json:"delivers"`
}

// Rate is a channel's send-rate limit: at most Max sends per Per, across
// every stack and customer.
type Rate struct {
	Max int    `json:"max"`
	Per string `json:"per"`
}

// Limit is a contact cap: at most Max contacts per rolling Per, per customer.
type Limit struct {
	Max int    `json:"max"`
	Per string `json:"per"`
}

// QuietHours are local times during which outbound sends are deferred or
// dropped.
type QuietHours struct {
	Start    string `json:"start"` // "21:00"
	End      string `json:"end"`
	Timezone string `json:"timezone"`
	OnQuiet  string `json:"on_quiet"` // defer, drop
}

// Segment is a named boolean condition over the customer.
type Segment struct {
	Name      string `json:"name"`
	Condition string `json:"condition"`
}

// Journey is a journey; its stages, actions and KPIs are objects of their own.
type Journey struct {
	Name         string      `json:"name"`
	Description  string      `json:"description,omitempty"`
	State        string      `json:"state"`   // active, paused, draining
	Reentry      string      `json:"reentry"` // never, after_leaving
	ReentryAfter string      `json:"reentry_after,omitempty"`
	Entry        Criterion   `json:"entry"`
	Goal         *Goal       `json:"goal,omitempty"`
	Exits        []Criterion `json:"exits,omitempty"`
	// Stages are the journey's stage names in the order declared.
	Stages []string `json:"stages"`
}

// Criterion is an entry, exit or stage entry: an event type and/or a
// condition (a runtime expression).
type Criterion struct {
	Event     string `json:"event,omitempty"`
	Condition string `json:"condition,omitempty"`
}

// Goal is a journey's goal.
type Goal struct {
	Criterion
	Within string `json:"within,omitempty"`
}

// Stage is one stage of a journey.
type Stage struct {
	Journey     string     `json:"journey"`
	Name        string     `json:"name"`
	Index       int        `json:"index"`
	Description string     `json:"description,omitempty"`
	Entry       *Criterion `json:"entry,omitempty"`
	Timeout     string     `json:"timeout,omitempty"`
	TimeoutTo   string     `json:"timeout_to,omitempty"`
}

// Action is a next-best-action of a journey.
type Action struct {
	Journey     string   `json:"journey"`
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Channel     string   `json:"channel,omitempty"` // "" with Treatments
	Stages      []string `json:"stages"`
	Trigger     *Trigger `json:"trigger,omitempty"`
	Eligible    string   `json:"eligible,omitempty"`
	// Value is a runtime expression; a constant is its literal ("1").
	Value    string            `json:"value"`
	Lever    float64           `json:"lever"`
	Limit    *Limit            `json:"limit,omitempty"`
	Suppress *Suppress         `json:"suppress,omitempty"`
	Message  map[string]string `json:"message,omitempty"` // templates
	Model    *Model            `json:"model,omitempty"`
	// Transactional exempts the action from the marketing contact
	// policies: the channel's and the arbitration's limits, quiet hours
	// and the channel's consent (docs/governance.md).
	Transactional bool `json:"transactional,omitempty"`
	// Experiment is the action's A/B test, nil for none.
	Experiment *Experiment `json:"experiment,omitempty"`
	// Treatments are the action's variants, one per treatment block, in
	// the order written; an action with treatments has no Channel or
	// Message of its own.
	Treatments []Treatment `json:"treatments,omitempty"`
}

// Treatment is one variant of an action: its own channel and message, and
// optionally its own value and model settings. Each has its own adaptive
// model; the action's stages, eligibility, trigger, limit and suppress
// hold across its treatments.
type Treatment struct {
	Name    string            `json:"name"`
	Channel string            `json:"channel"`
	Message map[string]string `json:"message,omitempty"` // templates
	// Value, when set, replaces the action's value for this treatment.
	Value string `json:"value,omitempty"`
	Model *Model `json:"model,omitempty"`
}

// Model is the settings of an adaptive model.
type Model struct {
	// HalfLife is a duration as written ("30d"); HalfLifeResponses a count.
	HalfLife          string `json:"half_life,omitempty"`
	HalfLifeResponses int    `json:"half_life_responses,omitempty"`
	// Predictors, when not nil, are the only predictors read; empty for
	// none.
	Predictors []string `json:"predictors,omitempty"`
	// NoPredictors is set for an empty predictors list.
	NoPredictors bool `json:"no_predictors,omitempty"`
}

// Trigger says when an outbound action falls due.
type Trigger struct {
	After  string   `json:"after,omitempty"`
	Unless []string `json:"unless,omitempty"` // event types
}

// Suppress stops offering an action after repeated ignores.
type Suppress struct {
	AfterIgnores int    `json:"after_ignores"`
	For          string `json:"for"`
}

// KPI is a journey KPI.
type KPI struct {
	Journey string  `json:"journey"`
	Name    string  `json:"name"`
	Metric  Metric  `json:"metric"`
	Window  string  `json:"window"`
	Target  *Target `json:"target,omitempty"`
	Alert   *Alert  `json:"alert,omitempty"`
}

// Metric is a KPI's metric function and its arguments.
type Metric struct {
	Function  string   `json:"function"`            // conversion, dropoff, time_in_stage, time_to_goal, rate, average, nps
	Stage     string   `json:"stage,omitempty"`     // dropoff, time_in_stage
	Event     string   `json:"event,omitempty"`     // rate, average, nps
	Attribute string   `json:"attribute,omitempty"` // average, nps
	Quantile  *float64 `json:"quantile,omitempty"`  // time_in_stage, time_to_goal
	Action    string   `json:"action,omitempty"`    // conversion(action.<name>): the action's name in the journey
	Source    string   `json:"source"`              // canonical text: dropoff(stage.checkout)
}

// Target is a KPI's target: exactly one of Above and Below.
type Target struct {
	Above      *float64 `json:"above,omitempty"`
	Below      *float64 `json:"below,omitempty"`
	MinSamples int      `json:"min_samples"`
}

// Alert sends a delivery on Channel when a KPI leaves or regains its
// target, and, with Action, triggers that action of the KPI's journey for
// every customer in the stage the KPI measures when it leaves it.
type Alert struct {
	Channel string `json:"channel,omitempty"`
	// Action is the name of an action of the KPI's journey, empty without.
	Action string `json:"action,omitempty"`
	// Cooldown is how much event time must pass after an alert before
	// the next (a duration, empty for none).
	Cooldown string `json:"cooldown,omitempty"`
	// Hysteresis is the margin, in the KPI's unit, by which a KPI that
	// missed its target must return past it before it counts as met again.
	Hysteresis float64 `json:"hysteresis,omitempty"`
}

// Arbitration ranks every stack's actions; at most one stack declares it.
type Arbitration struct {
	Priority     string  `json:"priority"`
	MaxActions   int     `json:"max_actions"`
	MaxOutbound  int     `json:"max_outbound"`
	ControlGroup float64 `json:"control_group"`
	// Holdout is the share of customers who receive nothing from any
	// journey, to measure every journey's lift over them.
	Holdout float64 `json:"holdout,omitempty"`
	Limit   *Limit  `json:"limit,omitempty"`
	Model   *Model  `json:"model,omitempty"`
}

// DefaultPriority is the arbitration priority when none is configured.
const DefaultPriority = "propensity * value * lever"
