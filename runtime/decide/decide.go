package decide

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/waymarkhq/waymark/runtime/experiment"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/models"
	"github.com/waymarkhq/waymark/runtime/store"
)

// Reason says why a candidate was dropped; Kept for one that was chosen.
type Reason uint8

// The reasons, in the order the pipeline applies its filters.
const (
	Kept Reason = iota
	NotInStage
	NoConsent
	NotEligible
	LimitReached
	QuietHours
	Suppressed
	NoValue
	RankedOut
	// HeldOut: the customer is in the global holdout (arbitration's
	// holdout), who receive nothing from any journey.
	HeldOut
	// ExperimentHoldout: the customer is in a holdout variant of the
	// action's experiment, which would have chosen it: assigned, never
	// offered.
	ExperimentHoldout
	numReasons
)

var reasonNames = [numReasons]string{"", "not_in_stage", "no_consent", "not_eligible", "limit", "quiet_hours", "suppressed", "no_value", "ranked_out", "holdout", "experiment_holdout"}

func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason(%d)", r)
}

// ParseReason reads a reason's name.
func ParseReason(s string) (Reason, bool) {
	for i, n := range reasonNames {
		if n == s && i > 0 {
			return Reason(i), true
		}
	}
	return 0, false
}

// Subject is the customer a decision is for, as the engine holds them.
type Subject struct {
	ID string
	// Customer is the profile laid out for expressions (Catalog.Layout).
	Customer expr.Record
	// Runs are the customer's active journeys.
	Runs []Run
	// Contacts are the customer's recent contacts, any order.
	Contacts []Contact
	// Suppressed lists the actions suppressed after ignored contacts.
	Suppressed []Suppression
	// OptedOut lists the channels the customer unsubscribed from.
	OptedOut []string
}

// ConsentOff reports whether sub turned their consent to channel off (an
// unsubscribe): such a channel is never contacted, whatever its consent
// expression says.
func ConsentOff(sub *Subject, channel string) bool {
	for _, ch := range sub.OptedOut {
		if ch == channel {
			return true
		}
	}
	return false
}

// Run is a customer's place in an active journey, by indexes into the
// Catalog: Stacks[Stack].Journeys[Journey].Stages[Stage].
type Run struct{ Stack, Journey, Stage int }

// Contact is one contact: a delivery, or an impression on an inbound
// channel.
type Contact struct {
	At      time.Time
	Channel string
	Action  string // ref
}

// Suppression is an action not offered until Until.
type Suppression struct {
	Action string // ref
	Until  time.Time
}

// Request is what to decide.
type Request struct {
	// ID names the decision.
	ID      string
	Channel string
	// Context is the decide request's context.
	Context map[string]expr.Value
	// Limit is the most actions wanted; 0 for the arbitration's most.
	Limit int
	Now   time.Time
	// Due, when set, are outbound actions that fell due together: they are
	// the only candidates, and at most Arbitration.MaxOutbound marketing
	// ones are chosen, besides every transactional one that passed.
	Due  []*Action
	Rand *rand.Rand
	// Scratch, when set, is memory the decision reuses (see Scratch).
	Scratch *Scratch
}

// Scratch is memory that Decide reuses from decision to decision, for a
// caller that makes them one at a time (an engine's shard keeps one): the
// stacks' activations and the customer's features. A decision keeps
// nothing of it. The zero value is ready.
type Scratch struct {
	acts  []*expr.Activation
	own   []scratchActivation // by stack index
	feats models.Features
}

// scratchActivation is a stack's activation with its arrays, kept when
// the activation leaves one out.
type scratchActivation struct {
	a                expr.Activation
	stages, segments []expr.Value
}

// Decision is what the pipeline decided and why.
type Decision struct {
	ID       string
	Time     time.Time
	Customer string
	Channel  string
	// Trigger is set for a decision over actions that fell due.
	Trigger bool
	// Control is set when the customer is in the control group: the chosen
	// actions were picked at random among those that passed the filters.
	Control bool
	// Holdout is set when the customer is in the global holdout: only
	// transactional actions may be chosen, and the other candidates in
	// their stage say holdout.
	Holdout bool
	// Deferred is set when quiet hours deferred outbound sends until then.
	Deferred time.Time
	// Candidates are the chosen ones first, in rank order, then the
	// others.
	Candidates []Candidate
	// Chosen is how many candidates were chosen.
	Chosen int
	// Facts are stored with the decision's record, for analytics.
	Facts []store.Fact
	// Context is the request's, kept with the record for the responses
	// to be learnt in it.
	Context map[string]expr.Value
}

