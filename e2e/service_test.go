package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/internal/klaged"
	"github.com/klageflow/klage/internal/pgtest"
	"github.com/klageflow/klage/klagehttp"
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
	t    *testing.T
	base string // with prefix
	// prefix is where the API is mounted: empty in the daemon, /klage in
	// the shop's service (startShop).
	prefix string
	clock  *complainttest.Clock
	stop   func()
	logs   *syncBuffer
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

// testSecret signs the customers' tokens of every test service.
const testSecret = "test-secret-that-is-at-least-32-bytes-long"

func start(t *testing.T, dsn string, clock *complainttest.Clock, extra ...string) *server {
	t.Helper()
	if mountedTarget {
		return startShop(t, dsn, clock, extra...)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	logs := &syncBuffer{}
	args := append([]string{"-addr", "127.0.0.1:0", "-dsn", dsn, "-tokens", writeTokens(t), "-secret", testSecret,
		"-intake-per-minute", "600", "-intake-burst", "20", "-requests-per-second", "0"}, extra...)
	go func() {
		done <- klaged.Run(ctx, args, logs, &klaged.Config{Now: clock.Now, Ready: func(a string) { ready <- a }})
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

// do sends a request with the bearer token tok (none when empty) and
// decodes a JSON response into out (if not nil).
func (s *server) do(tok, method, path string, body any, out any) (int, http.Header) {
	s.t.Helper()
	return s.doHeaders(tok, method, path, body, out, nil)
}

// getAll is do for GET /complaints and GET /complaints/{id}/history: it
// follows next_cursor through every page and puts the items of all of
// them in out (a pointer to a slice). It returns the first page's status
// and headers, or the first failing one's.
func (s *server) getAll(tok, method, path string, body any, out any) (int, http.Header) {
	s.t.Helper()
	var items []json.RawMessage
	cursor := ""
	for {
		p := path
		if cursor != "" {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			p += sep + "cursor=" + url.QueryEscape(cursor)
		}
		var page map[string]json.RawMessage
		status, header := s.do(tok, method, p, body, &page)
		if status != http.StatusOK {
			return status, header
		}
		var these []json.RawMessage
		key := "complaints"
		if strings.Contains(path, "/history") {
			key = "history"
		}
		require.NoError(s.t, json.Unmarshal(page[key], &these), "%s has %q", path, key)
		items = append(items, these...)
		next, ok := page["next_cursor"]
		if !ok {
			data, err := json.Marshal(items)
			require.NoError(s.t, err)
			if out != nil {
				require.NoError(s.t, json.Unmarshal(data, out))
			}
			return status, header
		}
		require.NoError(s.t, json.Unmarshal(next, &cursor))
	}
}

// doHeaders is do with extra request headers.
func (s *server) doHeaders(tok, method, path string, body any, out any, headers map[string]string) (int, http.Header) {
	s.t.Helper()
	var reqBody []byte
	switch b := body.(type) {
	case nil:
	case string:
		reqBody = []byte(b)
	case []byte:
		reqBody = b
	default:
		data, err := json.Marshal(b)
		require.NoError(s.t, err)
		reqBody = data
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(reqBody)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	// The document's paths are the handler's, whatever its mount prefix.
	contractReq := req.Clone(req.Context())
	contractReq.URL.Path = strings.TrimPrefix(req.URL.Path, s.prefix)
	checkContract(s.t, contractReq, reqBody, resp, data)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(data, out), "response %d: %s", resp.StatusCode, data)
	}
	return resp.StatusCode, resp.Header
}

type complaintJSON struct {
	CustomerToken string            `json:"customer_token"`
	ID            string            `json:"id"`
	State         string            `json:"state"`
	Version       int               `json:"version"`
	Kind          string            `json:"kind"`
	Channel       string            `json:"channel"`
	Customer      map[string]any    `json:"customer"`
	Product       map[string]any    `json:"product"`
	Description   string            `json:"description"`
	CreatedAt     time.Time         `json:"created_at"`
	Deadlines     []map[string]any  `json:"deadlines"`
	Claim         map[string]any    `json:"claim"`
	History       []json.RawMessage `json:"history"`
	FinalAnswer   map[string]any    `json:"final_answer"`
	Referral      map[string]any    `json:"referral"`
	Decision      map[string]any    `json:"decision"`
}

type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
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

// create registers intake() as customer service would for a phone call,
// and returns the complaint with its customer's token.
func (s *server) create() complaintJSON {
	s.t.Helper()
	var c complaintJSON
	status, header := s.do(tokAgent, "POST", "/complaints", intake(), &c)
	require.Equal(s.t, http.StatusCreated, status)
	require.Equal(s.t, s.prefix+"/complaints/"+c.ID, header.Get("Location"))
	require.NotEmpty(s.t, c.CustomerToken)
	return c
}

// event fires body on complaint id with the credential tok.
func (s *server) event(tok, id string, body map[string]any) (int, complaintJSON) {
	s.t.Helper()
	var c complaintJSON
	status, _ := s.do(tok, "POST", "/complaints/"+id+"/events", body, nil)
	if status == http.StatusOK {
		s.do(tokAgent, "GET", "/complaints/"+id, nil, &c)
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

		cust := c.CustomerToken
		steps := []struct {
			tok   string
			body  map[string]any
			state string
		}{
			{tokAgent, map[string]any{"event": "start"}, "in_progress"},
			{tokAgent, map[string]any{"event": "request_info", "note": "Please send a photo of the label."}, "awaiting_customer"},
			{cust, map[string]any{"event": "provide_info", "note": "Photo attached."}, "in_progress"},
			{tokAgent, map[string]any{"event": "refer", "referral": map[string]any{"contact": "support@lenovo.example"}}, "with_manufacturer"},
			{tokAgent, map[string]any{"event": "update", "note": "Lenovo has it."}, "with_manufacturer"},
			{tokLenovo, map[string]any{"event": "resume", "note": "Repaired."}, "in_progress"},
			{tokAgent, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Not covered."}}, "final_answer"},
			{cust, map[string]any{"event": "escalate", "expected_version": 8}, "escalated"},
			{tokReviewer, map[string]any{"event": "update", "note": "Reviewing."}, "escalated"},
			{tokReviewer, map[string]any{"event": "review", "decision": map[string]any{
				"outcome": "partly_upheld", "explanation": "The repair is free of charge.", "remedy": map[string]any{"kind": "repair"},
				"findings": []map[string]any{{"area": "workshop", "description": "Photograph damage first."}}}}, "reviewed"},
			{tokAgent, map[string]any{"event": "fulfil", "fulfilment": map[string]any{"remedy": "repair", "reference": "W-1"}}, "reviewed"},
			{tokReviewer, map[string]any{"event": "close"}, "closed"},
		}
		for i, st := range steps {
			status, got := s.event(st.tok, c.ID, st.body)
			require.Equal(t, http.StatusOK, status, "step %d: %v", i, st.body["event"])
			assert.Equal(t, st.state, got.State, "step %d", i)
			assert.Equal(t, i+2, got.Version)
		}
		var got complaintJSON
		status, _ := s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "lenovo", strings.ToLower(got.Referral["manufacturer"].(string)))
		assert.Equal(t, "rejected", got.FinalAnswer["outcome"])
		assert.Equal(t, "partly_upheld", got.Decision["outcome"])
		assert.Empty(t, got.History, "the complaint does not carry its history")

		var history []map[string]any
		status, _ = s.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &history)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, history, 13)
		assert.Equal(t, map[string]any{"seq": 1.0, "at": "2026-03-02T08:00:00Z", "event": "open", "from": "", "to": "received",
			"actor": map[string]any{"id": "anna", "role": "customer_service"}}, history[0], "registered by the agent whose credential it was")
		assert.Equal(t, map[string]any{"id": "lenovo-1", "role": "manufacturer", "manufacturer": "Lenovo"}, history[6]["actor"],
			"the manufacturer's binding comes from its credential")
		assert.Equal(t, "close", history[12]["event"])

		// The relay delivers every notification; each keeps its key.
		var ns []map[string]any
		require.Eventually(t, func() bool {
			s.do(tokAgent, "GET", "/complaints/"+c.ID+"/notifications", nil, &ns)
			for _, n := range ns {
				if n["delivered_at"] == nil {
					return false
				}
			}
			return len(ns) > 0
		}, 10*time.Second, 50*time.Millisecond)
		assert.Equal(t, 15, len(ns), "13 entries, two of them (refer, escalate) with a second recipient")
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

		status, _ = s.do("", "GET", "/healthz", nil, nil)
		assert.Equal(t, http.StatusOK, status)
	})
}

