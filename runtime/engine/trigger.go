package engine

import (
	"hash/fnv"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/store"
)

// action returns the decisioning view of a run's action, or nil.
func (w *work) action(r *run, name string) *decide.Action {
	cs := w.cat.byName[r.stack]
	if cs == nil {
		return nil
	}
	j := cs.st.Journey(r.journey)
	if j == nil {
		return nil
	}
	return w.cat.decJourney(r.stack, j.Index).Action(name)
}

// trigger fires, together, the trigger timers of the customer due at due
// on the channel of tm's action (tm of run r0), at t: the pipeline ranks
// their actions, the top arbitration.max_outbound go to the outbox, quiet
// hours defer them all to their end (or drop them) and the rest are
// dropped; the decision is recorded either way.
func (w *work) trigger(c *customer, due, t time.Time, r0 *run, tm timer) {
	c.dirty = true
	first := w.action(r0, tm.action)
	// The group and what is worked out from it are in the shard's
	// scratch, reused from trigger to trigger: a customer in many
	// journeys has many actions falling due at once.
	sc := &w.sh.trig
	defer sc.reset()
	group := sc.group[:0]
	for _, r := range c.runs {
		if r.status != StatusActive || w.cat.held(r.stack, r.journey) {
			continue
		}
		kept := r.timers[:0]
		for _, x := range r.timers {
			if (x.kind == timerTrigger || x.kind == timerAlert) && x.due.Equal(due) {
				a := w.action(r, x.action)
				if a == nil || (a.Trigger == nil && x.kind == timerTrigger) {
					continue // its action is gone: nothing falls due
				}
				if first != nil && shareChannel(a, first) {
					group = append(group, triggered{r, a, x.kind})
					continue
				}
			}
			kept = append(kept, x)
		}
		r.timers = kept
	}
	sc.group = group
	if len(group) == 0 {
		return
	}
	// The candidates are the actions' variants that deliver: an action
	// with treatments stands as each of them, ranked by their own models.
	keys := sc.keys[:0]
	due1 := sc.due[:0]
	owner := sc.owner[:0] // the group member of each of due1
	for i, m := range group {
		keys = append(keys, delivery.Key(m.r.stack, c.id, m.r.journey, m.r.n, m.a.Address, due))
		for _, v := range m.a.Variants() {
			// An alert's action falls due on the alert, trigger or not.
			if v.Trigger != nil || (m.kind == timerAlert && v.Channel.Delivers) {
				due1 = append(due1, v)
				owner = append(owner, i)
			}
		}
	}
	sc.keys, sc.due, sc.owner = keys, due1, owner
	if len(due1) == 0 {
		return
	}
	sub := w.cat.subject(c, t)
	draws := w.sh.rng
	if w.noExplore {
		draws = nil // a nil Rand ranks by the means
	}
	req := &decide.Request{
		ID:      decide.DerivedID(t, c.id+"\x00"+due1[0].Channel.Name+"\x00"+strings.Join(keys, "\x00")),
		Channel: due1[0].Channel.Name, Now: t, Due: due1, Rand: draws, Scratch: &w.sh.decide,
	}
	d, err := decide.Decide(w.cat.dec, &sub, req)
	if err != nil {
		return
	}
	index := func(a *decide.Action) int {
		for k, v := range due1 {
			if v == a {
				return owner[k]
			}
		}
		return -1
	}
	sent := make([]bool, len(group))
	for _, cd := range d.ChosenActions() {
		i := index(cd.Action)
		m := group[i]
		sent[i] = true
		v := cd.Action // the action, or the treatment chosen of it
		it := &delivery.Item{Key: keys[i], Customer: c.id, Stack: m.r.stack, Journey: m.r.journey, Run: m.r.n,
			Action: m.a.Address, Treatment: v.Treatment, Channel: v.Channel.Name, Decision: d.ID, Due: due, Variant: cd.VariantName()}
		w.sh.outbox = append(w.sh.outbox, it.Entry(store.DeliveryPending, t))
		c.addContact(contact{at: t, channel: v.Channel.Name, action: m.a.Ref, key: keyHash(keys[i]), pending: true}, w.cat.contactAge())
		m.r.noteSent(m.a.Name, t)
	}
	if !d.Deferred.IsZero() {
		// An action not sent of which a variant waits for quiet hours to
		// end is decided again then, once.
		for _, cd := range d.Candidates {
			if i := index(cd.Action); cd.Reason == decide.QuietHours && !sent[i] {
				sent[i] = true
				m := group[i]
				m.r.timers = append(m.r.timers, timer{kind: m.kind, due: d.Deferred, action: m.a.Name})
			}
		}
	}
	// The facts go with the commit that adds the deliveries, so that a
	// replay after a crash, which decides again, counts them once.
	for _, r := range decisionRecords(d) {
		w.sh.fact(t, r)
	}
	if w.decided != nil {
		w.decided(d)
	}
}

