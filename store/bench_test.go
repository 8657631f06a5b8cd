package store_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// The benchmarks compare one transition through the store (load, fire,
// save) with the floor: a hand-written transaction doing the same writes,
// with no library code. Compare them as ratios within one run:
//
//	go test -run '^$' -bench 'Floor|Transition' -benchmem -count 5 ./store/
//
// Both alternate request_info and provide_info, one history entry and one
// notification each, round-robin over up to 256 complaints so that
// histories stay short, as real ones are.

const benchComplaints = 256

// benchStore opens a fresh store and opens n complaints in progress in it.
func benchStore(b *testing.B, dsn string, n int) (*fixture, *store.SQL, []*complaint.Complaint) {
	f := newFixture(b)
	s, err := openSQL(ctx, f.w, dsn)
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	f.s = s
	cs := make([]*complaint.Complaint, n)
	for i := range cs {
		cs[i] = f.open(b, complaint.StateInProgress)
	}
	return f, s, cs
}

func benchFloor(b *testing.B, dsn string) {
	n := min(b.N, benchComplaints)
	f, s, cs := benchStore(b, dsn, n)
	db, rebind := s.DB(), func(q string) string { return q }
	if s.Dialect() == "postgres" {
		rebind = func(q string) string {
			for i := 1; strings.Contains(q, "?"); i++ {
				q = strings.Replace(q, "?", fmt.Sprintf("$%d", i), 1)
			}
			return q
		}
	}
	update := rebind(`UPDATE klage_complaints SET state = ?, version = ?, updated_at = ?, next_due = ?, data = ? WHERE id = ? AND version = ?`)
	history := rebind(`INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	outbox := rebind(`INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	// The payloads a real transition writes, precomputed: the floor has no
	// library code in its loop.
	versions := make([]int, n)
	data := make([]string, n)
	for i, c := range cs {
		versions[i] = c.Version()
		snap := f.w.SnapshotTail(c, 1) // what the store writes
		snap.Pending = nil
		raw, err := json.Marshal(&snap)
		require.NoError(b, err)
		data[i] = string(raw)
	}
	payload := `{"key":"x","topic":"info_requested","recipient":"customer","complaint_id":"K-0001","seq":3,"at":"2026-03-02T08:00:00Z","data":{"event":"request_info","state":"awaiting_customer","by":"customer_service","language":"da","kind":"doa","note":"request_info by customer_service","customer":{"id":"customer-1","name":"Karen Jensen","email":"karen@example.dk","type":"consumer","language":"da"},"product":{"sku":"NB-1042","name":"UltraBook 14","manufacturer":"Lenovo","delivered_at":"2026-03-01T08:00:00Z"}}}`
	states := [2]string{"awaiting_customer", "in_progress"}
	events := [2]string{"request_info", "provide_info"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % n
		v := versions[j]
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := tx.ExecContext(ctx, update, states[v&1], v+1, int64(i), int64(i), data[j], cs[j].ID(), v)
		if err != nil {
			b.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			b.Fatal("version check failed")
		}
		if _, err := tx.ExecContext(ctx, history, cs[j].ID(), v+1, int64(i), events[v&1], states[(v+1)&1], states[v&1], "agent-1", "customer_service", "note"); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, outbox, fmt.Sprintf("%s/%d/x/customer", cs[j].ID(), v+1), cs[j].ID(), v+1, 0, "info_requested", "customer", int64(i), payload, int64(i)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		versions[j]++
	}
}

func benchTransition(b *testing.B, dsn string) {
	n := min(b.N, benchComplaints)
	f, s, cs := benchStore(b, dsn, n)
	inputs := [2]complaint.Input{
		complainttest.InputFor(cs[0], complaint.EventRequestInfo, glossary.CustomerService),
		complainttest.InputFor(cs[0], complaint.EventProvideInfo, glossary.Customer),
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := store.Fire(ctx, s, f.w, cs[i%n].ID(), inputs[(i/n)&1], store.FireOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func sqliteBenchDSN(b *testing.B) string { return filepath.Join(b.TempDir(), "bench.db") }

func BenchmarkSQLiteFloor(b *testing.B)      { benchFloor(b, sqliteBenchDSN(b)) }
func BenchmarkSQLiteTransition(b *testing.B) { benchTransition(b, sqliteBenchDSN(b)) }

func BenchmarkPostgresFloor(b *testing.B)      { benchFloor(b, postgresDSN(b)) }
func BenchmarkPostgresTransition(b *testing.B) { benchTransition(b, postgresDSN(b)) }

// benchAtHistory measures a transition on complaints whose history already
// has n entries: with the history kept apart from the complaint row, the
// cost must not grow with n. The complaints are built in memory and
// created with their whole history, then fired on round-robin.
func benchAtHistory(b *testing.B, dsn string) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := newFixture(b)
			s, err := openSQL(ctx, f.w, dsn)
			require.NoError(b, err)
			b.Cleanup(func() { s.Close() })
			const complaints = 32
			ids := make([]string, complaints)
			mem, err := complaint.New(complaint.Options{Now: f.clock.Now})
			require.NoError(b, err)
			for i := range ids {
				c := complainttest.InState(b, mem, complaint.StateInProgress, nil)
				for c.Version() < n {
					e := complaint.EventRequestInfo
					r := glossary.CustomerService
					if c.State() == complaint.StateAwaitingCustomer {
						e, r = complaint.EventProvideInfo, glossary.Customer
					}
					_, err := mem.Fire(ctx, c, complainttest.InputFor(c, e, r))
					require.NoError(b, err)
				}
				// Unique per run: the runs of -count share the database.
				snap := c.Snapshot()
				snap.ID = fmt.Sprintf("AH-%d-%d-%d", n, i, benchRuns.Add(1))
				for j := range snap.Pending {
					snap.Pending[j].ComplaintID = snap.ID
				}
				c, err = mem.Restore(snap)
				require.NoError(b, err)
				require.NoError(b, s.Create(ctx, c))
				ids[i] = c.ID()
			}
			inputs := map[complaint.State]complaint.Input{}
			probe := complainttest.InState(b, mem, complaint.StateInProgress, nil)
			inputs[complaint.StateInProgress] = complainttest.InputFor(probe, complaint.EventRequestInfo, glossary.CustomerService)
			inputs[complaint.StateAwaitingCustomer] = complainttest.InputFor(probe, complaint.EventProvideInfo, glossary.Customer)
			states := make([]complaint.State, complaints)
			for i := range states {
				states[i] = complaint.StateInProgress
				if n%2 == 1 {
					states[i] = complaint.StateAwaitingCustomer
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % complaints
				c, _, err := store.Fire(ctx, s, f.w, ids[j], inputs[states[j]], store.FireOptions{})
				if err != nil {
					b.Fatal(err)
				}
				states[j] = c.State()
			}
		})
	}
}

// benchRuns numbers the complaints that benchAtHistory creates.
var benchRuns atomic.Int64

func BenchmarkSQLiteTransitionAtHistory(b *testing.B)   { benchAtHistory(b, sqliteBenchDSN(b)) }
func BenchmarkPostgresTransitionAtHistory(b *testing.B) { benchAtHistory(b, postgresDSN(b)) }
