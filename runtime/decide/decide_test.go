package decide_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/lang/deploy"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/decide"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/expr"
	"github.com/waymarkhq/waymark/runtime/internal/fixture"
	"github.com/waymarkhq/waymark/runtime/models"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// build compiles stacks into the decisioning catalog, with fresh models.
func build(t testing.TB, docs ...*deploy.Document) (*decide.Catalog, *models.Registry) {
	t.Helper()
	in := map[string]catalog.Deployed{}
	for _, d := range docs {
		in[d.Stack] = catalog.Deployed{Serial: 1, Doc: d}
	}
	cat, ps := catalog.Build(in, "")
	if len(ps) > 0 {
		t.Fatalf("invalid: %v", ps)
	}
	cc, ps := engine.Compile(cat)
	if len(ps) > 0 {
		t.Fatalf("does not compile: %v", ps)
	}
	reg := models.NewRegistry()
	cc.Decide().Bind(reg)
	return cc.Decide(), reg
}

// email is an outbound channel with consent, a limit and quiet hours.
func email(mod func(*deploy.Channel)) deploy.Channel {
	ch := deploy.Channel{Name: "email", Provider: "smtp", Delivers: true, Consent: "customer.email_opt_in",
		PerDelivery: map[string]string{"to": "customer.email"},
		Config:      map[string]json.RawMessage{"host": json.RawMessage(`"127.0.0.1"`), "from": json.RawMessage(`"shop@example.com"`)}}
	if mod != nil {
		mod(&ch)
	}
	return ch
}

// stack is stack name with the shared declarations, journey cart_recovery
// (browsing, checkout), the vip segment, channels web and email, and the
// actions given.
func stack(name string, actions ...deploy.Action) *fixture.Doc {
	d := fixture.New(name).Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).
		Segment("vip", `customer.tier == "gold"`).Web().Channel(email(nil))
	for _, a := range actions {
		a.Journey = "cart_recovery"
		if a.Channel == "" {
			a.Channel = "web"
		}
		if len(a.Stages) == 0 {
			a.Stages = []string{"checkout"}
		}
		d.Action(a)
	}
	return d
}

// customer is a subject in cart_recovery of every stack at stage, with
// profile values as name/value pairs.
func customer(c *decide.Catalog, id, stage string, kv ...any) *decide.Subject {
	rec := c.Layout.NewRecord()
	rec[0] = expr.String(id)
	for i := 0; i+1 < len(kv); i += 2 {
		slot, ok := c.Layout.Slot(kv[i].(string))
		if !ok {
			panic("no attribute " + kv[i].(string))
		}
		switch v := kv[i+1].(type) {
		case string:
			rec[slot] = expr.String(v)
		case bool:
			rec[slot] = expr.Bool(v)
		case float64:
			rec[slot] = expr.Number(v)
		}
	}
	sub := &decide.Subject{ID: id, Customer: rec}
	for _, s := range c.Stacks {
		for _, j := range s.Journeys {
			if j.Name != "cart_recovery" {
				continue
			}
			for i, st := range j.Stages {
				if st == stage {
					sub.Runs = append(sub.Runs, decide.Run{Stack: s.Index, Journey: j.Index, Stage: i})
				}
			}
		}
	}
	return sub
}

// reasons renders a decision: chosen actions in order, then every dropped
// one with its reason.
func reasons(d *decide.Decision) string {
	out := ""
	for i, c := range d.Candidates {
		if out != "" {
			out += " "
		}
		if i < d.Chosen {
			out += c.Action.Ref
		} else {
			out += c.Action.Ref + ":" + c.Reason.String()
		}
	}
	return out
}