// Candidate is one action the pipeline considered.
type Candidate struct {
	Action *Action
	Reason Reason
	// Scored is set when the candidate reached the model: Propensity (the
	// posterior mean) and Priority are set.
	Scored     bool
	Propensity float64
	Priority   float64
	// Explore is set when exploration put the action where it stands: a
	// Thompson draw, without which it would rank below a candidate it now
	// outranks, or the random pick of an outright exploration
	// (models.ExploreShare).
	Explore bool
	sampled bool // ranked by a draw, not the mean
	// Variant is the customer's variant of the action's experiment, nil
	// for an action without one; Assigned is set when the experiment
	// runs and so counts the customer.
	Variant  *Variant
	Assigned bool
}

// VariantName is the candidate's variant, "" for none.
func (c *Candidate) VariantName() string {
	if c.Variant == nil {
		return ""
	}
	return c.Variant.Name
}

// ChosenActions returns the chosen candidates.
func (d *Decision) ChosenActions() []Candidate { return d.Candidates[:d.Chosen] }

// ErrUnknownChannel is returned for a channel that no stack declares.
var ErrUnknownChannel = errors.New("unknown channel")

// run is one call of the pipeline.
type run struct {
	c    *Catalog
	sub  *Subject
	req  *Request
	ch   *Channel
	acts []*expr.Activation // by stack index, made when needed
	// chans are the channels' states the candidates are on: ch's first;
	// more only where treatments of an action are on other channels.
	chans    []*chanState
	feats    models.Features
	featured bool
}

// chanState is what the contact policies of one channel say for the
// customer now.
type chanState struct {
	ch *Channel
	// full: the channel's limit is reached; quiet: it is in quiet hours
	// (until end).
	full, quiet bool
	end         time.Time
	// consent by stack index: 0 not evaluated, 1 given, 2 not given.
	consent []uint8
}

// Decide runs the pipeline for sub on req.Channel, or over req.Due.
func Decide(c *Catalog, sub *Subject, req *Request) (*Decision, error) {
	ch := c.Channels[req.Channel]
	if len(req.Due) > 0 {
		ch = req.Due[0].Channel
	}
	if ch == nil {
		return nil, fmt.Errorf("%w %q: no deployed stack declares it", ErrUnknownChannel, req.Channel)
	}
	r := &run{c: c, sub: sub, req: req, ch: ch}
	if sc := req.Scratch; sc != nil {
		r.acts = append(sc.acts[:0], make([]*expr.Activation, len(c.Stacks))...)
		sc.acts = r.acts
		if len(sc.own) < len(c.Stacks) {
			sc.own = make([]scratchActivation, len(c.Stacks))
		}
	} else {
		r.acts = make([]*expr.Activation, len(c.Stacks))
	}
	d := &Decision{ID: req.ID, Time: req.Now, Customer: sub.ID, Channel: ch.Name, Trigger: len(req.Due) > 0, Context: req.Context}
	if d.Trigger {
		d.Candidates = make([]Candidate, 0, len(req.Due))
		for _, a := range req.Due {
			d.Candidates = append(d.Candidates, Candidate{Action: a})
		}
	} else {
		n := 0
		for _, ru := range sub.Runs {
			if j := r.journey(ru); j != nil {
				n += len(j.byChannel[ch.Name])
			}
		}
		d.Candidates = make([]Candidate, 0, n)
		for _, ru := range sub.Runs {
			j := r.journey(ru)
			if j == nil || j.Paused {
				continue // a paused journey offers nothing
			}
			for _, a := range j.byChannel[ch.Name] {
				cd := Candidate{Action: a}
				if !a.InStage(ru.Stage) {
					cd.Reason = NotInStage
				}
				d.Candidates = append(d.Candidates, cd)
			}
		}
	}
	if InHoldout(sub.ID, c.Arb.Holdout) {
		// Nothing is filtered, scored or ranked: no model draws for a
		// customer who receives nothing. Transactional actions are not
		// marketing and go on (docs/governance.md).
		d.Holdout = true
		transactional := false
		for i := range d.Candidates {
			if cd := &d.Candidates[i]; cd.Reason == Kept {
				if cd.Action.Transactional {
					transactional = true
					continue
				}
				cd.Reason = HeldOut
			}
		}
		if !transactional {
			return d, nil
		}
	}
	r.filter(d)
	r.rank(d)
	return d, nil
}

