package service

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/providers/host"
	"github.com/waymarkhq/waymark/runtime/delivery"
	"github.com/waymarkhq/waymark/runtime/engine"
	"github.com/waymarkhq/waymark/runtime/events"
	"github.com/waymarkhq/waymark/runtime/store"
)

type metrics struct {
	ingested   prometheus.Counter
	duplicates prometheus.Counter
	rejected   *prometheus.CounterVec
	dropped    *prometheus.CounterVec
	overloaded prometheus.Counter
	latency    prometheus.Histogram
	nulls      *prometheus.CounterVec
	overBudget *prometheus.CounterVec
	overLog    *overBudgetLog
	trans      *prometheus.CounterVec
	// transBy keeps the counters of trans by their labels: a transition
	// counts with one map lookup rather than hashing its labels.
	transMu    sync.Mutex
	transBy    map[transKey]prometheus.Counter
	decisions  *prometheus.CounterVec
	responses  *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	alerts     *prometheus.CounterVec
	// recordsDropped counts decision records dropped because too many
	// waited to be written.
	recordsDropped prometheus.Counter
	// recordsRefused counts decision records dropped because the store
	// refused them while it took others.
	recordsRefused prometheus.Counter
	// decideLatency is the time POST /v1/decide's pipeline took, by
	// (deployed) channel.
	decideLatency *prometheus.HistogramVec
	// providerErrors counts failed delivery attempts by provider source
	// and channel, both from the deployment.
	providerErrors *prometheus.CounterVec
}

// undeclaredLabel is the name label of dropped attributes whose name no
// deployed stack declares: label values come only from the deployment, so
// a tracker sending ever new keys adds no series.
const undeclaredLabel = "undeclared"

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	m := &metrics{
		ingested: prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_events_ingested_total",
			Help: "Events accepted and made durable."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_events_duplicate_total",
			Help: "Events skipped because their id was seen within the deduplication window."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_events_rejected_total",
			Help: "Events rejected, by reason."}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_event_attributes_dropped_total",
			Help: "Undeclared attributes and traits dropped from accepted events, by event type and name: the name if some deployed stack declares it (on another event type, or as a customer attribute for traits.<name>), else \"undeclared\" (or \"traits.undeclared\")."}, []string{"event_type", "name"}),
		overloaded: prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_ingest_overloaded_total",
			Help: "Event batches refused with 429 because the runtime was behind."}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "waymark_event_processing_seconds",
			Help:    "Time from an event's arrival until the journeys' state it changed is durable.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		nulls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_condition_nulls_total",
			Help: "Evaluations of a runtime condition that met a null and so were false, by expression."}, []string{"expression"}),
		overBudget: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_condition_over_budget_total",
			Help: "Evaluations of a runtime condition that went over their budget of work or memory and so were false, by expression."}, []string{"expression"}),
		overLog: &overBudgetLog{log: s.log, last: map[string]time.Time{}},
		trans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_journey_transitions_total",
			Help: "Journey transitions, by stack, journey and reason."}, []string{"stack", "journey", "reason"}),
	}
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_decisions_total",
		Help: "Decisions made, by channel and kind (request: POST /v1/decide; trigger: actions that fell due)."}, []string{"channel", "kind"})
	m.responses = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_responses_total",
		Help: "Responses recorded, by outcome."}, []string{"outcome"})
	m.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_delivery_attempts_total",
		Help: "Delivery attempts of the outbox by channel and result: delivered, retry, failed (dead-lettered), cancelled, held (by an open circuit breaker), rate_limited (queued for a slot of the channel's send rate)."}, []string{"channel", "result"})
	m.recordsDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_decision_records_dropped_total",
		Help: "Decision records dropped because too many were waiting to be written."})
	m.recordsRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_decision_records_refused_total",
		Help: "Decision records dropped because the store refused them while it took others."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_kpi_alerts_total",
		Help: "KPI alerts raised, by stack, journey, KPI and the state the KPI changed to (missed: left its target; met: returned to it)."},
		[]string{"stack", "journey", "kpi", "state"})
	m.decideLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "waymark_decide_duration_seconds",
		Help:    "Time the decision pipeline took to answer POST /v1/decide, by channel.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"channel"})
	m.providerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_provider_errors_total",
		Help: "Delivery attempts a provider failed, by provider source, channel and whether the error is retryable."},
		[]string{"provider", "channel", "retryable"})
	reg.MustRegister(m.decideLatency, m.providerErrors, &outboxCollector{s})
	reg.MustRegister(m.ingested, m.duplicates, m.rejected, m.dropped, m.overloaded, m.latency, m.nulls, m.overBudget, m.trans,
		m.decisions, m.responses, m.deliveries, m.recordsDropped, m.recordsRefused, m.alerts, &stageCollector{s}, &kpiCollector{s})
	return m
}

