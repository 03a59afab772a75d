package analytics

import (
	"errors"
	"math"
	"sync"
	"time"
)

// ErrUnknownJourney is returned for a journey that is not deployed.
var ErrUnknownJourney = errors.New("unknown journey")

const (
	hourMs = int64(time.Hour / time.Millisecond)
	// noTime marks a time that is not known.
	noTime = math.MinInt64
	// DefaultWindow is the window of a report's funnel, paths and actions.
	DefaultWindow = 7 * 24 * time.Hour
)

func msOf(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixMilli()
}

func hourOf(ms int64) int64 {
	h := ms / hourMs
	if ms%hourMs < 0 {
		h--
	}
	return h
}

func hourTime(h int64) time.Time { return time.UnixMilli(h * hourMs).UTC() }

// Options configure Analytics.
type Options struct {
	// Window is the window of a report's totals, funnel, paths and actions
	// (default DefaultWindow).
	Window time.Duration
	// Paths is the most paths a report lists (default 10).
	Paths int
	// Days is how many UTC days of daily figures a journey keeps for
	// reports beyond its hourly ones (default DefaultDays).
	Days int
}

// Analytics keeps every journey's aggregates. Its methods are safe for
// concurrent use.
type Analytics struct {
	opts Options

	mu       sync.Mutex
	journeys map[jkey]*journey
	fl       *inFlight // the journeys' runs in flight
	applied  []uint64  // by partition
	// boundary is the last hour boundary alerts were evaluated at (Unix
	// ms; zero before the first), kept in snapshots so that a restart
	// evaluates the boundaries after it, as the run before would have.
	boundary int64
}

type jkey struct{ stack, journey string }

// New returns empty analytics; Configure tells it the journeys.
func New(opts Options) *Analytics {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Paths <= 0 {
		opts.Paths = 10
	}
	if opts.Days <= 0 {
		opts.Days = DefaultDays
	}
	a := &Analytics{opts: opts, journeys: map[jkey]*journey{}, fl: newInFlight()}
	return a
}

// journey is one journey's aggregates and the state of its runs in flight.
type journey struct {
	spec       Journey
	configured bool

	// stages and rateTypes intern names: they only grow, so that the
	// indexes kept in buckets and runs stay valid across deployments.
	stages    []string
	stageIdx  map[string]int
	rateTypes []string
	rateIdx   map[string]int

	ring   []*bucket // by hour modulo len(ring)
	newest int64     // the newest hour written

	// idx is the journey's index in fl, which holds its runs in flight
	// by customer (one at most each); list holds them in no order.
	idx  int
	fl   *inFlight
	list []*run
	// pending are runs that ended before their goal.within did, waiting
	// for it to end to join the matured cohort.
	pending pendingHeap
	// pendingConverted counts the pending runs that reached the goal.
	pendingConverted int64

	days days

	alerts map[string]*alertState
	// exps are the experiments' figures, by action and experiment.
	exps map[expKey]*expAgg
	// sums are the running sums of the windows and slices read.
	sums []*windowSum

	// held is the same journey's figures of the runs of customers in the
	// global holdout alone, nil until one enters (holdout.go).
	held *journey
}

// run is a journey run in flight.
type run struct {
	customer       string
	pos            int // in journey.list
	n              uint64
	entered, since int64 // ms
	stage          int
	path           uint64 // bit i: visited interned stage i
	last           []int64
}

type pendingItem struct {
	due       int64 // ms: when goal.within ends
	converted bool
}