// HoldoutSalt is the salt of the global holdout's assignment
// (experiment.Holdout): analytics splits the KPIs by the same one.
const HoldoutSalt = experiment.GlobalHoldoutSalt

// InHoldout reports whether a customer is in the global holdout of the
// given share (arbitration's holdout).
func InHoldout(id string, share float64) bool { return experiment.Holdout(HoldoutSalt, id, share) }

func (r *run) journey(ru Run) *Journey {
	if ru.Stack < 0 || ru.Stack >= len(r.c.Stacks) {
		return nil
	}
	js := r.c.Stacks[ru.Stack].Journeys
	if ru.Journey < 0 || ru.Journey >= len(js) {
		return nil
	}
	return js[ru.Journey]
}

// activation returns the activation of a stack's expressions.
func (r *run) activation(s *Stack) *expr.Activation {
	if a := r.acts[s.Index]; a != nil {
		return a
	}
	var a *expr.Activation
	if sc := r.req.Scratch; sc != nil {
		o := &sc.own[s.Index]
		a = &o.a
		*a = expr.Activation{Customer: r.sub.Customer, Context: r.req.Context}
		a.Stages = append(o.stages[:0], make([]expr.Value, len(s.Journeys))...)
		o.stages = a.Stages
		if s.needSegments && len(s.Segments) > 0 {
			a.Segments = append(o.segments[:0], make([]expr.Value, len(s.Segments))...)
			o.segments = a.Segments
		}
		r.c.fillActivation(a, r.sub, s, s.needSegments)
	} else {
		a = r.c.activation(r.sub, s, r.req.Context, s.needSegments)
	}
	r.acts[s.Index] = a
	return a
}

// Activation returns what the expressions of stack s see of sub: the
// profile, ctx, the customer's stage in each of the stack's journeys and
// whether they are in each of its segments.
func (c *Catalog) Activation(sub *Subject, s *Stack, ctx map[string]expr.Value) *expr.Activation {
	return c.activation(sub, s, ctx, true)
}

func (c *Catalog) activation(sub *Subject, s *Stack, ctx map[string]expr.Value, segments bool) *expr.Activation {
	a := &expr.Activation{Customer: sub.Customer, Context: ctx}
	a.Stages = make([]expr.Value, len(s.Journeys))
	if segments && len(s.Segments) > 0 {
		a.Segments = make([]expr.Value, len(s.Segments))
	}
	c.fillActivation(a, sub, s, segments)
	return a
}

// fillActivation fills in a, whose Stages (and Segments, when segments
// says to evaluate them) are the stack's length and null.
func (c *Catalog) fillActivation(a *expr.Activation, sub *Subject, s *Stack, segments bool) {
	for _, ru := range sub.Runs {
		if ru.Stack != s.Index || ru.Journey < 0 || ru.Journey >= len(s.Journeys) {
			continue
		}
		if j := s.Journeys[ru.Journey]; ru.Stage >= 0 && ru.Stage < len(j.Stages) {
			a.Stages[ru.Journey] = expr.String(j.Stages[ru.Stage])
		}
	}
	if segments && len(s.Segments) > 0 {
		for _, i := range s.Order {
			if p := s.Segments[i]; p != nil {
				v, _ := p.EvalBool(a)
				a.Segments[i] = expr.Bool(v)
			}
		}
	}
}

func (r *run) consents(cs *chanState, s *Stack) bool {
	switch cs.consent[s.Index] {
	case 1:
		return true
	case 2:
		return false
	}
	ok := true
	if p := cs.ch.Consent[s.Index]; p != nil {
		ok, _ = p.EvalBool(r.activation(s))
	}
	cs.consent[s.Index] = 2
	if ok {
		cs.consent[s.Index] = 1
	}
	return ok
}

// state returns the contact policies' state of a channel, working it out
// the first time.
func (r *run) state(ch *Channel) *chanState {
	for _, cs := range r.chans {
		if cs.ch == ch {
			return cs
		}
	}
	cs := &chanState{ch: ch, consent: make([]uint8, len(r.c.Stacks))}
	if l := ch.Limit; l != nil {
		// The marketing caps count the contacts of marketing actions only.
		cs.full = over(l, r.count(l.Per, func(ct *Contact) bool { return ct.Channel == ch.Name && r.marketing(ct) }))
	}
	if ch.Delivers && ch.Quiet != nil {
		cs.quiet, cs.end = ch.Quiet.At(r.req.Now, r.zone(ch))
	}
	r.chans = append(r.chans, cs)
	return cs
}