func TestFilters(t *testing.T) {
	base := []deploy.Action{
		{Name: "banner", Eligible: "segment.vip", Value: "5", Lever: 1.5},
		{Name: "tip", Stages: []string{"browsing"}},
		{Name: "cart_offer", Eligible: `context.page == "cart"`},
		{Name: "capped", Limit: &deploy.Limit{Max: 1, Per: "1d"}},
		{Name: "muted", Suppress: &deploy.Suppress{AfterIgnores: 2, For: "7d"}},
		{Name: "priced", Value: "context.amount"},
	}
	contacts := []decide.Contact{{At: t0.Add(-2 * hour), Channel: "web", Action: "growth/journey.cart_recovery.action.capped"}}
	suppressed := []decide.Suppression{{Action: "growth/journey.cart_recovery.action.muted", Until: t0.Add(day)}}
	tests := []struct {
		name    string
		actions []deploy.Action
		channel func(*deploy.Channel) // the web channel
		arb     *deploy.Arbitration
		stage   string
		profile []any
		context map[string]expr.Value
		limit   int
		prepare func(*decide.Subject)
		want    string
	}{
		{
			name:  "every filter",
			stage: "checkout", profile: []any{"tier", "gold"}, limit: 10,
			prepare: func(s *decide.Subject) { s.Contacts, s.Suppressed = contacts, suppressed },
			want: "growth/journey.cart_recovery.action.banner " +
				"growth/journey.cart_recovery.action.capped:limit growth/journey.cart_recovery.action.cart_offer:not_eligible " +
				"growth/journey.cart_recovery.action.muted:suppressed growth/journey.cart_recovery.action.priced:no_value " +
				"growth/journey.cart_recovery.action.tip:not_in_stage",
		},
		{
			name:  "context and ranking by priority",
			stage: "checkout", context: map[string]expr.Value{"page": expr.String("cart"), "amount": expr.Number(20)}, limit: 2,
			actions: []deploy.Action{{Name: "small", Value: "1"}, {Name: "big", Value: "context.amount"}, {Name: "mid", Value: "3", Eligible: `context.page == "cart"`}},
			want:    "growth/journey.cart_recovery.action.big growth/journey.cart_recovery.action.mid growth/journey.cart_recovery.action.small:ranked_out",
		},
		{
			name:  "max_actions caps the limit",
			stage: "checkout", limit: 10, arb: &deploy.Arbitration{MaxActions: 1},
			actions: []deploy.Action{{Name: "a", Value: "2"}, {Name: "b", Value: "1"}},
			want:    "growth/journey.cart_recovery.action.a growth/journey.cart_recovery.action.b:ranked_out",
		},
		{
			name:  "no consent",
			stage: "checkout", channel: func(c *deploy.Channel) { c.Consent = "customer.email_opt_in" },
			actions: []deploy.Action{{Name: "a"}},
			want:    "growth/journey.cart_recovery.action.a:no_consent",
		},
		{
			name:  "consent given",
			stage: "checkout", channel: func(c *deploy.Channel) { c.Consent = "customer.email_opt_in" }, profile: []any{"email_opt_in", true},
			actions: []deploy.Action{{Name: "a"}},
			want:    "growth/journey.cart_recovery.action.a",
		},
		{
			name:  "a negative priority has no value",
			stage: "checkout", arb: &deploy.Arbitration{Priority: "value - 2"},
			actions: []deploy.Action{{Name: "a", Value: "1"}, {Name: "b", Value: "3"}},
			want:    "growth/journey.cart_recovery.action.b growth/journey.cart_recovery.action.a:no_value",
		},
		{
			name:  "a priority expression over the customer",
			stage: "checkout", profile: []any{"tier", "gold"},
			arb:     &deploy.Arbitration{Priority: `customer.tier == "gold" ? lever : value`},
			actions: []deploy.Action{{Name: "a", Value: "9", Lever: 1}, {Name: "b", Value: "1", Lever: 2}},
			want:    "growth/journey.cart_recovery.action.b growth/journey.cart_recovery.action.a",
		},
		{
			name:  "channel limit",
			stage: "checkout", channel: func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "7d"} },
			actions: []deploy.Action{{Name: "a"}},
			prepare: func(s *decide.Subject) {
				s.Contacts = []decide.Contact{{At: t0.Add(-6 * day), Channel: "web", Action: "growth/journey.other.action.x"}}
			},
			want: "growth/journey.cart_recovery.action.a:limit",
		},
		{
			name:  "a contact outside the window does not count",
			stage: "checkout", channel: func(c *deploy.Channel) { c.Limit = &deploy.Limit{Max: 1, Per: "7d"} },
			actions: []deploy.Action{{Name: "a"}},
			prepare: func(s *decide.Subject) {
				s.Contacts = []decide.Contact{{At: t0.Add(-7*day - time.Second), Channel: "web", Action: "growth/journey.other.action.x"}}
			},
			want: "growth/journey.cart_recovery.action.a",
		},
		{
			name:  "the arbitration's limit counts every channel",
			stage: "checkout", arb: &deploy.Arbitration{Limit: &deploy.Limit{Max: 2, Per: "1d"}},
			actions: []deploy.Action{{Name: "a"}},
			prepare: func(s *decide.Subject) {
				s.Contacts = []decide.Contact{{At: t0.Add(-hour), Channel: "email", Action: "x/y"}, {At: t0.Add(-2 * hour), Channel: "sms", Action: "x/z"}}
			},
			want: "growth/journey.cart_recovery.action.a:limit",
		},
		{
			name:  "a suppression that ended",
			stage: "checkout", actions: []deploy.Action{{Name: "muted", Suppress: &deploy.Suppress{AfterIgnores: 2, For: "7d"}}},
			prepare: func(s *decide.Subject) {
				s.Suppressed = []decide.Suppression{{Action: "growth/journey.cart_recovery.action.muted", Until: t0}}
			},
			want: "growth/journey.cart_recovery.action.muted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acts := tt.actions
			if acts == nil {
				acts = base
			}
			d := fixture.New("growth").Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).Segment("vip", `customer.tier == "gold"`)
			web := deploy.Channel{Name: "web", Provider: "inbound"}
			if tt.channel != nil {
				tt.channel(&web)
			}
			d.Channel(web)
			for _, a := range acts {
				a.Journey, a.Channel = "cart_recovery", "web"
				if len(a.Stages) == 0 {
					a.Stages = []string{"checkout"}
				}
				d.Action(a)
			}
			if tt.arb != nil {
				d.Arbitration(*tt.arb)
			}
			c, _ := build(t, d.Done())
			sub := customer(c, "c1", tt.stage, tt.profile...)
			if tt.prepare != nil {
				tt.prepare(sub)
			}
			dec, err := decide.Decide(c, sub, &decide.Request{ID: "d1", Channel: "web", Context: tt.context, Limit: tt.limit, Now: t0, Rand: rand.New(rand.NewPCG(1, 1))})
			if err != nil {
				t.Fatal(err)
			}
			if got := reasons(dec); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestUnknownChannel(t *testing.T) {
	c, _ := build(t, stack("growth").Done())
	if _, err := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{Channel: "fax", Now: t0}); err == nil {
		t.Fatal("a decision on an undeclared channel")
	}
}