func TestListAndOverdue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		clock := complainttest.NewClock(time.Time{})
		s := start(t, dsn, clock)
		a := s.create()
		b := s.create()
		status, _ := s.event(tokAgent, b.ID, map[string]any{"event": "start"})
		require.Equal(t, http.StatusOK, status)

		var list []complaintJSON
		status, _ = s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Len(t, list, 2)
		status, _ = s.getAll(tokReviewer, "GET", "/complaints?state=received", nil, &list)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, list, 1)
		assert.Equal(t, a.ID, list[0].ID)
		status, _ = s.getAll(tokReviewer, "GET", "/complaints?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		assert.Empty(t, list)

		clock.Advance(25 * time.Hour) // a's first response is overdue; b's progress update is not yet
		status, _ = s.getAll(tokReviewer, "GET", "/complaints?overdue=true", nil, &list)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, list, 1)
		assert.Equal(t, a.ID, list[0].ID)
		status, _ = s.getAll(tokReviewer, "GET", "/complaints?overdue=true&state=in_progress", nil, &list)
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
		for _, st := range []struct {
			tok  string
			body map[string]any
		}{
			{tokAgent, map[string]any{"event": "start"}},
			{tokAgent, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "No."}}},
			{escalated.CustomerToken, map[string]any{"event": "escalate"}},
		} {
			status, _ := s.event(st.tok, escalated.ID, st.body)
			require.Equal(t, http.StatusOK, status)
		}
		with := func(edit func(m map[string]any)) map[string]any {
			m := intake()
			edit(m)
			return m
		}
		huge := `{"event": "update", "note": "` + strings.Repeat("x", klagehttp.MaxBody) + `"}`
		ev := "/complaints/" + c.ID + "/events"
		cases := []struct {
			name   string
			tok    string
			method string
			path   string
			body   any
			status int
			code   string
		}{
			{"malformed JSON", tokAgent, "POST", "/complaints", `{"customer": `, 400, "invalid_input"},
			{"unknown kind", tokAgent, "POST", "/complaints", with(func(m map[string]any) { m["kind"] = "refund" }), 400, "invalid_input"},
			{"unknown channel", tokAgent, "POST", "/complaints", with(func(m map[string]any) { m["channel"] = "fax" }), 400, "invalid_input"},
			{"unknown customer type", tokAgent, "POST", "/complaints", with(func(m map[string]any) { m["customer"].(map[string]any)["type"] = "vip" }), 400, "invalid_input"},
			{"missing description", tokAgent, "POST", "/complaints", with(func(m map[string]any) { delete(m, "description") }), 400, "invalid_input"},
			{"missing customer", tokAgent, "POST", "/complaints", with(func(m map[string]any) { delete(m, "customer") }), 400, "invalid_input"},
			{"unknown field", tokAgent, "POST", "/complaints", with(func(m map[string]any) { m["priority"] = "high" }), 400, "invalid_input"},
			{"a web form naming the customer", "", "POST", "/complaints", intake(), 400, "invalid_input"},
			{"opened_by in the body", tokAgent, "POST", "/complaints", with(func(m map[string]any) { m["opened_by"] = map[string]any{"id": "x", "role": "system"} }), 400, "invalid_input"},
			{"actor in the body", tokAgent, "POST", ev, map[string]any{"event": "start", "actor": map[string]any{"id": "mette", "role": "complaints_department"}}, 400, "invalid_input"},
			{"duplicate key", tokAgent, "POST", ev, `{"event": "update", "note": "a", "note": "b"}`, 400, "invalid_input"},
			{"keys differing in case", tokAgent, "POST", ev, `{"event": "update", "Note": "a", "note": "b"}`, 400, "invalid_input"},
			{"trailing data", tokAgent, "POST", ev, `{"event": "start"} {}`, 400, "invalid_input"},
			{"unknown event", tokAgent, "POST", ev, map[string]any{"event": "finish"}, 400, "invalid_input"},
			{"open is not an event", tokAgent, "POST", ev, map[string]any{"event": "open"}, 400, "invalid_input"},
			{"missing answer", tokAgent, "POST", ev, map[string]any{"event": "answer"}, 400, "invalid_input"},
			{"bad outcome", tokAgent, "POST", ev, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "maybe", "text": "x"}}, 400, "invalid_input"},
			{"negative version", tokAgent, "POST", ev, map[string]any{"event": "start", "expected_version": -1}, 400, "invalid_input"},
			{"id too long", tokAgent, "GET", "/complaints/" + strings.Repeat("k", 200), nil, 400, "invalid_input"},
			{"bad state filter", tokAgent, "GET", "/complaints?state=lost", nil, 400, "invalid_input"},
			{"bad overdue filter", tokAgent, "GET", "/complaints?overdue=maybe", nil, 400, "invalid_input"},
			{"no credential", "", "GET", "/complaints/" + c.ID, nil, 401, "unauthenticated"},
			{"unknown token", "tok-nobody", "GET", "/complaints/" + c.ID, nil, 401, "unauthenticated"},
			{"role not permitted", c.CustomerToken, "POST", ev, map[string]any{"event": "start"}, 403, "forbidden"},
			{"reviewer not impartial", tokAgent, "POST", "/complaints/" + escalated.ID + "/events", map[string]any{"event": "review",
				"decision": map[string]any{"outcome": "upheld", "explanation": "I agree with myself."}}, 403, "forbidden"},
			{"another customer's complaint", escalated.CustomerToken, "GET", "/complaints/" + c.ID, nil, 404, "not_found"},
			{"unknown complaint", tokAgent, "GET", "/complaints/K-404", nil, 404, "not_found"},
			{"unknown complaint event", tokAgent, "POST", "/complaints/K-404/events", map[string]any{"event": "start"}, 404, "not_found"},
			{"unknown complaint history", tokAgent, "GET", "/complaints/K-404/history", nil, 404, "not_found"},
			{"unknown complaint notifications", tokAgent, "GET", "/complaints/K-404/notifications", nil, 404, "not_found"},
			{"unknown route", tokAgent, "GET", "/complaintz", nil, 404, "not_found"},
			{"wrong method", tokAgent, "DELETE", "/complaints/" + c.ID, nil, 405, "method_not_allowed"},
			{"not allowed in this state", c.CustomerToken, "POST", ev, map[string]any{"event": "escalate"}, 409, "invalid_transition"},
			{"stale version", tokAgent, "POST", ev, map[string]any{"event": "start", "expected_version": 7}, 409, "conflict"},
			{"too large", tokAgent, "POST", ev, huge, 413, "too_large"},
		}
		countBefore := 0
		var list []complaintJSON
		s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		countBefore = len(list)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var e errorJSON
				status, header := s.do(tc.tok, tc.method, tc.path, tc.body, &e)
				assert.Equal(t, tc.status, status)
				assert.Equal(t, tc.code, e.Error.Code)
				assert.NotEmpty(t, e.Error.Message)
				assert.NotContains(t, e.Error.Message, "store:", "no package prefixes in messages")
				switch status {
				case 401:
					assert.Contains(t, header.Get("WWW-Authenticate"), "Bearer")
				case 405:
					assert.Contains(t, header.Get("Allow"), "GET")
				}
			})
		}
		t.Run("not JSON", func(t *testing.T) {
			req, _ := http.NewRequest("POST", s.base+ev, strings.NewReader(`event=start`))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "Bearer "+tokAgent)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
		})
		// Nothing was written.
		s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		assert.Len(t, list, countBefore)
		var got complaintJSON
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, 1, got.Version)
		s.do(tokAgent, "GET", "/complaints/"+escalated.ID, nil, &got)
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
				event := map[string]any{"event": "start", "expected_version": 1}
				if i%2 == 1 {
					event = map[string]any{"event": "answer", "expected_version": 1,
						"answer": map[string]any{"outcome": "upheld", "text": fmt.Sprintf("answer %d", i), "remedy": map[string]any{"kind": "replacement"}}}
				}
				statuses[i], _ = s.do(tokAgent, "POST", "/complaints/"+c.ID+"/events", event, nil)
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
		s.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &history)
		assert.Len(t, history, 2)
	})
}