// count is how many contacts since now-per match.
func (r *run) count(per time.Duration, match func(*Contact) bool) int {
	since := r.req.Now.Add(-per)
	n := 0
	for i := range r.sub.Contacts {
		ct := &r.sub.Contacts[i]
		if ct.At.After(since) && !ct.At.After(r.req.Now) && match(ct) {
			n++
		}
	}
	return n
}

func over(l *Limit, n int) bool { return l != nil && n >= l.Max }

// filter applies consent, eligibility and the contact policies, then
// scores what is left.
func (r *run) filter(d *Decision) {
	now := r.req.Now
	arbFull := false
	if l := r.c.Arb.Limit; l != nil {
		arbFull = over(l, r.count(l.Per, r.marketing))
	}
	for i := range d.Candidates {
		cd := &d.Candidates[i]
		if cd.Reason != Kept {
			continue
		}
		a := cd.Action
		cs := r.state(a.Channel)
		chFull, quiet := cs.full, cs.quiet
		if quiet && d.Trigger && !a.Transactional && !cs.ch.Quiet.Drop && (d.Deferred.IsZero() || cs.end.Before(d.Deferred)) {
			// Deferred is the earliest end among the channels in quiet
			// hours: a marketing send deferred then is decided again (a
			// transactional one goes out in quiet hours).
			d.Deferred = cs.end
		}
		act := r.activation(a.Stack)
		switch {
		case !a.Transactional && (ConsentOff(r.sub, cs.ch.Name) || !r.consents(cs, a.Stack)):
			cd.Reason = NoConsent
			continue
		case a.Eligible != nil:
			if ok, _ := a.Eligible.EvalBool(act); !ok {
				cd.Reason = NotEligible
				continue
			}
		}
		if (chFull || arbFull) && !a.Transactional {
			cd.Reason = LimitReached
			continue
		}
		if l := a.Limit; l != nil && over(l, r.count(l.Per, func(ct *Contact) bool { return ct.Action == a.Ref })) {
			cd.Reason = LimitReached
			continue
		}
		if quiet && !a.Transactional {
			cd.Reason = QuietHours
			continue
		}
		if r.suppressed(a.Ref, now) {
			cd.Reason = Suppressed
			continue
		}
		if a.Experiment != nil {
			cd.Variant, cd.Assigned = a.VariantOf(r.sub.ID)
		}
		v, ok := cd.value(act)
		if !ok {
			cd.Reason = NoValue
			continue
		}
		r.score(cd, v)
		if !cd.Scored {
			cd.Reason = NoValue
		}
	}
}

// marketing reports whether a contact was made by a marketing action:
// one that is not transactional as deployed now (a contact of an action
// no longer deployed counts as marketing).
func (r *run) marketing(ct *Contact) bool {
	a := r.c.actions[ct.Action]
	return a == nil || !a.Transactional
}

// allTransactional reports whether every candidate still in the running
// is transactional, so that quiet hours defer nothing.
func allTransactional(cs []Candidate) bool {
	for i := range cs {
		if cs[i].Reason == Kept && !cs[i].Action.Transactional {
			return false
		}
	}
	return true
}

func (r *run) suppressed(ref string, now time.Time) bool {
	for _, s := range r.sub.Suppressed {
		if s.Action == ref && now.Before(s.Until) {
			return true
		}
	}
	return false
}

// zone is the customer's time zone for quiet hours: the profile's
// timezone when declared and set to a zone, else the block's.
func (r *run) zone(ch *Channel) *time.Location {
	if slot := r.c.TimezoneSlot; slot > 0 && slot < len(r.sub.Customer) {
		if v := r.sub.Customer[slot]; v.Kind() == expr.KindString {
			if loc := r.c.zones.get(v.AsString()); loc != nil {
				return loc
			}
		}
	}
	return ch.Quiet.Zone
}

// value is an action's value for the customer; false when it is null.
func value(a *Action, act *expr.Activation) (float64, bool) {
	switch {
	case a.valueConst:
		return a.value, true
	case a.Value == nil:
		return 1, true
	}
	v, null := a.Value.EvalNumber(act)
	return v, !null && !math.IsNaN(v)
}

// value is the candidate's value: its variant's when that sets one.
func (cd *Candidate) value(act *expr.Activation) (float64, bool) {
	if v := cd.Variant; v != nil && (v.valueConst || v.Value != nil) {
		if v.valueConst {
			return v.value, true
		}
		f, null := v.Value.EvalNumber(act)
		return f, !null && !math.IsNaN(f)
	}
	return value(cd.Action, act)
}

