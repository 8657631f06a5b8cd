package metrics_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/promtest"
	"github.com/klageflow/klage/metrics"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

var ctx = context.Background()

// TestMetricsFollowAWalk walks complaints on a real SQLite store and
// scrapes the metrics over HTTP after each step: transitions, refusals,
// saves and conflicts, deliveries and failures, the open complaints, the
// outbox and the overdue clocks move as they should.
func TestMetricsFollowAWalk(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now, Observers: []observe.Observer{m}})
	require.NoError(t, err)
	s, err := sqlite.Open(ctx, w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	defer func() { _ = s.Close() }()
	require.NoError(t, m.WatchStore(s, clock.Now))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()

	c, err := store.Receive(ctx, s, w, complainttest.Intake())
	require.NoError(t, err)
	fire := func(e complaint.Event, r glossary.Role) error {
		cur, err := s.Get(ctx, c.ID())
		require.NoError(t, err)
		_, _, err = store.Fire(ctx, s, w, c.ID(), complainttest.InputFor(cur, e, r), store.FireOptions{})
		return err
	}
	require.NoError(t, fire(complaint.EventStart, glossary.CustomerService))
	require.ErrorIs(t, fire(complaint.EventEscalate, glossary.Customer), complaint.ErrInvalidTransition)
	require.ErrorIs(t, fire(complaint.EventStart, glossary.Customer), complaint.ErrInvalidTransition)
	require.ErrorIs(t, fire(complaint.EventRequestInfo, glossary.Customer), complaint.ErrForbidden)
	stale, err := s.Get(ctx, c.ID())
	require.NoError(t, err)
	require.NoError(t, fire(complaint.EventRequestInfo, glossary.CustomerService))
	_, err = w.Fire(ctx, stale, complainttest.InputFor(stale, complaint.EventUpdate, glossary.CustomerService))
	require.NoError(t, err)
	require.ErrorIs(t, s.Save(ctx, stale, stale.Version()-1), store.ErrConflict)
	other, err := store.Receive(ctx, s, w, complainttest.Intake())
	require.NoError(t, err)

	f := promtest.Scrape(t, srv.URL)
	assert.Equal(t, 2.0, f.At(t, "klage_transitions_total", "event", "open"))
	assert.Equal(t, 1.0, f.At(t, "klage_transitions_total", "event", "start"))
	assert.Equal(t, 1.0, f.At(t, "klage_transitions_total", "event", "update"), "applied in memory; its save lost")
	assert.Equal(t, 1.0, f.At(t, "klage_refusals_total", "event", "escalate", "kind", "not_allowed"))
	assert.Equal(t, 1.0, f.At(t, "klage_refusals_total", "event", "start", "kind", "not_allowed"))
	assert.Equal(t, 1.0, f.At(t, "klage_refusals_total", "event", "request_info", "kind", "forbidden"))
	assert.Equal(t, 4.0, f.At(t, "klage_saves_total", "result", "ok"))
	assert.Equal(t, 1.0, f.At(t, "klage_saves_total", "result", "conflict"))
	assert.Equal(t, 1.0, f.At(t, "klage_open_complaints", "state", "awaiting_customer"))
	assert.Equal(t, 1.0, f.At(t, "klage_open_complaints", "state", "received"))
	assert.Equal(t, 1.0, f.At(t, "klage_store_up"))
	assert.Equal(t, 4.0, f.At(t, "klage_outbox_pending"), "acknowledged ×2, started, info_requested, none delivered")
	assert.Equal(t, 0.0, f.At(t, "klage_outbox_oldest_pending_age_seconds"))

	// An hour on, the relay delivers through a notifier that refuses the
	// other complaint's acknowledgement for good.
	clock.Advance(time.Hour)
	f = promtest.Scrape(t, srv.URL)
	assert.Equal(t, 3600.0, f.At(t, "klage_outbox_oldest_pending_age_seconds"))
	bad := other.ID() + "/1/acknowledged/customer"
	relay := &store.Relay{Outbox: s, Now: clock.Now, Observer: w.Observer(), Logger: slog.New(slog.DiscardHandler), Notifier: m.Notifier("email", complaint.NotifierFunc(
		func(_ context.Context, n complaint.Notification) error {
			if n.Key() == bad {
				return permanent{}
			}
			return nil
		}))}
	_, err = relay.RunOnce(ctx)
	require.NoError(t, err)
	f = promtest.Scrape(t, srv.URL)
	assert.Equal(t, 3.0, f.At(t, "klage_deliveries_total", "notifier", "email"))
	assert.Equal(t, 1.0, f.At(t, "klage_delivery_failures_total", "notifier", "email"))
	assert.Equal(t, 0.0, f.At(t, "klage_outbox_pending"))
	assert.Equal(t, 1.0, f.At(t, "klage_outbox_dead_letters"))
	_, ok := f.Value("klage_overdue_clocks")
	assert.False(t, ok, "nothing overdue yet")

	// Weeks on: the other complaint's first response and DOA replacement
	// are overdue; the first complaint's clocks are paused while it
	// awaits the customer.
	clock.Advance(21 * 24 * time.Hour)
	f = promtest.Scrape(t, srv.URL)
	assert.Equal(t, 1.0, f.At(t, "klage_overdue_clocks", "name", "first_response"))
	assert.Equal(t, 1.0, f.At(t, "klage_overdue_clocks", "name", "doa_replacement"))
}

type permanent struct{}

func (permanent) Error() string   { return "no address" }
func (permanent) Permanent() bool { return true }

func TestMiddleware(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /complaints/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			http.NotFound(w, r)
		}
	})
	app := httptest.NewServer(m.Middleware(mux, mux))
	defer app.Close()
	metricsSrv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metricsSrv.Close()
	for _, p := range []string{"/complaints/K-1", "/complaints/K-2", "/complaints/missing", "/nowhere"} {
		resp, err := http.Get(app.URL + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	f := promtest.Scrape(t, metricsSrv.URL)
	assert.Equal(t, 2.0, f.At(t, "klage_http_requests_total", "route", "GET /complaints/{id}", "status", "200"))
	assert.Equal(t, 1.0, f.At(t, "klage_http_requests_total", "route", "GET /complaints/{id}", "status", "404"))
	assert.Equal(t, 1.0, f.At(t, "klage_http_requests_total", "route", "unmatched", "status", "404"))
	assert.Equal(t, 3.0, f.At(t, "klage_http_request_duration_seconds", "route", "GET /complaints/{id}"))
}
