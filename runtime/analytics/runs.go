package analytics

import "slices"

// inFlight indexes the runs in flight of every journey (and holdout) of
// an Analytics by customer. A customer's records come together (one event
// moves them in many journeys), so the runs they name are found in one
// place that is still in the cache, rather than in a map per journey.
// Each journey lists its own runs as well (journey.list), for what reads
// them all.
type inFlight struct {
	byCustomer map[string]*customerRuns
	// last is the customer looked up last, nil when none or dropped.
	last *customerRuns
	// journeys counts the indexes handed to journeys.
	journeys int
}

// customerRuns are one customer's runs in flight, in order of journey
// index. A run that ends leaves its entry with a nil run, for the
// customer's next run of the journey, until none of theirs is in flight.
type customerRuns struct {
	id   string
	runs []journeyRun
	live int // entries with a run
}

type journeyRun struct {
	j int // journey.idx
	r *run
}

func newInFlight() *inFlight { return &inFlight{byCustomer: map[string]*customerRuns{}} }

// customer returns the customer's runs, nil when none is in flight.
func (f *inFlight) customer(id string) *customerRuns {
	if c := f.last; c != nil && c.id == id {
		return c
	}
	c := f.byCustomer[id]
	if c != nil {
		f.last = c
	}
	return c
}

// find is where journey j's run is in c.runs, or would be.
func (c *customerRuns) find(j int) (int, bool) {
	lo, hi := 0, len(c.runs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if c.runs[m].j < j {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(c.runs) && c.runs[lo].j == j
}

// of returns journey j's run in c, nil when none; c may be nil.
func (c *customerRuns) of(j int) *run {
	if c == nil {
		return nil
	}
	if i, ok := c.find(j); ok {
		return c.runs[i].r
	}
	return nil
}

// cur is the customer's run in flight in the journey, whatever its
// number; nil when none.
func (j *journey) cur(customer string) *run { return j.fl.customer(customer).of(j.idx) }

// putRun makes r the customer's run in flight in the journey, which has
// none.
func (j *journey) putRun(customer string, r *run) {
	c := j.fl.customer(customer)
	if c == nil {
		c = &customerRuns{id: customer}
		j.fl.byCustomer[customer] = c
		j.fl.last = c
	}
	i, ok := c.find(j.idx)
	switch {
	case !ok:
		c.runs = slices.Insert(c.runs, i, journeyRun{j.idx, r})
		c.live++
	case c.runs[i].r == nil:
		c.runs[i].r = r
		c.live++
	default:
		j.removeListed(c.runs[i].r)
		c.runs[i].r = r
	}
	r.customer, r.pos = customer, len(j.list)
	j.list = append(j.list, r)
}

// dropRun forgets the customer's run in flight in the journey, if any.
func (j *journey) dropRun(customer string) {
	c := j.fl.customer(customer)
	if c == nil {
		return
	}
	i, ok := c.find(j.idx)
	if !ok || c.runs[i].r == nil {
		return
	}
	j.removeListed(c.runs[i].r)
	c.runs[i].r = nil
	c.live--
	if c.live == 0 {
		delete(j.fl.byCustomer, customer)
		if j.fl.last == c {
			j.fl.last = nil
		}
	}
}

// removeListed takes r out of the journey's list, putting the last run
// in its place.
func (j *journey) removeListed(r *run) {
	last := j.list[len(j.list)-1]
	j.list[r.pos], last.pos = last, r.pos
	j.list[len(j.list)-1] = nil
	j.list = j.list[:len(j.list)-1]
}