type pendingHeap []pendingItem

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].due < h[j].due }
func (h pendingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)        { *h = append(*h, x.(pendingItem)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// push and pop are heap.Push and heap.Pop, the same steps, without
// boxing an item in an interface for each (an allocation per run ended).
func (h *pendingHeap) push(x pendingItem) {
	*h = append(*h, x)
	s := *h
	for j := len(s) - 1; ; {
		i := (j - 1) / 2 // parent
		if i == j || !s.Less(j, i) {
			break
		}
		s.Swap(i, j)
		j = i
	}
}

func (h *pendingHeap) pop() pendingItem {
	s := *h
	n := len(s) - 1
	s.Swap(0, n)
	for i := 0; ; {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1 // left child
		if j2 := j1 + 1; j2 < n && s.Less(j2, j1) {
			j = j2 // right child
		}
		if !s.Less(j, i) {
			break
		}
		s.Swap(i, j)
		i = j
	}
	x := s[n]
	*h = s[:n]
	return x
}

func (a *Analytics) newJourney(stack, name string) *journey {
	j := &journey{spec: Journey{Stack: stack, Name: name}, stageIdx: map[string]int{}, rateIdx: map[string]int{},
		idx: a.fl.journeys, fl: a.fl, alerts: map[string]*alertState{},
		newest: math.MinInt64, days: newDays(a.opts.Days)}
	a.fl.journeys++
	j.resize(a.retention(nil))
	return j
}

// retention is how many hours a journey keeps: its longest window, and the
// hour the clock is in.
func (a *Analytics) retention(kpis []KPI) int {
	w := a.opts.Window
	for _, k := range kpis {
		w = max(w, k.Window)
	}
	return int((w+time.Hour-1)/time.Hour) + 2
}

func (a *Analytics) journey(stack, name string) *journey {
	k := jkey{stack, name}
	j := a.journeys[k]
	if j == nil {
		j = a.newJourney(stack, name)
		a.journeys[k] = j
	}
	return j
}

// Configure sets the journeys deployed now. Journeys no longer deployed
// stop being reported; their aggregates are dropped once no run of theirs
// is in flight.
func (a *Analytics) Configure(js []Journey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	seen := map[jkey]bool{}
	for _, spec := range js {
		k := jkey{spec.Stack, spec.Name}
		seen[k] = true
		a.carry(spec)
		j := a.journey(spec.Stack, spec.Name)
		a.configure(j, spec)
		if j.held != nil {
			a.configure(j.held, spec)
		}
	}
	for k, j := range a.journeys {
		if !seen[k] {
			j.configured = false
			if len(j.list) == 0 && len(j.pending) == 0 {
				delete(a.journeys, k)
			}
		}
	}
}

// configure sets a journey's spec: it interns the stages and the events
// rate() reads, and keeps as many hours as the KPIs need.
func (a *Analytics) configure(j *journey, spec Journey) {
	j.spec, j.configured = spec, true
	for _, s := range spec.Stages {
		j.stage(s)
	}
	for _, kp := range spec.KPIs {
		if kp.Function == FuncRate {
			j.rateType(kp.Event)
		}
	}
	if n := a.retention(spec.KPIs); n != len(j.ring) {
		j.resize(n)
	}
	j.sums = nil
}

func (j *journey) stage(name string) int {
	if i, ok := j.stageIdx[name]; ok {
		return i
	}
	j.stages = append(j.stages, name)
	j.stageIdx[name] = len(j.stages) - 1
	return len(j.stages) - 1
}

func (j *journey) rateType(name string) int {
	if i, ok := j.rateIdx[name]; ok {
		return i
	}
	j.rateTypes = append(j.rateTypes, name)
	j.rateIdx[name] = len(j.rateTypes) - 1
	return len(j.rateTypes) - 1
}

// resize changes how many hours the journey keeps, keeping the newest.
func (j *journey) resize(n int) {
	old := j.ring
	j.sums = nil
	j.ring = make([]*bucket, n)
	for _, b := range old {
		if b != nil && b.hour > j.newest-int64(n) {
			j.ring[j.slot(b.hour)] = b
		}
	}
}

func (j *journey) slot(h int64) int { return ringSlot(j.ring, h) }

// get returns the bucket of hour h, or nil.
func (j *journey) get(h int64) *bucket { return ringGet(j.ring, h) }

// at returns the bucket of hour h to write to, or nil when h is older
// than what the journey keeps.
func (j *journey) at(h int64) *bucket { return ringAt(j.ring, &j.newest, h, false, j.evicted) }

// ringSlot is where the bucket numbered k goes in ring r: hours in a
// journey's ring, days in its days.
func ringSlot(r []*bucket, k int64) int {
	n := int64(len(r))
	return int(((k % n) + n) % n)
}

// ringGet returns the bucket numbered k of r, or nil.
func ringGet(r []*bucket, k int64) *bucket {
	if b := r[ringSlot(r, k)]; b != nil && b.hour == k {
		return b
	}
	return nil
}

// ringAt returns the bucket numbered k of r to write to, making it (long
// as given) in place of the older one in its slot, which goes to evicted
// when not nil; newest is the highest number written. It returns nil when
// k is older than what r keeps.
func ringAt(r []*bucket, newest *int64, k int64, long bool, evicted func(*bucket)) *bucket {
	if *newest != math.MinInt64 && k <= *newest-int64(len(r)) {
		return nil
	}
	s := ringSlot(r, k)
	b := r[s]
	if b != nil && b.hour == k {
		return b
	}
	if b != nil && b.hour > k {
		return nil
	}
	if b != nil && evicted != nil {
		evicted(b)
	}
	b = &bucket{hour: k, long: long}
	r[s] = b
	*newest = max(*newest, k)
	return b
}

func (j *journey) run(customer string, n uint64) *run {
	if r := j.cur(customer); r != nil && r.n == n {
		return r
	}
	return nil
}

// active is how many runs are in the journey.
func (j *journey) active() int64 { return int64(len(j.list)) }

// endRun ends the customer's run in flight, if any, at t (ms) as removed
// (the runtime no longer has it: the customer was erased, or entered
// again without the run's end being seen), so that it leaves its stage as
// every run does: the stage counts it as dropped, and the funnel's fields
// still add up to what reached the stage.
func (j *journey) endRun(customer string, t int64) {
	r := j.cur(customer)
	if r == nil {
		return
	}
	from := ""
	if r.stage >= 0 && r.stage < len(j.stages) {
		from = j.stages[r.stage]
	}
	j.transition(&Transition{Time: time.UnixMilli(t).UTC(), Stack: j.spec.Stack, Journey: j.spec.Name, Customer: customer,
		Run: r.n, From: from, Reason: ReasonRemoved})
	j.dropRun(customer)
}

// Erase forgets what analytics keeps that names a customer: their runs in
// flight, each ended at as removed. The aggregates count, they do not
// name.
func (a *Analytics) Erase(customer string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.erase(customer, at)
}

// erase is Erase with a.mu held.
func (a *Analytics) erase(customer string, at time.Time) {
	for _, j := range a.journeys {
		j.endRun(customer, msOf(at))
		if j.held != nil {
			j.held.endRun(customer, msOf(at))
		}
		j.eraseExperiments(customer)
	}
}

// carry moves a renamed journey's figures to its new name, unless the new
// name has figures of its own, and renames moved actions in every bucket.
func (a *Analytics) carry(spec Journey) {
	k := jkey{spec.Stack, spec.Name}
	if spec.MovedFrom != "" {
		from := jkey{spec.Stack, spec.MovedFrom}
		if old, ok := a.journeys[from]; ok {
			if cur, taken := a.journeys[k]; !taken || (!cur.configured && len(cur.list) == 0 && cur.newest == math.MinInt64) {
				delete(a.journeys, from)
				old.spec.Name = spec.Name
				a.journeys[k] = old
			}
		}
	}
	j := a.journeys[k]
	if j == nil || len(spec.ActionsMoved) == 0 {
		return
	}
	rename := func(b *bucket) {
		if b == nil {
			return
		}
		renameSends(b, spec.ActionsMoved)
		if b.actions == nil {
			return
		}
		type move struct {
			from, to string
			x        *actionAgg
		}
		var moves []move // the names first: renaming adds names
		for name, x := range b.actions {
			if to, ok := movedName(name, spec.ActionsMoved); ok {
				moves = append(moves, move{name, to, x})
			}
		}
		for _, m := range moves {
			delete(b.actions, m.from)
		}
		for _, m := range moves {
			b.action(m.to, m.x.channel).add(m.x, 1)
		}
	}
	for _, b := range j.ring {
		rename(b)
	}
	for _, b := range j.days.ring {
		rename(b)
	}
	rename(&j.days.total)
	j.sums = nil
}
