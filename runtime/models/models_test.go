package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The draws of BetaDraw have the mean and variance of the Beta
// distribution.
func TestBetaDraw(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ a, b float64 }{{1, 1}, {2, 30}, {11, 91}, {300, 2700}} {
		const n = 40000
		var sum, sq float64
		for i := 0; i < n; i++ {
			x := BetaDraw(r, c.a, c.b)
			if x < 0 || x > 1 {
				t.Fatalf("Beta(%v, %v) drew %v", c.a, c.b, x)
			}
			sum += x
			sq += x * x
		}
		mean := sum / n
		variance := sq/n - mean*mean
		wantMean := c.a / (c.a + c.b)
		wantVar := c.a * c.b / ((c.a + c.b) * (c.a + c.b) * (c.a + c.b + 1))
		if math.Abs(mean-wantMean) > 4*math.Sqrt(wantVar/n) {
			t.Errorf("Beta(%v, %v): mean %.5f, want %.5f", c.a, c.b, mean, wantMean)
		}
		if math.Abs(variance-wantVar)/wantVar > 0.05 {
			t.Errorf("Beta(%v, %v): variance %.6f, want %.6f", c.a, c.b, variance, wantVar)
		}
	}
}

func TestBetaLearnsAndForgets(t *testing.T) {
	m := NewBeta()
	if m.Mean(nil) != 0.5 || m.Evidence() != 0 || !Explore(m) {
		t.Fatalf("prior: mean %v evidence %d", m.Mean(nil), m.Evidence())
	}
	for i := 0; i < 100; i++ {
		m.Observe(Observation{Positive: i%10 == 0, Control: i%4 == 0, Weight: 1}, nil)
	}
	if m.Evidence() != 100 || Explore(m) {
		t.Fatalf("after 100 responses: evidence %d, exploring %v", m.Evidence(), Explore(m))
	}
	if got, want := m.Mean(nil), 11.0/102; math.Abs(got-want) > 1e-12 {
		t.Fatalf("mean %v, want %v", got, want)
	}
	st := m.Stats()
	if st.Positives != 10 || st.Control != 25 || st.ControlPositives != 5 || st.Lift == nil {
		t.Fatalf("stats %+v", st)
	}
	// Forgetting takes a response back out, never below the prior.
	m.Observe(Observation{Positive: true, Control: false, Weight: -1}, nil)
	m.Observe(Observation{Positive: false, Control: false, Weight: -1}, nil)
	if m.Evidence() != 98 || m.Stats().Positives != 9 {
		t.Fatalf("after forgetting: %+v", m.Stats())
	}
	e := NewBeta()
	e.Observe(Observation{Positive: true, Control: false, Weight: -1}, nil)
	if e.Evidence() != 0 {
		t.Fatalf("forgetting from the prior: %+v", e.Stats())
	}
	b := m.AppendBinary(nil)
	got, err := Decode(b)
	if err != nil || got.Mean(nil) != m.Mean(nil) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if got.Evidence() != 98 || got.Stats().Control != 25 {
		t.Fatalf("round trip: %+v", got.Stats())
	}
	for i := range b {
		if _, err := Decode(b[:i]); err == nil {
			t.Fatalf("state cut at %d decoded", i)
		}
	}
}

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	r.New = NewBeta
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				r.Observe(w, "growth/journey.j.action.a@web", nil, i%5 == 0, false, 1)
			}
		}()
	}
	wg.Wait()
	r.Get("growth/journey.j.action.b@web")
	if n := r.Get("growth/journey.j.action.a@web").Evidence(); n != 4000 {
		t.Fatalf("evidence %d, want 4000 (an update was lost)", n)
	}
	dirty := r.TakeDirty()
	if len(dirty) != 8 || dirty[0].Key != "growth/journey.j.action.a@web" || dirty[7].Partition != 7 {
		t.Fatalf("dirty %+v", dirty)
	}
	if again := r.TakeDirty(); len(again) != 0 {
		t.Fatalf("dirty twice: %+v", again)
	}
	// Another replica merges the parts; loading a part again replaces it.
	r2 := NewRegistry()
	r2.New = NewBeta
	for _, d := range append(dirty, dirty[3]) {
		if err := r2.Load(d.Partition, d.Key, d.Data); err != nil {
			t.Fatal(err)
		}
	}
	if l := r2.List(); len(l) != 1 || l[0].Stats.Evidence != 4000 || l[0].Stats.Positives != 800 {
		t.Fatalf("loaded %+v", l)
	}
	r.Observe(3, "growth/journey.j.action.a@web", nil, true, false, 1)
	d := r.TakeDirty()
	if err := r2.Load(d[0].Partition, d[0].Key, d[0].Data); err != nil {
		t.Fatal(err)
	}
	if st := r2.Get("growth/journey.j.action.a@web").Stats(); st.Evidence != 4001 || st.Positives != 801 {
		t.Fatalf("after a newer part %+v", st)
	}
	if err := r2.Load(0, "x", []byte("junk")); err == nil {
		t.Fatal("junk state loaded")
	}
}

// Moving a partition's parts to new keys carries their evidence; the old
// key's parts are gone (for the store to remove) and, once no partition
// has one, so is its model; a part moved onto a key with evidence of its
// own adds to it; moving again does nothing.
func TestRegistryMove(t *testing.T) {
	const a, b, c = "s/journey.j.action.a@web", "s/journey.j.action.b@web", "s/journey.j.action.c@web"
	r := NewRegistry()
	for i := 0; i < 10; i++ {
		r.Observe(1, a, nil, i%2 == 0, false, 1)
		r.Observe(2, a, nil, true, false, 1)
		r.Observe(1, c, nil, false, false, 1)
	}
	r.TakeDirty()
	rename := func(key string) (string, bool) {
		switch key {
		case a:
			return b, true
		case c:
			return a, true // a moves away first in the same partition
		}
		return "", false
	}
	if err := r.Move(1, rename); err != nil {
		t.Fatal(err)
	}
	stats := func(key string) Stats {
		m := r.Lookup(key)
		if m == nil {
			return Stats{Evidence: -1}
		}
		return m.Stats()
	}
	if st := stats(b); st.Evidence != 10 || st.Positives != 5 {
		t.Fatalf("moved model %+v", st)
	}
	// Partition 2 has not activated the deployment yet: its part of a is
	// still a's, and c's evidence moved onto a in partition 1.
	if st := stats(a); st.Evidence != 20 || st.Positives != 10 {
		t.Fatalf("a after partition 1 moved %+v", st)
	}
	if stats(c).Evidence != -1 {
		t.Fatalf("c is still listed: %+v", r.List())
	}
	var got []string
	for _, d := range r.TakeDirty() {
		got = append(got, fmt.Sprintf("%d:%s:%v", d.Partition, d.Key, d.Data != nil))
	}
	if fmt.Sprint(got) != "[1:s/journey.j.action.a@web:true 1:s/journey.j.action.b@web:true 1:s/journey.j.action.c@web:false]" {
		t.Fatalf("dirty after the move %v", got)
	}
	if err := r.Move(2, func(key string) (string, bool) { return b, key == a }); err != nil {
		t.Fatal(err)
	}
	if st := stats(b); st.Evidence != 20 || st.Positives != 15 {
		t.Fatalf("b after partition 2 moved %+v", st)
	}
	if err := r.Move(2, func(key string) (string, bool) { return b, key == a }); err != nil {
		t.Fatal(err)
	}
	if st := stats(b); st.Evidence != 20 {
		t.Fatalf("moving twice: %+v", st)
	}
}
