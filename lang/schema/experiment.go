package schema

import "github.com/zclconf/go-cty/cty"

// experimentBlock is an action's A/B test: variants that override parts
// of the action, and the share of customers each gets.
var experimentBlock = &Block{
	Type:        "experiment",
	Labels:      []string{"name"},
	Description: "An A/B test of the action: each customer is assigned one variant, by a stable hash of their id keyed by the experiment's address, in proportion to the weights. A variant overrides the action's message fields, value or trigger delay, or holds the customer out (nothing is sent or offered). See docs/experiments.md.",
	Attributes: []*Attribute{
		{Name: "control", Kind: Value, Type: cty.String, Description: "The variant the others are compared with, and the one everyone gets while the experiment is stopped. Defaults to the first variant."},
		{Name: "metric", Kind: Reference, Ref: "kpi", Default: "\"conversion\"", Description: "What the variants are compared on: the string `\"conversion\"` (the share of assigned customers who reach the journey's goal after their assignment), or `kpi.<name>` naming one of the journey's KPIs whose metric is `conversion()` or `rate(event.<type>)` (the share of assigned customers with such an event after their assignment)."},
		{Name: "state", Kind: Value, Type: cty.String, Default: "\"running\"", Enum: []string{"running", "stopped"}, Description: "`stopped` gives everyone the control variant and freezes the experiment's figures."},
		{Name: "description", Kind: Value, Type: cty.String, Description: "What the experiment tests."},
	},
	Blocks: []*Block{
		{
			Type:        "variant",
			Labels:      []string{"name"},
			Repeat:      true,
			Description: "One arm of the experiment; at least two. What a variant leaves unset is the action's.",
			Attributes: []*Attribute{
				{Name: "weight", Kind: Value, Type: cty.Number, Required: true, Description: "The variant's share of customers, relative to the other weights: a number above zero."},
				{Name: "value", Kind: ValueOrExpression, Type: cty.Number, Description: "The action's value for customers in this variant, as the action's `value`."},
				{Name: "holdout", Kind: Value, Type: cty.Bool, Default: "false", Description: "Customers in this variant are assigned and counted, but the action is neither sent nor offered to them. A holdout variant overrides nothing else."},
				{Name: "description", Kind: Value, Type: cty.String, Description: "What the variant is."},
			},
			Blocks: []*Block{
				{
					Type:        "trigger",
					Description: "Overrides the action's trigger delay. Only on an outbound action.",
					Attributes: []*Attribute{
						{Name: "after", Kind: Duration, Required: true, Description: "Due this long after the customer entered the first of the action's stages."},
					},
				},
				{
					Type:        "message",
					Description: "Message fields that replace the action's fields of the same name, with the same template rules; the merged message is checked against the provider's schema.",
					Open:        true,
					Extra:       "The provider's message fields.",
				},
			},
		},
	},
}