// TestRestart stops the service and starts it again on the same store.
func TestRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		clock := complainttest.NewClock(time.Time{})
		s := start(t, dsn, clock)
		c := s.create()
		status, _ := s.event(tokAgent, c.ID, map[string]any{"event": "start"})
		require.Equal(t, http.StatusOK, status)
		var before complaintJSON
		var beforeHistory, beforeNotes []map[string]any
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &before)
		s.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &beforeHistory)
		s.do(tokAgent, "GET", "/complaints/"+c.ID+"/notifications", nil, &beforeNotes)
		s.stop()

		s2 := start(t, dsn, clock)
		var after complaintJSON
		var afterHistory, afterNotes []map[string]any
		status, _ = s2.do(c.CustomerToken, "GET", "/complaints/"+c.ID, nil, &after)
		require.Equal(t, http.StatusOK, status, "the customer's token survives a restart with the same -secret")
		s2.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &after)
		s2.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &afterHistory)
		s2.do(tokAgent, "GET", "/complaints/"+c.ID+"/notifications", nil, &afterNotes)
		assert.Equal(t, before, after)
		assert.Equal(t, beforeHistory, afterHistory)
		require.Len(t, afterNotes, len(beforeNotes))
		for i := range beforeNotes {
			assert.Equal(t, beforeNotes[i]["key"], afterNotes[i]["key"])
		}
		status, _ = s2.event(tokAgent, c.ID, map[string]any{"event": "request_info", "note": "Serial number?"})
		assert.Equal(t, http.StatusOK, status, "the restarted service goes on with the complaint")
	})
}

