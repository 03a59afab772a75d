package gen

import (
	"sort"
	"time"
)

// Rules are journey cart_recovery's, as examples/cart-recovery declares
// them with its growth.auto.wmvars.
type Rules struct {
	// Entry: cart_updated with cart_value ≥ MinCartValue and item_count > 0.
	MinCartValue float64
	// Stages in order, with the event that moves a customer into each
	// (none for the first) and its timeout.
	Stages       []string
	StageEvents  []string
	Timeouts     []time.Duration
	Goal         string // order_placed
	Within       time.Duration
	Exits        []string // ticket_opened, unsubscribed
	ReentryAfter time.Duration
}

// CartRecovery returns the example's rules.
func CartRecovery() Rules {
	const day = 24 * time.Hour
	return Rules{
		MinCartValue: 25,
		Stages:       []string{"browsing", "checkout", "payment"},
		StageEvents:  []string{"", "checkout_started", "payment_started"},
		Timeouts:     []time.Duration{7 * day, 3 * day, 2 * day},
		Goal:         "order_placed",
		Within:       14 * day,
		Exits:        []string{"ticket_opened", "unsubscribed"},
		ReentryAfter: 30 * day,
	}
}

// Run outcomes.
const (
	Active    = "active"
	Completed = "completed"
	Exited    = "exited"
	Expired   = "expired"
	TimedOut  = "timed_out"
)

// Run is one customer's journey run.
type Run struct {
	Customer string
	N        int
	Entered  time.Time
	// Stages are the stages visited, in order, and Reached when.
	Stages  []string
	Reached []time.Time
	// Outcome is Active, or how the run ended, and Ended when.
	Outcome string
	Ended   time.Time
	// Amount is the goal event's amount, when it had one.
	Amount *float64
}

// Outcome is every run of a stream.
type Outcome struct {
	Runs []Run
}

// Recount replays events, in order, through the rules, with the runtime's
// event clock: a timer due at t fires before the customer's events stamped
// after t and after those stamped at t, at t; at the end, the timers due
// before now have fired (now is the last timestamp when zero).
func Recount(evs []Event, rules Rules, now time.Time) Outcome {
	if now.IsZero() && len(evs) > 0 {
		now = evs[len(evs)-1].Timestamp
	}
	type state struct {
		runs []*Run
		cur  *Run // nil outside the journey
		left time.Time
	}
	byCustomer := map[string]*state{}
	var order []string
	stageOf := func(name string) int {
		for i, s := range rules.Stages {
			if s == name {
				return i
			}
		}
		return -1
	}
	end := func(st *state, outcome string, t time.Time) {
		st.cur.Outcome, st.cur.Ended = outcome, t
		st.cur, st.left = nil, t
	}
	// fire ends the customer's run by its timers due before limit.
	fire := func(st *state, limit time.Time) {
		r := st.cur
		if r == nil {
			return
		}
		within := r.Entered.Add(rules.Within)
		stage := stageOf(r.Stages[len(r.Stages)-1])
		timeout := r.Reached[len(r.Reached)-1].Add(rules.Timeouts[stage])
		switch {
		case rules.Within > 0 && within.Before(limit) && !timeout.Before(within):
			end(st, Expired, within)
		case rules.Timeouts[stage] > 0 && timeout.Before(limit):
			end(st, TimedOut, timeout)
		}
	}
	for _, ev := range evs {
		st := byCustomer[ev.CustomerID]
		if st == nil {
			st = &state{}
			byCustomer[ev.CustomerID] = st
			order = append(order, ev.CustomerID)
		}
		t := ev.Timestamp
		fire(st, t)
		if st.cur == nil {
			v, vok := num(ev.Attributes["cart_value"])
			n, nok := num(ev.Attributes["item_count"])
			if ev.Type != "cart_updated" || !vok || !nok || v < rules.MinCartValue || n <= 0 {
				continue
			}
			if len(st.runs) > 0 && t.Sub(st.left) < rules.ReentryAfter {
				continue
			}
			r := &Run{Customer: ev.CustomerID, N: len(st.runs) + 1, Entered: t, Stages: []string{rules.Stages[0]},
				Reached: []time.Time{t}, Outcome: Active}
			st.runs = append(st.runs, r)
			st.cur = r
			continue
		}
		if ev.Type == rules.Goal {
			if v, ok := num(ev.Attributes["amount"]); ok {
				st.cur.Amount = &v
			}
			end(st, Completed, t)
			continue
		}
		exited := false
		for _, x := range rules.Exits {
			if ev.Type == x {
				exited = true
			}
		}
		if exited {
			end(st, Exited, t)
			continue
		}
		cur := stageOf(st.cur.Stages[len(st.cur.Stages)-1])
		for i := len(rules.Stages) - 1; i > cur; i-- {
			if rules.StageEvents[i] != "" && rules.StageEvents[i] == ev.Type {
				st.cur.Stages = append(st.cur.Stages, rules.Stages[i])
				st.cur.Reached = append(st.cur.Reached, t)
				break
			}
		}
	}
	var out Outcome
	for _, id := range order {
		st := byCustomer[id]
		fire(st, now)
		for _, r := range st.runs {
			out.Runs = append(out.Runs, *r)
		}
	}
	return out
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	}
	return 0, false
}

