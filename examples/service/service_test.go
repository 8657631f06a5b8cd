package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/internal/pgtest"
)

// backend gives a test a fresh database.
type backend struct {
	name string
	dsn  func(t *testing.T) string
}

var backends = []backend{
	{"SQLite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "klage.db") }},
	{"Postgres", postgresDSN},
}

func postgresDSN(t *testing.T) string { return pgtest.DSN(t) }

func forEachBackend(t *testing.T, test func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.dsn(t)) })
	}
}

// server is the service running on 127.0.0.1 for a test.
type server struct {
	t     *testing.T
	base  string
	clock *complainttest.Clock
	stop  func()
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t *testing.T, dsn string, clock *complainttest.Clock) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-dsn", dsn}, logs, &config{now: clock.Now, ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("service did not start: %v\n%s", err, logs.String())
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("service did not start in time")
	}
	srv := &server{t: t, base: "http://" + addr, clock: clock, logs: logs}
	var once sync.Once
	srv.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				assert.NoError(t, err, "graceful shutdown")
			case <-time.After(20 * time.Second):
				t.Error("service did not stop in time")
			}
		})
	}
	t.Cleanup(srv.stop)
	return srv
}

// do sends a request and decodes a JSON response into out (if not nil).
func (s *server) do(method, path string, body any, out any) (int, http.Header) {
	s.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(s.t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(data, out), "response %d: %s", resp.StatusCode, data)
	}
	return resp.StatusCode, resp.Header
}

type complaintJSON struct {
	ID          string            `json:"id"`
	State       string            `json:"state"`
	Version     int               `json:"version"`
	Kind        string            `json:"kind"`
	Channel     string            `json:"channel"`
	Customer    map[string]any    `json:"customer"`
	Product     map[string]any    `json:"product"`
	Description string            `json:"description"`
	CreatedAt   time.Time         `json:"created_at"`
	Deadlines   []map[string]any  `json:"deadlines"`
	Claim       map[string]any    `json:"claim"`
	History     []json.RawMessage `json:"history"`
	FinalAnswer map[string]any    `json:"final_answer"`
	Referral    map[string]any    `json:"referral"`
	Decision    map[string]any    `json:"decision"`
}

type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func intake() map[string]any {
	return map[string]any{
		"customer":      map[string]any{"id": "cust-7", "name": "Karen Jensen", "email": "karen@example.dk", "type": "consumer"},
		"channel":       "email",
		"kind":          "doa",
		"product":       map[string]any{"sku": "NB-1042", "name": "UltraBook 14", "manufacturer": "Lenovo", "delivered_at": "2026-02-20T12:00:00Z"},
		"description":   "The laptop does not power on.",
		"remedy_sought": "A new laptop.",
	}
}

var (
	agent    = map[string]any{"id": "anna", "role": "customer_service"}
	customer = map[string]any{"id": "cust-7", "role": "customer"}
	reviewer = map[string]any{"id": "mette", "role": "complaints_department"}
	lenovo   = map[string]any{"id": "lenovo-1", "role": "manufacturer", "manufacturer": "Lenovo"}
)

func (s *server) create() complaintJSON {
	s.t.Helper()
	var c complaintJSON
	status, header := s.do("POST", "/complaints", intake(), &c)
	require.Equal(s.t, http.StatusCreated, status)
	require.Equal(s.t, "/complaints/"+c.ID, header.Get("Location"))
	return c
}

func (s *server) event(id string, body map[string]any) (int, complaintJSON) {
	s.t.Helper()
	var c complaintJSON
	status, _ := s.do("POST", "/complaints/"+id+"/events", body, nil)
	if status == http.StatusOK {
		s.do("GET", "/complaints/"+id, nil, &c)
	}
	return status, c
}