// Contact limits hold across stacks: the channel is runtime-wide, and one
// arbitration ranks every stack's actions.
func TestLimitsSharedAcrossStacks(t *testing.T) {
	limited := func(name string) *deploy.Document {
		d := fixture.New(name).Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).
			Channel(deploy.Channel{Name: "web", Provider: "inbound", Limit: &deploy.Limit{Max: 2, Per: "1d"}})
		d.Action(deploy.Action{Journey: "cart_recovery", Name: "offer", Channel: "web", Stages: []string{"checkout"}, Value: map[string]string{"growth": "2", "billing": "1"}[name]})
		return d.Done()
	}
	billing := limited("billing")
	growth := limited("growth")
	c, _ := build(t, growth, billing)
	sub := customer(c, "c1", "checkout")
	d, _ := decide.Decide(c, sub, &decide.Request{Channel: "web", Now: t0})
	if got := reasons(d); got != "growth/journey.cart_recovery.action.offer billing/journey.cart_recovery.action.offer" {
		t.Fatalf("both stacks compete in one ranking: %s", got)
	}
	// One contact from each stack fills the channel's limit for both.
	sub.Contacts = []decide.Contact{
		{At: t0.Add(-hour), Channel: "web", Action: "growth/journey.cart_recovery.action.offer"},
		{At: t0.Add(-2 * hour), Channel: "web", Action: "billing/journey.cart_recovery.action.offer"},
	}
	d, _ = decide.Decide(c, sub, &decide.Request{Channel: "web", Now: t0})
	if got := reasons(d); got != "billing/journey.cart_recovery.action.offer:limit growth/journey.cart_recovery.action.offer:limit" {
		t.Fatalf("after two contacts: %s", got)
	}
	// The arbitration, declared by one stack, caps the other's too.
	arb := fixture.New("billing").Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).
		Channel(deploy.Channel{Name: "web", Provider: "inbound", Limit: &deploy.Limit{Max: 2, Per: "1d"}}).
		Action(deploy.Action{Journey: "cart_recovery", Name: "offer", Channel: "web", Stages: []string{"checkout"}}).
		Arbitration(deploy.Arbitration{Limit: &deploy.Limit{Max: 1, Per: "1d"}}).Done()
	c, _ = build(t, growth, arb)
	sub = customer(c, "c1", "checkout")
	sub.Contacts = []decide.Contact{{At: t0.Add(-hour), Channel: "email", Action: "billing/journey.x.action.y"}}
	d, _ = decide.Decide(c, sub, &decide.Request{Channel: "web", Now: t0})
	if got := reasons(d); got != "billing/journey.cart_recovery.action.offer:limit growth/journey.cart_recovery.action.offer:limit" {
		t.Fatalf("under billing's arbitration limit: %s", got)
	}
}

