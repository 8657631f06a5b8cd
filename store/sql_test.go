package store_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
)

// sqlBackend opens a SQL store, and opens it again at the same place.
type sqlBackend struct {
	name string
	dsn  func(tb testing.TB) string
}

var sqlBackends = []sqlBackend{
	{"SQLite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "klage.db") }},
	{"Postgres", postgresDSN},
}

func forEachSQL(t *testing.T, test func(t *testing.T, f *fixture, s *store.SQL, dsn string)) {
	for _, b := range sqlBackends {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t)
			dsn := b.dsn(t)
			s, err := openSQL(ctx, f.w, dsn)
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			f.s, f.backend = s, b.name
			test(t, f, s, dsn)
		})
	}
}

// schemaVersion is the number of migrations this code ships.
const schemaVersion = 14

func TestSQLDecodeErrors(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		broken := f.open(t, complaint.StateInProgress)
		tampered := f.open(t, complaint.StateFinalAnswer)
		q := func(sql string, args ...any) {
			if s.Dialect() == "postgres" {
				sql = strings.ReplaceAll(sql, "?", "$1")
			}
			_, err := s.DB().ExecContext(ctx, sql, args...)
			require.NoError(t, err)
		}
		// Not JSON at all (PostgreSQL's JSONB refuses that, so a JSON
		// document that is not a complaint stands in for it there).
		if s.Dialect() == "sqlite" {
			q(`UPDATE klage_complaints SET data = '{"id": "K-0001", ' WHERE id = ?`, broken.ID())
		} else {
			q(`UPDATE klage_complaints SET data = '[1, 2, 3]' WHERE id = ?`, broken.ID())
		}
		_, err := s.Get(ctx, broken.ID())
		var de *store.DecodeError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, broken.ID(), de.ID)
		assert.ErrorIs(t, err, store.ErrCorrupt)
		// A list skips the row and reports it; the others are listed.
		page, err := s.List(ctx, store.Filter{})
		require.NoError(t, err)
		require.Len(t, page.Corrupt, 1)
		assert.Equal(t, broken.ID(), page.Corrupt[0].ID)
		assert.ErrorIs(t, page.Corrupt[0], store.ErrCorrupt)
		require.Len(t, page.Complaints, 1)
		assert.Equal(t, tampered.ID(), page.Complaints[0].ID())

		// Valid JSON whose history does not replay to its state.
		snap := tampered.Snapshot()
		snap.State = complaint.StateClosed
		snap.Pending = nil
		data, err := json.Marshal(&snap)
		require.NoError(t, err)
		q(`UPDATE klage_complaints SET data = '`+string(data)+`' WHERE id = ?`, tampered.ID())
		_, err = s.Get(ctx, tampered.ID())
		assert.ErrorIs(t, err, store.ErrCorrupt)
		assert.ErrorIs(t, err, complaint.ErrInvalidSnapshot)

		// A transition on a corrupt complaint fails cleanly.
		_, _, err = store.Fire(ctx, s, f.w, tampered.ID(), complainttest.InputFor(tampered, complaint.EventAccept, glossary.Customer), store.FireOptions{})
		assert.ErrorIs(t, err, store.ErrCorrupt)

		// A broken history row and a broken outbox payload.
		q(`UPDATE klage_history SET event = 'Tele port!' WHERE complaint_id = ?`, broken.ID())
		_, err = s.History(ctx, broken.ID())
		assert.ErrorIs(t, err, store.ErrCorrupt)
		// An outbox payload that does not decode hides nothing: the message
		// is listed with what its columns say (TestPoisonOutboxRow shows
		// that a relay dead-letters it).
		q(`UPDATE klage_outbox SET payload = '{"topic": "gossip"}' WHERE complaint_id = ?`, broken.ID())
		ns, err := s.Notifications(ctx, broken.ID())
		require.NoError(t, err)
		require.Len(t, ns, 2)
		assert.Equal(t, broken.ID(), ns[0].ComplaintID)
		assert.Equal(t, complaint.TopicAcknowledged, ns[0].Topic)
	})
}

// TestSQLFailedTransactionWritesNothing makes the outbox insert of a save
// fail and checks that the complaint row and the history were not changed.
func TestSQLFailedTransactionWritesNothing(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		c := f.open(t, complaint.StateInProgress)
		loaded := c.Version()
		// Occupy the key that the next transition's notification will have.
		key := notificationKey(c.ID(), loaded+1, complaint.TopicInfoRequested, glossary.Customer)
		ins := `INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES (?, ?, 99, 0, 'progress', 'customer', 0, '{}', 0)`
		if s.Dialect() == "postgres" {
			ins = `INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES ($1, $2, 99, 0, 'progress', 'customer', 0, '{}', 0)`
		}
		_, err := s.DB().ExecContext(ctx, ins, key, c.ID())
		require.NoError(t, err)

		_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService))
		require.NoError(t, err)
		require.Error(t, s.Save(ctx, c, loaded))
		assert.Len(t, c.Pending(), 1, "the complaint keeps its pending notification")

		got, err := s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, loaded, got.Version(), "the complaint row was not updated")
		assert.Equal(t, complaint.StateInProgress, got.State())
		h, err := s.History(ctx, c.ID())
		require.NoError(t, err)
		assert.Len(t, h, loaded, "no history was appended")
	})
}

func TestSQLMigrations(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, dsn string) {
		v, err := s.SchemaVersion(ctx)
		require.NoError(t, err)
		assert.Equal(t, schemaVersion, v)
		c := f.open(t, complaint.StateEscalated)
		require.NoError(t, s.Close())

		// Replicas starting together migrate once and all open.
		var wg sync.WaitGroup
		opened := make([]*store.SQL, 4)
		errs := make([]error, 4)
		for i := range opened {
			wg.Add(1)
			go func() {
				defer wg.Done()
				opened[i], errs[i] = openSQL(ctx, f.w, dsn)
			}()
		}
		wg.Wait()
		for i := range opened {
			require.NoError(t, errs[i])
			defer opened[i].Close()
		}
		again := opened[0]
		got, err := again.Get(ctx, c.ID())
		require.NoError(t, err, "data survives a reopen")
		assert.Equal(t, c.Version(), got.Version())
		var n int
		require.NoError(t, again.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_schema_migrations`).Scan(&n))
		assert.Equal(t, schemaVersion, n)

		// A schema newer than this code is refused.
		_, err = again.DB().ExecContext(ctx, `INSERT INTO klage_schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)`)
		require.NoError(t, err)
		_, err = openSQL(ctx, f.w, dsn)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "newer")
	})
}

func TestOpenSQLiteRefusesEmptyPath(t *testing.T) {
	f := newFixture(t)
	_, err := sqlite.Open(ctx, f.w, "")
	assert.Error(t, err)
	_, err = postgres.Open(ctx, f.w, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	assert.Error(t, err, "an unreachable server is an error, not a hang")
}
