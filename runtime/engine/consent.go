package engine

import (
	"sort"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/runtime/events"
)

// ConsentTrait is the prefix of the reserved traits that set a customer's
// consent to a channel: an identify (or any event) with the trait
// consent.<channel> = true turns the channel's consent back on after an
// unsubscribe; false turns it off as an unsubscribe does
// (docs/governance.md, "Unsubscribe").
const ConsentTrait = events.ConsentTrait

// Where a channel's consent was turned off.
const (
	// OptOutResponse is an unsubscribed response: POST /v1/responses, or
	// the one-click link of POST /v1/unsubscribe/{token}.
	OptOutResponse = "unsubscribed"
	// OptOutTrait is a trait consent.<channel> = false.
	OptOutTrait = "trait"
)

// maxOptOuts bounds the channels a customer keeps an opt-out for from
// traits, since a trait may name any channel, deployed or not; an
// unsubscribed response, which names a channel a decision was made on, is
// always kept.
const maxOptOuts = 64

// optOut is a channel whose consent the customer turned off, at at.
type optOut struct {
	channel string
	at      time.Time
	source  string // OptOutResponse or OptOutTrait
}

// optedOut reports whether the customer's consent to channel is off.
func (c *customer) optedOut(channel string) bool {
	_, ok := c.findOptOut(channel)
	return ok
}

func (c *customer) findOptOut(channel string) (int, bool) {
	i := sort.Search(len(c.optOuts), func(i int) bool { return c.optOuts[i].channel >= channel })
	return i, i < len(c.optOuts) && c.optOuts[i].channel == channel
}

// setConsent turns the customer's consent to channel on or off at t; an
// opt-out already recorded keeps its time and source. It reports whether
// anything changed.
func (c *customer) setConsent(channel string, on bool, t time.Time, source string) bool {
	i, ok := c.findOptOut(channel)
	switch {
	case on && ok:
		c.optOuts = append(c.optOuts[:i], c.optOuts[i+1:]...)
	case !on && !ok && (source == OptOutResponse || len(c.optOuts) < maxOptOuts):
		c.optOuts = append(c.optOuts, optOut{})
		copy(c.optOuts[i+1:], c.optOuts[i:])
		c.optOuts[i] = optOut{channel: channel, at: t, source: source}
	default:
		return false
	}
	c.dirty = true
	return true
}

// consentTrait applies a trait if it is a reserved consent.<channel>
// one, at t, and reports whether it was.
func (c *customer) consentTrait(f events.Field, t time.Time) bool {
	ch, ok := strings.CutPrefix(f.Name, ConsentTrait)
	if !ok {
		return false
	}
	if f.Value.Kind == events.KindBool {
		c.setConsent(ch, f.Value.Bool, t, OptOutTrait)
	}
	return true
}

// OptOut is a channel a customer unsubscribed from, as Customer shows it.
type OptOut struct {
	Channel string
	Since   time.Time
	// Source is OptOutResponse or OptOutTrait.
	Source string
}