func TestQuietHours(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	night := &decide.Quiet{Start: 21 * 60, End: 8 * 60, Zone: time.UTC}
	lunch := &decide.Quiet{Start: 12 * 60, End: 13*60 + 30, Zone: time.UTC}
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		name  string
		q     *decide.Quiet
		loc   *time.Location
		now   string
		quiet bool
		end   string
	}{
		{"before the night", night, time.UTC, "2026-11-23T20:59:59Z", false, ""},
		{"at its start", night, time.UTC, "2026-11-23T21:00:00Z", true, "2026-11-24T08:00:00Z"},
		{"before midnight", night, time.UTC, "2026-11-23T23:30:00Z", true, "2026-11-24T08:00:00Z"},
		{"after midnight", night, time.UTC, "2026-11-24T03:00:00Z", true, "2026-11-24T08:00:00Z"},
		{"a second before its end", night, time.UTC, "2026-11-24T07:59:59Z", true, "2026-11-24T08:00:00Z"},
		{"at its end", night, time.UTC, "2026-11-24T08:00:00Z", false, ""},
		{"in New York it is 17:00", night, ny, "2026-11-23T22:00:00Z", false, ""},
		{"in New York it is 22:00", night, ny, "2026-11-24T03:00:00Z", true, "2026-11-24T13:00:00Z"},
		{"in Tokyo it is 07:00", night, tokyo, "2026-11-23T22:00:00Z", true, "2026-11-23T23:00:00Z"},
		{"the night the clocks go back in New York", night, ny, "2026-11-01T02:00:00Z", true, "2026-11-01T13:00:00Z"},
		{"within a day", lunch, time.UTC, "2026-11-23T12:45:00Z", true, "2026-11-23T13:30:00Z"},
		{"after it within a day", lunch, time.UTC, "2026-11-23T13:30:00Z", false, ""},
	}
	for _, tt := range tests {
		quiet, end := tt.q.At(at(tt.now), tt.loc)
		if quiet != tt.quiet || (quiet && !end.Equal(at(tt.end))) {
			t.Errorf("%s: quiet %v until %v, want %v until %s", tt.name, quiet, end, tt.quiet, tt.end)
		}
	}
}