func TestLifecycleOverHTTP(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		c := s.create()
		assert.Equal(t, "received", c.State)
		assert.Equal(t, 1, c.Version)
		assert.Equal(t, "doa", c.Kind)
		assert.Equal(t, "karen@example.dk", c.Customer["email"])
		assert.Equal(t, true, c.Claim["within_period"])
		assert.NotEmpty(t, c.Deadlines)

		steps := []struct {
			body  map[string]any
			state string
		}{
			{map[string]any{"event": "start", "actor": agent}, "in_progress"},
			{map[string]any{"event": "request_info", "actor": agent, "note": "Please send a photo of the label."}, "awaiting_customer"},
			{map[string]any{"event": "provide_info", "actor": customer, "note": "Photo attached."}, "in_progress"},
			{map[string]any{"event": "refer", "actor": agent, "referral": map[string]any{"contact": "support@lenovo.example"}}, "with_manufacturer"},
			{map[string]any{"event": "update", "actor": agent, "note": "Lenovo has it."}, "with_manufacturer"},
			{map[string]any{"event": "resume", "actor": lenovo, "note": "Repaired."}, "in_progress"},
			{map[string]any{"event": "answer", "actor": agent, "answer": map[string]any{"outcome": "rejected", "text": "Not covered."}}, "final_answer"},
			{map[string]any{"event": "escalate", "actor": customer, "expected_version": 8}, "escalated"},
			{map[string]any{"event": "update", "actor": reviewer, "note": "Reviewing."}, "escalated"},
			{map[string]any{"event": "review", "actor": reviewer, "decision": map[string]any{
				"outcome": "partly_upheld", "explanation": "The repair is free of charge.",
				"findings": []map[string]any{{"area": "workshop", "description": "Photograph damage first."}}}}, "reviewed"},
			{map[string]any{"event": "close", "actor": reviewer}, "closed"},
		}
		for i, st := range steps {
			status, got := s.event(c.ID, st.body)
			require.Equal(t, http.StatusOK, status, "step %d: %v", i, st.body["event"])
			assert.Equal(t, st.state, got.State, "step %d", i)
			assert.Equal(t, i+2, got.Version)
		}
		var got complaintJSON
		status, _ := s.do("GET", "/complaints/"+c.ID, nil, &got)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "lenovo", strings.ToLower(got.Referral["manufacturer"].(string)))
		assert.Equal(t, "rejected", got.FinalAnswer["outcome"])
		assert.Equal(t, "partly_upheld", got.Decision["outcome"])
		assert.Len(t, got.History, 12)

		var history []map[string]any
		status, _ = s.do("GET", "/complaints/"+c.ID+"/history", nil, &history)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, history, 12)
		assert.Equal(t, map[string]any{"seq": 1.0, "at": "2026-03-02T08:00:00Z", "event": "open", "from": "", "to": "received",
			"actor": map[string]any{"id": "cust-7", "role": "customer"}}, history[0])
		assert.Equal(t, "close", history[11]["event"])

		// The relay delivers every notification; each keeps its key.
		var ns []map[string]any
		require.Eventually(t, func() bool {
			s.do("GET", "/complaints/"+c.ID+"/notifications", nil, &ns)
			for _, n := range ns {
				if n["delivered_at"] == nil {
					return false
				}
			}
			return len(ns) > 0
		}, 10*time.Second, 50*time.Millisecond)
		assert.Equal(t, 14, len(ns), "12 entries, two of them (refer, escalate) with a second recipient")
		for _, n := range ns {
			for _, field := range []string{"key", "topic", "recipient", "at", "data", "delivered_at"} {
				assert.Contains(t, n, field)
			}
		}
		assert.Equal(t, c.ID+"/1/acknowledged/customer", ns[0]["key"])
		logs := s.logs.String()
		assert.Contains(t, logs, c.ID+"/1/acknowledged/customer")
		assert.NotContains(t, logs, "karen@example.dk", "no e-mail addresses in logs")
		assert.NotContains(t, logs, "Karen Jensen", "no names in logs")

		req, _ := http.NewRequest("GET", s.base+"/diagram", nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.True(t, strings.HasPrefix(string(body), "stateDiagram-v2\n    [*] --> received\n"))

		status, _ = s.do("GET", "/healthz", nil, nil)
		assert.Equal(t, http.StatusOK, status)
	})
}