// observer adapts metrics to engine.Observer.
type observer struct{ m *metrics }

func (o observer) NullCondition(name string) { o.m.nulls.WithLabelValues(name).Inc() }
func (o observer) OverBudget(name string) {
	o.m.overBudget.WithLabelValues(name).Inc()
	o.m.overLog.note(name)
}
func (o observer) Transitions(ts []engine.TransitionCount) {
	m := o.m
	m.transMu.Lock()
	defer m.transMu.Unlock()
	for _, t := range ts {
		k := transKey{t.Stack, t.Journey, t.Reason}
		c := m.transBy[k]
		if c == nil {
			if m.transBy == nil {
				m.transBy = map[transKey]prometheus.Counter{}
			}
			c = m.trans.WithLabelValues(t.Stack, t.Journey, t.Reason)
			m.transBy[k] = c
		}
		c.Add(float64(t.N))
	}
}

// transKey is the labels of a transition's counter.
type transKey struct{ stack, journey, reason string }

func (o observer) Committed(arrivals []time.Time, now time.Time) {
	for _, a := range arrivals {
		o.m.latency.Observe(now.Sub(a).Seconds())
	}
}

var _ engine.Observer = observer{}

// overBudgetLog logs the conditions that went over their budget, each at
// most once a minute: hostile input can make every event do it.
type overBudgetLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	last map[string]time.Time // by expression
}

func (l *overBudgetLog) note(name string) {
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.last[name]) < time.Minute {
		l.mu.Unlock()
		return
	}
	l.last[name] = now
	l.mu.Unlock()
	l.log.Warn("a condition went over its evaluation budget and was taken as false; its input is far larger than usual",
		"expression", name)
}

var (
	stageDesc = prometheus.NewDesc("waymark_customers_in_stage",
		"Customers now in each stage of each journey.", []string{"stack", "journey", "stage"}, nil)
	backlogDesc = prometheus.NewDesc("waymark_event_backlog",
		"Log records appended but not yet processed.", nil, nil)
	partitionsDesc = prometheus.NewDesc("waymark_partitions_held",
		"Partitions of customers this replica holds the lease of and processes.", nil, nil)
	analyticsHeldDesc = prometheus.NewDesc("waymark_analytics_held",
		"1 on the replica that holds the analytics lease: it feeds analytics, raises KPI alerts and exports the KPIs; 0 on the others.", nil, nil)
	customersDesc = prometheus.NewDesc("waymark_customers",
		"Customers the runtime holds in memory (its cache), of the partitions it holds.", nil, nil)
)

// stageCollector reads the engine's counts when scraped.
type stageCollector struct{ s *Service }

func (c *stageCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- stageDesc
	ch <- backlogDesc
	ch <- customersDesc
	ch <- partitionsDesc
	ch <- analyticsHeldDesc
}