// Quiet hours hold for outbound sends in the customer's time zone: the
// profile's timezone when set (and a zone), else the block's.
func TestQuietHoursInTheCustomersZone(t *testing.T) {
	doc := fixture.New("growth").Shared().Customer("timezone", "string", nil, false).CartRecovery(nil).
		Channel(email(func(c *deploy.Channel) {
			c.QuietHours = &deploy.QuietHours{Start: "21:00", End: "08:00", Timezone: "Europe/Paris", OnQuiet: "defer"}
		})).
		Action(deploy.Action{Journey: "cart_recovery", Name: "remind", Channel: "email", Stages: []string{"checkout"}}).Done()
	c, _ := build(t, doc)
	now := time.Date(2026, 11, 23, 21, 30, 0, 0, time.UTC) // 22:30 in Paris, 16:30 in New York
	for _, tt := range []struct {
		tz    string
		quiet bool
		end   time.Time
	}{
		{"", true, time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)},
		{"America/New_York", false, time.Time{}},
		{"Not/AZone", true, time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)},
		{"Asia/Tokyo", true, time.Date(2026, 11, 23, 23, 0, 0, 0, time.UTC)}, // 06:30 there
	} {
		profile := []any{"email_opt_in", true}
		if tt.tz != "" {
			profile = append(profile, "timezone", tt.tz)
		}
		sub := customer(c, "c1", "checkout", profile...)
		d, _ := decide.Decide(c, sub, &decide.Request{Channel: "email", Now: now})
		if got := d.Chosen == 0 && d.Candidates[0].Reason == decide.QuietHours; got != tt.quiet {
			t.Errorf("timezone %q: quiet %v, want %v (%s)", tt.tz, got, tt.quiet, reasons(d))
		}
		// Falling due, the send is deferred to the end of quiet hours.
		due := c.Action("growth/journey.cart_recovery.action.remind")
		d, _ = decide.Decide(c, sub, &decide.Request{Now: now, Due: []*decide.Action{due}})
		if !d.Deferred.Equal(tt.end) {
			t.Errorf("timezone %q: deferred until %v", tt.tz, d.Deferred)
		}
	}
}

// TestControlGroupShare holds the control group to its share for the ids
// customers really have: sequential ones as well as random ones, and not
// bunched, each block of a thousand consecutive ids near the share too.
// FNV-1a, used before, failed both (23-25% for sequential ids).
func TestControlGroupShare(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for _, tt := range []struct {
		name string
		id   func(i int) string
	}{
		{"sequential", func(i int) string { return fmt.Sprintf("cust-%06d", i+1) }},
		{"plain numbers", func(i int) string { return fmt.Sprint(i) }},
		{"random", func(int) string { return fmt.Sprintf("%016x", r.Uint64()) }},
	} {
		for _, share := range []float64{0.2, 0.05} {
			const n, block = 100000, 1000
			in, worst := 0, 0.0
			for b := 0; b < n/block; b++ {
				k := 0
				for i := b * block; i < (b+1)*block; i++ {
					if decide.InControl(tt.id(i), share) {
						k++
					}
				}
				in += k
				// 5 standard deviations of a block's share.
				worst = max(worst, math.Abs(float64(k)/block-share)/math.Sqrt(share*(1-share)/block))
			}
			if got := float64(in) / n; math.Abs(got-share) > 0.01 {
				t.Errorf("%s ids: %.2f%% in a %.0f%% control group", tt.name, 100*got, 100*share)
			}
			if worst > 5 {
				t.Errorf("%s ids, %.0f%% group: a block of %d ids is %.1f standard deviations off", tt.name, 100*share, block, worst)
			}
		}
	}
}

func TestControlGroup(t *testing.T) {
	in, n := 0, 10000
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c-%d", i)
		if decide.InControl(id, 0.05) {
			in++
		}
		if decide.InControl(id, 0.05) != decide.InControl(id, 0.05) {
			t.Fatal("not stable")
		}
	}
	if in < 400 || in > 600 {
		t.Fatalf("%d of %d in a 5%% control group", in, n)
	}
	doc := stack("growth", deploy.Action{Name: "best", Value: "100"}, deploy.Action{Name: "worst", Value: "1"}).
		Arbitration(deploy.Arbitration{ControlGroup: 1, MaxActions: 1}).Done()
	c, _ := build(t, doc)
	picked := map[string]int{}
	for i := 0; i < 200; i++ {
		d, _ := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{Channel: "web", Now: t0, Rand: rand.New(rand.NewPCG(uint64(i), 7))})
		if !d.Control || d.Chosen != 1 {
			t.Fatalf("decision %+v", d)
		}
		picked[d.Candidates[0].Action.Name]++
	}
	if picked["best"] < 60 || picked["worst"] < 60 {
		t.Fatalf("the control group's picks are not random: %v", picked)
	}
}

