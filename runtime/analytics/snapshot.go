package analytics

import (
	"bytes"
	"container/heap"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
)

// snapshotVersion changes when the stored form does. A snapshot of an
// earlier version down to minSnapshotVersion is read (gob leaves the
// fields it lacks zero, and each has a meaning when zero), so that a
// runtime upgrade keeps the KPI history; a later one is refused.
//
//	2: facts numbered per partition.
//	3: alert states carry their KPI's definition (alertSnap.Def).
//	4: a journey carries the global holdout's figures (journeyState.Held).
//	5: and its experiments' (journeyState.Experiments).
//	6: buckets count the ended runs sent each action (bucketState.Sends);
//	   older snapshots have none, as their runtime counted none.
const (
	snapshotVersion    = 6
	minSnapshotVersion = 2
)

type snapState struct {
	Version  int
	Applied  []uint64
	Journeys []journeyState
	// Boundary is Analytics.boundary (absent before alerts were
	// evaluated at hour boundaries only; gob leaves it zero).
	Boundary int64
}

type journeyState struct {
	Stack, Journey string
	Stages         []string
	RateTypes      []string
	Newest         int64
	Buckets        []bucketState
	Runs           []runState
	Pending        []pendingState
	Alerts         []alertSnap
	// Days, Total and First are the daily and all-time figures (absent
	// from snapshots written before they were kept; gob leaves them zero).
	Days  []bucketState
	Total *bucketState
	First int64
	// Held is the same journey's figures of the held-out runs alone (the
	// global holdout), nil when none has entered (version 4).
	Held *journeyState
	// Experiments are the experiments' figures (version 5).
	Experiments []expState
}

type bucketState struct {
	Hour int64
	// Entries, Completed, Exited, Expired, TimedOut, Removed, Matured,
	// Converted, Ended, Goals.
	Counts  [10]int64
	Stages  []stageState
	ToGoal  *sketchState
	Latest  []int64
	Attrs   []attrState
	Actions []actionState
	Paths   []pathState
	// Sends are the attributed counts (version 6).
	Sends []sendState
}

type sendState struct {
	Action          string
	Runs, Converted int64
}

type stageState struct {
	Reached, MovedOn, Completed, Dropped int64
	Time                                 *sketchState
}

type attrState struct {
	Event, Attr                    string
	N                              int64
	Sum                            float64
	Answers, Promoters, Detractors int64
}

type actionState struct {
	Action, Channel                     string
	Decided, Delivered, Bounced, Failed int64
	Outcomes                            [len(outcomes)]int64
}

type pathState struct {
	Mask        uint64
	Runs, Goals int64
}

type runState struct {
	Customer       string
	N              uint64
	Entered, Since int64
	Stage          int
	Path           uint64
	Last           []int64
}

type pendingState struct {
	Due       int64
	Converted bool
}

type alertSnap struct {
	KPI  string
	Last string
	Seq  uint64
	// Def is the KPI's definition (version 3), empty before.
	Def string
	// At is the event time of the last alert (Unix ms), for the cooldown;
	// zero in older snapshots.
	At int64
}

// snapshotMagic starts a snapshot; the number of partitions follows,
// big-endian in 4 bytes, then the Seq of the last record it holds of each,
// big-endian in 8, then the state in gob.
const snapshotMagic = "WMA\x02"

// SnapshotApplied returns the Seq of the last record a snapshot holds of
// each partition, without decoding the rest: a store may drop the records
// up to them. A snapshot of an older version is refused.
func SnapshotApplied(data []byte) ([]uint64, error) {
	applied, _, err := snapshotHeader(data)
	return applied, err
}

func snapshotHeader(data []byte) ([]uint64, int, error) {
	h := len(snapshotMagic) + 4
	if len(data) >= len(snapshotMagic) && string(data[:len(snapshotMagic)-1]) == snapshotMagic[:len(snapshotMagic)-1] &&
		data[len(snapshotMagic)-1] < snapshotMagic[len(snapshotMagic)-1] {
		return nil, 0, fmt.Errorf("the analytics snapshot has version %d, from before facts were numbered per partition; this runtime reads version %d",
			data[len(snapshotMagic)-1], snapshotMagic[len(snapshotMagic)-1])
	}
	if len(data) < h || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return nil, 0, errors.New("not an analytics snapshot")
	}
	n := int(binary.BigEndian.Uint32(data[len(snapshotMagic):]))
	if n > 1<<16 || len(data) < h+8*n {
		return nil, 0, errors.New("corrupt analytics snapshot")
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(data[h+8*i:])
	}
	return out, h + 8*n, nil
}

