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
	"maps"
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
//	cd e2e && go test -run '^$' -bench 'Path' -count 5 .
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

// floor is the hand-written handler. It works on the library's own
// schema, created by the library's migrations (the same tables, the same
// secondary indexes, which every write must keep up), and does per
// request what the library's SQL store does, with no library: for an
// event, a read of the complaint row with its customer's details, a
// version-checked update of the row's indexed columns, a history insert
// and the transition's outbox inserts, in one transaction; for a read,
// the row with the customer's details; for the history, its rows.
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

// floorTopics are the notifications each event makes, as the reference
// lifecycle's: topic and recipient.
var floorTopics = map[string][][2]string{
	"open": {{"acknowledged", "customer"}}, "start": {{"started", "customer"}}, "update": {{"progress", "customer"}},
	"answer": {{"final_answer", "customer"}}, "escalate": {{"escalated", "customer"}, {"escalated", "complaints_department"}},
	"review": {{"reviewed", "customer"}}, "close": {{"closed", "customer"}},
}

func newFloor(kind, dsn string) (*floor, error) {
	f := &floor{pg: kind == "postgres", tokens: map[string]string{}}
	// The library's migrations create the schema; then the library steps
	// aside.
	w, err := complaint.New(complaint.Options{})
	if err != nil {
		return nil, err
	}
	s, err := klaged.OpenStore(context.Background(), w, dsn)
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	driver := "sqlite"
	if f.pg {
		driver = "pgx"
	} else if dsn, err = store.SQLiteDSN(dsn); err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	f.db = db
	db.SetMaxOpenConns(8) // as the stores do
	db.SetMaxIdleConns(8)
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
		var data, name, email, phone, address string
		if err := f.db.QueryRowContext(r.Context(), f.q(`SELECT c.data, k.name, k.email, k.phone, k.address FROM klage_complaints c
			JOIN klage_customers k ON k.id = c.customer_id WHERE c.id = ?`), parts[1]).Scan(&data, &name, &email, &phone, &address); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		var doc map[string]any
		_ = json.Unmarshal([]byte(data), &doc)
		doc["customer"] = map[string]any{"name": name, "email": email, "phone": phone, "address": address}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	case r.Method == "GET" && len(parts) == 3 && parts[2] == "history":
		rows, err := f.db.QueryContext(r.Context(), f.q(`SELECT seq, at, event, from_state, to_state, actor_id, note FROM klage_history WHERE complaint_id = ? ORDER BY seq`), parts[1])
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
	customer, _ := in["customer"].(map[string]any)
	str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
	product, _ := in["product"].(map[string]any)
	// The row keeps no contact details: they live apart, for erasure.
	stored := maps.Clone(in)
	stored["customer"] = map[string]any{"id": str(customer, "id"), "type": str(customer, "type")}
	stored["id"], stored["state"], stored["version"] = id, "received", 1
	data, _ := json.Marshal(stored)
	due := now + int64(24*time.Hour)
	defer f.lock()()
	tx, err := f.db.BeginTx(r.Context(), nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = tx.Rollback() }()
	statements := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO klage_customers (id, name, email, phone, address, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone, address = excluded.address,
			updated_at = excluded.updated_at`,
			[]any{str(customer, "id"), str(customer, "name"), str(customer, "email"), str(customer, "phone"), str(customer, "address"), now}},
		{`INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, timer_due, data, data_format, customer_id, kind, manufacturer)
			VALUES (?, 'received', 1, ?, ?, ?, ?, ?, 2, ?, ?, ?)`,
			[]any{id, now, now, due, due, string(data), str(customer, "id"), str(in, "kind"), strings.ToLower(str(product, "manufacturer"))}},
		{`INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note) VALUES (?, 1, ?, 'open', '', 'received', ?, ?, '')`,
			[]any{id, now, role, role}},
	}
	for i, t := range floorTopics["open"] {
		payload, _ := json.Marshal(map[string]any{"topic": t[0], "recipient": t[1], "complaint_id": id, "seq": 1, "data": stored})
		statements = append(statements, struct {
			q    string
			args []any
		}{`INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?)`,
			[]any{id + "/1/" + t[0] + "/" + t[1], id, i, t[0], t[1], now, string(payload), now}})
	}
	for _, st := range statements {
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
	var state, data, name, email, phone, address string
	var version int
	if err := tx.QueryRowContext(r.Context(), f.q(`SELECT c.state, c.version, c.data, k.name, k.email, k.phone, k.address FROM klage_complaints c
		JOIN klage_customers k ON k.id = c.customer_id WHERE c.id = ?`), id).Scan(&state, &version, &data, &name, &email, &phone, &address); err != nil {
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
	var due, closed any // NULL, or a time
	if move[1] == "closed" {
		closed = now
	} else {
		due = now + int64(24*time.Hour)
	}
	res, err := tx.ExecContext(r.Context(), f.q(`UPDATE klage_complaints SET state = ?, version = ?, data = ?, updated_at = ?, next_due = ?, timer_due = ?,
		closed_at = ? WHERE id = ? AND version = ?`), move[1], seq, string(newData), now, due, due, closed, id, version)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if n, _ := res.RowsAffected(); n != 1 {
		http.Error(w, "conflict", http.StatusConflict)
		return
	}
	if _, err := tx.ExecContext(r.Context(), f.q(`INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), id, seq, now, event, move[0], move[1], role, role, note); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for i, t := range floorTopics[event] {
		payload, _ := json.Marshal(map[string]any{"topic": t[0], "recipient": t[1], "complaint_id": id, "seq": seq, "data": in,
			"customer": map[string]any{"name": name, "email": email, "phone": phone, "address": address}})
		if _, err := tx.ExecContext(r.Context(), f.q(`INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), fmt.Sprintf("%s/%d/%s/%s", id, seq, t[0], t[1]), id, seq, i, t[0], t[1], now, string(payload), now); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	if err := tx.Commit(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(newData)
}
