package store_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// v1Complaints are the complaints of testdata/v1/rows.sql with the golden
// snapshots they were made from.
var v1Complaints = map[string]string{"K-V1A": "awaiting_customer", "K-V1C": "closed", "K-V1B": "received_pending"}

// TestMigrateFromV1 builds a database as klage v1 left it (its schema and
// rows, kept under testdata/v1), opens it with this code and finds every
// complaint, history entry and notification intact, the history only in
// klage_history and the contact details only in klage_customers.
func TestMigrateFromV1(t *testing.T) {
	rows, err := os.ReadFile("testdata/v1/rows.sql")
	require.NoError(t, err)
	for _, b := range sqlBackends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			driver, dialect := "sqlite", "sqlite"
			if strings.HasPrefix(dsn, "postgres") {
				driver, dialect = "pgx", "postgres"
			}
			schema, err := os.ReadFile("testdata/v1/schema." + dialect + ".sql")
			require.NoError(t, err)
			db, err := sql.Open(driver, dsn)
			require.NoError(t, err)
			_, err = db.ExecContext(ctx, `CREATE TABLE klage_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`)
			require.NoError(t, err)
			for _, q := range append(strings.Split(string(schema), ";\n"), strings.Split(string(rows), ";\n")...) {
				if strings.TrimSpace(stripComments(q)) == "" {
					continue
				}
				_, err := db.ExecContext(ctx, q)
				require.NoError(t, err, q)
			}
			// A v1 row that does not decode is left as it is, and reported.
			_, err = db.ExecContext(ctx, `INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, data)
				VALUES ('K-V1X', 'received', 1, 0, 0, NULL, '{"id": "K-V1X"}')`)
			require.NoError(t, err)
			require.NoError(t, db.Close())

			f := newFixture(t)
			s, err := openSQL(ctx, f.w, dsn)
			require.NoError(t, err)
			defer s.Close()
			v, err := s.SchemaVersion(ctx)
			require.NoError(t, err)
			assert.Equal(t, schemaVersion, v)

			for id, golden := range v1Complaints {
				raw, err := os.ReadFile(filepath.Join("..", "complaint", "testdata", "v1", golden+".json"))
				require.NoError(t, err)
				var want complaint.Snapshot
				require.NoError(t, json.Unmarshal(raw, &want))
				// rows.sql gave each its own id.
				raw = bytes.ReplaceAll(raw, []byte(`"`+want.ID+`"`), []byte(`"`+id+`"`))
				raw = bytes.ReplaceAll(raw, []byte(`"`+want.ID+`/`), []byte(`"`+id+`/`))
				require.NoError(t, json.Unmarshal(raw, &want))

				c, err := s.Get(ctx, id)
				require.NoError(t, err, id)
				assert.Equal(t, want.State, c.State(), id)
				assert.Equal(t, want.Version, c.Version(), id)
				assert.Equal(t, want.Customer, c.Customer(), "%s: the contact details come back from klage_customers", id)
				assert.Equal(t, want.Description, c.Description(), id)
				h, err := s.History(ctx, id)
				require.NoError(t, err)
				require.Len(t, h, len(want.History), id)
				for i := range h {
					assert.Equal(t, want.History[i].Seq, h[i].Seq)
					assert.Equal(t, want.History[i].Event, h[i].Event)
					assert.Equal(t, want.History[i].To, h[i].To)
					assert.Equal(t, want.History[i].Note, h[i].Note)
					assert.True(t, want.History[i].At.Equal(h[i].At))
				}
				ns, err := s.Notifications(ctx, id)
				require.NoError(t, err)
				require.Len(t, ns, len(want.Pending), id)
				for i, n := range ns {
					assert.Equal(t, want.Pending[i].Key(), n.Key())
					assert.Equal(t, want.Pending[i].Data.Customer, n.Data.Customer, "%s: contact filled in", n.Key())
				}

				var data string
				var format int
				require.NoError(t, s.DB().QueryRowContext(ctx, rebind(s, `SELECT data, data_format FROM klage_complaints WHERE id = ?`), id).Scan(&data, &format))
				assert.Equal(t, 2, format)
				var stored complaint.Snapshot
				require.NoError(t, json.Unmarshal([]byte(data), &stored))
				assert.Len(t, stored.History, 1, "%s: the row keeps the newest entry only", id)
			}
			_, err = s.Get(ctx, "K-V1X")
			assert.ErrorIs(t, err, store.ErrCorrupt)
			page, err := s.List(ctx, store.Filter{})
			require.NoError(t, err)
			require.Len(t, page.Corrupt, 1)
			assert.Equal(t, "K-V1X", page.Corrupt[0].ID)
			assert.Len(t, page.Complaints, len(v1Complaints))
			var format int
			require.NoError(t, s.DB().QueryRowContext(ctx, `SELECT data_format FROM klage_complaints WHERE id = 'K-V1X'`).Scan(&format))
			assert.Equal(t, 1, format, "the undecodable row is not rewritten")

			// The contact details are in klage_customers and nowhere else.
			assertOnlyInCustomers(t, s, "Karen Jensen", "karen@example.dk")

			// A migrated complaint goes on.
			f.s = s
			c, err := s.Get(ctx, "K-V1A")
			require.NoError(t, err)
			got, _, err := store.Fire(ctx, s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventProvideInfo, glossary.Customer), store.FireOptions{})
			require.NoError(t, err)
			assert.Equal(t, complaint.StateInProgress, got.State())
		})
	}
}