// TestProductlessKinds: feedback and general complaints need no product
// over HTTP either, by the web form and by staff; a reclassification to a
// product kind brings the product, and the complaint loads afterwards.
func TestProductlessKinds(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	s := start(t, filepath.Join(t.TempDir(), "klage.db"), clock)
	for _, kind := range []string{"feedback", "general"} {
		for _, tok := range []string{"", tokAgent} {
			body := intake()
			body["kind"] = kind
			delete(body, "product")
			if tok == "" {
				body["customer"] = map[string]any{"name": "Karen Jensen", "email": "karen@example.dk", "type": "consumer"}
			}
			var c complaintJSON
			status, _ := s.do(tok, "POST", "/complaints", body, &c)
			require.Equal(t, http.StatusCreated, status, "%s without a product (token %q)", kind, tok)
			assert.Equal(t, kind, c.Kind)

			status, _ = s.do(tokAgent, "POST", "/complaints/"+c.ID+"/events", map[string]any{"event": "reclassify", "kind": "claim"}, nil)
			assert.Equal(t, http.StatusBadRequest, status, "a claim needs its product")
			status, got := s.event(tokAgent, c.ID, map[string]any{"event": "reclassify", "kind": "claim",
				"product": map[string]any{"name": "UltraBook 14", "delivered_at": "2026-02-20T12:00:00Z"}})
			require.Equal(t, http.StatusOK, status)
			assert.Equal(t, "claim", got.Kind)
			assert.Equal(t, true, got.Claim["known"], "the claim is assessed with the product")
		}
	}
	body := intake()
	delete(body, "product")
	var e errorJSON
	status, _ := s.do(tokAgent, "POST", "/complaints", body, &e)
	assert.Equal(t, http.StatusBadRequest, status, "a DOA complaint needs its product")
	assert.Equal(t, "product", e.Error.Field)
}

// TestTimersInTheDaemon: the daemon runs the timers by itself: a first
// response that lapses reminds customer service, with no request from
// anyone, and the reminder reaches the outbox and the history.
func TestTimersInTheDaemon(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	s := start(t, filepath.Join(t.TempDir(), "klage.db"), clock, "-timer-interval", "20ms")
	c := s.create()
	clock.Advance(25 * time.Hour)
	require.Eventually(t, func() bool {
		var h []map[string]any
		s.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &h)
		return len(h) == 2 && h[1]["event"] == "remind" && h[1]["note"] == "first_response.remind"
	}, 10*time.Second, 20*time.Millisecond, "the timer reminded by itself")
	var ns []map[string]any
	s.do(tokAgent, "GET", "/complaints/"+c.ID+"/notifications", nil, &ns)
	reminders := 0
	for _, n := range ns {
		if n["topic"] == "reminder" && n["recipient"] == "customer_service" {
			reminders++
		}
	}
	assert.Equal(t, 1, reminders)
}