func TestListAndOverdue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		clock := complainttest.NewClock(time.Time{})
		s := start(t, dsn, clock)
		a := s.create()
		b := s.create()
		status, _ := s.event(b.ID, map[string]any{"event": "start", "actor": agent})
		require.Equal(t, http.StatusOK, status)

		var list []complaintJSON
		status, _ = s.do("GET", "/complaints", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Len(t, list, 2)
		status, _ = s.do("GET", "/complaints?state=received", nil, &list)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, list, 1)
		assert.Equal(t, a.ID, list[0].ID)
		status, _ = s.do("GET", "/complaints?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, list)

		clock.Advance(25 * time.Hour) // a's first response is overdue; b's progress update is not yet
		status, _ = s.do("GET", "/complaints?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, list, 1)
		assert.Equal(t, a.ID, list[0].ID)
		status, _ = s.do("GET", "/complaints?overdue=true&state=in_progress", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, list)
	})
}

// TestErrorCodes triggers every error the API documents and checks that a
// refused request wrote nothing.
func TestErrorCodes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		c := s.create()
		escalated := s.create()
		for _, body := range []map[string]any{
			{"event": "start", "actor": agent},
			{"event": "answer", "actor": agent, "answer": map[string]any{"outcome": "rejected", "text": "No."}},
			{"event": "escalate", "actor": customer},
		} {
			status, _ := s.event(escalated.ID, body)
			require.Equal(t, http.StatusOK, status)
		}
		with := func(edit func(m map[string]any)) map[string]any {
			m := intake()
			edit(m)
			return m
		}
		huge := `{"event": "update", "actor": {"id": "anna", "role": "customer_service"}, "note": "` + strings.Repeat("x", maxBody) + `"}`
		cases := []struct {
			name   string
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"malformed JSON", "POST", "/complaints", `{"customer": `, 400, "invalid_input"},
			{"unknown kind", "POST", "/complaints", with(func(m map[string]any) { m["kind"] = "refund" }), 400, "invalid_input"},
			{"unknown channel", "POST", "/complaints", with(func(m map[string]any) { m["channel"] = "fax" }), 400, "invalid_input"},
			{"unknown customer type", "POST", "/complaints", with(func(m map[string]any) { m["customer"].(map[string]any)["type"] = "vip" }), 400, "invalid_input"},
			{"missing description", "POST", "/complaints", with(func(m map[string]any) { delete(m, "description") }), 400, "invalid_input"},
			{"missing customer", "POST", "/complaints", with(func(m map[string]any) { delete(m, "customer") }), 400, "invalid_input"},
			{"unknown field", "POST", "/complaints", with(func(m map[string]any) { m["priority"] = "high" }), 400, "invalid_input"},
			{"trailing data", "POST", "/complaints/" + c.ID + "/events", `{"event": "start", "actor": {"id": "anna", "role": "customer_service"}} {}`, 400, "invalid_input"},
			{"unknown event", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "finish", "actor": agent}, 400, "invalid_input"},
			{"open is not an event", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "open", "actor": agent}, 400, "invalid_input"},
			{"unknown role", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "start", "actor": map[string]any{"id": "x", "role": "boss"}}, 400, "invalid_input"},
			{"missing actor", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "start"}, 400, "invalid_input"},
			{"missing answer", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "answer", "actor": agent}, 400, "invalid_input"},
			{"bad outcome", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "answer", "actor": agent, "answer": map[string]any{"outcome": "maybe", "text": "x"}}, 400, "invalid_input"},
			{"negative version", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "start", "actor": agent, "expected_version": -1}, 400, "invalid_input"},
			{"bad state filter", "GET", "/complaints?state=lost", nil, 400, "invalid_input"},
			{"bad overdue filter", "GET", "/complaints?overdue=maybe", nil, 400, "invalid_input"},
			{"role not permitted", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "start", "actor": customer}, 403, "forbidden"},
			{"another customer", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "withdraw", "actor": map[string]any{"id": "cust-8", "role": "customer"}}, 403, "forbidden"},
			{"reviewer not impartial", "POST", "/complaints/" + escalated.ID + "/events", map[string]any{"event": "review",
				"actor":    map[string]any{"id": "anna", "role": "complaints_department"},
				"decision": map[string]any{"outcome": "upheld", "explanation": "I agree with myself."}}, 403, "forbidden"},
			{"unknown complaint", "GET", "/complaints/K-404", nil, 404, "not_found"},
			{"unknown complaint event", "POST", "/complaints/K-404/events", map[string]any{"event": "start", "actor": agent}, 404, "not_found"},
			{"unknown complaint history", "GET", "/complaints/K-404/history", nil, 404, "not_found"},
			{"unknown complaint notifications", "GET", "/complaints/K-404/notifications", nil, 404, "not_found"},
			{"unknown route", "GET", "/complaintz", nil, 404, "not_found"},
			{"not allowed in this state", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "escalate", "actor": customer}, 409, "invalid_transition"},
			{"stale version", "POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "start", "actor": agent, "expected_version": 7}, 409, "conflict"},
			{"too large", "POST", "/complaints/" + c.ID + "/events", huge, 413, "too_large"},
		}
		countBefore := 0
		var list []complaintJSON
		s.do("GET", "/complaints", nil, &list)
		countBefore = len(list)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var e errorJSON
				status, _ := s.do(tc.method, tc.path, tc.body, &e)
				assert.Equal(t, tc.status, status)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
			})
		}
		// Nothing was written.
		s.do("GET", "/complaints", nil, &list)
		assert.Len(t, list, countBefore)
		var got complaintJSON
		s.do("GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, 1, got.Version)
		s.do("GET", "/complaints/"+escalated.ID, nil, &got)
		assert.Equal(t, 4, got.Version)
	})
}