// Snapshot returns the whole state, for Restore after a restart.
func (a *Analytics) Snapshot() ([]byte, error) {
	a.mu.Lock()
	s := snapState{Version: snapshotVersion, Applied: append([]uint64(nil), a.applied...), Boundary: a.boundary}
	for k, j := range a.journeys {
		js := j.state(k)
		if j.held != nil {
			h := j.held.state(k)
			js.Held = &h
		}
		js.Experiments = j.expStates()
		s.Journeys = append(s.Journeys, js)
	}
	var buf bytes.Buffer
	buf.WriteString(snapshotMagic)
	buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(a.applied))))
	for _, n := range a.applied {
		buf.Write(binary.BigEndian.AppendUint64(nil, n))
	}
	err := gob.NewEncoder(&buf).Encode(&s)
	a.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("encoding the analytics snapshot: %w", err)
	}
	return buf.Bytes(), nil
}

// state is the journey's stored form.
func (j *journey) state(k jkey) journeyState {
	js := journeyState{Stack: k.stack, Journey: k.journey, Stages: j.stages, RateTypes: j.rateTypes, Newest: j.newest}
	for _, b := range j.ring {
		if b == nil || b.hour <= j.newest-int64(len(j.ring)) {
			continue
		}
		js.Buckets = append(js.Buckets, b.state())
	}
	for _, b := range j.days.ring {
		if b != nil {
			js.Days = append(js.Days, b.state())
		}
	}
	if j.days.first != math.MaxInt64 {
		t := j.days.total.state()
		js.Total, js.First = &t, j.days.first
	}
	for _, r := range j.list {
		js.Runs = append(js.Runs, runState{r.customer, r.n, r.entered, r.since, r.stage, r.path, r.last})
	}
	for _, p := range j.pending {
		js.Pending = append(js.Pending, pendingState{p.due, p.converted})
	}
	for name, as := range j.alerts {
		js.Alerts = append(js.Alerts, alertSnap{name, as.last, as.seq, as.def, as.at})
	}
	return js
}

func (b *bucket) state() bucketState {
	s := bucketState{Hour: b.hour, Counts: [10]int64{b.entries, b.completed, b.exited, b.expired, b.timedOut, b.removed,
		b.matured, b.converted, b.ended, b.goals}, ToGoal: b.toGoal.state(), Latest: b.latest}
	for _, x := range b.stages {
		s.Stages = append(s.Stages, stageState{x.reached, x.movedOn, x.completed, x.dropped, x.time.state()})
	}
	for k, x := range b.attrs {
		s.Attrs = append(s.Attrs, attrState{k.event, k.attr, x.n, x.sum, x.answers, x.promoters, x.detractors})
	}
	for k, x := range b.actions {
		s.Actions = append(s.Actions, actionState{k, x.channel, x.decided, x.delivered, x.bounced, x.failed, x.outcomes})
	}
	for k, x := range b.paths {
		s.Paths = append(s.Paths, pathState{k, x.runs, x.goals})
	}
	for k, x := range b.sends {
		s.Sends = append(s.Sends, sendState{k, x.runs, x.converted})
	}
	return s
}

func (s *bucketState) bucket() *bucket {
	c := s.Counts
	b := &bucket{hour: s.Hour, entries: c[0], completed: c[1], exited: c[2], expired: c[3], timedOut: c[4], removed: c[5],
		matured: c[6], converted: c[7], ended: c[8], goals: c[9], latest: s.Latest}
	if sk := s.ToGoal.sketch(); sk != nil {
		b.toGoal = *sk
	}
	for _, x := range s.Stages {
		sa := stageAgg{reached: x.Reached, movedOn: x.MovedOn, completed: x.Completed, dropped: x.Dropped}
		if sk := x.Time.sketch(); sk != nil {
			sa.time = *sk
		}
		b.stages = append(b.stages, sa)
	}
	for _, x := range s.Attrs {
		*b.attr(x.Event, x.Attr) = attrAgg{x.N, x.Sum, x.Answers, x.Promoters, x.Detractors}
	}
	for _, x := range s.Actions {
		*b.action(x.Action, x.Channel) = actionAgg{x.Channel, x.Decided, x.Delivered, x.Bounced, x.Failed, x.Outcomes}
	}
	for _, x := range s.Paths {
		if b.paths == nil {
			b.paths = map[uint64]*pathAgg{}
		}
		b.paths[x.Mask] = &pathAgg{x.Runs, x.Goals}
	}
	for _, x := range s.Sends {
		*b.send(x.Action) = sendAgg{x.Runs, x.Converted}
	}
	return b
}