func (c *stageCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.s.eng.StageCounts(ctx)
	if err != nil {
		c.s.log.Error("reading the stage counts for metrics", "error", err)
	}
	for _, sc := range counts {
		ch <- prometheus.MustNewConstMetric(stageDesc, prometheus.GaugeValue, float64(sc.Customers), sc.Stack, sc.Journey, sc.Stage)
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(c.s.backlog()))
	ch <- prometheus.MustNewConstMetric(customersDesc, prometheus.GaugeValue, float64(c.s.eng.Cached()))
	ch <- prometheus.MustNewConstMetric(partitionsDesc, prometheus.GaugeValue, float64(c.s.eng.Partitions()))
	held := 0.0
	if c.s.an.holds() {
		held = 1
	}
	ch <- prometheus.MustNewConstMetric(analyticsHeldDesc, prometheus.GaugeValue, held)
}

// droppedName is the label a dropped attribute is counted under: its name
// if the schema declares it anywhere, else undeclaredLabel.
func droppedName(schema *events.Schema, name string) string {
	if schema == nil {
		return undeclaredLabel
	}
	if trait, ok := strings.CutPrefix(name, "traits."); ok {
		if _, ok := schema.Customer[trait]; ok {
			return name
		}
		return "traits." + undeclaredLabel
	}
	for _, t := range schema.Types {
		if _, ok := t.Attributes[name]; ok {
			return name
		}
	}
	return undeclaredLabel
}

var (
	outboxDepthDesc = prometheus.NewDesc("waymark_outbox_pending",
		"Deliveries waiting in the outbox (pending: not yet delivered, failed or cancelled), by channel.", []string{"channel"}, nil)
	outboxAgeDesc = prometheus.NewDesc("waymark_outbox_oldest_pending_seconds",
		"How long ago the oldest pending delivery of each channel fell due.", []string{"channel"}, nil)
	outboxRateDesc = prometheus.NewDesc("waymark_outbox_rate_limited",
		"Deliveries this replica's outbox holds back for a slot of their channel's send rate, by channel.", []string{"channel"}, nil)
)

// outboxCollector reads the pending deliveries when scraped. The outbox
// is shared by the replicas, so each reports the whole queue.
type outboxCollector struct{ s *Service }

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDepthDesc
	ch <- outboxAgeDesc
	ch <- outboxRateDesc
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	for channel, n := range c.s.outbox.RateLimited() {
		ch <- prometheus.MustNewConstMetric(outboxRateDesc, prometheus.GaugeValue, float64(n), channel)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	depth, oldest, err := c.s.pendingByChannel(ctx)
	if err != nil {
		c.s.log.Error("reading the outbox for metrics", "error", err)
		return
	}
	now := c.s.eng.Now()
	for channel, n := range depth {
		ch <- prometheus.MustNewConstMetric(outboxDepthDesc, prometheus.GaugeValue, float64(n), channel)
		ch <- prometheus.MustNewConstMetric(outboxAgeDesc, prometheus.GaugeValue, max(0, now.Sub(oldest[channel]).Seconds()), channel)
	}
}

// pendingByChannel counts the pending deliveries of each channel and finds
// when the oldest of each fell due.
func (s *Service) pendingByChannel(ctx context.Context) (map[string]int, map[string]time.Time, error) {
	depth, oldest := map[string]int{}, map[string]time.Time{}
	after := ""
	for {
		page, err := s.st.Deliveries(ctx, store.DeliveryPending, after, 1000)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range page {
			it, err := delivery.Decode(e)
			if err != nil {
				continue // dead-lettered when attempted
			}
			depth[it.Channel]++
			if o, ok := oldest[it.Channel]; !ok || it.Due.Before(o) {
				oldest[it.Channel] = it.Due
			}
		}
		if len(page) < 1000 {
			return depth, oldest, nil
		}
		after = page[len(page)-1].ID
	}
}

// providerError counts a failed delivery attempt of a deployed channel.
func (m *metrics) providerError(source, channel string, err error) {
	m.providerErrors.WithLabelValues(source, channel, strconv.FormatBool(host.Retryable(err))).Inc()
}
