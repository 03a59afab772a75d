package service

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/catalog"
)

// analyticsFeed keeps runtime/analytics up to date with the journey
// transitions the engine commits to the store. It replays every recorded
// transition at start, so a restart loses nothing, then follows new ones;
// analytics skips any record it has applied already, by sequence number.
type analyticsFeed struct {
	a *analytics.Analytics

	mu   sync.Mutex // one feed at a time
	last uint64
	cat  *catalog.Catalog
}

func newAnalyticsFeed() *analyticsFeed {
	return &analyticsFeed{a: analytics.New(analytics.Options{})}
}

// feedEvery is how often the feed reads what the engine committed.
const feedEvery = 200 * time.Millisecond

// runAnalytics feeds analytics until ctx ends.
func (s *Service) runAnalytics(ctx context.Context) {
	t := time.NewTicker(feedEvery)
	defer t.Stop()
	for {
		if err := s.feedAnalytics(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("feeding analytics", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// feedAnalytics applies the transitions committed since the last feed,
// after configuring analytics for a catalog that changed.
func (s *Service) feedAnalytics(ctx context.Context) error {
	f := s.an
	f.mu.Lock()
	defer f.mu.Unlock()
	if cat := s.eng.Catalog(); cat != nil && cat != f.cat {
		js, err := analytics.FromCatalog(cat)
		if err != nil {
			return err
		}
		f.a.Configure(js)
		f.cat = cat
	}
	for {
		trs, err := s.st.Transitions(ctx, f.last, 5000)
		if err != nil {
			return err
		}
		if len(trs) == 0 {
			break
		}
		recs := make([]analytics.Record, len(trs))
		for i, t := range trs {
			recs[i] = analytics.Record{Seq: t.Seq, Transition: &analytics.Transition{
				Time: t.Time, Stack: t.Stack, Journey: t.Journey, Customer: t.Customer,
				Run: t.Run, From: t.From, To: t.To, Reason: t.Reason,
			}}
			f.last = t.Seq
		}
		f.a.Apply(recs...)
	}
	for _, al := range f.a.Alerts(s.eng.Now()) {
		// Alerts are recorded here; their delivery on the alert channel
		// through the outbox is not wired yet.
		s.log.Warn("KPI alert", "id", al.ID)
	}
	return nil
}

// ErrUnknownJourney is returned for analytics of a journey no active
// deployment has.
var ErrUnknownJourney = errors.New("no such journey is deployed")

// Analytics returns a journey's funnel, paths, action performance and KPIs
// as of the runtime's clock, after catching up with what the engine has
// committed.
func (s *Service) Analytics(ctx context.Context, stack, journey string) (*analytics.Report, error) {
	if err := s.feedAnalytics(ctx); err != nil {
		return nil, err
	}
	rep, err := s.an.a.Report(stack, journey, s.eng.Now())
	if errors.Is(err, analytics.ErrUnknownJourney) {
		return nil, ErrUnknownJourney
	}
	return rep, err
}