// The model learns from responses: with A converting at 10% and B at 2%,
// after a few thousand decisions A is chosen most of the time, and B is
// still explored now and then.
func TestModelLearns(t *testing.T) {
	doc := stack("growth", deploy.Action{Name: "a"}, deploy.Action{Name: "b"}).Done()
	c, reg := build(t, doc)
	rng := rand.New(rand.NewPCG(42, 1))
	rates := map[string]float64{"a": 0.10, "b": 0.02}
	const n = 4000
	chosenA, lateA, lateB, explored := 0, 0, 0, 0
	for i := 0; i < n; i++ {
		d, _ := decide.Decide(c, customer(c, fmt.Sprint("c", i), "checkout"), &decide.Request{Channel: "web", Limit: 1, Now: t0, Rand: rng})
		if d.Chosen != 1 {
			t.Fatalf("decision %d chose %d", i, d.Chosen)
		}
		ch := d.Candidates[0]
		a := ch.Action.Name
		if a == "a" {
			chosenA++
		}
		if i >= n-1000 {
			if a == "a" {
				lateA++
			} else {
				lateB++
				if ch.Explore {
					explored++
				}
			}
		}
		reg.Observe(0, ch.Action.ModelKey, nil, rng.Float64() < rates[a], false, 1)
	}
	ma, mb := c.Action("growth/journey.cart_recovery.action.a").Model, c.Action("growth/journey.cart_recovery.action.b").Model
	t.Logf("A chosen %d of %d, %d of the last 1000; B %d of the last 1000 (%d explored); A %+v, B %+v", chosenA, n, lateA, lateB, explored, ma.Stats(), mb.Stats())
	if lateA < 900 || chosenA < n*85/100 {
		t.Errorf("A won %d of the last 1000 decisions, want most", lateA)
	}
	if lateB < 5 || explored != lateB {
		t.Errorf("B was chosen %d times in the last 1000 decisions, %d of them explored; want it still explored", lateB, explored)
	}
	if m := ma.Mean(nil); m < 0.07 || m > 0.13 {
		t.Errorf("A's estimate %.3f, want about 0.10", m)
	}
}