// Totals count the runs' transitions in [from, to] by when they happened,
// as the analytics report's totals do.
type Totals struct {
	Entries, Completed, Exited, Expired, TimedOut, Active int
}

// Totals counts the entries and endings in [from, to]; Active is how many
// runs are in the journey at to.
func (o Outcome) Totals(from, to time.Time) Totals {
	var t Totals
	in := func(x time.Time) bool { return !x.Before(from) && !x.After(to) }
	for _, r := range o.Runs {
		if in(r.Entered) {
			t.Entries++
		}
		if !r.Entered.After(to) && (r.Outcome == Active || r.Ended.After(to)) {
			t.Active++
		}
		if r.Outcome == Active || !in(r.Ended) {
			continue
		}
		switch r.Outcome {
		case Completed:
			t.Completed++
		case Exited:
			t.Exited++
		case Expired:
			t.Expired++
		case TimedOut:
			t.TimedOut++
		}
	}
	return t
}

// StageCounts are one stage's figures for runs that reached it in a span,
// as the analytics funnel counts them.
type StageCounts struct {
	Reached, MovedOn, Completed, Dropped int
	// StillThere are those still in the stage at the span's end.
	StillThere int
}

// Funnel counts, per stage, the runs that reached it in [from, to] and how
// those left it by to.
func (o Outcome) Funnel(rules Rules, from, to time.Time) []StageCounts {
	out := make([]StageCounts, len(rules.Stages))
	for _, r := range o.Runs {
		for i, name := range r.Stages {
			at := r.Reached[i]
			if at.Before(from) || at.After(to) {
				continue
			}
			s := 0
			for k, n := range rules.Stages {
				if n == name {
					s = k
				}
			}
			c := &out[s]
			c.Reached++
			switch {
			case i+1 < len(r.Stages):
				if !r.Reached[i+1].After(to) {
					c.MovedOn++
				} else {
					c.StillThere++
				}
			case r.Outcome == Active || r.Ended.After(to):
				c.StillThere++
			case r.Outcome == Completed:
				c.Completed++
			default:
				c.Dropped++
			}
		}
	}
	return out
}

// Conversion is conversion() with goal.within over [from, to]: of the
// runs whose within ended in the span (by to), how many reached the goal
// within it.
func (o Outcome) Conversion(rules Rules, from, to time.Time) (converted, matured int) {
	for _, r := range o.Runs {
		due := r.Entered.Add(rules.Within)
		if due.Before(from) || due.After(to) {
			continue
		}
		matured++
		if r.Outcome == Completed && !r.Ended.After(due) {
			converted++
		}
	}
	return converted, matured
}

// PathCount is how many runs that ended in a span took a path, and how
// many of them reached the goal.
type PathCount struct {
	Stages      []string
	Runs, Goals int
}

// Paths counts the paths of the runs that ended in [from, to], most
// frequent first.
func (o Outcome) Paths(from, to time.Time) []PathCount {
	m := map[string]*PathCount{}
	for _, r := range o.Runs {
		if r.Outcome == Active || r.Ended.Before(from) || r.Ended.After(to) {
			continue
		}
		k := ""
		for _, s := range r.Stages {
			k += s + ">"
		}
		p := m[k]
		if p == nil {
			p = &PathCount{Stages: r.Stages}
			m[k] = p
		}
		p.Runs++
		if r.Outcome == Completed {
			p.Goals++
		}
	}
	out := make([]PathCount, 0, len(m))
	for _, p := range m {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Runs != out[j].Runs {
			return out[i].Runs > out[j].Runs
		}
		return len(out[i].Stages) < len(out[j].Stages)
	})
	return out
}

// AverageGoalAmount is average(event.<goal>.amount) over [from, to]: the
// mean amount of the goal events in the span, which are the only events of
// that type sent while in the journey. ok is false without any.
func (o Outcome) AverageGoalAmount(from, to time.Time) (mean float64, n int, ok bool) {
	var sum float64
	for _, r := range o.Runs {
		if r.Outcome != Completed || r.Amount == nil || r.Ended.Before(from) || r.Ended.After(to) {
			continue
		}
		sum += *r.Amount
		n++
	}
	if n == 0 {
		return 0, 0, false
	}
	return sum / float64(n), n, true
}
