package analytics

import (
	"fmt"
	"sort"
	"time"

	"github.com/waymarkhq/waymark/lang/addrs"
)

// Alert says that a KPI left its target (State missed) or returned to it
// (State met).
type Alert struct {
	// ID is the same for the same change of state however often it is
	// computed (after a restart from an older snapshot too): the outbox's
	// idempotency key.
	ID      string
	Stack   string
	Journey string
	KPI     string
	// Address is the KPI's: growth/journey.cart_recovery.kpi.conversion.
	Address string
	// Channel is the channel the alert is sent on, empty for an alert
	// that only acts.
	Channel string
	// Action is the action of the journey that a missed alert triggers
	// for the customers in Stage (every stage of the action when empty),
	// empty for none.
	Action  string
	Stage   string
	State   string
	Value   float64
	Target  Target
	Samples int64
	Window  time.Duration
	Time    time.Time
	// Customers are, for a missed alert with an Action, the runs in
	// flight at Time in Stage (in any stage when Stage is empty), by
	// customer: whom the action is for.
	Customers []AlertCustomer
}

// AlertCustomer is a customer's run in flight when an alert fired.
type AlertCustomer struct {
	Customer string
	Run      uint64
	Stage    string
}

// alertState is what a KPI's alert remembers: the last definite state
// (met or missed) and how many times it changed.
type alertState struct {
	last string
	seq  uint64
	// def is the definition of the KPI last evaluated (KPI.definition);
	// empty when not known (a snapshot of version 2, a sent alert), in
	// which case the KPI evaluated next is taken to be the same.
	def string
	// at is the event time of the last alert (Unix ms), zero before.
	at int64
}

// definition identifies what a KPI measures and against what: a KPI
// deployed again unchanged keeps its alert state, a changed one (another
// metric, window or target) starts again from met, its alerts numbered on
// so that their ids stay unique.
func (k *KPI) definition() string {
	var t string
	if k.Target != nil {
		if k.Target.Above != nil {
			t += fmt.Sprintf(">%v", *k.Target.Above)
		}
		if k.Target.Below != nil {
			t += fmt.Sprintf("<%v", *k.Target.Below)
		}
		t += fmt.Sprintf("/%d", k.Target.MinSamples)
	}
	def := fmt.Sprintf("%s|%s|%s|%s|%v|%s|%s", k.Function, k.Stage, k.Event, k.Attribute, k.Quantile, k.Window, t)
	if k.Action != "" {
		def += "|" + k.Action // only then, so that other KPIs' stored definitions still match
	}
	return def
}

// Alerts evaluates every KPI that has a target at now and returns an
// alert for each KPI with an alert block whose state changed between met
// and missed since the last call: one when it leaves its target, one when
// it returns, never one per record. A KPI is taken as met until it first
// has a definite state, so that one that starts below its target alerts;
// insufficient_data changes nothing. A KPI that missed is met again only
// once past its target by its hysteresis, and within its cooldown after
// an alert its state is not looked at. Merge calls Alerts at every hour
// boundary of event time, so that alerts are a function of the records
// alone; ID keeps a repeat after a restart from being sent twice.
func (a *Analytics) Alerts(now time.Time) []Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.alerts(now)
}

// boundaryAlerts is Alerts at hour boundary h, remembered as the last
// boundary evaluated.
func (a *Analytics) boundaryAlerts(h time.Time) []Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ms := h.UnixMilli(); ms > a.boundary {
		a.boundary = ms
	}
	return a.alerts(h)
}

// Boundary is the last hour boundary alerts were evaluated at by Merge,
// zero before the first.
func (a *Analytics) Boundary() time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.boundary == 0 {
		return time.Time{}
	}
	return time.UnixMilli(a.boundary).UTC()
}

func (a *Analytics) alerts(now time.Time) []Alert {
	keys := make([]jkey, 0, len(a.journeys))
	for k, j := range a.journeys {
		if j.configured {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].stack != keys[j].stack {
			return keys[i].stack < keys[j].stack
		}
		return keys[i].journey < keys[j].journey
	})
	t := now.UnixMilli()
	var out []Alert
	for _, k := range keys {
		j := a.journeys[k]
		j.advance(t)
		live := map[string]bool{}
		for i := range j.spec.KPIs {
			kp := &j.spec.KPIs[i]
			if kp.Target == nil {
				continue
			}
			live[kp.Name] = true
			m := j.measure(kp, t)
			st := stateOf(kp, m)
			if st != StateMet && st != StateMissed {
				continue
			}
			as := j.alerts[kp.Name]
			if as == nil {
				as = &alertState{last: StateMet}
				j.alerts[kp.Name] = as
			}
			if def := kp.definition(); as.def != def {
				if as.def != "" {
					as.last = StateMet // a changed KPI: its state so far was another's
				}
				as.def = def
			}
			if as.at != 0 && t < as.at+kp.Cooldown.Milliseconds() {
				continue // cooling down: looked at again once it has passed
			}
			if st == StateMet && as.last == StateMissed && !pastBy(kp.Target, m.value, kp.Hysteresis) {
				st = StateMissed // not back by the margin yet
			}
			if st == as.last {
				continue
			}
			as.last = st
			as.seq++
			if kp.AlertChannel == "" && kp.AlertAction == "" {
				continue
			}
			as.at = t
			addr := addrs.Address{Kind: addrs.KPI, Journey: k.journey, Name: kp.Name}.InStack(k.stack)
			var who []AlertCustomer
			if kp.AlertAction != "" && st == StateMissed {
				who = j.inStage(kp.Stage)
			}
			out = append(out, Alert{Customers: who, ID: fmt.Sprintf("%s#%d", addr, as.seq), Stack: k.stack, Journey: k.journey, KPI: kp.Name,
				Address: addr, Channel: kp.AlertChannel, Action: kp.AlertAction, Stage: kp.Stage, State: st, Value: m.value, Target: *kp.Target, Samples: m.samples,
				Window: kp.Window, Time: now.UTC()})
		}
		for name := range j.alerts {
			if !live[name] {
				delete(j.alerts, name)
			}
		}
	}
	return out
}

// inStage returns the runs in flight in stage (in any, when empty), by
// customer.
func (j *journey) inStage(stage string) []AlertCustomer {
	var out []AlertCustomer
	for _, r := range j.list {
		c := r.customer
		if r.stage < 0 || r.stage >= len(j.stages) {
			continue
		}
		if s := j.stages[r.stage]; stage == "" || s == stage {
			out = append(out, AlertCustomer{Customer: c, Run: r.n, Stage: s})
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Customer < out[b].Customer })
	return out
}

// pastBy reports whether v is past target t by margin h in the direction
// it should be: above it by more than h, or below it by more than h.
func pastBy(t *Target, v, h float64) bool {
	if h <= 0 {
		return true
	}
	if t.Above != nil {
		return v >= *t.Above+h
	}
	return v <= *t.Below-h
}

// SentAlert tells analytics the last alert sent for a KPI (its state and
// its count of changes, from its ID), as the outbox keeps it: after a
// restart, alerts compare against what was sent, not against a snapshot
// older than the last alerts. An older count than the one held changes
// nothing.
func (a *Analytics) SentAlert(stack, journey, kpi, state string, seq uint64, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	j := a.journeys[jkey{stack, journey}]
	if j == nil {
		return
	}
	if as := j.alerts[kpi]; as != nil && as.seq >= seq {
		return
	}
	j.alerts[kpi] = &alertState{last: state, seq: seq, at: at.UnixMilli()}
}
