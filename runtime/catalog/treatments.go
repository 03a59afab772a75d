package catalog

import (
	"fmt"
	"maps"
	"slices"

	"github.com/waymarkhq/waymark/lang/deploy"
)

// treatments checks the treatments of an action as validate does: names
// unique, no channel or message of the action's own beside them, each
// treatment's channel declared and its message fields those of the
// channel provider's schema, and a trigger only where a treatment
// delivers. It registers each treatment's message templates and value as
// expressions of the action at treatments.<i>.message.<field> and
// treatments.<i>.value.
func (c *checker) treatments(o *deploy.Object) {
	ac := o.Action
	if ac.Channel != "" {
		c.add(o.Address, "channel %q beside treatments: each treatment names its own channel", ac.Channel)
	}
	if len(ac.Message) > 0 {
		c.add(o.Address, "a message beside treatments: each treatment has its own message")
	}
	seen := map[string]bool{}
	delivers := false
	for i := range ac.Treatments {
		t := &ac.Treatments[i]
		at := fmt.Sprintf("treatment %q", t.Name)
		if t.Name == "" {
			c.add(o.Address, "treatment %d has no name", i)
		}
		if seen[t.Name] {
			c.add(o.Address, "%s is declared twice", at)
		}
		seen[t.Name] = true
		ch := c.doc.Object("channel." + t.Channel)
		if ch == nil || ch.Channel == nil {
			c.add(o.Address, "%s: channel %q is not declared by this deployment", at, t.Channel)
		} else {
			delivers = delivers || ch.Channel.Delivers
			if sch := c.schemas[ch.Channel.Source]; sch != nil {
				for _, msg := range deploy.CheckMessage(&deploy.Action{Channel: t.Channel, Message: t.Message}, sch) {
					c.add(o.Address, "%s: %s", at, msg)
				}
			}
		}
		p := fmt.Sprintf("treatments.%d.", i)
		for _, k := range slices.Sorted(maps.Keys(t.Message)) {
			c.expr(o.Address, p+"message."+k, t.Message[k], Scope{Context: true, Journeys: true, Template: true})
		}
		if t.Value != "" {
			c.expr(o.Address, p+"value", t.Value, Scope{Context: true, Segments: true, Journeys: true, Want: WantNumber})
		}
	}
	if ac.Trigger != nil && !delivers {
		c.add(o.Address, "trigger, but no treatment is on a channel that sends")
	}
}
