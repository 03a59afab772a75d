package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/lang/addrs"
	"github.com/waymarkhq/waymark/runtime/analytics"
	"github.com/waymarkhq/waymark/runtime/apiv1"
	"github.com/waymarkhq/waymark/runtime/catalog"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/store"
)

// analyticsFeed keeps runtime/analytics up to date with the facts the
// engine and the decision recorder commit to the store: it restores the
// last snapshot, replays the facts stored after it, then follows new ones.
// Analytics skips a fact it has applied already, by partition and
// sequence number.
//
// Facts are numbered per partition, and partitions are processed apart
// (by several replicas, perhaps), so the feed hands them to an
// analytics.Merge, which applies them in order of time across partitions,
// each partition's in its own order, and only those up to the low
// watermark: the lowest clock any partition has been committed at, taken
// before the facts are read. A fact after it waits, since a partition
// behind may still commit earlier ones. So the facts before each hour
// boundary, and the KPI alerts raised there, do not depend on how the
// events were batched or the partitions interleaved. Alerts are evaluated
// at those boundaries only: at the watermark itself a KPI would be
// measured on however much of the hour the feed had read, and alert (and
// flap) with the batching. After a restart the facts stored since the
// snapshot are fed the same way, and raise the same alerts again, with
// the same ids, which the outbox has already.
//
// One replica at a time feeds analytics in the background, raises the
// alerts and saves the snapshots: the holder of store.AnalyticsLease (a
// runtime alone on its store always holds it). Another replica follows:
// it reads nothing until asked for analytics, then catches up from the
// stored snapshot and the facts after it, raising no alert (followUp).
// When the lease comes to it, it starts again from the stored snapshot,
// so that the alerts due after it are raised (again: the outbox keeps one
// of each id) and the facts after it counted once.
type analyticsFeed struct {
	a *analytics.Analytics
	m *analytics.Merge

	mu      sync.Mutex // one feed at a time
	opened  bool
	cat     *catalog.Catalog
	saved   uint64    // the facts applied when the stored snapshot was made
	savedAt time.Time // wall clock of the last save
	// restore is set from the start until the facts stored before it are
	// fed: then the alerts the outbox holds are compared with those the
	// facts raised again, for facts a snapshot lost (restoreSentAlerts).
	restore  bool
	pageSize int
	// lease is this replica's store.AnalyticsLease, nil while another
	// replica holds it; leaseAt is when it was last renewed or sought.
	lease   *store.Lease
	leaseAt time.Time
	// held is whether lease is set, for readers that must not wait for
	// a feed; current is set while this replica holds the lease and has
	// fed analytics since it took it.
	held, current atomic.Bool
}

// holds reports whether this replica feeds analytics.
func (f *analyticsFeed) holds() bool { return f.held.Load() }

// setLease sets the analytics lease held (nil: none); called with the
// feed locked.
func (f *analyticsFeed) setLease(l *store.Lease) {
	f.lease = l
	f.held.Store(l != nil)
	if l == nil {
		f.current.Store(false)
	}
}

// reopen makes the next feed start again from the stored snapshot, with
// fresh analytics; called with the feed locked.
func (f *analyticsFeed) reopen() {
	f.a = analytics.New(analytics.Options{})
	f.cat, f.opened = nil, false
}

func newAnalyticsFeed() *analyticsFeed {
	a := analytics.New(analytics.Options{})
	return &analyticsFeed{a: a, m: analytics.NewMerge(a, store.Partitions, nil), pageSize: 5000}
}

const (
	// feedEvery is how often the feed reads what was committed.
	feedEvery = 200 * time.Millisecond
	// snapshotEvery and snapshotFacts bound how much a restart replays:
	// a snapshot is saved when either has passed since the last one.
	snapshotEvery = time.Minute
	snapshotFacts = 200000
)

