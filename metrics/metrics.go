// Package metrics exposes what klage does as Prometheus metrics
// (github.com/prometheus/client_golang): transitions by event, refusals
// by kind, saves and conflicts, deliveries and failures by notifier, the
// open complaints by state, overdue clocks by name, the outbox's depth and
// the age of its oldest notification, dead letters, and HTTP requests by
// route and status with their latency.
//
// A [Metrics] is an observe.Observer: give it to complaint.Options's
// Observers (and the workflow's observer to the store.Relay), wrap each
// Notifier with [Metrics.Notifier], let it read the store's figures at
// each scrape with [Metrics.WatchStore], and serve the registry:
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{m}})
//	m.WatchStore(s, time.Now)
//	relay := &store.Relay{Outbox: s, Notifier: m.Notifier("email", email), Observer: w.Observer()}
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// No metric carries personal data or a complaint's id: labels are events,
// states, clock names, error kinds, notifier names and routes.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/internal/errkind"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
)

// Metrics holds the collectors. Create it with [New]; it is safe for
// concurrent use.
type Metrics struct {
	reg         prometheus.Registerer
	transitions *prometheus.CounterVec
	refusals    *prometheus.CounterVec
	saves       *prometheus.CounterVec
	deliveries  *prometheus.CounterVec
	failures    *prometheus.CounterVec
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
}

var _ observe.Observer = (*Metrics)(nil)

// New creates the metrics and registers them with reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_transitions_total",
			Help: "Transitions applied (opens included), by event."}, []string{"event"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_refusals_total",
			Help: "Opens and transitions refused, by event and kind of error (invalid_input, closed, remedy_owed, not_allowed, not_impartial, forbidden, vetoed, undelivered, cancelled, other)."}, []string{"event", "kind"}),
		saves: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_saves_total",
			Help: "Store writes of complaints, by result (ok, conflict, error)."}, []string{"result"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_deliveries_total",
			Help: "Notifications a notifier accepted, by notifier."}, []string{"notifier"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_delivery_failures_total",
			Help: "Delivery attempts that failed, by notifier."}, []string{"notifier"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "klage_http_requests_total",
			Help: "HTTP requests, by route, method and status."}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "klage_http_request_duration_seconds",
			Help: "HTTP request latency, by route and method.", Buckets: prometheus.DefBuckets}, []string{"route", "method"}),
	}
	for _, c := range []prometheus.Collector{m.transitions, m.refusals, m.saves, m.deliveries, m.failures, m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Begin implements observe.Observer: it counts transitions and refusals
// of opens and fires, and the results of saves.
func (m *Metrics) Begin(ctx context.Context, op observe.Operation) (context.Context, func(error)) {
	switch op.Op {
	case observe.Open, observe.Fire:
		return ctx, func(err error) {
			if err == nil || errors.Is(err, complaint.ErrUndelivered) { // applied; a notification waits
				m.transitions.WithLabelValues(op.Event).Inc()
				return
			}
			m.refusals.WithLabelValues(op.Event, errkind.Of(err)).Inc()
		}
	case observe.Save:
		return ctx, func(err error) {
			result := "ok"
			switch {
			case errors.Is(err, store.ErrConflict):
				result = "conflict"
			case err != nil:
				result = "error"
			}
			m.saves.WithLabelValues(result).Inc()
		}
	}
	return ctx, func(error) {}
}

// Notifier wraps n so that its deliveries and failures are counted under
// name ("email", "webhook").
func (m *Metrics) Notifier(name string, n complaint.Notifier) complaint.Notifier {
	ok, failed := m.deliveries.WithLabelValues(name), m.failures.WithLabelValues(name)
	return complaint.NotifierFunc(func(ctx context.Context, note complaint.Notification) error {
		err := n.Notify(ctx, note)
		if err != nil {
			failed.Inc()
		} else {
			ok.Inc()
		}
		return err
	})
}

// HTTPRequest counts one request to route (a ServeMux pattern, e.g.
// "GET /complaints/{id}") and observes its latency.
func (m *Metrics) HTTPRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// Router finds the route of a request: an *http.ServeMux.
type Router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

// Middleware counts the requests that next serves by their route in mux
// and observes their latency.
func (m *Metrics) Middleware(mux Router, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		m.HTTPRequest(route, r.Method, rec.status, time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// WatchStore registers the gauges that s reports at each scrape ([store.Stats]
// at now()): klage_open_complaints by state, klage_overdue_clocks by name,
// klage_outbox_pending, klage_outbox_oldest_pending_age_seconds,
// klage_outbox_dead_letters, and klage_store_up (0 when the store could
// not answer within ten seconds).
func (m *Metrics) WatchStore(s store.StatsReader, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	return m.reg.Register(&storeCollector{s: s, now: now})
}

var (
	openDesc    = prometheus.NewDesc("klage_open_complaints", "Complaints not closed, by state.", []string{"state"}, nil)
	overdueDesc = prometheus.NewDesc("klage_overdue_clocks", "Running clocks past due, by name.", []string{"name"}, nil)
	pendingDesc = prometheus.NewDesc("klage_outbox_pending", "Notifications neither delivered nor dead-lettered.", nil, nil)
	ageDesc     = prometheus.NewDesc("klage_outbox_oldest_pending_age_seconds", "Age of the oldest pending notification; 0 when none.", nil, nil)
	deadDesc    = prometheus.NewDesc("klage_outbox_dead_letters", "Notifications set aside for good.", nil, nil)
	upDesc      = prometheus.NewDesc("klage_store_up", "1 when the store reported its figures at this scrape.", nil, nil)
)

type storeCollector struct {
	s   store.StatsReader
	now func() time.Time
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{openDesc, overdueDesc, pendingDesc, ageDesc, deadDesc, upDesc} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := c.now()
	st, err := c.s.Stats(ctx, now)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1)
	for state, n := range st.Open {
		ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n), string(state))
	}
	for name, n := range st.Overdue {
		ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(n), string(name))
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(st.Pending))
	age := 0.0
	if !st.OldestPending.IsZero() {
		age = max(now.Sub(st.OldestPending).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(ageDesc, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(st.DeadLetters))
}
