package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/waymarkhq/waymark/runtime/engine"
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
}

func newMetrics(reg prometheus.Registerer, s *Service) *metrics {
	m := &metrics{
		ingested: prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_events_ingested_total",
			Help: "Events accepted and made durable."}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_events_duplicate_total",
			Help: "Events skipped because their id was seen within the deduplication window."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_events_rejected_total",
			Help: "Events rejected, by reason."}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_event_attributes_dropped_total",
			Help: "Undeclared attributes and traits dropped from accepted events, by event type and name."}, []string{"event_type", "name"}),
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
		Help: "Delivery attempts of the outbox by channel and result: delivered, retry, failed (dead-lettered), cancelled, held (by an open circuit breaker)."}, []string{"channel", "result"})
	m.recordsDropped = prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_decision_records_dropped_total",
		Help: "Decision records dropped because too many were waiting to be written."})
	m.recordsRefused = prometheus.NewCounter(prometheus.CounterOpts{Name: "waymark_decision_records_refused_total",
		Help: "Decision records dropped because the store refused them while it took others."})
	m.alerts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "waymark_kpi_alerts_total",
		Help: "KPI alerts raised, by stack, journey, KPI and the state the KPI changed to (missed: left its target; met: returned to it)."},
		[]string{"stack", "journey", "kpi", "state"})
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
func (o observer) Transition(stack, journey, reason string) {
	o.m.trans.WithLabelValues(stack, journey, reason).Inc()
}
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
}
