package analytics_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
)

// TestReportRange checks every kind of range against a recount of the
// records it covers: entries by when they happened, goals by when they
// were reached, over 60 days of which the journey keeps 2 days of hours
// and 30 of days.
func TestReportRange(t *testing.T) {
	f := newFeed()
	type run struct{ entered, done time.Time }
	var runs []run
	for i := range 600 {
		c := fmt.Sprintf("c%03d", i)
		e := at(time.Duration(i) * 143 * time.Minute) // about 10 a day for 60 days
		f.enter(c, e, "browsing")
		if i%3 == 0 {
			d := e.Add(90 * time.Minute)
			f.move(c, e.Add(time.Minute), "browsing", "checkout").end(c, d, "checkout", analytics.ReasonCompleted)
			runs = append(runs, run{e, d})
		} else {
			runs = append(runs, run{entered: e})
		}
	}
	now := at(60 * day)
	a := analytics.New(analytics.Options{Window: 2 * day, Days: 30})
	a.Configure([]analytics.Journey{journey(0)})
	a.Apply(f.recs...)

	count := func(from, to time.Time) (entries, goals int64) {
		for _, r := range runs {
			if !r.entered.Before(from) && !r.entered.After(to) {
				entries++
			}
			if !r.done.IsZero() && !r.done.Before(from) && !r.done.After(to) {
				goals++
			}
		}
		return
	}
	hourStart := func(t time.Time) time.Time { return t.Truncate(time.Hour) }
	dayStart := func(t time.Time) time.Time { return t.Truncate(day) }
	tests := []struct {
		name     string
		rg       analytics.Range
		from, to time.Time
		label    string
		days     bool // read from the daily figures
	}{
		{"default window", analytics.Range{}, hourStart(now.Add(-2 * day)), now, "2d", false},
		{"hours within the ring", analytics.Range{Window: 30 * time.Hour}, hourStart(now.Add(-30 * time.Hour)), now, "1d6h", false},
		{"days beyond the ring", analytics.Range{Window: 10 * day}, dayStart(now.Add(-10 * day)), now, "10d", true},
		{"custom range of hours", analytics.Range{From: now.Add(-40 * time.Hour), To: now.Add(-5 * time.Hour)},
			hourStart(now.Add(-40 * time.Hour)), now.Add(-5 * time.Hour), "custom", false},
		{"custom range of days", analytics.Range{From: at(35 * day), To: at(50*day + 7*time.Hour)},
			at(35 * day), at(50*day + 7*time.Hour), "custom", true},
		{"a range ending in the future ends now", analytics.Range{From: now.Add(-3 * time.Hour), To: now.Add(day)},
			hourStart(now.Add(-3 * time.Hour)), now, "custom", false},
		{"all", analytics.Range{All: true}, t0, now, "all", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := a.ReportRange("growth", "cart", now, tt.rg)
			if err != nil {
				t.Fatal(err)
			}
			if !r.From.Equal(tt.from) || !r.To.Equal(tt.to) || r.Window != tt.label {
				t.Errorf("covers %s %s to %s, want %s %s to %s", r.Window, r.From, r.To, tt.label, tt.from, tt.to)
			}
			// Entries and goals of the hours or days covered: a day's
			// figures hold its whole day, so count up to its end.
			end := hourStart(tt.to).Add(time.Hour - time.Millisecond)
			if tt.days {
				end = dayStart(tt.to).Add(day - time.Millisecond)
			}
			entries, goals := count(r.From, end)
			if r.Totals.Entries != entries || r.Totals.Completed != goals {
				t.Errorf("entries %d, goals %d; a recount of %s to %s gives %d, %d", r.Totals.Entries, r.Totals.Completed,
					r.From, end, entries, goals)
			}
			if r.Funnel[0].Reached != entries {
				t.Errorf("browsing reached by %d, want %d", r.Funnel[0].Reached, entries)
			}
			if len(r.Hourly) != 24 || !r.Hourly[23].Hour.Equal(hourStart(r.To)) {
				t.Errorf("hourly figures end at %v, want the hour of %v", r.Hourly[len(r.Hourly)-1].Hour, r.To)
			}
		})
	}

	for _, bad := range []analytics.Range{
		{From: at(10 * day), To: at(20 * day)}, // older than the 30 days kept
		{From: now.Add(-time.Hour), To: now.Add(-2 * time.Hour)},
	} {
		if _, err := a.ReportRange("growth", "cart", now, bad); !errors.Is(err, analytics.ErrRange) {
			t.Errorf("ReportRange(%v to %v): %v, want ErrRange", bad.From, bad.To, err)
		}
	}

	// The daily and all-time figures survive a snapshot.
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	b := analytics.New(analytics.Options{Window: 2 * day, Days: 30})
	b.Configure([]analytics.Journey{journey(0)})
	if err := b.Restore(snap); err != nil {
		t.Fatal(err)
	}
	for _, rg := range []analytics.Range{{All: true}, {Window: 20 * day}, {Window: 30 * time.Hour}} {
		want, _ := a.ReportRange("growth", "cart", now, rg)
		got, err := b.ReportRange("growth", "cart", now, rg)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("restored report of %+v differs:\n got %+v\nwant %+v (%v)", rg, got, want, err)
		}
	}
}
