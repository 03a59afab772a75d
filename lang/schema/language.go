package schema

import (
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// limitBlock is a contact cap, used by channels, actions and arbitration.
func limitBlock(what string) *Block {
	return &Block{
		Type:        "limit",
		Description: "A contact policy: at most `max` contacts " + what + " per rolling `per`, per customer. A contact is a successful delivery, or an `impression` response on an inbound channel.",
		Attributes: []*Attribute{
			{Name: "max", Kind: Value, Type: cty.Number, Required: true, Description: "The most contacts allowed in the window (a whole number ≥ 0)."},
			{Name: "per", Kind: Duration, Required: true, Description: "The rolling window, such as `\"7d\"`."},
		},
	}
}

// criterionAttrs are the attributes of entry, goal, exit and a stage's entry.
func criterionAttrs(what string) []*Attribute {
	return []*Attribute{
		{Name: "event", Kind: Reference, Ref: "event", Description: "The event type that " + what + ", as `event.<type>`. Inside `condition`, `event.<attr>` then means an attribute of that event."},
		{Name: "condition", Kind: Expression, Type: cty.Bool, Description: "A runtime condition over `customer`, `segment`, `journey` and, where `event` names a type, `event`. Without `event` it is checked on every event and trait update of the customer. A condition that meets a null is false."},
	}
}

func attributeBlock(of string) *Block {
	return &Block{
		Type:        "attribute",
		Labels:      []string{"name"},
		Repeat:      true,
		Description: "One attribute of the " + of + ".",
		Attributes: []*Attribute{
			{Name: "type", Kind: TypeConstraint, Required: true, Description: "`string`, `number`, `bool` or `list(string)`."},
			{Name: "default", Kind: Value, Description: "The value when none was sent; without it a missing attribute is null."},
			{Name: "sensitive", Kind: Value, Type: cty.Bool, Default: "false", Description: "Masks the attribute in output, logs and analytics. A sensitive customer attribute may be used only in a provider field marked as a recipient (smtp's `to`), never in a message."},
			{Name: "required", Kind: Value, Type: cty.Bool, Default: "false", Description: "Rejects an event (or trait update) that leaves the attribute out."},
			{Name: "description", Kind: Value, Type: cty.String, Description: "What the attribute means."},
		},
	}
}

var file = &Block{
	Type:        "",
	Description: "The top level of a `*.wm.hcl` file.",
	Blocks: []*Block{
		{
			Type:        "waymark",
			Description: "Settings of the configuration.",
			Attributes: []*Attribute{
				{Name: "required_version", Kind: Value, Type: cty.String, Description: "A version constraint (`\">= 0.1.0\"`) that the CLI must meet."},
				{Name: "stack", Kind: Value, Type: cty.String, Default: "\"default\"", Description: "The stack this directory deploys: the unit of plan, apply, history and rollback on the runtime."},
			},
			Blocks: []*Block{
				{
					Type:        "required_providers",
					Description: "The providers the channels use, by local name: `smtp = { source = \"waymark/smtp\", version = \"~> 0.1\" }`. The built-in providers (`inbound`, `webhook`, `smtp`, `log`) are implied when a channel uses them.",
					Open:        true,
					Extra:       "Each attribute is a local name set to an object with `source` (`namespace/name`) and an optional `version` constraint.",
				},
				{
					Type:        "runtime",
					Description: "Where the runtime is, when `WAYMARK_ADDR` is not set.",
					Attributes: []*Attribute{
						{Name: "address", Kind: Value, Type: cty.String, Description: "The runtime's URL, such as `\"http://127.0.0.1:7400\"`."},
					},
				},
			},
		},
		{
			Type:        "variable",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "An input variable, as in Terraform, read as `var.<name>`. Set by `-var name=value`, `-var-file FILE`, `*.auto.wmvars` files and `WAYMARK_VAR_<name>`, later ones winning in the order: environment, auto files, then the command line in order.",
			Attributes: []*Attribute{
				{Name: "type", Kind: TypeConstraint, Description: "The type constraint, such as `number` or `map(string)`; `any` when unset."},
				{Name: "default", Kind: Value, Description: "The value when none is set; without a default the variable must be set."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the variable is for."},
				{Name: "sensitive", Kind: Value, Type: cty.Bool, Default: "false", Description: "Masks the value in plan output; what inlines it is stored encrypted by the runtime."},
				{Name: "nullable", Kind: Value, Type: cty.Bool, Default: "true", Description: "Whether null is an acceptable value."},
			},
			Blocks: []*Block{
				{
					Type:        "validation",
					Repeat:      true,
					Description: "A rule the value must meet.",
					Attributes: []*Attribute{
						{Name: "condition", Kind: Value, Type: cty.Bool, Required: true, Description: "A config-time condition over `var.<name>`."},
						{Name: "error_message", Kind: Value, Type: cty.String, Required: true, Description: "What to tell the user when the condition is false."},
					},
				},
			},
		},
		{
			Type:        "locals",
			Repeat:      true,
			Open:        true,
			Extra:       "Each attribute is a named config-time value, read as `local.<name>`.",
			Description: "Named config-time values.",
		},
		{
			Type:        "customer",
			Repeat:      true,
			Description: "The customer profile's schema. `customer.id` (a string) always exists. Customer attributes are runtime-wide: every stack that declares one must declare it alike.",
			Blocks:      []*Block{attributeBlock("customer profile")},
		},
		{
			Type:        "event",
			Labels:      []string{"type"},
			Repeat:      true,
			Description: "An event type. The label is an identifier; the runtime rejects events of undeclared types. Event types are runtime-wide.",
			Attributes: []*Attribute{
				{Name: "aliases", Kind: Value, Type: cty.List(cty.String), Description: "The names other trackers send for this type, such as Segment's `\"Order Completed\"` or a CloudEvents `type`."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the event means."},
			},
			Blocks: []*Block{attributeBlock("event")},
		},
		{
			Type:        "channel",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A configured channel, delivered through its provider. Channels are runtime-wide, so their consent, limits and quiet hours hold across stacks.",
			Open:        true,
			Extra:       "The provider's own attributes, validated against its schema (`waymark providers schema NAME`). An attribute the schema marks as per delivery (smtp's `to`) is a runtime expression over the customer.",
			Attributes: []*Attribute{
				{Name: "provider", Kind: Name, Required: true, Description: "The provider's local name, a bare name such as `smtp`."},
				{Name: "consent", Kind: Expression, Type: cty.Bool, Description: "A runtime condition over `customer` and `segment`; when false the customer is never contacted on this channel."},
			},
			Blocks: []*Block{
				limitBlock("on this channel, across all stacks,"),
				{
					Type:        "rate",
					Description: "A send-rate limit of the channel, across all stacks and customers: at most `max` sends per `per`, spread evenly (one every `per`/`max`). Sends over the rate wait in the outbox, in the order they fell due; none is dropped. Each attempt, a retry too, takes a slot. Replicas sharing a store split the rate evenly. Only on a channel whose provider delivers.",
					Attributes: []*Attribute{
						{Name: "max", Kind: Value, Type: cty.Number, Required: true, Description: "The most sends in `per` (a whole number ≥ 1)."},
						{Name: "per", Kind: Duration, Required: true, Description: "The period, such as `\"1s\"`."},
					},
				},
				{
					Type:        "quiet_hours",
					Description: "Local times during which outbound sends wait (or are dropped). The customer's time zone is the profile attribute `timezone` when declared and set, else `timezone` here.",
					Attributes: []*Attribute{
						{Name: "start", Kind: Value, Type: cty.String, Required: true, Description: "When quiet hours start, `\"HH:MM\"`."},
						{Name: "end", Kind: Value, Type: cty.String, Required: true, Description: "When they end, `\"HH:MM\"`; may be earlier than start (across midnight)."},
						{Name: "timezone", Kind: Value, Type: cty.String, Default: "\"UTC\"", Description: "An IANA time zone for customers who have none."},
						{Name: "on_quiet", Kind: Value, Type: cty.String, Default: "\"defer\"", Enum: []string{"defer", "drop"}, Description: "`defer` sends when quiet hours end; `drop` drops the send."},
					},
				},
			},
		},
		{
			Type:        "segment",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A named boolean condition over the customer, read as `segment.<name>`.",
			Attributes: []*Attribute{
				{Name: "condition", Kind: Expression, Type: cty.Bool, Required: true, Description: "A runtime condition over `customer`, other segments and `journey.<name>.stage`."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "Who is in the segment."},
			},
		},
		journeyBlock,
		{
			Type:        "arbitration",
			Description: "How every stack's actions are ranked against each other. At most one stack on a runtime declares it; until one does, the defaults apply.",
			Attributes: []*Attribute{
				{Name: "priority", Kind: Expression, Type: cty.Number, Default: "propensity * value * lever", Description: "A runtime expression over `propensity`, `value`, `lever`, `customer`, `context`, `segment` and `journey`; highest first. A null or negative priority drops the action."},
				{Name: "max_actions", Kind: Value, Type: cty.Number, Default: "3", Description: "At most this many actions in one decide answer."},
				{Name: "max_outbound", Kind: Value, Type: cty.Number, Default: "1", Description: "At most this many sends when outbound actions of one customer and channel fall due together."},
				{Name: "control_group", Kind: Value, Type: cty.Number, Default: "0", Description: "The share of customers (0 to 1, by a stable hash of their id) who get a random eligible action, to measure the models' lift."},
				{Name: "holdout", Kind: Value, Type: cty.Number, Default: "0", Description: "The global holdout: the share of customers (0 to 1, by a stable hash of their id) who receive nothing from any journey but its `transactional` actions. They still enter journeys and move through stages, so that every journey's KPIs report the lift of the treated customers over them."},
			},
			Blocks: []*Block{limitBlock("across every channel"), modelBlock("every action's model that has no model block of its own")},
		},
		{
			Type:        "moved",
			Repeat:      true,
			Description: "Renames a journey, stage or action without losing the customers in it.",
			Attributes: []*Attribute{
				{Name: "from", Kind: Address, Required: true, Description: "The old address, such as `journey.cart.stage.pay`."},
				{Name: "to", Kind: Address, Required: true, Description: "The new address, of the same kind."},
			},
		},
		{
			Type:        "module",
			Labels:      []string{"name"},
			Repeat:      true,
			Open:        true,
			Description: "A reusable set of journeys, read from the directory `source` names, as Terraform's modules. Its journeys are addressed `module.<name>.journey.<journey>`. A module declares `variable`, `locals`, `output` and `journey` blocks only; its journeys use the customer attributes, event types, channels and segments of the configuration that calls it.",
			Extra:       "Every other attribute sets the module's variable of that name; the values are config-time, evaluated in the calling configuration (with `each` when `for_each` is set).",
			Attributes: []*Attribute{
				{Name: "source", Kind: Value, Type: cty.String, Required: true, Description: "A local path to the module's directory, starting with `./` or `../`, relative to the calling configuration's directory."},
				{Name: "for_each", Kind: Value, Type: cty.DynamicPseudoType, Description: "A map or a set of strings: one instance of the module per element, addressed `module.<name>[\"<key>\"]`, with `each.key` and `each.value` in its inputs."},
				{Name: "count", Kind: Value, Type: cty.Number, Description: "A whole number: that many instances, addressed `module.<name>[<index>]`, with `count.index` in the inputs. Not with `for_each`."},
			},
		},
		{
			Type:        "output",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "In a module: a config-time value the calling configuration reads as `module.<name>.<output>` (`module.<name>[<key>].<output>` with for_each or count) in its journeys, segments, channels and arbitration (not in its locals, which are evaluated before modules).",
			Attributes: []*Attribute{
				{Name: "value", Kind: Value, Type: cty.DynamicPseudoType, Required: true, Description: "The value, over the module's `var`, `local` and functions."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the output is."},
				{Name: "sensitive", Kind: Value, Type: cty.Bool, Default: "false", Description: "Marks the value sensitive, as a sensitive variable."},
			},
		},
	},
}

// messageBlock is what an action, or one of its treatments, delivers.
var messageBlock = &Block{
	Type:        "message",
	Description: "What is delivered. Its attributes come from the channel provider's schema; each is a template whose `${...}` may use config-time values (resolved at plan time, with `file` and `templatefile`) and `customer.*`, `context.*` and `journey.<name>.stage` (rendered per delivery). Sensitive customer attributes may not appear in a message.",
	Open:        true,
	Extra:       "The provider's message fields.",
}

// treatmentBlock is one variant of an action on a channel of its own.
var treatmentBlock = &Block{
	Type:        "treatment",
	Labels:      []string{"name"},
	Repeat:      true,
	Description: "A variant of the action on a channel of its own, with its own message and its own adaptive model: the action's treatments are ranked together, and a decision names the treatment it chose. The action's `stages`, `eligible`, `trigger`, `limit` and `suppress` hold across its treatments (a contact by any treatment counts toward the action's limit). An action has either `channel` (and `message`) or treatments, not both.",
	Attributes: []*Attribute{
		{Name: "channel", Kind: Reference, Ref: "channel", Required: true, Description: "The treatment's channel, as `channel.<name>`."},
		{Name: "value", Kind: ValueOrExpression, Type: cty.Number, Description: "What the action is worth when delivered this way; the action's `value` when unset."},
	},
	Blocks: []*Block{
		modelBlock("the treatment's model (the action's model block when unset)"),
		messageBlock,
	},
}

// modelBlock is the settings of adaptive models.
func modelBlock(whose string) *Block {
	return &Block{
		Type:        "model",
		Description: "The settings of " + whose + ": how fast the model forgets, and which predictors it reads. Without them the model forgets nothing and reads every predictor.",
		Attributes: []*Attribute{
			{Name: "half_life", Kind: Duration, Description: "A response this old weighs half as much as a new one, so that the model follows a rate that changes. At least 1h."},
			{Name: "half_life_responses", Kind: Value, Type: cty.Number, Description: "The same, counted in responses to the model: a response this many responses ago weighs half. At least 100; not with `half_life`."},
			{Name: "predictors", Kind: Value, Type: cty.List(cty.String), Description: "The only predictors the model reads, by name: `customer.<attribute>`, `stage.<stack>/<journey>`, `context.<key>`. An empty list makes a model without predictors (one positive rate per action and channel)."},
		},
	}
}

var journeyBlock = &Block{
	Type:        "journey",
	Labels:      []string{"name"},
	Repeat:      true,
	Description: "A customer journey: how customers enter, the stages they move through, the actions that move them, and the KPIs that say whether it works.",
	Attributes: []*Attribute{
		{Name: "description", Kind: Value, Type: cty.String, Description: "What the journey is for."},
		{Name: "state", Kind: Value, Type: cty.String, Default: "\"active\"", Enum: []string{"active", "paused", "draining"}, Description: "`paused` takes no new entries, sends nothing and holds its timers; `draining` takes no new entries while the customers in it carry on."},
		{Name: "reentry", Kind: Value, Type: cty.String, Default: "\"never\"", Enum: []string{"never", "after_leaving"}, Description: "Whether a customer who left may enter again."},
		{Name: "reentry_after", Kind: Duration, Default: "\"0s\"", Description: "With `after_leaving`: how long after leaving a customer may enter again."},
		{Name: "for_each", Kind: Value, Type: cty.DynamicPseudoType, Description: "A map or a set of strings: one journey per element, addressed `journey.<name>[\"<key>\"]`, with `each.key` and `each.value` in its config-time parts."},
		{Name: "count", Kind: Value, Type: cty.Number, Description: "A whole number: that many journeys, addressed `journey.<name>[<index>]`, with `count.index`. Not with `for_each`."},
	},
	Blocks: []*Block{
		{Type: "entry", Required: true, Description: "How customers enter: an event type and/or a condition.", Attributes: criterionAttrs("enters the journey")},
		{
			Type:        "goal",
			Description: "What completes the journey.",
			Attributes: append(criterionAttrs("reaches the goal"),
				&Attribute{Name: "within", Kind: Duration, Description: "How long a customer has to reach the goal after entering; after it the customer leaves as expired."}),
		},
		{Type: "exit", Repeat: true, Description: "What makes a customer leave the journey (exited). May repeat.", Attributes: criterionAttrs("makes the customer leave")},
		{
			Type:        "stage",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A stage of the journey. Stages are ordered as declared; a customer is in one at a time and only moves forward, to the furthest later stage whose entry matches.",
			Attributes: []*Attribute{
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the stage means."},
				{Name: "timeout", Kind: Duration, Description: "How long a customer may stay in the stage."},
				{Name: "timeout_to", Kind: Reference, Ref: "stage", Description: "A later stage to move to on timeout; without it a timeout leaves the journey (timed out)."},
			},
			Blocks: []*Block{
				{Type: "entry", Description: "How customers reach this stage: an event type and/or a condition.", Attributes: criterionAttrs("moves the customer into this stage")},
			},
		},
		{
			Type:        "action",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A next-best-action: something the journey may do for a customer on one channel while they are in one of its stages.",
			Attributes: []*Attribute{
				{Name: "channel", Kind: Reference, Ref: "channel", Description: "The channel, as `channel.<name>`. Required unless the action has `treatment` blocks, and not allowed with them."},
				{Name: "stages", Kind: References, Ref: "stage", Required: true, Description: "The stages in which the action is a candidate, as `[stage.<name>, ...]`."},
				{Name: "eligible", Kind: Expression, Type: cty.Bool, Description: "A runtime condition over `customer`, `context`, `segment` and `journey`."},
				{Name: "value", Kind: ValueOrExpression, Type: cty.Number, Default: "1", Description: "What the action is worth: a number, or a runtime expression over `customer`, `context`, `segment` and `journey`."},
				{Name: "lever", Kind: Value, Type: cty.Number, Default: "1", Description: "A config-time number ≥ 0 that pushes the action up or down."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the action does."},
				{Name: "transactional", Kind: Value, Type: cty.Bool, Default: "false", Description: "Marks a message the customer asked for or must get (a receipt, a password reset, a service notice): it skips the marketing contact caps (the channel's and the arbitration's `limit`, and does not count toward them), quiet hours, the channel's `consent` and the arbitration's `holdout`, and is chosen ahead of marketing actions, outside `max_outbound` and the control group. Its own `eligible`, `limit` and `suppress`, its stages, a paused journey and the channel's `rate` still hold. See docs/governance.md."},
				{Name: "for_each", Kind: Value, Type: cty.DynamicPseudoType, Description: "A map or a set of strings: one action per element, addressed `journey.<journey>.action.<name>[\"<key>\"]`, with `each.key` and `each.value` in its config-time parts."},
				{Name: "count", Kind: Value, Type: cty.Number, Description: "A whole number: that many actions, addressed `journey.<journey>.action.<name>[<index>]`, with `count.index`. Not with `for_each`."},
			},
			Blocks: []*Block{
				{
					Type:        "trigger",
					Description: "When an outbound action falls due. Without it, an outbound action is due on entering one of its stages. Not allowed on an inbound channel.",
					Attributes: []*Attribute{
						{Name: "after", Kind: Duration, Description: "Due this long after the customer entered the first of the action's stages; moving between its stages keeps the timer."},
						{Name: "unless", Kind: References, Ref: "event", Description: "Event types that cancel the send if they happen first, as `[event.<type>, ...]`."},
					},
				},
				limitBlock("of this action"),
				modelBlock("the action's model on its channel"),
				{
					Type:        "suppress",
					Description: "Stops offering the action to a customer who keeps ignoring it.",
					Attributes: []*Attribute{
						{Name: "after_ignores", Kind: Value, Type: cty.Number, Required: true, Description: "After this many ignored contacts in a row..."},
						{Name: "for", Kind: Duration, Required: true, Description: "...the action is not offered for this long."},
					},
				},
				messageBlock,
				experimentBlock,
				treatmentBlock,
			},
		},
		{
			Type:        "kpi",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A key performance indicator of the journey, computed by the runtime from its aggregates.",
			Attributes: []*Attribute{
				{Name: "metric", Kind: Metric, Required: true, Description: "One of " + deploy.KPISignatures("`") + "; quantiles between 0 and 1."},
				{Name: "window", Kind: Duration, Required: true, Description: "The rolling window the KPI is computed over, ending at the runtime's clock."},
			},
			Blocks: []*Block{
				{
					Type:        "target",
					Description: "What the KPI should be: exactly one of `above` and `below`.",
					Attributes: []*Attribute{
						{Name: "above", Kind: Value, Type: cty.Number, Description: "Met when the value is above this."},
						{Name: "below", Kind: Value, Type: cty.Number, Description: "Met when the value is below this."},
						{Name: "min_samples", Kind: Value, Type: cty.Number, Default: "30", Description: "Below this many samples the state is `insufficient_data`."},
					},
				},
				{
					Type:        "alert",
					Description: "Delivers a message on a channel once when the KPI leaves its target and once when it returns, and can trigger an action for the customers the KPI measures when it leaves it. Needs a `target`, and a `channel` or an `action` or both. Alerts are evaluated at every hour boundary of event time, so they are the same however the events are batched.",
					Attributes: []*Attribute{
						{Name: "channel", Kind: Reference, Ref: "channel", Description: "The channel the alert is sent on, as `channel.<name>`."},
						{Name: "action", Kind: Reference, Ref: "action", Description: "An action of the same journey, as `action.<name>`, triggered when the KPI leaves its target for every customer then in the stage the KPI measures (`dropoff` and `time_in_stage`: their stage, which must be among the action's `stages`; the other metrics: any of the action's stages), once per customer per alert, through the same pipeline as a trigger falling due (consent, caps, quiet hours, arbitration). Without a `trigger` block of its own, the action falls due only when an alert fires, never on entering its stages."},
						{Name: "cooldown", Kind: Duration, Default: `"0s"`, Description: "After an alert, how much event time passes before the KPI's state is looked at again: a change within it alerts once it has passed, if it still holds. 0s: none."},
						{Name: "hysteresis", Kind: Value, Type: cty.Number, Default: "0", Description: "The margin, in the KPI's unit, by which a KPI that missed its target must return past it to count as met again (and alert, and re-arm). 0: none."},
					},
				},
			},
		},
	},
}
