package lang

import (
	"fmt"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/lang/schema"
)

// actionTreatments decodes the treatment blocks of an action: each names
// a channel of its own, has the message that channel's provider needs, and
// may set its own value and model. It checks that the action has either a
// channel or treatments, and no message of its own beside treatments; trig
// is the action's trigger block, if any, which needs a treatment that
// delivers. It returns nil when the action has no treatment blocks.
func (l *loader) actionTreatments(b *hcl.Block, c *hcl.BodyContent, blocks []*hcl.Block, trig, message *hcl.Block, what string, obj *deploy.Object, sch *schema.Block) []deploy.Treatment {
	chAttr := c.Attributes["channel"]
	if len(blocks) == 0 {
		if chAttr == nil {
			l.add(errorf(rngPtr(b.Body.MissingItemRange()), "Missing required argument",
				"The argument \"channel\" is required, but no definition was found: %s needs a channel, or treatment blocks that each name one.", what))
		}
		return nil
	}
	if chAttr != nil {
		l.add(errorf(rngPtr(chAttr.NameRange), "Channel and treatments",
			"%s has treatment blocks, which each name their channel; remove the action's channel, or its treatments.", capitalize(what)))
	}
	if message != nil {
		l.add(errorf(rngPtr(message.DefRange), "Message and treatments",
			"%s has treatment blocks: each treatment has its own message block; move this one into a treatment.", capitalize(what)))
	}
	var out []deploy.Treatment
	seen := map[string]hcl.Range{}
	delivers := false
	for _, tb := range blocks {
		name := tb.Labels[0]
		if !l.checkIdent(name, labelRange(tb), "treatment") {
			continue
		}
		if prev, dup := seen[name]; dup {
			l.add(errorf(rngPtr(labelRange(tb)), "Duplicate treatment", "%s already has a treatment %q, declared at %s.", capitalize(what), name, at(prev)))
			continue
		}
		seen[name] = tb.DefRange
		t, ch := l.treatment(tb, name, len(out), what, obj, sch)
		if ch != nil && ch.Schema != nil && ch.Schema.Delivers {
			delivers = true
		}
		out = append(out, t)
	}
	if trig != nil && !delivers && len(out) > 0 {
		l.add(errorf(rngPtr(trig.DefRange), "Trigger on an inbound channel",
			"Every treatment of %s is on a channel that is answered through the decide API and never sends; a trigger has no meaning there. Remove the trigger, or add a treatment on a channel whose provider delivers.", what))
	}
	return out
}

// treatment decodes one treatment block, the i-th of its action; it
// returns the channel's declaration too, nil when the channel is unknown.
func (l *loader) treatment(b *hcl.Block, name string, i int, action string, obj *deploy.Object, sch *schema.Block) (deploy.Treatment, *channelDecl) {
	what := fmt.Sprintf("treatment %q of %s", name, action)
	path := "treatments." + strconv.Itoa(i) + "."
	t := deploy.Treatment{Name: name}
	c := l.content(b.Body, sch)
	var ch *channelDecl
	if a := c.Attributes["channel"]; a != nil {
		if r, ok := l.staticRef(a.Expr, "channel", "channel", 2); ok {
			if d, declared := l.s.channels[r.Name]; declared {
				t.Channel, ch = r.Name, d
			} else {
				l.undeclared(r, "", keys(l.s.channels))
			}
		}
	}
	if a := c.Attributes["value"]; a != nil {
		sc := l.s.rtScope("the value of "+what, scopeOpts{context: true, segments: true, journeys: true})
		if r := l.runtimeExpr(a.Expr, sc, cty.Number); r != nil {
			t.Value = r.Source
			if r.Sensitive {
				obj.Sensitive = append(obj.Sensitive, path+"value")
			}
		}
	}
	var message *hcl.Block
	for _, nb := range c.Blocks {
		switch nb.Type {
		case "model":
			t.Model = l.model(nb, sch.Block("model"))
		case "message":
			message = nb
		}
	}
	if ch != nil && ch.Schema != nil {
		var sens deploy.Object
		t.Message = l.message(message, ch, what, b.DefRange, &sens)
		for _, p := range sens.Sensitive {
			obj.Sensitive = append(obj.Sensitive, path+p)
		}
	}
	return t, ch
}