// Restore replaces the state with a snapshot's. The journeys configured
// stay configured.
func (a *Analytics) Restore(data []byte) error {
	_, off, err := snapshotHeader(data)
	if err != nil {
		return err
	}
	var s snapState
	if err := gob.NewDecoder(bytes.NewReader(data[off:])).Decode(&s); err != nil {
		return fmt.Errorf("decoding the analytics snapshot: %w", err)
	}
	if s.Version < minSnapshotVersion || s.Version > snapshotVersion {
		return fmt.Errorf("the analytics snapshot has version %d; this runtime reads versions %d to %d", s.Version, minSnapshotVersion, snapshotVersion)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.journeys
	a.journeys, a.fl = map[jkey]*journey{}, newInFlight()
	a.applied = s.Applied
	a.boundary = s.Boundary
	for _, js := range s.Journeys {
		k := jkey{js.Stack, js.Journey}
		j := a.restoreJourney(&js, old[k])
		if js.Held != nil {
			j.held = a.restoreJourney(js.Held, old[k])
		}
		j.restoreExps(js.Experiments)
		a.journeys[k] = j
	}
	for k, o := range old {
		if _, ok := a.journeys[k]; !ok && o.configured {
			j := a.newJourney(k.stack, k.journey)
			j.spec, j.configured = o.spec, true
			for _, s := range o.spec.Stages {
				j.stage(s)
			}
			for _, kp := range o.spec.KPIs {
				if kp.Function == FuncRate {
					j.rateType(kp.Event)
				}
			}
			j.resize(len(o.ring))
			a.journeys[k] = j
		}
	}
	return nil
}

// restoreJourney makes a journey of its stored form; o is the journey
// configured before, if any, whose configuration it keeps.
func (a *Analytics) restoreJourney(js *journeyState, o *journey) *journey {
	j := a.newJourney(js.Stack, js.Journey)
	for _, n := range js.Stages {
		j.stage(n)
	}
	for _, n := range js.RateTypes {
		j.rateType(n)
	}
	oldest := js.Newest
	for _, b := range js.Buckets {
		oldest = min(oldest, b.Hour)
	}
	n := len(j.ring)
	if o != nil && o.configured {
		j.spec, j.configured = o.spec, true
		for _, s := range o.spec.Stages {
			j.stage(s)
		}
		for _, kp := range o.spec.KPIs {
			if kp.Function == FuncRate {
				j.rateType(kp.Event)
			}
		}
		n = len(o.ring)
	}
	j.newest = js.Newest
	if js.Newest != math.MinInt64 {
		j.resize(max(n, int(js.Newest-oldest)+1))
	}
	for i := range js.Buckets {
		b := js.Buckets[i].bucket()
		j.ring[j.slot(b.hour)] = b
	}
	if len(j.ring) != n {
		j.resize(n)
	}
	for _, d := range js.Days {
		j.days.newest = max(j.days.newest, d.Hour)
	}
	for i := range js.Days {
		if b := js.Days[i].bucket(); b.hour > j.days.newest-int64(len(j.days.ring)) {
			b.long = true
			j.days.ring[j.days.slot(b.hour)] = b
		}
	}
	if js.Total != nil {
		j.days.total, j.days.first = *js.Total.bucket(), js.First
		j.days.total.long = true
	}
	for _, r := range js.Runs {
		if j.cur(r.Customer) == nil {
			j.putRun(r.Customer, &run{n: r.N, entered: r.Entered, since: r.Since, stage: r.Stage, path: r.Path, last: r.Last})
		}
	}
	for _, p := range js.Pending {
		j.pending = append(j.pending, pendingItem{p.Due, p.Converted})
		j.pendingConverted += b2i(p.Converted)
	}
	heap.Init(&j.pending)
	for _, al := range js.Alerts {
		j.alerts[al.KPI] = &alertState{al.Last, al.Seq, al.Def, al.At}
	}
	return j
}
