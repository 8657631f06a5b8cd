package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/internal/klaged"
	"github.com/klageflow/klage/internal/pgtest"
	"github.com/klageflow/klage/store"
)

// The whole service path against a hand-written floor, in one run:
//
//	go test -run '^$' -bench 'Path' -count 5 ./examples/service/
//
// Both take the same requests over real HTTP on 127.0.0.1 from pathClients
// concurrent clients: each walks complaints through open, start, update,
// answer, escalate, review and close, reading the complaint after each
// event and its history at the end (16 requests a complaint). ns/op is
// per request.

const pathClients = 8

// pathDatabases are the databases the path benchmarks run on.
var pathDatabases = []struct {
	name string
	dsn  func(b *testing.B) string
}{
	{"sqlite", func(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }},
	{"postgres", func(b *testing.B) string { return pgtest.DSN(b) }},
}

// pathStats collects request latencies.
type pathStats struct {
	mu     sync.Mutex
	all    []time.Duration
	events []time.Duration
}

func (p *pathStats) add(d time.Duration, event bool) {
	p.mu.Lock()
	p.all = append(p.all, d)
	if event {
		p.events = append(p.events, d)
	}
	p.mu.Unlock()
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[min(int(q*float64(len(ds))), len(ds)-1)]
}

func (p *pathStats) report(b *testing.B, requests int64) {
	b.ReportMetric(float64(requests)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(quantile(p.all, 0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(quantile(p.all, 0.99).Microseconds()), "p99-µs")
	b.ReportMetric(float64(quantile(p.events, 0.5).Microseconds()), "event-p50-µs")
	b.ReportMetric(float64(quantile(p.events, 0.99).Microseconds()), "event-p99-µs")
}

// pathClient speaks the API both handlers serve.
type pathClient struct {
	base  string
	hc    *http.Client
	stats *pathStats
}

func (c *pathClient) call(tok, method, path string, body any, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	c.stats.add(time.Since(start), strings.HasSuffix(path, "/events"))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// customerSeq numbers the benchmarks' customers: one for each complaint.
var customerSeq atomic.Int64

// session walks one complaint: 16 requests.
func (c *pathClient) session() error {
	var created struct {
		ID            string `json:"id"`
		CustomerToken string `json:"customer_token"`
	}
	in := intake()
	in["customer"].(map[string]any)["id"] = fmt.Sprintf("cust-%d", customerSeq.Add(1))
	if err := c.call(tokAgent, "POST", "/complaints", in, &created); err != nil {
		return err
	}
	id := created.ID
	steps := []struct {
		tok  string
		body map[string]any
	}{
		{tokAgent, map[string]any{"event": "start"}},
		{tokAgent, map[string]any{"event": "update", "note": "We have ordered the part."}},
		{tokAgent, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Not covered."}}},
		{created.CustomerToken, map[string]any{"event": "escalate"}},
		{tokReviewer, map[string]any{"event": "review", "decision": map[string]any{"outcome": "rejected", "explanation": "The answer stands."}}},
		{tokReviewer, map[string]any{"event": "close"}},
	}
	for _, st := range steps {
		if err := c.call(st.tok, "POST", "/complaints/"+id+"/events", st.body, nil); err != nil {
			return err
		}
		if err := c.call(tokAgent, "GET", "/complaints/"+id, nil, nil); err != nil {
			return err
		}
	}
	return c.call(tokAgent, "GET", "/complaints/"+id+"/history", nil, nil)
}

// runPath runs b.N requests (rounded up to whole complaints) from
// pathClients clients against base.
func runPath(b *testing.B, base string) {
	stats := &pathStats{}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: pathClients}}
	var done atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, pathClients)
	b.ResetTimer()
	for range pathClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &pathClient{base: base, hc: hc, stats: stats}
			for done.Add(16) <= int64(b.N)+15 {
				if err := c.session(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	stats.report(b, int64(len(stats.all)))
}

// BenchmarkServicePath is examples/service's handler over a store.
func BenchmarkServicePath(b *testing.B) {
	for _, db := range pathDatabases {
		b.Run(db.name, func(b *testing.B) {
			w, err := complaint.New(complaint.Options{})
			if err != nil {
				b.Fatal(err)
			}
			s, err := klaged.OpenStore(context.Background(), w, db.dsn(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			opts := testOptions(b, time.Now, slog.New(slog.DiscardHandler))
			opts.IntakeRate, opts.RequestRate = 1e9, rate.Inf
			srv := httptest.NewServer(newHandler(b, w, s, opts))
			defer srv.Close()
			runPath(b, srv.URL)
		})
	}
}

// BenchmarkHandwrittenPath is the floor: a minimal net/http handler with
// no library that does the same SQL per request (a version-checked update
// of the complaint row, a history insert and an outbox insert for an
// event, in one transaction; one read for a complaint or its history) and
// checks the same bearer tokens.
func BenchmarkHandwrittenPath(b *testing.B) {
	for _, db := range pathDatabases {
		b.Run(db.name, func(b *testing.B) {
			h, err := newFloor(db.name, db.dsn(b))
			if err != nil {
				b.Fatal(err)
			}
			defer h.db.Close()
			srv := httptest.NewServer(h)
			defer srv.Close()
			runPath(b, srv.URL)
		})
	}
}

// floor is the hand-written handler.
type floor struct {
	db     *sql.DB
	pg     bool
	writes sync.Mutex // SQLite: one writer at a time, queued in Go, as the store does
	tokens map[string]string
	ids    atomic.Int64
}

var floorNext = map[string][2]string{ // event: from, to
	"start": {"received", "in_progress"}, "update": {"in_progress", "in_progress"}, "answer": {"in_progress", "final_answer"},
	"escalate": {"final_answer", "escalated"}, "review": {"escalated", "reviewed"}, "close": {"reviewed", "closed"},
}

func newFloor(kind, dsn string) (*floor, error) {
	f := &floor{pg: kind == "postgres", tokens: map[string]string{}}
	driver := "sqlite"
	if f.pg {
		driver = "pgx"
	} else {
		var err error
		if dsn, err = store.SQLiteDSN(dsn); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	f.db = db
	db.SetMaxOpenConns(8) // as the stores do
	db.SetMaxIdleConns(8)
	for _, q := range []string{
		`CREATE TABLE fc (id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
		`CREATE TABLE fh (complaint_id TEXT NOT NULL, seq INTEGER NOT NULL, at BIGINT NOT NULL, event TEXT NOT NULL, from_state TEXT NOT NULL,
			to_state TEXT NOT NULL, actor TEXT NOT NULL, note TEXT NOT NULL, PRIMARY KEY (complaint_id, seq))`,
		`CREATE TABLE fo (key TEXT PRIMARY KEY, complaint_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, created_at BIGINT NOT NULL,
			delivered_at BIGINT)`,
	} {
		if _, err := db.Exec(q); err != nil {
			return nil, err
		}
	}
	for _, tt := range testTokens {
		sum := sha256.Sum256([]byte(tt.token))
		f.tokens[hex.EncodeToString(sum[:])] = tt.role
	}
	return f, nil
}

func (f *floor) q(s string) string {
	if !f.pg {
		return s
	}
	n := 0
	var out strings.Builder
	for _, r := range s {
		if r == '?' {
			n++
			fmt.Fprintf(&out, "$%d", n)
			continue
		}
		out.WriteRune(r)
	}
	return out.String()
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	sum := sha256.Sum256([]byte(tok))
	role, ok := f.tokens[hex.EncodeToString(sum[:])]
	if !ok && strings.HasPrefix(tok, "cust-") {
		role, ok = "customer", true
	}
	if !ok {
		http.Error(w, "unauthenticated", http.StatusUnauthorized)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.Method == "POST" && len(parts) == 1:
		f.create(w, r, role)
	case r.Method == "POST" && len(parts) == 3 && parts[2] == "events":
		f.event(w, r, parts[1], role)
	case r.Method == "GET" && len(parts) == 2:
		var data string
		if err := f.db.QueryRowContext(r.Context(), f.q(`SELECT data FROM fc WHERE id = ?`), parts[1]).Scan(&data); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, data)
	case r.Method == "GET" && len(parts) == 3 && parts[2] == "history":
		rows, err := f.db.QueryContext(r.Context(), f.q(`SELECT seq, at, event, from_state, to_state, actor, note FROM fh WHERE complaint_id = ? ORDER BY seq`), parts[1])
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var out []map[string]any
		for rows.Next() {
			var seq int
			var at int64
			var event, from, to, actor, note string
			if err := rows.Scan(&seq, &at, &event, &from, &to, &actor, &note); err != nil {
				_ = rows.Close()
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			out = append(out, map[string]any{"seq": seq, "at": time.Unix(0, at), "event": event, "from": from, "to": to, "actor": actor, "note": note})
		}
		_ = rows.Close()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"history": out})
	default:
		http.NotFound(w, r)
	}
}

func (f *floor) lock() func() {
	if f.pg {
		return func() {}
	}
	f.writes.Lock()
	return f.writes.Unlock
}

func (f *floor) create(w http.ResponseWriter, r *http.Request, role string) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := fmt.Sprintf("f-%d-%d", time.Now().UnixNano(), f.ids.Add(1))
	now := time.Now().UnixNano()
	in["id"], in["state"], in["version"] = id, "received", 1
	data, _ := json.Marshal(in)
	payload, _ := json.Marshal(map[string]any{"topic": "acknowledged", "complaint_id": id, "seq": 1, "data": in})
	defer f.lock()()
	tx, err := f.db.BeginTx(r.Context(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = tx.Rollback() }()
	for _, st := range []struct {
		q    string
		args []any
	}{
		{`INSERT INTO fc (id, state, version, data, updated_at) VALUES (?, ?, ?, ?, ?)`, []any{id, "received", 1, string(data), now}},
		{`INSERT INTO fh (complaint_id, seq, at, event, from_state, to_state, actor, note) VALUES (?, 1, ?, 'open', '', 'received', ?, '')`, []any{id, now, role}},
		{`INSERT INTO fo (key, complaint_id, seq, payload, created_at) VALUES (?, ?, 1, ?, ?)`, []any{id + "/1/acknowledged/customer", id, string(payload), now}},
	} {
		if _, err := tx.ExecContext(r.Context(), f.q(st.q), st.args...); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "customer_token": "cust-" + id})
}

func (f *floor) event(w http.ResponseWriter, r *http.Request, id, role string) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	event, _ := in["event"].(string)
	move, ok := floorNext[event]
	if !ok {
		http.Error(w, "unknown event", http.StatusBadRequest)
		return
	}
	note, _ := in["note"].(string)
	defer f.lock()()
	tx, err := f.db.BeginTx(r.Context(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = tx.Rollback() }()
	var state, data string
	var version int
	if err := tx.QueryRowContext(r.Context(), f.q(`SELECT state, version, data FROM fc WHERE id = ?`), id).Scan(&state, &version, &data); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if state != move[0] {
		http.Error(w, "not allowed in "+state, http.StatusConflict)
		return
	}
	var doc map[string]any
	_ = json.Unmarshal([]byte(data), &doc)
	for k, v := range in {
		doc[k] = v
	}
	doc["state"], doc["version"] = move[1], version+1
	newData, _ := json.Marshal(doc)
	now := time.Now().UnixNano()
	seq := version + 1
	payload, _ := json.Marshal(map[string]any{"topic": event, "complaint_id": id, "seq": seq, "data": in})
	res, err := tx.ExecContext(r.Context(), f.q(`UPDATE fc SET state = ?, version = ?, data = ?, updated_at = ? WHERE id = ? AND version = ?`),
		move[1], seq, string(newData), now, id, version)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if n, _ := res.RowsAffected(); n != 1 {
		http.Error(w, "conflict", http.StatusConflict)
		return
	}
	if _, err := tx.ExecContext(r.Context(), f.q(`INSERT INTO fh (complaint_id, seq, at, event, from_state, to_state, actor, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		id, seq, now, event, move[0], move[1], role, note); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if _, err := tx.ExecContext(r.Context(), f.q(`INSERT INTO fo (key, complaint_id, seq, payload, created_at) VALUES (?, ?, ?, ?, ?)`),
		fmt.Sprintf("%s/%d/%s/customer", id, seq, event), id, seq, string(payload), now); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := tx.Commit(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(newData)
}