// TestConcurrentEvents races clients that saw the same version: exactly one
// wins, the others get 409, and the history has no duplicate.
func TestConcurrentEvents(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		c := s.create()
		const n = 16
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				event := map[string]any{"event": "start", "actor": agent, "expected_version": 1}
				if i%2 == 1 {
					event = map[string]any{"event": "answer", "actor": agent, "expected_version": 1,
						"answer": map[string]any{"outcome": "upheld", "text": fmt.Sprintf("answer %d", i)}}
				}
				statuses[i], _ = s.do("POST", "/complaints/"+c.ID+"/events", event, nil)
			}()
		}
		wg.Wait()
		wins := 0
		for _, st := range statuses {
			switch st {
			case http.StatusOK:
				wins++
			case http.StatusConflict:
			default:
				t.Errorf("unexpected status %d", st)
			}
		}
		assert.Equal(t, 1, wins, "exactly one wins: %v", statuses)
		var history []map[string]any
		s.do("GET", "/complaints/"+c.ID+"/history", nil, &history)
		assert.Len(t, history, 2)
	})
}

// TestRestart stops the service and starts it again on the same store.
func TestRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		clock := complainttest.NewClock(time.Time{})
		s := start(t, dsn, clock)
		c := s.create()
		status, _ := s.event(c.ID, map[string]any{"event": "start", "actor": agent})
		require.Equal(t, http.StatusOK, status)
		var before complaintJSON
		var beforeHistory, beforeNotes []map[string]any
		s.do("GET", "/complaints/"+c.ID, nil, &before)
		s.do("GET", "/complaints/"+c.ID+"/history", nil, &beforeHistory)
		s.do("GET", "/complaints/"+c.ID+"/notifications", nil, &beforeNotes)
		s.stop()

		s2 := start(t, dsn, clock)
		var after complaintJSON
		var afterHistory, afterNotes []map[string]any
		status, _ = s2.do("GET", "/complaints/"+c.ID, nil, &after)
		require.Equal(t, http.StatusOK, status)
		s2.do("GET", "/complaints/"+c.ID+"/history", nil, &afterHistory)
		s2.do("GET", "/complaints/"+c.ID+"/notifications", nil, &afterNotes)
		assert.Equal(t, before, after)
		assert.Equal(t, beforeHistory, afterHistory)
		require.Len(t, afterNotes, len(beforeNotes))
		for i := range beforeNotes {
			assert.Equal(t, beforeNotes[i]["key"], afterNotes[i]["key"])
		}
		status, _ = s2.event(c.ID, map[string]any{"event": "request_info", "actor": agent, "note": "Serial number?"})
		assert.Equal(t, http.StatusOK, status, "the restarted service goes on with the complaint")
	})
}