// score sets the candidate's propensity and priority given its value; a
// null or negative priority leaves it unscored.
func (r *run) score(cd *Candidate, v float64) {
	a := cd.Action
	m := a.Model
	score := 0.5 // the propensity ranked with: the draw or the mean
	if m == nil {
		cd.Propensity = score
	} else {
		var x models.Features
		if a.features {
			x = r.features()
		}
		cd.Propensity, score, cd.sampled = m.Estimate(x, r.req.Rand)
	}
	p, ok := r.priority(a, score, v)
	if !ok {
		return
	}
	cd.Priority, cd.Scored = p, true
}

func (r *run) priority(a *Action, propensity, value float64) (float64, bool) {
	var p float64
	if prog := r.c.Arb.Priority; prog == nil {
		p = propensity * value * a.Lever
	} else {
		act := r.activation(r.c.Stacks[r.c.Arb.Stack])
		act.Propensity, act.ValueScore, act.Lever = propensity, value, a.Lever
		var null bool
		p, null = prog.EvalNumber(act)
		if null {
			return 0, false
		}
	}
	if math.IsNaN(p) || p < 0 {
		return 0, false
	}
	return p, true
}

func (r *run) features() models.Features {
	if !r.featured {
		if sc := r.req.Scratch; sc != nil {
			r.feats = appendFeatures(sc.feats[:0], r.c, r.sub, r.req.Context)
			sc.feats = r.feats
		} else {
			r.feats = Features(r.c, r.sub, r.req.Context)
		}
		r.featured = true
	}
	return r.feats
}

// chosen marks a candidate picked by rank while it picks.
const chosen = numReasons

// rank chooses the top candidates among those that passed the filters,
// highest priority first (ties by ref), by selection: the others are not
// sorted. The chosen ones move to the front in rank order; the others keep
// the order they came in, those that passed the filters marked ranked_out.
func (r *run) rank(d *Decision) {
	cs := d.Candidates
	kept := 0
	for i := range cs {
		if cs[i].Reason == Kept {
			kept++
		}
	}
	n := r.c.Arb.MaxActions
	if d.Trigger {
		n = r.c.Arb.MaxOutbound
	} else if r.req.Limit > 0 {
		n = min(n, r.req.Limit)
	}
	picks := make([]int, 0, min(n, kept))
	rng := r.req.Rand
	left := kept // candidates still unpicked that passed the filters
	pick := func(j int) {
		cs[j].Reason = chosen
		picks = append(picks, j)
		left--
		if b := cs[j].Action.Base; b != nil {
			// One treatment of an action at most: the others rank out.
			for k := range cs {
				if cs[k].Reason == Kept && cs[k].Action.Base == b {
					cs[k].Reason = RankedOut
					left--
				}
			}
		}
	}
	// Transactional actions go first, by priority, whatever the control
	// group and exploration: outbound, all of them besides max_outbound;
	// in a decide answer, within its most.
	for {
		best := -1
		for j := range cs {
			if cs[j].Reason == Kept && cs[j].Action.Transactional && (best < 0 || before(&cs[j], &cs[best])) {
				best = j
			}
		}
		if best < 0 || (!d.Trigger && len(picks) >= n) {
			break
		}
		pick(best)
	}
	base := len(picks)
	if !d.Trigger {
		n -= base
	}
	n = max(0, min(n, left))
	// nth returns the index of the i-th candidate still unpicked that
	// passed the filters.
	nth := func(i int) int {
		for j := range cs {
			if cs[j].Reason == Kept {
				if i == 0 {
					return j
				}
				i--
			}
		}
		return -1
	}
	if InControl(r.sub.ID, r.c.Arb.ControlGroup) {
		d.Control = true
		if rng == nil {
			rng = rand.New(rand.NewPCG(controlHash(r.sub.ID), uint64(r.req.Now.UnixNano())))
		}
		for len(picks) < base+n && left > 0 {
			pick(nth(rng.IntN(left)))
		}
	} else {
		if n > 0 && left > 1 && rng != nil && rng.Float64() < models.ExploreShare {
			// Explore outright: a candidate drawn at random goes first.
			pick(nth(rng.IntN(left)))
			cs[picks[base]].Explore = true
		}
		for len(picks) < base+n && left > 0 {
			best := -1
			for j := range cs {
				if cs[j].Reason == Kept && (best < 0 || before(&cs[j], &cs[best])) {
					best = j
				}
			}
			pick(best)
		}
		for i, j := range picks {
			cd := &cs[j]
			if i < base || !cd.sampled || cd.Explore {
				continue
			}
			// The best candidate it outranks: the next chosen, or the best
			// of the rest.
			next := -1.0
			if i+1 < len(picks) {
				next = cs[picks[i+1]].Priority
			} else {
				for k := range cs {
					if cs[k].Reason == Kept {
						next = max(next, cs[k].Priority)
					}
				}
			}
			if next >= 0 {
				v, _ := cd.value(r.activation(cd.Action.Stack))
				mp, ok := r.priority(cd.Action, cd.Propensity, v)
				cd.Explore = !ok || mp < next
			}
		}
	}
	front := make([]Candidate, len(picks))
	for i, j := range picks {
		front[i] = cs[j]
		front[i].Reason = Kept
	}
	w := len(cs) - 1
	for j := len(cs) - 1; j >= 0; j-- {
		if cs[j].Reason == chosen {
			continue
		}
		if cs[j].Reason == Kept {
			cs[j].Reason = RankedOut
		}
		cs[w] = cs[j]
		w--
	}
	copy(cs, front)
	d.Chosen = len(picks)
	holdOut(d)
}