func stripComments(q string) string {
	var b strings.Builder
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func rebind(s *store.SQL, q string) string {
	if s.Dialect() != "postgres" {
		return q
	}
	for i := 1; strings.Contains(q, "?"); i++ {
		q = strings.Replace(q, "?", "$"+string(rune('0'+i)), 1)
	}
	return q
}

// tableTexts returns every value of the store's tables, as text, by table.
func tableTexts(t *testing.T, s *store.SQL) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range []string{"klage_complaints", "klage_history", "klage_outbox", "klage_customers", "klage_erasures", "klage_ratings"} {
		rows, err := s.DB().QueryContext(ctx, `SELECT * FROM `+table)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		var b strings.Builder
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for _, v := range vals {
				switch v := v.(type) {
				case []byte:
					b.Write(v)
				case string:
					b.WriteString(v)
				}
				b.WriteByte('|')
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
		out[table] = b.String()
	}
	return out
}

func assertOnlyInCustomers(t *testing.T, s *store.SQL, values ...string) {
	t.Helper()
	for table, text := range tableTexts(t, s) {
		for _, v := range values {
			if table == "klage_customers" {
				assert.Contains(t, text, v)
			} else {
				assert.NotContains(t, text, v, "%s holds %q", table, v)
			}
		}
	}
}

// TestContactDetailsApart: complaint rows, history and outbox carry the
// customer's id; the details live in klage_customers and come back on
// every read, to a relay too.
func TestContactDetailsApart(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		c := f.open(t, complaint.StateInProgress)
		assertOnlyInCustomers(t, s, "Karen Jensen", "karen@example.dk", "+45 20 30 40 50", "Nørregade")
		got, err := s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, c.Customer(), got.Customer())
		ms, err := s.Claim(ctx, f.clock.Now(), 10, f.clock.Now().Add(time.Minute))
		require.NoError(t, err)
		require.NotEmpty(t, ms)
		for _, m := range ms {
			assert.Equal(t, "karen@example.dk", m.Data.Customer.Email, m.Key())
		}
	})
}

// personalTexts are what complainttest's complaints hold of their
// customer, in every field erasure must empty.
var personalTexts = []string{"Karen Jensen", "karen@example.dk", "+45 20 30 40 50", "Nørregade", "does not power on", "A new laptop",
	"by customer_service", "by complaints_department", "not covered", "should have offered"}

