package analytics

import (
	"sort"
	"time"
)

// Report returns the journey's analytics at now, over the default window.
func (a *Analytics) Report(stack, journey string, now time.Time) (*Report, error) {
	return a.ReportRange(stack, journey, now, Range{})
}

// ReportRange returns the journey's analytics at now, with the totals,
// funnel, paths and actions over rg and the hourly figures of the 24 hours
// that end where rg does. KPIs keep their own windows, which end at now.
// A range that cannot be reported is an ErrRange.
func (a *Analytics) ReportRange(stack, journey string, now time.Time, rg Range) (*Report, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	j := a.journeys[jkey{stack, journey}]
	if j == nil || !j.configured {
		return nil, ErrUnknownJourney
	}
	t := now.UnixMilli()
	j.advance(t)
	c, err := a.cover(j, rg, t)
	if err != nil {
		return nil, err
	}
	r := &Report{Stack: stack, Journey: journey, Now: now.UTC(), Window: c.label, From: c.from, To: c.to, Active: j.active()}
	sum := c.sum
	r.Totals = Totals{Entries: sum.entries, Completed: sum.completed, Exited: sum.exited, Expired: sum.expired,
		TimedOut: sum.timedOut, Removed: sum.removed}
	r.Funnel = make([]FunnelStage, 0, len(j.spec.Stages))
	still := j.stillThere(c.lo, c.hi)
	for _, name := range j.spec.Stages {
		var s stageAgg
		if i := j.stageIdx[name]; i < len(sum.stages) {
			s = sum.stages[i]
		}
		f := FunnelStage{Stage: name, Reached: s.reached, MovedOn: s.movedOn, Completed: s.completed, Dropped: s.dropped,
			Left: int64(s.time.Count())}
		if i, ok := j.stageIdx[name]; ok {
			f.StillThere = still[i]
		}
		if v, ok := s.time.Quantile(0.5); ok {
			f.Median = num(v)
		}
		if v, ok := s.time.Quantile(0.9); ok {
			f.P90 = num(v)
		}
		r.Funnel = append(r.Funnel, f)
	}
	r.Paths = j.paths(sum.paths, a.opts.Paths)
	r.Actions, r.Channels = actionReports(sum.actions)
	r.KPIs = j.kpiReports(t, true)
	r.Experiments = j.experimentReports()
	r.Score = Score(r.KPIs)
	hi := hourOf(c.to.UnixMilli())
	for h := hi - 23; h <= hi; h++ {
		hr := Hour{Hour: hourTime(h)}
		if b := j.get(h); b != nil {
			hr.Entries, hr.Goals = b.entries, b.completed
			hr.Dropped = b.exited + b.expired + b.timedOut + b.removed
		}
		r.Hourly = append(r.Hourly, hr)
	}
	return r, nil
}

// stillThere counts, by interned stage, the runs in flight that reached
// their stage in [lo, hi) (ms): those the covered buckets count as reached
// and not yet left.
func (j *journey) stillThere(lo, hi int64) map[int]int64 {
	out := map[int]int64{}
	for _, r := range j.list {
		if r.since >= lo && r.since < hi {
			out[r.stage]++
		}
	}
	return out
}

// paths lists the n most common paths, the rest summed as "(other)".
func (j *journey) paths(m map[uint64]*pathAgg, n int) []Path {
	type kv struct {
		mask uint64
		p    *pathAgg
	}
	var all []kv
	var other pathAgg
	for k, p := range m {
		if p.runs == 0 {
			continue
		}
		if k == 0 {
			other.runs, other.goals = other.runs+p.runs, other.goals+p.goals
			continue
		}
		all = append(all, kv{k, p})
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].p.runs != all[b].p.runs {
			return all[a].p.runs > all[b].p.runs
		}
		return all[a].mask < all[b].mask
	})
	out := []Path{}
	for i, x := range all {
		if i >= n {
			other.runs, other.goals = other.runs+x.p.runs, other.goals+x.p.goals
			continue
		}
		out = append(out, Path{Stages: j.pathStages(x.mask), Runs: x.p.runs, Goals: x.p.goals, GoalShare: share(x.p.goals, x.p.runs)})
	}
	if other.runs > 0 {
		out = append(out, Path{Stages: []string{"(other)"}, Runs: other.runs, Goals: other.goals, GoalShare: share(other.goals, other.runs)})
	}
	return out
}

// pathStages names the stages of a path in the order declared (stages no
// longer declared after them, in the order first seen).
func (j *journey) pathStages(mask uint64) []string {
	var out []string
	seen := uint64(0)
	for _, name := range j.spec.Stages {
		if i := j.stageIdx[name]; mask&bit(i) != 0 {
			out = append(out, name)
			seen |= bit(i)
		}
	}
	for i, name := range j.stages {
		if b := bit(i); mask&b != 0 && seen&b == 0 {
			out = append(out, name)
		}
	}
	return out
}

func share(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (a *actionAgg) add(x *actionAgg, sign int64) {
	a.decided += sign * x.decided
	a.delivered += sign * x.delivered
	a.bounced += sign * x.bounced
	a.failed += sign * x.failed
	for i := range a.outcomes {
		a.outcomes[i] += sign * x.outcomes[i]
	}
}

func (a *actionAgg) report(action string) ActionReport {
	r := ActionReport{Channel: a.channel, Decided: a.decided, Delivered: a.delivered,
		Failed: a.bounced + a.failed}
	r.Action, r.Treatment = splitTreatment(action)
	for i, o := range outcomes {
		c := a.outcomes[i]
		if o == Impression {
			r.Impressions += c
			continue
		}
		r.Responded += c
		if positiveOutcome(o) {
			r.Positive += c
		}
		if o == Converted {
			r.Converted += c
		}
	}
	if a.decided > 0 {
		r.Conversion = num(float64(r.Converted) / float64(a.decided))
	}
	return r
}

func actionReports(m map[string]*actionAgg) (actions, channels []ActionReport) {
	names := make([]string, 0, len(m))
	for n, x := range m {
		if *x != (actionAgg{channel: x.channel}) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	byChannel := map[string]*actionAgg{}
	actions, channels = []ActionReport{}, []ActionReport{}
	for _, n := range names {
		x := m[n]
		actions = append(actions, x.report(n))
		c := byChannel[x.channel]
		if c == nil {
			c = &actionAgg{channel: x.channel}
			byChannel[x.channel] = c
		}
		c.add(x, 1)
	}
	chs := make([]string, 0, len(byChannel))
	for c := range byChannel {
		chs = append(chs, c)
	}
	sort.Strings(chs)
	for _, c := range chs {
		channels = append(channels, byChannel[c].report(""))
	}
	return actions, channels
}
