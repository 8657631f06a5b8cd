package e2e

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// reportWalk makes the complaints the report and dashboard tests know: one
// rejected, escalated and partly upheld (a finding on the workshop),
// carried out and closed, rated 2; one upheld and accepted, rated 5; one
// still received. It returns the first two.
func reportWalk(t *testing.T, s *server) (escalated, accepted complaintJSON) {
	t.Helper()
	step := func(tok, id string, body map[string]any) {
		t.Helper()
		s.clock.Advance(time.Hour)
		status, _ := s.event(tok, id, body)
		require.Equal(t, http.StatusOK, status, "%v", body["event"])
	}
	escalated = s.create()
	step(tokAgent, escalated.ID, map[string]any{"event": "start"})
	step(tokAgent, escalated.ID, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Not covered."}})
	step(escalated.CustomerToken, escalated.ID, map[string]any{"event": "escalate"})
	step(tokReviewer, escalated.ID, map[string]any{"event": "review", "decision": map[string]any{
		"outcome": "partly_upheld", "explanation": "The repair is free.", "remedy": map[string]any{"kind": "repair"},
		"findings": []map[string]any{{"area": "workshop", "description": "Photograph damage first."}}}})
	step(tokAgent, escalated.ID, map[string]any{"event": "fulfil", "fulfilment": map[string]any{"remedy": "repair", "reference": "W-1"}})
	step(tokReviewer, escalated.ID, map[string]any{"event": "close"})

	accepted = s.create()
	step(tokAgent, accepted.ID, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "upheld", "text": "A new one.",
		"remedy": map[string]any{"kind": "replacement"}}})
	step(tokAgent, accepted.ID, map[string]any{"event": "fulfil", "fulfilment": map[string]any{"remedy": "replacement", "reference": "GLS-1"}})
	step(accepted.CustomerToken, accepted.ID, map[string]any{"event": "accept"})
	s.create()

	for _, r := range []struct {
		c     complaintJSON
		score int
	}{{escalated, 2}, {accepted, 5}} {
		var got map[string]any
		status, _ := s.do(r.c.CustomerToken, "POST", "/complaints/"+r.c.ID+"/rating", map[string]any{"score": r.score, "comment": "Tak for hjælpen."}, &got)
		require.Equal(t, http.StatusCreated, status)
		assert.Equal(t, float64(r.score), got["score"])
	}
	return escalated, accepted
}

func TestReportsOverHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		escalated, accepted := reportWalk(t, s)

		// Ratings: once, by the complaint's own customer, of a closed case.
		var e errorJSON
		status, _ := s.do(escalated.CustomerToken, "POST", "/complaints/"+escalated.ID+"/rating", map[string]any{"score": 1}, &e)
		assert.Equal(t, http.StatusConflict, status)
		assert.Equal(t, "already_rated", e.Error.Code)
		open := s.create()
		status, _ = s.do(open.CustomerToken, "POST", "/complaints/"+open.ID+"/rating", map[string]any{"score": 4}, &e)
		assert.Equal(t, http.StatusConflict, status)
		assert.Equal(t, "not_ratable", e.Error.Code)
		status, _ = s.do(accepted.CustomerToken, "POST", "/complaints/"+escalated.ID+"/rating", map[string]any{"score": 4}, nil)
		assert.Equal(t, http.StatusNotFound, status, "another customer's case does not exist for them")
		status, _ = s.do(tokAgent, "POST", "/complaints/"+escalated.ID+"/rating", map[string]any{"score": 4}, nil)
		assert.Equal(t, http.StatusForbidden, status, "staff do not rate")
		status, _ = s.do(escalated.CustomerToken, "POST", "/complaints/"+escalated.ID+"/rating", map[string]any{"score": 9}, nil)
		assert.Equal(t, http.StatusBadRequest, status)

		s.clock.Advance(time.Minute) // the range ends before now
		var rep map[string]any
		from := url.QueryEscape(s.clock.Now().Add(-48 * time.Hour).Format(time.RFC3339))
		status, _ = s.do(tokReviewer, "GET", "/reports?from="+from, nil, &rep)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, 4.0, rep["opened"])
		assert.Equal(t, 2.0, rep["closed"])
		assert.Equal(t, map[string]any{"partly_upheld": 1.0, "upheld": 1.0}, rep["by_outcome"])
		assert.Equal(t, 0.5, rep["escalation_rate"], "one of two final answers")
		assert.Equal(t, 1.0, rep["overturn_rate"])
		assert.Equal(t, []any{map[string]any{"area": "workshop", "count": 1.0, "complaints": []any{escalated.ID}}}, rep["findings_by_area"])
		assert.Equal(t, map[string]any{"average": 3.5, "count": 2.0}, pick(rep["satisfaction"], "average", "count"))
		assert.Equal(t, 2.0, pick(rep["time_to_final_answer"], "count")["count"])
		assert.Contains(t, rep, "breach_rate")
		assert.Contains(t, rep, "doa_replaced_within_14_days")

		kinds := map[string]any{}
		status, _ = s.do(tokAgent, "GET", "/reports?from="+from+"&kind=claim", nil, &kinds)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, 0.0, kinds["opened"], "a filter that matches none")

		for _, tc := range []struct {
			tok, query string
			status     int
		}{
			{"", "", http.StatusUnauthorized},
			{tokLenovo, "", http.StatusForbidden},
			{escalated.CustomerToken, "", http.StatusForbidden},
			{tokAgent, "?from=yesterday", http.StatusBadRequest},
			{tokAgent, "?kind=refund", http.StatusBadRequest},
			{tokAgent, "?from=2026-03-05T00:00:00Z&to=2026-03-01T00:00:00Z", http.StatusBadRequest},
			{tokAgent, "?to=tomorrow", http.StatusBadRequest},
			{tokAgent, "?channel=fax", http.StatusBadRequest},
			{tokAgent, "?customer_type=vip", http.StatusBadRequest},
			{tokAgent, "?top=0", http.StatusBadRequest},
			{tokAgent, "?top=101", http.StatusBadRequest},
			{tokAgent, "?manufacturer=" + strings.Repeat("m", 300), http.StatusBadRequest},
		} {
			status, _ := s.do(tc.tok, "GET", "/reports"+tc.query, nil, nil)
			assert.Equal(t, tc.status, status, "%q %s", tc.tok, tc.query)
		}

		req, err := http.NewRequest("GET", s.base+"/dashboard?from="+from, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tokReviewer)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.True(t, strings.Contains(string(body), `id="chart-weeks"`))
		assert.NotContains(t, string(body), "<script", "no JavaScript")
		for tok, want := range map[string]int{tokLenovo: http.StatusForbidden, "": http.StatusUnauthorized} {
			status, _ := s.do(tok, "GET", "/dashboard", nil, nil)
			assert.Equal(t, want, status, "dashboard for %q", tok)
		}
		status, _ = s.do(tokAgent, "GET", "/dashboard?from=yesterday", nil, nil)
		assert.Equal(t, http.StatusBadRequest, status, "the dashboard refuses what /reports refuses")
	})
}