// TestEraseRatingComment: a rating's comment is the customer's words; an
// erasure empties it, in every table and file, and keeps the score.
func TestEraseRatingComment(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, dsn string) {
		c := f.open(t, complaint.StateClosed)
		const words = "Min nabo hørte hele samtalen"
		require.NoError(t, s.Rate(ctx, c.ID(), complainttest.ActorFor(c, glossary.Customer), complaint.Rating{Score: 1, Comment: words}))
		exp, err := s.Export(ctx, complainttest.Customer.ID)
		require.NoError(t, err)
		assert.Equal(t, words, exp.Ratings[c.ID()].Comment, "the export has the rating")
		_, err = s.Erase(ctx, complainttest.Customer.ID)
		require.NoError(t, err)
		for table, text := range tableTexts(t, s) {
			assert.NotContains(t, text, words, table)
		}
		if s.Dialect() == "sqlite" {
			for _, file := range []string{dsn, dsn + "-wal"} {
				raw, err := os.ReadFile(file)
				if os.IsNotExist(err) {
					continue
				}
				require.NoError(t, err)
				assert.False(t, bytes.Contains(raw, []byte(words)), filepath.Base(file))
			}
		}
		r, ok, err := s.Rating(ctx, c.ID())
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 1, r.Score, "the score stays, for the statistics")
		assert.Equal(t, complaint.Erased, r.Comment)
	})
}

// TestErase: after an erasure the customer's details and texts are in no
// table and, on SQLite, in neither the database file nor its log; the
// audit trail restores and replays; the erasure is recorded; a copy loaded
// before it cannot write the texts back.
func TestErase(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, dsn string) {
		c := f.open(t, complaint.StateReviewed)
		other := f.openFor(t, "customer-2", complaint.StateReceived) // no notes, nothing that the checks below look for
		stale, err := s.Get(ctx, c.ID())
		require.NoError(t, err)
		before, err := s.Export(ctx, complainttest.Customer.ID)
		require.NoError(t, err)
		require.Len(t, before.Complaints, 1)
		assert.Equal(t, "karen@example.dk", before.Customer.Email)
		assert.Len(t, before.Complaints[0].History, c.Version(), "the export has the whole history")
		assert.NotEmpty(t, before.Notifications)

		er, err := s.Erase(ctx, complainttest.Customer.ID)
		require.NoError(t, err)
		assert.Equal(t, 1, er.Complaints)
		assert.Equal(t, store.ReasonRequest, er.Reason)

		for table, text := range tableTexts(t, s) {
			for _, v := range personalTexts {
				assert.NotContains(t, text, v, "%s still holds %q", table, v)
			}
		}
		if s.Dialect() == "sqlite" {
			for _, file := range []string{dsn, dsn + "-wal"} {
				raw, err := os.ReadFile(file)
				if os.IsNotExist(err) {
					continue
				}
				require.NoError(t, err)
				for _, v := range personalTexts {
					assert.False(t, bytes.Contains(raw, []byte(v)), "%s holds %q", filepath.Base(file), v)
				}
			}
		}
		got, err := s.Get(ctx, c.ID())
		require.NoError(t, err, "an erased complaint restores")
		at, erased := got.ErasedAt()
		assert.True(t, erased)
		assert.True(t, at.Equal(f.clock.Now()))
		assert.Equal(t, complainttest.Customer.ID, got.Customer().ID)
		assert.Equal(t, complaint.StateReviewed, got.State())
		h, err := s.History(ctx, c.ID())
		require.NoError(t, err)
		assertHistoryEnds(t, got, h)
		full := got.Snapshot()
		full.History, full.Checkpoint = h, nil
		_, err = f.w.Restore(full)
		require.NoError(t, err, "the whole audit trail replays")

		// The copy loaded before the erasure conflicts; a fresh one goes on.
		_, err = f.w.Fire(ctx, stale, complainttest.InputFor(stale, complaint.EventFulfil, glossary.CustomerService))
		require.NoError(t, err)
		assert.ErrorIs(t, s.Save(ctx, stale, got.Version()), store.ErrConflict)
		_, _, err = store.Fire(ctx, s, f.w, c.ID(), complainttest.InputFor(got, complaint.EventFulfil, glossary.CustomerService), store.FireOptions{})
		require.NoError(t, err)

		after, err := s.Export(ctx, complainttest.Customer.ID)
		require.NoError(t, err)
		require.Len(t, after.Erasures, 1)
		assert.Empty(t, after.Customer.Email)

		// The other customer keeps everything.
		o, err := s.Get(ctx, other.ID())
		require.NoError(t, err)
		assert.Equal(t, other.Customer(), o.Customer())
		assert.Equal(t, other.Description(), o.Description())

		_, err = s.Erase(ctx, "nobody")
		assert.ErrorIs(t, err, store.ErrCustomerNotFound)
		_, err = s.Export(ctx, "nobody")
		assert.ErrorIs(t, err, store.ErrCustomerNotFound)
	})
}

