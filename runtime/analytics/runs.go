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
// index.
type customerRuns struct {
	id   string
	runs []journeyRun
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
	return slices.BinarySearchFunc(c.runs, j, func(x journeyRun, j int) int { return x.j - j })
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
	if ok {
		j.removeListed(c.runs[i].r)
		c.runs[i].r = r
	} else {
		c.runs = slices.Insert(c.runs, i, journeyRun{j.idx, r})
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
	if !ok {
		return
	}
	j.removeListed(c.runs[i].r)
	c.runs = slices.Delete(c.runs, i, i+1)
	if len(c.runs) == 0 {
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
