package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

// Event is one event in the runtime's own shape.
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	CustomerID string         `json:"customer_id"`
	Timestamp  time.Time      `json:"timestamp"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Traits     map[string]any `json:"traits,omitempty"`
}

// Options say what to generate.
type Options struct {
	// Seed makes the stream: the same options give the same stream.
	Seed uint64
	// Start is when the first session may begin (required); events fall
	// in [Start, Start+Span).
	Start time.Time
	// Span is how long the stream covers (default four weeks).
	Span time.Duration
	// Customers is how many shoppers there are (default 6,000, which
	// gives about 40,000 events).
	Customers int
	// Incident, when set, is a stretch of the stream in which the payment
	// step fails to load for most shoppers, so that the checkout dropoff
	// KPI misses its target and then recovers.
	Incident     bool
	IncidentFrom time.Duration // from Start; default Span/2
	IncidentFor  time.Duration // default 5 days
}

func (o *Options) defaults() {
	if o.Span <= 0 {
		o.Span = 28 * 24 * time.Hour
	}
	if o.Customers <= 0 {
		o.Customers = 6000
	}
	if o.IncidentFrom <= 0 {
		o.IncidentFrom = o.Span / 2
	}
	if o.IncidentFor <= 0 {
		o.IncidentFor = 5 * 24 * time.Hour
	}
}

var (
	firstNames = []string{"Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Dennis", "Frances", "Ken", "Radia",
		"Edsger", "Hedy", "Tim", "Katherine", "Donald", "Sophie", "John", "Annie", "Niklaus", "Shafi"}
	timezones = []string{"Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"}
	methods   = []string{"card", "card", "card", "paypal", "apple_pay", "klarna"}
	ticketCat = []string{"delivery", "payment", "product", "account"}
)

// shopper is one customer being simulated.
type shopper struct {
	id   string
	rng  *rand.Rand
	o    *Options
	evs  []Event
	tier string
	// t is the customer's own clock: each event is at least a second
	// after the one before.
	t time.Time
	// traitsSent is set once the profile went with an event.
	traitsSent bool
	tickets    int
	profile    map[string]any
}

func (s *shopper) emit(at time.Time, typ string, attrs map[string]any) {
	at = at.Truncate(time.Second)
	if !at.After(s.t) && !s.t.IsZero() {
		at = s.t.Add(time.Second)
	}
	s.t = at
	ev := Event{Type: typ, CustomerID: s.id, Timestamp: at, Attributes: attrs}
	if !s.traitsSent {
		ev.Traits, s.traitsSent = s.profile, true
	}
	s.evs = append(s.evs, ev)
}

// lognormal returns a duration whose median is med, spread by sigma.
func (s *shopper) lognormal(med time.Duration, sigma float64) time.Duration {
	return time.Duration(float64(med) * math.Exp(s.rng.NormFloat64()*sigma))
}

func (s *shopper) chance(p float64) bool { return s.rng.Float64() < p }

// sessionStart picks a time in the span, more often in the day than at
// night (UTC).
func (s *shopper) sessionStart() time.Time {
	for {
		t := s.o.Start.Add(time.Duration(s.rng.Int64N(int64(s.o.Span))))
		h := t.Hour()
		w := 0.25
		if h >= 8 && h < 23 {
			w = 1
		}
		if s.chance(w) {
			return t
		}
	}
}

func (s *shopper) paymentWorks(at time.Time) bool {
	o := s.o
	if !o.Incident {
		return true
	}
	from := o.Start.Add(o.IncidentFrom)
	if at.Before(from) || !at.Before(from.Add(o.IncidentFor)) {
		return true
	}
	return s.chance(0.1)
}

// Generate returns the stream, ordered by timestamp (ties by customer and
// their own order), with ids demo-1, demo-2, ...
func Generate(o Options) []Event {
	o.defaults()
	var all []Event
	for i := 0; i < o.Customers; i++ {
		s := &shopper{id: fmt.Sprintf("c-%05d", i+1), rng: rand.New(rand.NewPCG(o.Seed, uint64(i))), o: &o}
		s.simulate()
		all = append(all, s.evs...)
	}
	end := o.Start.Add(o.Span)
	kept := all[:0]
	for _, ev := range all {
		if ev.Timestamp.Before(end) {
			kept = append(kept, ev)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].Timestamp.Before(kept[j].Timestamp) })
	for i := range kept {
		kept[i].ID = fmt.Sprintf("demo-%d", i+1)
	}
	return kept
}

func (s *shopper) simulate() {
	r := s.rng
	switch x := r.Float64(); {
	case x < 0.10:
		s.tier = "gold"
	case x < 0.30:
		s.tier = "silver"
	default:
		s.tier = "standard"
	}
	s.profile = map[string]any{
		"email":        s.id + "@example.test",
		"email_opt_in": s.chance(0.75),
		"first_name":   firstNames[r.IntN(len(firstNames))],
		"tier":         s.tier,
	}
	if s.chance(0.8) {
		s.profile["timezone"] = timezones[r.IntN(len(timezones))]
	}
	sessions := 1
	if s.chance(0.45) {
		sessions++
		if s.chance(0.35) {
			sessions++
		}
	}
	starts := make([]time.Time, sessions)
	for i := range starts {
		starts[i] = s.sessionStart()
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	unsubscribeAt := time.Time{}
	if s.chance(0.015) {
		unsubscribeAt = s.sessionStart()
	}
	for _, st := range starts {
		if !unsubscribeAt.IsZero() && st.After(unsubscribeAt) {
			s.emit(unsubscribeAt, "unsubscribed", nil)
			unsubscribeAt = time.Time{}
		}
		if st.Before(s.t) {
			st = s.t.Add(s.lognormal(6*time.Hour, 1))
		}
		s.session(st)
	}
	if !unsubscribeAt.IsZero() && unsubscribeAt.After(s.t) {
		s.emit(unsubscribeAt, "unsubscribed", nil)
	}
}

// session is one visit: a cart, perhaps checkout and payment, perhaps an
// order, perhaps a return days later.
func (s *shopper) session(t time.Time) {
	r := s.rng
	items, value := 0, 0.0
	price := func() float64 {
		med := 32.0
		if s.tier == "gold" {
			med = 48
		}
		return math.Round(med*math.Exp(r.NormFloat64()*0.6)*100) / 100
	}
	cart := func(n int) {
		for i := 0; i < n; i++ {
			if items > 0 && s.chance(0.15) {
				items--
				value = math.Max(0, math.Round((value-price()/2)*100)/100)
			} else {
				items++
				value = math.Round((value+price())*100) / 100
			}
			t = t.Add(s.lognormal(3*time.Minute, 0.8))
			s.emit(t, "cart_updated", map[string]any{"cart_value": value, "item_count": items})
		}
	}
	if s.chance(0.14) {
		// A small basket, often below the journey's minimum.
		items, value = 1, math.Round((8+r.Float64()*20)*100)/100
		t = t.Add(time.Minute)
		s.emit(t, "cart_updated", map[string]any{"cart_value": value, "item_count": items})
	} else {
		cart(1 + r.IntN(4))
	}
	order := func() {
		t = t.Add(s.lognormal(3*time.Minute, 0.5))
		s.emit(t, "order_placed", map[string]any{"amount": value})
	}
	ticket := func() {
		s.tickets++
		t = t.Add(s.lognormal(40*time.Minute, 1.5))
		s.emit(t, "ticket_opened", map[string]any{"ticket_id": fmt.Sprintf("T-%s-%d", s.id[2:], s.tickets), "category": ticketCat[r.IntN(len(ticketCat))]})
	}
	if s.chance(0.03) {
		ticket()
		return
	}
	checkoutP := 0.5
	if s.tier == "gold" {
		checkoutP = 0.62
	}
	if !s.chance(checkoutP) {
		s.comeBack(&t, 0, order, cart)
		return
	}
	t = t.Add(s.lognormal(6*time.Minute, 0.7))
	s.emit(t, "checkout_started", nil)
	if !s.paymentWorks(t) {
		// The payment step does not load; some complain.
		if s.chance(0.15) {
			ticket()
			return
		}
		s.comeBack(&t, 1, order, cart)
		return
	}
	if !s.chance(0.72) {
		s.comeBack(&t, 1, order, cart)
		return
	}
	t = t.Add(s.lognormal(3*time.Minute, 0.6))
	s.emit(t, "payment_started", map[string]any{"payment_method": methods[r.IntN(len(methods))]})
	if s.chance(0.68) {
		order()
		return
	}
	s.comeBack(&t, 2, order, cart)
}

// comeBack is an abandoned cart: most never return; some come back hours
// or days later (the reminder emails' doing) and order.
func (s *shopper) comeBack(t *time.Time, reached int, order func(), cart func(int)) {
	if !s.chance(0.28) {
		return
	}
	*t = t.Add(s.lognormal(20*time.Hour, 1.1))
	if s.chance(0.4) {
		cart(1)
	}
	if reached < 1 || s.chance(0.3) {
		*t = t.Add(s.lognormal(4*time.Minute, 0.6))
		s.emit(*t, "checkout_started", nil)
	}
	if !s.paymentWorks(*t) || !s.chance(0.8) {
		return
	}
	*t = t.Add(s.lognormal(3*time.Minute, 0.6))
	s.emit(*t, "payment_started", map[string]any{"payment_method": methods[s.rng.IntN(len(methods))]})
	if s.chance(0.75) {
		order()
	}
}

// Write writes events as JSON Lines.
func Write(w io.Writer, evs []Event) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			return fmt.Errorf("writing event %s: %w", evs[i].ID, err)
		}
	}
	return bw.Flush()
}

// Read reads events written by Write.
func Read(r io.Reader) ([]Event, error) {
	var out []Event
	dec := json.NewDecoder(r)
	for {
		var ev Event
		err := dec.Decode(&ev)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading event %d: %w", len(out)+1, err)
		}
		out = append(out, ev)
	}
}
