package schema

import "github.com/zclconf/go-cty/cty"

// atAttr is the moment of a test step.
func atAttr(what string) *Attribute {
	return &Attribute{Name: "at", Kind: Value, Type: cty.String, Description: "When " + what + ": `\"+2h\"` (a duration after the test's `start`) or an RFC 3339 time. Steps run in the order written and time never goes back; without `at` the step happens when the previous one did."}
}

func customerAttr(what string) *Attribute {
	return &Attribute{Name: "customer", Kind: Value, Type: cty.String, Required: true, Description: "The id of the customer " + what + "."}
}

// TestFile is the schema of the top level of a `*.wmtest.hcl` file, read
// by waymark test (lang.LoadTests).
func TestFile() *Block { return testFile }

var testFile = &Block{
	Type:        "",
	Description: "The top level of a `*.wmtest.hcl` file.",
	Blocks: []*Block{
		{
			Type:        "test",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "A scenario run against its own in-memory runtime on the event clock, with the configuration of the directory deployed: customers, events at relative or absolute times, and expectations checked at their times. Timers (stage timeouts, trigger delays, goal windows) fire as the clock passes them.",
			Attributes: []*Attribute{
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the test shows."},
				{Name: "start", Kind: Value, Type: cty.String, Default: "\"2024-01-01T09:00:00Z\"", Description: "The RFC 3339 time the test starts at; relative times count from it."},
				{Name: "providers", Kind: Value, Type: cty.String, Default: "\"sink\"", Enum: []string{"sink", "real"}, Description: "`\"sink\"` records every delivery instead of running the channels' providers, so that `expect_delivery` can read what was sent; `\"real\"` runs the providers' processes, as the runtime does."},
				{Name: "vars", Kind: Value, Description: "Values of the configuration's variables for this test, as an object: `{ smtp_port = 2525 }`; they win over `*.auto.wmvars` and the command line."},
			},
			Blocks: []*Block{
				{
					Type:        "customer",
					Labels:      []string{"id"},
					Repeat:      true,
					Description: "A customer of the test: their traits are sent with their first event.",
					Attributes: []*Attribute{
						{Name: "traits", Kind: Value, Description: "The customer's profile attributes as an object, checked against the `customer` schema."},
					},
				},
				{
					Type:        "event",
					Repeat:      true,
					Description: "An event sent to the runtime; it moves the event clock to its time.",
					Attributes: []*Attribute{
						customerAttr("who sent it"),
						{Name: "type", Kind: Value, Type: cty.String, Required: true, Description: "The event type, declared by an `event` block."},
						atAttr("it happened"),
						{Name: "attributes", Kind: Value, Description: "The event's attributes as an object."},
						{Name: "traits", Kind: Value, Description: "Profile attributes updated with the event, as an object."},
					},
				},
				{
					Type:        "expect",
					Repeat:      true,
					Description: "The customer's place in a journey at a moment: the clock is moved there first, so the timers due before it fire.",
					Attributes: []*Attribute{
						atAttr("it is checked"),
						customerAttr("checked"),
						{Name: "journey", Kind: Value, Type: cty.String, Required: true, Description: "The journey's name."},
						{Name: "stage", Kind: Value, Type: cty.String, Description: "The stage the customer is in; `\"\"` for none."},
						{Name: "state", Kind: Value, Type: cty.String, Enum: []string{"active", "completed", "exited", "expired", "timed_out", "none"}, Description: "The state of the customer's latest run of the journey; `\"none\"` when they never entered it."},
					},
				},
				{
					Type:        "expect_decision",
					Repeat:      true,
					Description: "A decision for the customer on a channel at a moment, and the actions it ranks first.",
					Attributes: []*Attribute{
						atAttr("it is asked for"),
						customerAttr("decided for"),
						{Name: "channel", Kind: Value, Type: cty.String, Description: "The channel to decide for; may be left out when the configuration has one inbound channel."},
						{Name: "context", Kind: Value, Description: "The request's context as an object, read as `context.<name>` by the actions."},
						{Name: "actions", Kind: Value, Type: cty.List(cty.String), Required: true, Description: "The actions the decision must rank first, in order, by name (`\"cart_reminder\"`) or `journey.action`; `[]` expects no action. Further ranked actions are allowed."},
						{Name: "explain", Kind: Value, Type: cty.Bool, Default: "false", Description: "On a failure, print every candidate with the reason it was kept or dropped (also `waymark test -explain`)."},
					},
				},
				{
					Type:        "expect_delivery",
					Repeat:      true,
					Description: "Whether an action was delivered to the customer by a moment (deliveries due by then), and the message fields it was rendered with. Needs `providers = \"sink\"`.",
					Attributes: []*Attribute{
						atAttr("it is checked"),
						customerAttr("delivered to"),
						{Name: "action", Kind: Value, Type: cty.String, Required: true, Description: "The action's name, or `journey.action`."},
						{Name: "channel", Kind: Value, Type: cty.String, Description: "The channel it went through; any when unset."},
						{Name: "treatment", Kind: Value, Type: cty.String, Description: "For an action with treatments, the treatment it went as; any when unset."},
						{Name: "sent", Kind: Value, Type: cty.Bool, Default: "true", Description: "Whether it was delivered; `false` expects that it was not."},
						{Name: "fields", Kind: Value, Type: cty.Map(cty.String), Description: "Message fields and the text each must render to, such as `{ subject = \"Your cart is waiting, Ada\" }`."},
						{Name: "variant", Kind: Value, Type: cty.String, Description: "The variant of the action's experiment the delivery rendered; any when unset."},
					},
				},
				{
					Type:        "expect_kpi",
					Repeat:      true,
					Description: "A KPI of a journey at a moment, over everything the journey has seen from the test's start to then.",
					Attributes: []*Attribute{
						atAttr("it is read"),
						{Name: "journey", Kind: Value, Type: cty.String, Required: true, Description: "The journey's name."},
						{Name: "kpi", Kind: Value, Type: cty.String, Required: true, Description: "The KPI's name."},
						{Name: "value", Kind: Value, Type: cty.Number, Description: "The value it must have, within `tolerance`."},
						{Name: "tolerance", Kind: Value, Type: cty.Number, Default: "1e-9", Description: "How far from `value` is still equal."},
						{Name: "samples", Kind: Value, Type: cty.Number, Description: "How many samples the value must be over, as `waymark status` shows them: for a share, its denominator (for `conversion(action.<name>)`, the runs sent the action)."},
						{Name: "state", Kind: Value, Type: cty.String, Enum: []string{"met", "missed", "insufficient_data", "no_target"}, Description: "The KPI's state against its target, as `waymark status` shows it."},
					},
				},
				{
					Type:        "expect_alert",
					Repeat:      true,
					Description: "A KPI alert the runtime raised by a moment (delivered to the KPI's alert channel). Alerts are raised at hour boundaries of event time, over what happened before the boundary: a KPI that changes at 10:20 alerts at 11:00. Needs `providers = \"sink\"`.",
					Attributes: []*Attribute{
						atAttr("it is checked"),
						{Name: "journey", Kind: Value, Type: cty.String, Required: true, Description: "The journey's name."},
						{Name: "kpi", Kind: Value, Type: cty.String, Required: true, Description: "The KPI's name."},
						{Name: "state", Kind: Value, Type: cty.String, Enum: []string{"missed", "met"}, Description: "The state the latest alert reports; any when unset."},
						{Name: "sent", Kind: Value, Type: cty.Bool, Default: "true", Description: "Whether an alert was raised; `false` expects none."},
					},
				},
			},
		},
	},
}