// runAnalytics keeps or seeks the analytics lease and, while it holds it,
// feeds analytics, until ctx ends; then the holder saves a snapshot and
// releases the lease.
func (s *Service) runAnalytics(ctx context.Context) {
	t := time.NewTicker(feedEvery)
	defer t.Stop()
	for {
		if err := s.keepAnalyticsLease(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("renewing the analytics lease", "error", err)
		}
		if s.an.holds() {
			if err := s.feedAnalytics(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("feeding analytics", "error", err)
			}
			if err := s.maybeSaveAnalytics(ctx, false); err != nil && ctx.Err() == nil {
				s.log.Error("saving the analytics snapshot", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			if !s.an.holds() {
				return
			}
			// Catch up with the last commits and keep them, so that the
			// next start replays nothing, then hand over at once.
			final := context.Background()
			if err := s.feedAnalytics(final); err != nil {
				s.log.Error("feeding analytics", "error", err)
			}
			if err := s.maybeSaveAnalytics(final, true); err != nil {
				s.log.Error("saving the analytics snapshot", "error", err)
			}
			s.releaseAnalyticsLease(final)
			return
		case <-t.C:
		}
	}
}

// keepAnalyticsLease renews the analytics lease every quarter of its
// time to live, or seeks it while another replica holds it; taking it,
// the feed starts again from the stored snapshot.
func (s *Service) keepAnalyticsLease(ctx context.Context) error {
	f := s.an
	f.mu.Lock()
	defer f.mu.Unlock()
	ttl := s.eng.LeaseTTL()
	if time.Since(f.leaseAt) < ttl/4 {
		return nil
	}
	f.leaseAt = time.Now()
	if f.lease != nil {
		kept, err := s.st.RenewLeases(ctx, s.eng.Name(), []store.Lease{*f.lease}, ttl)
		if err != nil {
			return err // still fed here: the snapshot is fenced by the lease
		}
		if len(kept) == 1 {
			f.setLease(&kept[0])
			return nil
		}
		f.setLease(nil)
		s.log.Info("analytics lease lost: another replica feeds analytics", "replica", s.eng.Name())
		return nil
	}
	got, err := s.st.AcquireLeases(ctx, s.eng.Name(), []int{store.AnalyticsLease}, ttl)
	if err != nil || len(got) == 0 {
		return err
	}
	f.setLease(&got[0])
	f.reopen()
	s.log.Info("analytics lease taken: this replica feeds analytics", "replica", s.eng.Name(), "epoch", got[0].Epoch)
	return nil
}

// releaseAnalyticsLease hands the analytics lease over at shutdown.
func (s *Service) releaseAnalyticsLease(ctx context.Context) {
	f := s.an
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lease == nil {
		return
	}
	if err := s.st.ReleaseLeases(ctx, []store.Lease{*f.lease}); err != nil {
		s.log.Warn("releasing the analytics lease at shutdown", "error", err)
	}
	f.setLease(nil)
}

// feedAnalytics applies the facts committed since the last feed, after
// configuring analytics for deployments that changed, and, on the holder
// of the analytics lease, sends the KPI alerts due.
func (s *Service) feedAnalytics(ctx context.Context) error {
	f := s.an
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lease != nil {
		err := s.feed(ctx, true)
		f.current.Store(err == nil)
		return err
	}
	return s.followUp(ctx)
}

// followUpTries bounds how often a follower starts again from a snapshot
// saved while it read.
const followUpTries = 3

// followUp catches a follower up with what was committed: the facts
// after what it read, or, where the holder has saved a snapshot past
// that (deleting the facts it holds), the snapshot and the facts after
// it. The snapshot is looked at after the facts are read: a save that
// deleted facts before the read shows there. Called with the feed locked.
func (s *Service) followUp(ctx context.Context) error {
	for range followUpTries {
		if err := s.openFeed(ctx); err != nil {
			return err
		}
		from := padded(s.an.m.Read())
		if err := s.feed(ctx, false); err != nil {
			return err
		}
		_, upTo, err := s.st.AnalyticsSnapshot(ctx)
		if err != nil {
			return fmt.Errorf("loading the analytics snapshot: %w", err)
		}
		passed := false
		for p, n := range upTo {
			if p < len(from) && n > from[p] {
				passed = true
				break
			}
		}
		if !passed {
			return nil
		}
		s.an.reopen()
	}
	return errors.New("the analytics snapshot kept moving while this replica read the facts after it")
}

// openFeed configures analytics for deployments that changed and, the
// first time, restores the stored snapshot and starts the merge after it.
// Called with the feed locked.
func (s *Service) openFeed(ctx context.Context) error {
	f := s.an
	// The service's catalog has every stored deployment from the start,
	// so that analytics knows each journey's goal.within before it
	// replays the facts.
	if cat := s.cat.Load(); cat != nil && cat != f.cat {
		js, err := analytics.FromCatalog(cat)
		if err != nil {
			return err
		}
		f.a.Configure(js)
		f.cat = cat
	}
	if f.opened {
		return nil
	}
	snap, _, err := s.st.AnalyticsSnapshot(ctx)
	if err != nil {
		return fmt.Errorf("loading the analytics snapshot: %w", err)
	}
	if snap != nil {
		if err := f.a.Restore(snap); err != nil {
			// The aggregates can be rebuilt only from facts that the
			// snapshot let go: start afresh rather than stop.
			s.log.Error("the analytics snapshot cannot be read; analytics start empty", "error", err)
			f.a = analytics.New(analytics.Options{})
			f.cat = nil
			return s.restartFeed(ctx)
		}
	}
	applied := f.a.Applied()
	f.m = analytics.NewMerge(f.a, store.Partitions, applied)
	f.saved = sum(applied)
	f.opened, f.savedAt, f.restore = true, time.Now(), true
	return nil
}

// feed applies the facts committed since the last feed; with raise, it
// sends the KPI alerts due. Called with the feed locked.
func (s *Service) feed(ctx context.Context, raise bool) error {
	f := s.an
	if err := s.openFeed(ctx); err != nil {
		return err
	}
	// The watermark first, so that every fact committed up to it is read
	// below. Taken after the read, it could count a commit made meanwhile
	// whose facts the read missed: they would come after the boundaries
	// they precede.
	low, err := s.lowWatermark(ctx)
	if err != nil {
		return err
	}
	for {
		facts, err := s.st.Facts(ctx, f.m.Read(), f.pageSize)
		if err != nil {
			return err
		}
		// One at a time: the merge copies each into its queue.
		for _, fc := range facts {
			if v, ok := fc.Value.(*analytics.Record); ok {
				r := *v
				r.Partition, r.Seq = fc.Partition, fc.Seq
				f.m.Add(r)
				continue
			}
			r := analytics.Record{Partition: fc.Partition, Seq: fc.Seq}
			if err := r.UnmarshalBinary(fc.Data); err != nil {
				s.log.Error("skipping an analytics fact that cannot be read", "partition", fc.Partition, "seq", fc.Seq, "error", err)
				r = analytics.Record{Partition: fc.Partition, Seq: fc.Seq} // applied as nothing, so the feed moves on
			}
			f.m.Add(r)
		}
		if len(facts) < f.pageSize {
			break
		}
	}
	als := f.m.Release(low)
	if !raise {
		return nil // the holder raises them
	}
	if err := s.sendAlerts(ctx, als); err != nil {
		return err
	}
	if f.restore {
		f.restore = false
		return s.restoreSentAlerts(ctx)
	}
	return nil
}

// lowWatermark is the lowest clock any partition has been committed at:
// every fact before it is stored.
func (s *Service) lowWatermark(ctx context.Context) (time.Time, error) {
	head, err := s.st.Head(ctx)
	if err != nil {
		return time.Time{}, err
	}
	cs, err := s.st.Cursors(ctx)
	if err != nil {
		return time.Time{}, err
	}
	var low time.Time
	for i, c := range cs {
		t := c.Clock
		switch {
		case !s.cfg.EventClock && c.Seq >= head.Seq:
			// Caught up: what it commits next comes from records yet to
			// arrive or timers falling due from now.
			t = s.cfg.Now()
		case !s.cfg.EventClock:
			t = c.ArrivalClock
		case c.Seq >= head.Seq:
			t = head.Clock
		}
		if i == 0 || t.Before(low) {
			low = t
		}
	}
	return low, nil
}

func padded(a []uint64) []uint64 {
	out := make([]uint64, store.Partitions)
	copy(out, a)
	return out
}

func sum(a []uint64) uint64 {
	var n uint64
	for _, x := range a {
		n += x
	}
	return n
}

// restoreSentAlerts tells analytics the last alert the outbox holds for
// each KPI; called with the feed locked, when it opens.
func (s *Service) restoreSentAlerts(ctx context.Context) error {
	type last struct {
		it  *delivery.Item
		seq uint64
	}
	latest := map[string]last{}
	for _, state := range []store.DeliveryState{store.DeliveryPending, store.DeliveryDelivered, store.DeliveryFailed, store.DeliveryCancelled} {
		after := alertKeyPrefix
		for {
			page, err := s.st.Deliveries(ctx, state, after, 1000)
			if err != nil {
				return fmt.Errorf("reading the alerts of the outbox: %w", err)
			}
			done := len(page) < 1000
			for _, e := range page {
				if !strings.HasPrefix(e.ID, alertKeyPrefix) {
					done = true // past the alerts: IDs sort
					break
				}
				after = e.ID
				it, err := delivery.Decode(e)
				if err != nil || it.Alert == nil {
					continue
				}
				_, n, _ := strings.Cut(e.ID, "#")
				seq, err := strconv.ParseUint(n, 10, 64)
				if err != nil {
					continue
				}
				if l, ok := latest[it.Alert.Address]; !ok || seq > l.seq {
					latest[it.Alert.Address] = last{it, seq}
				}
			}
			if done {
				break
			}
		}
	}
	for _, l := range latest {
		s.an.a.SentAlert(l.it.Stack, l.it.Journey, l.it.Alert.KPI, l.it.Alert.State, l.seq, l.it.Due)
	}
	return nil
}

// restartFeed configures fresh analytics; called with the feed locked.
func (s *Service) restartFeed(ctx context.Context) error {
	f := s.an
	if cat := s.cat.Load(); cat != nil {
		js, err := analytics.FromCatalog(cat)
		if err != nil {
			return err
		}
		f.a.Configure(js)
		f.cat = cat
	}
	f.m = analytics.NewMerge(f.a, store.Partitions, nil)
	f.opened, f.saved, f.savedAt, f.restore = true, 0, time.Now(), true
	return nil
}

// maybeSaveAnalytics saves a snapshot when enough facts or time have
// passed since the last one, or when forced and anything is new; the
// facts it holds are deleted with it.
func (s *Service) maybeSaveAnalytics(ctx context.Context, force bool) error {
	if s.cfg.Record {
		// A recording runtime is thrown away with its store: it keeps
		// the facts rather than spend the time on snapshots.
		return nil
	}
	f := s.an
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.opened {
		return nil
	}
	if f.lease == nil {
		// The holder of the analytics lease saves: a save deletes the
		// facts it holds, which only it has certainly read.
		return nil
	}
	upTo := padded(f.a.Applied())
	applied := sum(upTo)
	if applied <= f.saved {
		return nil
	}
	if !force && applied-f.saved < snapshotFacts && time.Since(f.savedAt) < snapshotEvery {
		return nil
	}
	snap, err := f.a.Snapshot()
	if err != nil {
		return err
	}
	if err := s.st.SaveAnalyticsSnapshot(ctx, snap, upTo, []store.Lease{*f.lease}); errors.Is(err, store.ErrLeaseLost) {
		f.setLease(nil)
		s.log.Info("analytics lease lost: the snapshot was not saved; another replica feeds analytics", "replica", s.eng.Name())
		return nil
	} else if err != nil {
		return err
	}
	f.saved, f.savedAt = applied, time.Now()
	return nil
}

// sendAlerts puts KPI alerts in the outbox, to be delivered on their
// channels. An alert's ID is its idempotency key: one computed again
// after a restart is not sent twice.
func (s *Service) sendAlerts(ctx context.Context, als []analytics.Alert) error {
	if len(als) == 0 {
		return nil
	}
	entries := make([]store.Delivery, 0, len(als))
	items := make(map[string]*delivery.Item, len(als))
	for _, al := range als {
		if _, err := s.st.Delivery(ctx, alertKey(al.ID)); err == nil {
			continue // raised again after a restart: sent, and acted on, before
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("reading the outbox: %w", err)
		}
		if err := s.alertActions(ctx, al); err != nil {
			return err
		}
		target, above := 0.0, false
		if al.Target.Above != nil {
			target, above = *al.Target.Above, true
		} else if al.Target.Below != nil {
			target = *al.Target.Below
		}
		it := &delivery.Item{Key: alertKey(al.ID), Stack: al.Stack, Journey: al.Journey, Channel: al.Channel, Due: al.Time,
			Alert: &delivery.Alert{KPI: al.KPI, Address: al.Address, State: al.State, Value: al.Value, Target: target,
				Above: above, Samples: al.Samples}}
		state := store.DeliveryPending
		if al.Channel == "" {
			// An alert that only acts: kept in the outbox as done, for its
			// id (restoreSentAlerts), never sent.
			state = store.DeliveryDelivered
			it.Outcome = delivery.OutcomeDelivered
		}
		entries = append(entries, it.Entry(state, al.Time))
		items[it.Key] = it
	}
	if len(entries) == 0 {
		return nil
	}
	added, err := s.st.AddDeliveries(ctx, entries)
	if err != nil {
		return fmt.Errorf("adding KPI alerts to the outbox: %w", err)
	}
	for _, e := range added {
		it := items[e.ID]
		a := it.Alert
		s.log.Warn("KPI alert", "kpi", a.Address, "state", a.State, "value", a.Value, "target", a.Target, "channel", it.Channel)
		s.m.alerts.WithLabelValues(it.Stack, it.Journey, a.KPI, a.State).Inc()
	}
	pending := added[:0:0]
	for _, e := range added {
		if items[e.ID].Channel != "" {
			pending = append(pending, e)
		}
	}
	s.outbox.Add(pending)
	return nil
}

// alertActions appends to the log the action of a missed alert for each
// customer whose run was in the KPI's stage when it fired (in any of the
// action's stages, for a KPI of no stage): the engine gives each run a
// timer of the action due at the alert's time, which falls due as a
// trigger does. The records' ids keep a repeat from being appended twice.
func (s *Service) alertActions(ctx context.Context, al analytics.Alert) error {
	if al.Action == "" || len(al.Customers) == 0 {
		return nil
	}
	var stages map[string]bool
	if cat := s.cat.Load(); cat != nil {
		for _, st := range cat.Stacks {
			if st.Name != al.Stack {
				continue
			}
			addr := addrs.Address{Kind: addrs.Action, Journey: al.Journey, Name: al.Action}.String()
			if o := st.Doc.Object(addr); o != nil && o.Action != nil {
				stages = map[string]bool{}
				for _, sn := range o.Action.Stages {
					stages[sn] = true
				}
			}
		}
	}
	if stages == nil {
		s.log.Warn("KPI alert: its action is not deployed", "kpi", al.Address, "action", al.Action)
		return nil
	}
	now := s.now().UTC()
	var recs []store.LogRecord
	for _, c := range al.Customers {
		if !stages[c.Stage] {
			continue
		}
		rec, err := engine.Record(engine.EncodeAlertAction(engine.AlertAction{Customer: c.Customer, Stack: al.Stack, Journey: al.Journey,
			Run: c.Run, Action: al.Action, Due: al.Time}), alertKey(al.ID)+"\x00"+c.Customer, now)
		if err != nil {
			return err
		}
		recs = append(recs, rec)
	}
	acted := len(recs)
	for len(recs) > 0 {
		n := min(len(recs), 1000)
		if _, err := s.st.Append(ctx, recs[:n]); err != nil {
			return fmt.Errorf("appending the actions of KPI alert %s: %w", al.ID, err)
		}
		recs = recs[n:]
	}
	s.log.Info("KPI alert acts", "kpi", al.Address, "action", al.Action, "customers", acted)
	return nil
}

// alertKeyPrefix starts the outbox key of every alert; no action's key
// (hex) has it.
const alertKeyPrefix = "alert:"

// alertKey is the outbox key of an alert: its ID, under alertKeyPrefix.
func alertKey(id string) string { return alertKeyPrefix + id }

// ErrUnknownJourney is returned for analytics of a journey no active
// deployment has.
var ErrUnknownJourney = errors.New("no such journey is deployed")

// Analytics returns a journey's funnel, paths, action performance and KPIs
// as of the runtime's clock, after catching up with what was committed;
// rg chooses the window (an analytics.ErrRange when it cannot be had).
func (s *Service) Analytics(ctx context.Context, stack, journey string, rg analytics.Range) (*apiv1.Analytics, error) {
	if err := s.feedAnalytics(ctx); err != nil {
		return nil, err
	}
	rep, err := s.an.analytics().ReportRange(stack, journey, s.eng.Now(), rg)
	if errors.Is(err, analytics.ErrUnknownJourney) {
		return nil, ErrUnknownJourney
	}
	if err != nil {
		return nil, err
	}
	return analyticsReport(rep), nil
}

func (f *analyticsFeed) analytics() *analytics.Analytics {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.a
}

var (
	kpiValueDesc = prometheus.NewDesc("waymark_kpi_value",
		"A KPI's value over its window (a share from 0 to 1, seconds, or NPS); absent while it has no samples.",
		[]string{"stack", "journey", "kpi"}, nil)
	kpiStateDesc = prometheus.NewDesc("waymark_kpi_state",
		"1 for a KPI's state against its target (met, missed, insufficient_data, no_target), 0 for the others.",
		[]string{"stack", "journey", "kpi", "state"}, nil)
	kpiSamplesDesc = prometheus.NewDesc("waymark_kpi_samples",
		"How many samples a KPI's value stands on.", []string{"stack", "journey", "kpi"}, nil)
	scoreDesc = prometheus.NewDesc("waymark_journey_success_score",
		"A journey's success score from 0 to 100, from its KPIs with targets and enough samples.",
		[]string{"stack", "journey"}, nil)
)

var kpiStates = []string{analytics.StateMet, analytics.StateMissed, analytics.StateInsufficientData, analytics.StateNoTarget}

// kpiCollector computes the KPIs of every deployed journey when scraped,
// as of the runtime's clock; a read costs the same however many facts were
// fed.
type kpiCollector struct{ s *Service }

func (c *kpiCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- kpiValueDesc
	ch <- kpiStateDesc
	ch <- kpiSamplesDesc
	ch <- scoreDesc
}

func (c *kpiCollector) Collect(ch chan<- prometheus.Metric) {
	cat := c.s.cat.Load()
	if cat == nil || !c.s.an.holds() {
		// Only the replica that feeds analytics has them current: the
		// others would show what they last caught up with.
		return
	}
	if !c.s.an.current.Load() {
		// Just taken (at start, or from another replica): fed first.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.s.feedAnalytics(ctx); err != nil {
			c.s.log.Error("feeding analytics for metrics", "error", err)
			return
		}
	}
	a := c.s.an.analytics()
	now := c.s.eng.Now()
	for _, st := range cat.Stacks {
		for _, j := range st.Journeys {
			ks, err := a.KPIs(st.Name, j.Name, now)
			if err != nil {
				continue // not configured yet: the feed has not seen it
			}
			for _, k := range ks {
				if k.Value != nil {
					ch <- prometheus.MustNewConstMetric(kpiValueDesc, prometheus.GaugeValue, *k.Value, st.Name, j.Name, k.Name)
				}
				ch <- prometheus.MustNewConstMetric(kpiSamplesDesc, prometheus.GaugeValue, float64(k.Samples), st.Name, j.Name, k.Name)
				for _, state := range kpiStates {
					v := 0.0
					if k.State == state {
						v = 1
					}
					ch <- prometheus.MustNewConstMetric(kpiStateDesc, prometheus.GaugeValue, v, st.Name, j.Name, k.Name, state)
				}
			}
			if score := analytics.Score(ks); score != nil {
				ch <- prometheus.MustNewConstMetric(scoreDesc, prometheus.GaugeValue, *score, st.Name, j.Name)
			}
		}
	}
}