// explore is set only where the draw, not the mean, put the action first.
func TestExploreFlag(t *testing.T) {
	doc := stack("growth", deploy.Action{Name: "a"}, deploy.Action{Name: "b"}).Done()
	c, reg := build(t, doc)
	ka, kb := c.Action("growth/journey.cart_recovery.action.a").ModelKey, c.Action("growth/journey.cart_recovery.action.b").ModelKey
	for i := 0; i < 1000; i++ { // a is trusted at 30%
		reg.Observe(0, ka, nil, i%10 < 3, false, 1)
	}
	for i := 0; i < 5; i++ { // b has little evidence, all negative
		reg.Observe(0, kb, nil, false, false, 1)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	bFirst, aExplored := 0, 0
	for i := 0; i < 2000; i++ {
		d, _ := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{Channel: "web", Limit: 1, Now: t0, Rand: rng})
		first := d.Candidates[0]
		if d.Candidates[1].Explore {
			t.Fatal("an action not chosen was flagged as exploring")
		}
		switch first.Action.Name {
		case "a":
			// Only an outright exploration puts a first over b's draw.
			if first.Explore {
				aExplored++
			}
		case "b":
			bFirst++
			// Its mean after five negatives: low, the draw put it first.
			if !first.Explore || first.Propensity > 0.25 {
				t.Fatalf("b first: explore %v propensity %v", first.Explore, first.Propensity)
			}
		}
	}
	if bFirst == 0 || bFirst > 400 || aExplored > 2000*models.ExploreShare {
		t.Fatalf("b came first %d times of 2000; a was flagged %d times", bFirst, aExplored)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	doc := stack("growth", deploy.Action{Name: "a", Value: "2"}, deploy.Action{Name: "b"}, deploy.Action{Name: "c", Stages: []string{"browsing"}}).Done()
	c, _ := build(t, doc)
	d, _ := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{ID: decide.NewID(t0, rand.New(rand.NewPCG(1, 2))), Channel: "web", Limit: 1, Now: t0})
	sd := d.Encode()
	addrs := map[int]string{}
	for _, a := range c.Actions() {
		addrs[a.Object] = a.Address
	}
	r, err := decide.Decode(sd, func(stack string, serial int64, object int) string {
		if stack != "growth" || serial != 1 {
			t.Fatalf("resolving %s %d", stack, serial)
		}
		return addrs[object]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := d.Record()
	for i := want.Chosen; i < len(want.Candidates); i++ { // the kept form drops them
		c := &want.Candidates[i]
		c.Scored, c.Propensity, c.Priority = false, 0, 0
	}
	if fmt.Sprintf("%+v", r) != fmt.Sprintf("%+v", want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", r, want)
	}
	for i := range sd.Data {
		cut := sd
		cut.Data = sd.Data[:i]
		if _, err := decide.Decode(cut, nil); err == nil {
			t.Fatalf("a record cut at %d decoded", i)
		}
	}
	if len(sd.Data) > 64 {
		t.Errorf("a record of 3 candidates takes %d bytes", len(sd.Data))
	}
}

// Candidates alike but for their objects are kept as runs.
func TestRecordRuns(t *testing.T) {
	var acts []deploy.Action
	for i := 0; i < 60; i++ {
		a := deploy.Action{Name: fmt.Sprintf("a%02d", i), Value: fmt.Sprint(1 + i%5)}
		switch {
		case i%10 == 3:
			a.Stages = []string{"browsing"}
		case i%10 == 7:
			a.Eligible = "false"
		}
		acts = append(acts, a)
	}
	c, _ := build(t, stack("growth", acts...).Done(), stack("billing", acts[:20]...).Done())
	addrs := map[string]string{}
	for _, a := range c.Actions() {
		addrs[fmt.Sprint(a.Stack.Name, a.Object)] = a.Address
	}
	resolve := func(stack string, _ int64, object int) string { return addrs[fmt.Sprint(stack, object)] }
	rng := rand.New(rand.NewPCG(5, 5))
	for i := 0; i < 20; i++ {
		d, _ := decide.Decide(c, customer(c, "c1", "checkout"), &decide.Request{ID: "d", Channel: "web", Limit: 3, Now: t0, Rand: rng})
		sd := d.Encode()
		r, err := decide.Decode(sd, resolve)
		if err != nil {
			t.Fatal(err)
		}
		want := d.Record()
		for i := range want.Candidates {
			cw := &want.Candidates[i]
			// Kept as float32, for the chosen only.
			cw.Propensity, cw.Priority = float64(float32(cw.Propensity)), float64(float32(cw.Priority))
			if i >= want.Chosen {
				cw.Scored, cw.Propensity, cw.Priority = false, 0, 0
			}
		}
		if len(r.Candidates) != len(want.Candidates) {
			t.Fatalf("decoded %d candidates, want %d", len(r.Candidates), len(want.Candidates))
		}
		for k := range r.Candidates {
			if r.Candidates[k] != want.Candidates[k] {
				t.Fatalf("candidate %d: decoded %+v, want %+v", k, r.Candidates[k], want.Candidates[k])
			}
		}
		if len(d.Candidates) != 80 || len(sd.Data) > 168 {
			t.Fatalf("a record of %d candidates takes %d bytes", len(d.Candidates), len(sd.Data))
		}
	}
}

// TestFeatures describes a customer by their attributes but the sensitive
// ones, their stage in every journey (missing where they are not), and the
// decide context.
func TestFeatures(t *testing.T) {
	c, _ := build(t, stack("growth", deploy.Action{Name: "a"}).Done())
	sub := customer(c, "c1", "checkout", "email", "a@b.test", "tier", "gold", "email_opt_in", true)
	x := decide.Features(c, sub, map[string]expr.Value{"page": expr.String("cart"), "cart_value": expr.Number(80)})
	got := map[string]string{}
	for _, f := range x {
		switch f.Kind {
		case models.Missing:
			got[f.Name] = "missing"
		case models.Number:
			got[f.Name] = fmt.Sprint(f.Num)
		default:
			got[f.Name] = f.Sym
		}
		if f.Key != models.FeatureKey(f.Name) || f.Kind == models.Symbol && f.SymKey != models.FeatureKey(f.Sym) {
			t.Errorf("%s: keys not set", f.Name)
		}
	}
	want := map[string]string{"customer.tier": "gold", "customer.email_opt_in": "true",
		"stage.growth/cart_recovery": "checkout", "context.page": "cart", "context.cart_value": "80"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if _, ok := got["customer.email"]; ok {
		t.Errorf("a sensitive attribute is a predictor: %v", got)
	}
}

// TestHoldout: a customer in the global holdout gets no action on any
// channel, inbound or due, and the decision says why; with holdout 0
// nothing changes; the record keeps the flag.
func TestHoldout(t *testing.T) {
	acts := []deploy.Action{{Name: "banner", Value: "2"}, {Name: "tip", Stages: []string{"browsing"}}}
	held, treated := "", ""
	for i := 1; held == "" || treated == ""; i++ {
		id := fmt.Sprintf("cust-%06d", i)
		if decide.InHoldout(id, 0.05) {
			held = id
		} else if treated == "" {
			treated = id
		}
	}
	for _, tt := range []struct {
		name  string
		share float64
		id    string
		want  string
		held  bool
	}{
		{"held out", 0.05, held, "growth/journey.cart_recovery.action.banner:holdout growth/journey.cart_recovery.action.tip:not_in_stage", true},
		{"treated", 0.05, treated, "growth/journey.cart_recovery.action.banner growth/journey.cart_recovery.action.tip:not_in_stage", false},
		{"holdout 0", 0, held, "growth/journey.cart_recovery.action.banner growth/journey.cart_recovery.action.tip:not_in_stage", false},
		{"everyone", 1, treated, "growth/journey.cart_recovery.action.banner:holdout growth/journey.cart_recovery.action.tip:not_in_stage", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := stack("growth", acts...).Arbitration(deploy.Arbitration{Holdout: tt.share, MaxActions: 3, MaxOutbound: 1}).Done()
			c, _ := build(t, doc)
			d, err := decide.Decide(c, customer(c, tt.id, "checkout"), &decide.Request{Channel: "web", Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			if got := reasons(d); got != tt.want || d.Holdout != tt.held {
				t.Fatalf("decision %s (holdout %v), want %s (holdout %v)", got, d.Holdout, tt.want, tt.held)
			}
			r, err := decide.Decode(d.Encode(), func(string, int64, int) string { return "x" })
			if err != nil || r.Holdout != tt.held {
				t.Fatalf("decoded record holdout %v (%v), want %v", r.Holdout, err, tt.held)
			}
			if tt.held && r.Candidates[0].Reason != decide.HeldOut {
				t.Fatalf("decoded reason %s", r.Candidates[0].Reason)
			}
		})
	}
}

// Decisions made with a Scratch, reused from one to the next, are those
// made without: customers in different stages and segments, with models
// learning from their features.
func TestScratchDecidesAlike(t *testing.T) {
	doc := stack("growth", deploy.Action{Name: "a", Eligible: "segment.vip"}, deploy.Action{Name: "b", Stages: []string{"browsing", "checkout"}},
		deploy.Action{Name: "c", Stages: []string{"browsing"}}).Done()
	var got [2][]string
	for k, scratch := range []*decide.Scratch{nil, {}} {
		c, reg := build(t, doc)
		rng := rand.New(rand.NewPCG(7, 1))
		for i := range 600 {
			sub := customer(c, fmt.Sprint("c", i), []string{"browsing", "checkout"}[i%2], "tier", []string{"gold", "silver", "bronze"}[i%3])
			d, err := decide.Decide(c, sub, &decide.Request{Channel: "web", Limit: 2, Now: t0, Rand: rng, Scratch: scratch})
			if err != nil {
				t.Fatal(err)
			}
			s := reasons(d)
			for _, cd := range d.Candidates {
				s += fmt.Sprintf(" %.6f", cd.Propensity)
			}
			got[k] = append(got[k], s)
			if d.Chosen > 0 {
				reg.Observe(0, d.Candidates[0].Action.ModelKey, decide.Features(c, sub, nil), i%3 == 0, false, 1)
			}
		}
	}
	for i := range got[0] {
		if got[0][i] != got[1][i] {
			t.Fatalf("decision %d without scratch %q, with %q", i, got[0][i], got[1][i])
		}
	}
}