// TestPurge: retention erases what was closed longer ago than the policy
// keeps it, and the payloads of old delivered notifications.
func TestPurge(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		closed := f.open(t, complaint.StateClosed)
		open := f.openFor(t, "customer-2", complaint.StateInProgress)
		ms, err := s.Claim(ctx, f.clock.Now(), 100, f.clock.Now().Add(time.Minute))
		require.NoError(t, err)
		for _, m := range ms {
			require.NoError(t, s.MarkDelivered(ctx, m.Key(), f.clock.Now()))
		}

		f.clock.Advance(2 * 365 * 24 * time.Hour)
		p, err := s.Purge(ctx, store.PurgeOptions{})
		require.NoError(t, err)
		assert.Equal(t, store.Purged{}, p, "inside the three years nothing goes")

		f.clock.Advance(400 * 24 * time.Hour)
		p, err = s.Purge(ctx, store.PurgeOptions{DeliveredAfter: 30 * 24 * time.Hour})
		require.NoError(t, err)
		assert.Equal(t, 1, p.Complaints)
		assert.Equal(t, 1, p.Customers)
		assert.Positive(t, p.Notifications)
		assert.False(t, store.Decoded(s, closed.ID()), "the purge leaves nothing of the old texts in the decoded cache")
		got, err := s.Get(ctx, closed.ID())
		require.NoError(t, err)
		_, erased := got.ErasedAt()
		assert.True(t, erased)
		assert.Empty(t, got.Customer().Email)
		o, err := s.Get(ctx, open.ID())
		require.NoError(t, err)
		assert.Equal(t, open.Customer(), o.Customer(), "an open complaint keeps its customer's details")
		ns, err := s.Notifications(ctx, open.ID())
		require.NoError(t, err)
		for _, n := range ns {
			assert.NotContains(t, n.Data.Note, "by customer_service", "delivered payloads lost their texts")
		}

		again, err := s.Purge(ctx, store.PurgeOptions{DeliveredAfter: 30 * 24 * time.Hour})
		require.NoError(t, err)
		assert.Equal(t, store.Purged{}, again, "a second sweep finds nothing")
	})
}

// TestNoPersonalDataInStatistics: on PostgreSQL, ANALYZE keeps no sample
// of a personal-data column in pg_statistic, where an erased name or
// e-mail would outlive the erasure.
func TestNoPersonalDataInStatistics(t *testing.T) {
	f := newFixture(t)
	s, err := postgres.Open(ctx, f.w, postgresDSN(t))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	f.s = s
	for range 20 {
		f.open(t, complaint.StateInProgress)
	}
	_, err = s.DB().ExecContext(ctx, `ANALYZE`)
	require.NoError(t, err)
	rows, err := s.DB().QueryContext(ctx, `SELECT tablename, attname, COALESCE(most_common_vals::text, '') || COALESCE(histogram_bounds::text, '')
		FROM pg_stats WHERE schemaname = current_schema()`)
	require.NoError(t, err)
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var table, column, values string
		require.NoError(t, rows.Scan(&table, &column, &values))
		seen[table+"."+column] = true
		for _, personal := range []string{"Karen", "karen@example.dk", "Nørregade", "does not power on"} {
			assert.NotContains(t, values, personal, "%s.%s", table, column)
		}
	}
	require.NoError(t, rows.Err())
	assert.True(t, seen["klage_complaints.state"], "the other columns keep their statistics")
	for _, c := range []string{"klage_customers.name", "klage_customers.email", "klage_complaints.data", "klage_history.note", "klage_outbox.payload"} {
		assert.False(t, seen[c], "%s has no statistics", c)
	}
}