// triggered is an action of a run falling due, with its timer's kind.
type triggered struct {
	r    *run
	a    *decide.Action
	kind string
}

// triggerScratch is trigger's scratch.
type triggerScratch struct {
	group []triggered
	keys  []string
	due   []*decide.Action
	owner []int
}

// reset empties the scratch, letting go of what it pointed to.
func (sc *triggerScratch) reset() {
	clear(sc.group)
	clear(sc.keys)
	clear(sc.due)
	sc.group, sc.keys, sc.due, sc.owner = sc.group[:0], sc.keys[:0], sc.due[:0], sc.owner[:0]
}

// shareChannel reports whether two outbound actions fall due on a channel
// in common: theirs, or that of one of their treatments that delivers.
func shareChannel(a, b *decide.Action) bool {
	for _, x := range a.Variants() {
		for _, y := range b.Variants() {
			if x.Channel.Delivers && x.Channel == y.Channel {
				return true
			}
		}
	}
	return false
}

func keyHash(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	if s := h.Sum64(); s != 0 {
		return s
	}
	return 1
}

// contactAge is how long contacts are kept.
func (c *compiled) contactAge() time.Duration {
	if c.dec != nil && c.dec.MaxWindow > minContactAge {
		return c.dec.MaxWindow
	}
	return minContactAge
}

// addContact records a contact, forgetting those older than age before
// it (unless still pending) and the oldest past maxContacts.
func (c *customer) addContact(ct contact, age time.Duration) {
	since := ct.at.Add(-age)
	kept := c.contacts[:0]
	for _, x := range c.contacts {
		if x.pending || x.at.After(since) {
			kept = append(kept, x)
		}
	}
	c.contacts = append(kept, ct)
	if n := len(c.contacts) - maxContacts; n > 0 {
		c.contacts = append(c.contacts[:0], c.contacts[n:]...)
	}
	c.dirty = true
}

// subject is the customer as the decision pipeline sees them at now.
func (cat *compiled) subject(c *customer, now time.Time) decide.Subject {
	sub := decide.Subject{ID: c.id, Customer: c.record(cat), Runs: make([]decide.Run, 0, len(c.runs))}
	c.rec, c.recGen = nil, nil // see apply
	for _, r := range c.runs {
		if r.status != StatusActive {
			continue
		}
		cs := cat.byName[r.stack]
		if cs == nil {
			continue
		}
		j := cs.st.Journey(r.journey)
		if j == nil {
			continue
		}
		sub.Runs = append(sub.Runs, decide.Run{Stack: cs.index, Journey: j.Index, Stage: j.Stage(r.stage)})
	}
	if len(c.contacts) > 0 {
		sub.Contacts = make([]decide.Contact, len(c.contacts))
		for i, ct := range c.contacts {
			sub.Contacts[i] = decide.Contact{At: ct.at, Channel: ct.channel, Action: ct.action}
		}
	}
	for _, o := range c.optOuts {
		sub.OptedOut = append(sub.OptedOut, o.channel)
	}
	for _, ig := range c.ignores {
		if now.Before(ig.until) {
			sub.Suppressed = append(sub.Suppressed, decide.Suppression{Action: ig.action, Until: ig.until})
		}
	}
	return sub
}