// pick returns the named fields of a JSON object.
func pick(v any, keys ...string) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestActionsOverHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		escalated, _ := reportWalk(t, s)
		due := s.clock.Now().Add(7 * 24 * time.Hour).Format(time.RFC3339)
		body := map[string]any{"complaint_id": escalated.ID, "area": "workshop", "description": "Photograph damage before a repair.",
			"owner": map[string]any{"id": "anna", "role": "customer_service"}, "due": due}

		var a map[string]any
		status, header := s.do(tokReviewer, "POST", "/actions", body, &a)
		require.Equal(t, http.StatusCreated, status)
		id, _ := a["id"].(string)
		require.NotEmpty(t, id)
		assert.Equal(t, s.prefix+"/actions/"+id, header.Get("Location"))
		assert.Equal(t, "open", a["status"])

		for _, tc := range []struct {
			tok    string
			body   map[string]any
			status int
		}{
			{tokAgent, body, http.StatusForbidden},  // customer service does not decide on improvements
			{tokLenovo, body, http.StatusForbidden}, // nor does a manufacturer
			{"", body, http.StatusUnauthorized},
			{tokReviewer, map[string]any{"area": "x", "owner": map[string]any{"id": "anna", "role": "customer_service"}, "due": due}, http.StatusBadRequest},
			{tokReviewer, map[string]any{"complaint_id": "nope", "area": "x", "description": "y", "owner": map[string]any{"id": "anna", "role": "customer_service"}, "due": due}, http.StatusNotFound},
		} {
			status, _ := s.do(tc.tok, "POST", "/actions", tc.body, nil)
			assert.Equal(t, tc.status, status, "%q %v", tc.tok, tc.body)
		}
		var list struct {
			Actions []map[string]any `json:"actions"`
		}
		status, _ = s.do(tokAgent, "GET", "/actions?status=open&owner=anna", nil, &list)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, list.Actions, 1)
		status, _ = s.do(tokAgent, "GET", "/actions?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, list.Actions, "not due yet")
		s.clock.Advance(8 * 24 * time.Hour)
		status, _ = s.do(tokAgent, "GET", "/actions?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Len(t, list.Actions, 1)
		status, _ = s.do(tokAgent, "GET", "/actions?status=finished", nil, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = s.do(tokAgent, "GET", "/actions?overdue=yes", nil, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = s.do(tokLenovo, "GET", "/actions", nil, nil)
		assert.Equal(t, http.StatusForbidden, status, "actions are for staff")

		// The owner ends it; someone else may not; ended is ended.
		status, _ = s.do(tokPrivacy, "POST", "/actions/"+id, map[string]any{"status": "dropped"}, nil)
		assert.Equal(t, http.StatusForbidden, status, "not the owner")
		status, _ = s.do(tokAgent, "POST", "/actions/"+id, map[string]any{"status": "done"}, nil)
		assert.Equal(t, http.StatusBadRequest, status, "done needs a note")
		status, _ = s.do(tokAgent, "POST", "/actions/"+id, map[string]any{"status": "done", "note": "Photos are taken at intake."}, &a)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "done", a["status"])
		status, _ = s.do(tokReviewer, "POST", "/actions/"+id, map[string]any{"status": "dropped"}, nil)
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = s.do(tokReviewer, "POST", "/actions/act-nope", map[string]any{"status": "dropped"}, nil)
		assert.Equal(t, http.StatusNotFound, status)

		var rep map[string]any
		status, _ = s.do(tokReviewer, "GET", "/reports", nil, &rep)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, map[string]any{"open": 0.0, "done": 1.0, "dropped": 0.0, "overdue": 0.0}, rep["actions"])
	})
}
