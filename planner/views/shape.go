package views

import "github.com/waymarkhq/waymark/lang/deploy"

// style says how an attribute's value prints.
type style uint8

const (
	// literal prints a JSON value as an HCL literal: "text", 5, true, [...].
	literal style = iota
	// expr prints a string of source text as it is: customer.tier == "gold".
	expr
	// ref prints a string that names a block as the quoted reference:
	// "channel.web".
	ref
)

// field says how one key of an object's attributes prints.
type field struct {
	style  style
	prefix string // of a ref: channel, stage, event
	hidden bool   // repeats the address (journey, name)
	// block prints an object value as a nested block, or with list a list of
	// objects as repeated blocks, labelled by the label key when set and
	// named as when it differs from the key.
	block *shape
	list  bool
	label string
	as    string
	// flat prints a map's entries as attributes of the enclosing block (a
	// channel's provider attributes), in style.
	flat bool
	// entries prints a map as a block whose entries are its attributes (an
	// action's message), in style.
	entries bool
	// metric prints a KPI metric object as its source: dropoff(stage.x).
	metric bool
}

// shape is how the keys of one object print; a key it does not name prints
// as a literal, or as a block when its value is an object.
type shape map[string]field

// shapeOf returns how the attributes of an object of kind print: as the
// configuration writes them, with the attributes that repeat the address
// left out.
func shapeOf(kind deploy.Kind) shape {
	identity := field{hidden: true}
	criterion := func() *shape {
		return &shape{"event": {style: ref, prefix: "event"}, "condition": {style: expr}}
	}
	switch kind {
	case deploy.KindCustomerAttribute:
		return shape{"name": identity, "type": {style: expr}}
	case deploy.KindEvent:
		attr := &shape{"name": identity, "type": {style: expr}}
		return shape{"name": identity, "attributes": {block: attr, list: true, label: "name", as: "attribute"}}
	case deploy.KindChannel:
		return shape{
			"name":         identity,
			"provider":     {style: expr},
			"config":       {flat: true, style: literal},
			"per_delivery": {flat: true, style: expr},
			"consent":      {style: expr},
			"limit":        {block: &shape{}},
			"quiet_hours":  {block: &shape{}},
		}
	case deploy.KindSegment:
		return shape{"name": identity, "condition": {style: expr}}
	case deploy.KindJourney:
		return shape{
			"name":   identity,
			"entry":  {block: criterion()},
			"goal":   {block: criterion()},
			"exits":  {block: criterion(), list: true, as: "exit"},
			"stages": {style: ref, prefix: "stage"},
		}
	case deploy.KindStage:
		return shape{
			"journey":    identity,
			"name":       identity,
			"entry":      {block: criterion()},
			"timeout_to": {style: ref, prefix: "stage"},
		}
	case deploy.KindAction:
		return shape{
			"journey":  identity,
			"name":     identity,
			"channel":  {style: ref, prefix: "channel"},
			"stages":   {style: ref, prefix: "stage"},
			"trigger":  {block: &shape{"unless": {style: ref, prefix: "event"}}},
			"eligible": {style: expr},
			"value":    {style: expr},
			"limit":    {block: &shape{}},
			"suppress": {block: &shape{}},
			"message":  {entries: true, style: literal},
			// An experiment prints labelled by its name, its variants as
			// variant blocks paired by name, so that a plan shows an
			// allocation change as the weights, state and variants that
			// changed.
			"experiment": {block: &shape{
				"name": identity,
				"variants": {block: &shape{
					"name":    identity,
					"value":   {style: expr},
					"message": {entries: true, style: literal},
				}, list: true, label: "name", as: "variant"},
			}, label: "name"},
			"treatments": {block: &shape{
				"name":    identity,
				"channel": {style: ref, prefix: "channel"},
				"value":   {style: expr},
				"message": {entries: true, style: literal},
			}, list: true, label: "name", as: "treatment"},
		}
	case deploy.KindKPI:
		return shape{
			"journey": identity,
			"name":    identity,
			"metric":  {metric: true},
			"target":  {block: &shape{}},
			"alert":   {block: &shape{"channel": {style: ref, prefix: "channel"}, "action": {style: ref, prefix: "action"}}},
		}
	case deploy.KindArbitration:
		return shape{"priority": {style: expr}, "limit": {block: &shape{}}}
	}
	return shape{}
}
