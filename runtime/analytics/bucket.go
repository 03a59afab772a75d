package analytics

// bucket holds one UTC hour of one journey. Each counter is keyed by the
// time its definition names: transitions by when they happened, stage
// outcomes by when the run reached the stage, matured conversion cohorts
// by when goal.within ended, runs without within by when they entered.
type bucket struct {
	hour int64
	// long marks a bucket of the daily or all-time figures, which count
	// paths under keys of their own.
	long bool

	entries, completed, exited, expired, timedOut, removed int64
	// matured counts entries whose goal.within ended in this hour, and
	// converted those of them that reached the goal within it.
	matured, converted int64
	// ended counts runs that entered in this hour and have ended, goals
	// those of them that reached the goal (conversion without within).
	ended, goals int64

	stages []stageAgg // by interned stage
	toGoal Sketch     // entry to goal, by goal time
	// latest counts, per event type that a rate() reads (interned), the
	// runs whose latest such event is in this hour.
	latest  []int64
	attrs   map[attrKey]*attrAgg
	actions map[string]*actionAgg
	paths   map[uint64]*pathAgg
	// sends count ended runs by the hour of their first send of each
	// action, by action name (attributed.go).
	sends map[string]*sendAgg
}

type stageAgg struct {
	// By when the run reached the stage.
	reached, movedOn, completed, dropped int64
	// By when the run left the stage: how many, and for how long.
	time Sketch
}

type attrKey struct{ event, attr string }

// attrAgg sums an event attribute for average() and nps().
type attrAgg struct {
	n   int64
	sum float64
	// nps: answers from 0 to 10, those of 9 or 10, those of 6 or less.
	answers, promoters, detractors int64
}

func (a *attrAgg) add(v float64) {
	a.n++
	a.sum += v
	if v >= 0 && v <= 10 {
		a.answers++
		switch {
		case v >= 9:
			a.promoters++
		case v <= 6:
			a.detractors++
		}
	}
}

type actionAgg struct {
	channel                             string
	decided, delivered, bounced, failed int64
	outcomes                            [len(outcomes)]int64
}

type pathAgg struct{ runs, goals int64 }

// maxPaths bounds the distinct paths one bucket keeps; the rest are summed
// under path 0.
const maxPaths = 256

func (b *bucket) stage(i int) *stageAgg {
	if i >= len(b.stages) {
		b.stages = append(b.stages, make([]stageAgg, i+1-len(b.stages))...)
	}
	return &b.stages[i]
}

func (b *bucket) attr(event, attr string) *attrAgg {
	if b.attrs == nil {
		b.attrs = map[attrKey]*attrAgg{}
	}
	k := attrKey{event, attr}
	a := b.attrs[k]
	if a == nil {
		a = &attrAgg{}
		b.attrs[k] = a
	}
	return a
}

func (b *bucket) action(name, channel string) *actionAgg {
	if b.actions == nil {
		b.actions = map[string]*actionAgg{}
	}
	a := b.actions[name]
	if a == nil {
		a = &actionAgg{channel: channel}
		b.actions[name] = a
	}
	if channel != "" {
		a.channel = channel
	}
	return a
}

func (b *bucket) latestAdd(i int, d int64) {
	if i >= len(b.latest) {
		b.latest = append(b.latest, make([]int64, i+1-len(b.latest))...)
	}
	b.latest[i] += d
}

// pathKey is the key a path is counted under in this bucket: itself, or 0
// once the bucket keeps maxPaths others.
func (b *bucket) pathKey(mask uint64) uint64 {
	if _, ok := b.paths[mask]; ok || len(b.paths) < maxPaths {
		return mask
	}
	return 0
}

func (b *bucket) addPath(key uint64, runs, goals int64) {
	if b.paths == nil {
		b.paths = map[uint64]*pathAgg{}
	}
	p := b.paths[key]
	if p == nil {
		p = &pathAgg{}
		b.paths[key] = p
	}
	p.runs += runs
	p.goals += goals
}

// merge adds o to b, or subtracts it when sign is -1.
func (b *bucket) merge(o *bucket, sign int64) {
	b.entries += sign * o.entries
	b.completed += sign * o.completed
	b.exited += sign * o.exited
	b.expired += sign * o.expired
	b.timedOut += sign * o.timedOut
	b.removed += sign * o.removed
	b.matured += sign * o.matured
	b.converted += sign * o.converted
	b.ended += sign * o.ended
	b.goals += sign * o.goals
	for i := range o.stages {
		x, y := b.stage(i), &o.stages[i]
		x.reached += sign * y.reached
		x.movedOn += sign * y.movedOn
		x.completed += sign * y.completed
		x.dropped += sign * y.dropped
		x.time.merge(&y.time, sign)
	}
	b.toGoal.merge(&o.toGoal, sign)
	for i, v := range o.latest {
		b.latestAdd(i, sign*v)
	}
	for k, y := range o.attrs {
		x := b.attr(k.event, k.attr)
		x.n += sign * y.n
		x.sum += float64(sign) * y.sum
		x.answers += sign * y.answers
		x.promoters += sign * y.promoters
		x.detractors += sign * y.detractors
	}
	for name, y := range o.actions {
		b.action(name, y.channel).add(y, sign)
	}
	for k, y := range o.paths {
		b.addPath(k, sign*y.runs, sign*y.goals)
	}
	for name, y := range o.sends {
		x := b.send(name)
		x.runs += sign * y.runs
		x.converted += sign * y.converted
	}
}