// holdOut takes the chosen candidates whose variant is a holdout out of
// the answer: they move to just after the chosen ones, as ExperimentHoldout, and no
// other candidate takes their place, so that a holdout customer gets what
// the experiment's action would have left them.
func holdOut(d *Decision) {
	n := 0
	for i := 0; i < d.Chosen; i++ {
		if v := d.Candidates[i].Variant; v != nil && v.Holdout {
			n++
		}
	}
	if n == 0 {
		return
	}
	chosen := make([]Candidate, 0, d.Chosen)
	held := make([]Candidate, 0, n)
	for _, cd := range d.Candidates[:d.Chosen] {
		if cd.Variant != nil && cd.Variant.Holdout {
			cd.Reason = ExperimentHoldout
			held = append(held, cd)
		} else {
			chosen = append(chosen, cd)
		}
	}
	copy(d.Candidates, chosen)
	copy(d.Candidates[len(chosen):], held)
	d.Chosen = len(chosen)
}

// Assignments are the candidates that an experiment assigned and counts:
// the chosen ones with a variant, and the held out.
func (d *Decision) Assignments() []Candidate {
	var out []Candidate
	for i, cd := range d.Candidates {
		if cd.Assigned && (i < d.Chosen || cd.Reason == ExperimentHoldout) {
			out = append(out, cd)
		}
	}
	return out
}

// before orders candidates by priority, highest first, then by ref and
// treatment.
func before(a, b *Candidate) bool {
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	if a.Action.Ref != b.Action.Ref {
		return a.Action.Ref < b.Action.Ref
	}
	return a.Action.Treatment < b.Action.Treatment
}

// At reports whether now is within the quiet hours in loc, and when they
// end.
func (q *Quiet) At(now time.Time, loc *time.Location) (bool, time.Time) {
	if q.Start == q.End {
		return false, time.Time{}
	}
	l := now.In(loc)
	m := l.Hour()*60 + l.Minute()
	in := m >= q.Start && m < q.End
	if q.Start > q.End { // across midnight
		in = m >= q.Start || m < q.End
	}
	if !in {
		return false, time.Time{}
	}
	end := time.Date(l.Year(), l.Month(), l.Day(), q.End/60, q.End%60, 0, 0, loc)
	if !end.After(now) {
		end = time.Date(l.Year(), l.Month(), l.Day()+1, q.End/60, q.End%60, 0, 0, loc)
	}
	return true, end.UTC()
}

// InControl reports whether a customer is in the control group of the
// given share: a stable, well-mixed hash of the id (SHA-256 keyed with a
// fixed domain string), read as a fraction of 2^64, is below it. Every bit
// of the hash depends on every byte of the id, so sequential ids land in
// the group as often as random ones (FNV-1a, used before, put 23-25% of
// cust-000001... in a 20% group, bunched by id).
func InControl(id string, share float64) bool {
	if share <= 0 {
		return false
	}
	return float64(controlHash(id))/float64(math.MaxUint64) < share
}

func controlHash(id string) uint64 {
	h := sha256.New()
	h.Write([]byte("waymark control group\x00"))
	h.Write([]byte(id))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}
