package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/internal/promtest"
	"github.com/klageflow/klage/store"
)

// TestErrorFieldsAndLanguage: an error names the field at fault, carries
// no Go package prefix, and speaks the language Accept-Language asks for;
// a new customer's language defaults to it.
func TestErrorFieldsAndLanguage(t *testing.T) {
	s := start(t, backends[0].dsn(t), complainttest.NewClock(time.Time{}))
	bad := intake()
	bad["description"] = ""
	var e errorJSON
	status, _ := s.do(tokAgent, "POST", "/complaints", bad, &e)
	require.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "description", e.Error.Field)
	assert.NotContains(t, e.Error.Message, "complaint:")

	for _, tc := range []struct {
		path, field string
	}{{"/complaints?limit=0", "limit"}, {"/complaints?overdue=maybe", "overdue"}, {"/complaints?created_from=soon", "created_from"}} {
		e = errorJSON{}
		status, _ := s.do(tokAgent, "GET", tc.path, nil, &e)
		require.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, tc.field, e.Error.Field, tc.path)
	}

	e = errorJSON{}
	status, header := s.doHeaders(tokAgent, "GET", "/complaints/K-nope", nil, &e, map[string]string{"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
	require.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "Findes ikke.", e.Error.Message)
	assert.Equal(t, "da", header.Get("Content-Language"))
	e = errorJSON{}
	status, header = s.doHeaders(tokAgent, "GET", "/complaints/K-nope", nil, &e, map[string]string{"Accept-Language": "fr"})
	require.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "no such complaint", e.Error.Message, "English when the language is not one the API speaks")
	assert.Equal(t, "en", header.Get("Content-Language"))

	// A web-form complaint from an English browser is an English customer's.
	web := webIntake()
	var c complaintJSON
	status, _ = s.doHeaders("", "POST", "/complaints", web, &c, map[string]string{"Accept-Language": "en-GB,en;q=0.8"})
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "en", c.Customer["language"])
	status, _ = s.do("", "POST", "/complaints", webIntake(), &c)
	require.Equal(t, http.StatusCreated, status)
	assert.Equal(t, "da", c.Customer["language"], "Danish without the header")
}

// TestETagAndIfMatch: a complaint carries its version as an ETag, and
// If-Match is the header form of expected_version: 412 when stale.
func TestETagAndIfMatch(t *testing.T) {
	s := start(t, backends[0].dsn(t), complainttest.NewClock(time.Time{}))
	c := s.create()
	status, header := s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, status)
	tag := header.Get("ETag")
	assert.Equal(t, `"v1"`, tag)

	ev := "/complaints/" + c.ID + "/events"
	status, header = s.doHeaders(tokAgent, "POST", ev, map[string]any{"event": "start"}, nil, map[string]string{"If-Match": tag})
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, `"v2"`, header.Get("ETag"))

	var e errorJSON
	status, _ = s.doHeaders(tokAgent, "POST", ev, map[string]any{"event": "update", "note": "Late."}, &e, map[string]string{"If-Match": tag})
	assert.Equal(t, http.StatusPreconditionFailed, status, "a stale If-Match")
	assert.Equal(t, "precondition_failed", e.Error.Code)
	e = errorJSON{}
	status, _ = s.doHeaders(tokAgent, "POST", ev, map[string]any{"event": "update", "note": "x"}, &e, map[string]string{"If-Match": "W/whatever"})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "If-Match", e.Error.Field)
	status, _ = s.doHeaders(tokAgent, "POST", ev, map[string]any{"event": "update", "note": "x", "expected_version": 2}, nil, map[string]string{"If-Match": `"v1"`})
	assert.Equal(t, http.StatusBadRequest, status, "expected_version and If-Match disagree")

	var got complaintJSON
	s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
	assert.Equal(t, 2, got.Version, "the refused requests wrote nothing")
}

// TestReadyAndRequestLog: /readyz checks the database and the relay; every
// request is logged with its route, status and duration, and nothing
// personal.
func TestReadyAndRequestLog(t *testing.T) {
	s := start(t, backends[0].dsn(t), complainttest.NewClock(time.Time{}))
	require.Eventually(t, func() bool {
		status, _ := s.do("", "GET", "/readyz", nil, nil)
		return status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "ready once the relay has made a pass")
	c := s.create()
	s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, nil)
	logs := s.logs.String()
	assert.Contains(t, logs, `"route":"GET /complaints/{id}"`)
	assert.Contains(t, logs, `"route":"POST /complaints","status":201`)
	assert.Contains(t, logs, `"duration"`)
	assert.NotContains(t, logs, "karen@example.dk")
	assert.NotContains(t, logs, "Karen Jensen")
	assert.False(t, strings.Contains(logs, c.CustomerToken), "no credentials in the log")

}

// TestNotReady: a service whose database is gone answers 503 on /readyz,
// and /healthz still says it lives.
func TestNotReady(t *testing.T) {
	clock, w, s := goneStore(t)
	opts := testOptions(t, clock.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	opts.Ready = func(ctx context.Context) error { return s.DB().PingContext(ctx) }
	srv := httptest.NewServer(newHandler(t, w, s, opts))
	defer srv.Close()
	for path, want := range map[string]int{"/readyz": http.StatusServiceUnavailable, "/healthz": http.StatusOK} {
		resp, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, path)
	}
}

// TestPrivacyNeedsPersonalData: a store that does not keep personal data
// apart answers the privacy routes with 501, and erases nothing.
func TestPrivacyNeedsPersonalData(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	srv := httptest.NewServer(newHandler(t, w, store.NewMemory(w), testOptions(t, clock.Now, slog.New(slog.NewJSONHandler(io.Discard, nil)))))
	defer srv.Close()
	for _, r := range []struct{ method, path string }{{"GET", "/customers/cust-7/data"}, {"POST", "/customers/cust-7/erase"}} {
		req, err := http.NewRequest(r.method, srv.URL+r.path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tokPrivacy)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotImplemented, resp.StatusCode, r.path)
	}
}

// TestReadyWhileTheRelayWorks: readiness means "can serve": while the
// relay works through a queue behind a slow webhook, /readyz stays 200,
// even when the (injected) clock has moved past the readiness window
// since the pass began, because the working relay renews its lease and so
// shows it is alive. Backlog is exported as metrics, not as readiness.
func TestReadyWhileTheRelayWorks(t *testing.T) {
	t.Setenv("KLAGE_WEBHOOK_SECRET", webhookSecret)
	var slow atomic.Bool
	slow.Store(true)
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if slow.Load() {
			time.Sleep(400 * time.Millisecond)
		}
	}))
	defer hook.Close()
	defer slow.Store(false)
	clock := complainttest.NewClock(time.Time{})
	s := start(t, backends[0].dsn(t), clock, "-webhook", hook.URL, "-relay-lease", "3s")
	for range 60 {
		s.create() // an acknowledgement each: 60 × 400 ms of webhook
	}
	require.Eventually(t, func() bool {
		status, _ := s.do("", "GET", "/readyz", nil, nil)
		return status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond)
	clock.Advance(31 * time.Second)     // past the readiness window
	time.Sleep(1500 * time.Millisecond) // a renewal of a 3 s lease comes every second
	status, _ := s.do("", "GET", "/readyz", nil, nil)
	assert.Equal(t, http.StatusOK, status, "a relay that works is alive, however slow its receiver")
	f := promtest.ScrapeAs(t, s.base+"/metrics", tokSystem)
	pending, ok := f.Value("klage_outbox_pending")
	require.True(t, ok)
	assert.Positive(t, pending, "the backlog is a metric")
}
