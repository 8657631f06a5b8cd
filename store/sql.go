package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
)

// SQL is a Store in a PostgreSQL or SQLite database, through database/sql,
// opened with store/postgres.Open or store/sqlite.Open. Its schema is
// created or migrated when it is opened. Many processes may
// share one PostgreSQL database; SQLite serves one process (or a few on one
// machine). It is safe for concurrent use.
type SQL struct {
	w     *complaint.Workflow
	db    *sql.DB
	d     dialect
	q     queries
	stmts sync.Map // query text → *sql.Stmt, prepared once per connection by database/sql
	// writes serialises this process's write transactions on SQLite, which
	// allows one writer at a time: writers queue here, in Go, instead of
	// polling the database's lock. Nil on PostgreSQL.
	writes  *sync.Mutex
	decoded decodedCache
	closed  atomic.Bool
}

// usable returns ErrClosed for a closed store and for the zero SQL.
func (s *SQL) usable() error {
	if s == nil || s.db == nil || s.w == nil || s.closed.Load() {
		return ErrClosed
	}
	return nil
}

var (
	_ Store  = (*SQL)(nil)
	_ Outbox = (*SQL)(nil)
)

// Engine names a SQL database engine that [OpenSQL] knows.
type Engine string

// The engines.
const (
	PostgreSQL Engine = "postgres"
	SQLite     Engine = "sqlite"
)

// OpenSQL returns the store on db, a database of engine opened with its
// driver ("pgx" for PostgreSQL, "sqlite" of modernc.org/sqlite for
// SQLite), after creating or migrating its schema. Packages store/postgres
// and store/sqlite call it with the driver they import: this package
// imports none, so that a program links only the driver of the database it
// uses. It sets db's pool sizes for the engine. The store closes db when
// it is closed, or when OpenSQL fails.
func OpenSQL(ctx context.Context, w *complaint.Workflow, db *sql.DB, engine Engine) (*SQL, error) {
	if db == nil {
		return nil, errors.New("store: OpenSQL needs a database")
	}
	if w == nil {
		return nil, errors.Join(errors.New("store: OpenSQL needs a workflow"), db.Close())
	}
	if w.Notifies() {
		return nil, errors.Join(ErrWorkflowNotifies, db.Close())
	}
	d := sqlite
	switch engine {
	case PostgreSQL:
		d = postgres
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(8)
		db.SetConnMaxIdleTime(5 * time.Minute)
	case SQLite:
		// Every connection stays open: closing one past the default of
		// two idle connections would throw away its prepared statements
		// and its page cache, and the next request would open, configure
		// and prepare them again.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	default:
		return nil, errors.Join(fmt.Errorf("store: unknown engine %q", engine), db.Close())
	}
	return newSQL(ctx, w, db, d)
}

// SQLiteDSN is the data source name that store/sqlite opens path with: WAL
// mode with full synchronisation (a committed transition survives a power
// cut), a busy timeout so that concurrent writers wait for each other,
// foreign keys, secure_delete (erased data does not linger in free pages)
// and immediate write transactions.
func SQLiteDSN(path string) (string, error) {
	if path == "" {
		return "", errors.New("store: empty SQLite path")
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return "file:" + path + sep + "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=secure_delete(ON)&_txlock=immediate", nil
}

func newSQL(ctx context.Context, w *complaint.Workflow, db *sql.DB, d dialect) (*SQL, error) {
	if err := db.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: connect to %s: %w", d.name(), err), db.Close())
	}
	if err := migrate(ctx, db, d, w.Now); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	s := &SQL{w: w, db: db, d: d, q: newQueries(d)}
	if d.serialWrites() {
		s.writes = new(sync.Mutex)
	}
	if err := s.compactV1(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	if err := s.checkLifecycle(ctx); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// lockWrites waits for this process's turn to write (SQLite) and returns
// the function that ends it.
func (s *SQL) lockWrites() (unlock func()) {
	if s.writes == nil {
		return func() {}
	}
	s.writes.Lock()
	return s.writes.Unlock
}

// DB returns the underlying database, for the embedding service's own
// queries and health checks.
func (s *SQL) DB() *sql.DB { return s.db }

// Dialect returns "postgres" or "sqlite".
func (s *SQL) Dialect() string { return s.d.name() }

// Close implements Store. Every call on a closed store returns ErrClosed;
// closing twice does nothing.
func (s *SQL) Close() error {
	if s == nil || s.db == nil || s.closed.Swap(true) {
		return nil // closing twice, or a zero SQL, does nothing
	}
	s.decoded.close()
	var errs []error
	s.stmts.Range(func(_, v any) bool {
		errs = append(errs, v.(*sql.Stmt).Close())
		return true
	})
	return errors.Join(append(errs, s.db.Close())...)
}

// stmt returns q prepared. Statements are prepared once and reused on every
// connection; a transaction binds them with Tx.StmtContext.
func (s *SQL) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		// Another goroutine prepared it first; this copy was never used.
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// prepare returns the statements of qs, prepared. Call it before a
// transaction begins: preparing takes a connection of the pool, and a
// transaction that waited for one while holding SQLite's write lock would
// stall every writer.
func (s *SQL) prepare(ctx context.Context, qs ...string) ([]*sql.Stmt, error) {
	out := make([]*sql.Stmt, len(qs))
	for i, q := range qs {
		st, err := s.stmt(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("store: prepare: %w", err)
		}
		out[i] = st
	}
	return out, nil
}

// exec runs the prepared statement st in tx, on tx's connection.
func exec(ctx context.Context, tx *sql.Tx, st *sql.Stmt, args ...any) (sql.Result, error) {
	return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

type queries struct {
	insertComplaint, updateComplaint, complaintVersion, getComplaint string
	byRequest, upsertCustomer                                        string
	insertHistory, insertOutbox                                      string
	history, notifications, pending, deadLetters, claim              string
	delivered, failed, release, dead, poison, messageExists          string
	extend, requeue                                                  string
}

func newQueries(d dialect) queries {
	r := d.rebind
	return queries{
		insertComplaint: r(`INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, data, data_format, customer_id, kind, manufacturer, closed_at,
			first_response_secs, final_answer_secs, decision_secs, timer_due)
			VALUES (?, ?, ?, ?, ?, ?, ?, 2, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		// A copy loaded before an erasure is a conflict: saving it would
		// write the erased texts back.
		updateComplaint: r(`UPDATE klage_complaints SET state = ?, version = ?, updated_at = ?, next_due = ?, data = ?, data_format = 2, kind = ?, manufacturer = ?, closed_at = ?,
			first_response_secs = ?, final_answer_secs = ?, decision_secs = ?, timer_due = ?, timer_lease = NULL
			WHERE id = ? AND version = ? AND erased_at IS NOT DISTINCT FROM ?`),
		upsertCustomer:   `INSERT INTO klage_customers (id, name, email, phone, address, updated_at) VALUES `,
		complaintVersion: r(`SELECT version FROM klage_complaints WHERE id = ?`),
		getComplaint:     r(`SELECT ` + complaintColumns + ` FROM ` + complaintFrom + ` WHERE c.id = ?`),
		byRequest:        r(`SELECT ` + historySelect + ` FROM klage_history WHERE complaint_id = ? AND request_id = ? AND request_id <> ''`),
		insertHistory:    `INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer, consent_channel, consent_at, request_id, request_hash) VALUES `,
		insertOutbox:     `INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, next_attempt_at) VALUES `,
		history:          r(`SELECT ` + historySelect + ` FROM klage_history WHERE complaint_id = ? ORDER BY seq`),
		notifications:    r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE complaint_id = ? ORDER BY seq, position`),
		pending: r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE delivered_at IS NULL AND dead_at IS NULL
			ORDER BY created_at, complaint_id, seq, position LIMIT ?`),
		deadLetters: r(`SELECT ` + messageColumns + ` FROM klage_outbox WHERE dead_at IS NOT NULL ORDER BY dead_at, key LIMIT ?`),
		claim: r(`UPDATE klage_outbox SET leased_until = ? WHERE key IN (
			SELECT key FROM klage_outbox
			WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= ? AND (leased_until IS NULL OR leased_until <= ?)
			ORDER BY created_at, complaint_id, seq, position LIMIT ?` + d.skipLocked() + `)
			RETURNING ` + messageColumns),
		delivered: r(`UPDATE klage_outbox SET delivered_at = ?, attempts = attempts + 1, leased_until = NULL WHERE key = ? AND delivered_at IS NULL`),
		failed: r(`UPDATE klage_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, leased_until = NULL
			WHERE key = ? AND delivered_at IS NULL`),
		release: r(`UPDATE klage_outbox SET leased_until = NULL WHERE key = ? AND delivered_at IS NULL`),
		dead: r(`UPDATE klage_outbox SET attempts = attempts + 1, dead_at = ?, last_error = ?, leased_until = NULL
			WHERE key = ? AND delivered_at IS NULL`),
		poison:        r(`UPDATE klage_outbox SET dead_at = ?, last_error = ?, leased_until = NULL WHERE key = ?`),
		messageExists: r(`SELECT 1 FROM klage_outbox WHERE key = ?`),
		extend: r(`UPDATE klage_outbox SET leased_until = ? WHERE key = ? AND delivered_at IS NULL AND dead_at IS NULL
			AND leased_until IS NOT NULL`),
		requeue: r(`UPDATE klage_outbox SET dead_at = NULL, next_attempt_at = ?, leased_until = NULL WHERE key = ? AND delivered_at IS NULL
			AND dead_at IS NOT NULL`),
	}
}

// values returns n groups of k placeholders for a multi-row insert.
func (s *SQL) values(n, k int) string {
	var b strings.Builder
	arg := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range k {
			if j > 0 {
				b.WriteString(", ")
			}
			arg++
			b.WriteString(s.d.placeholder(arg))
		}
		b.WriteByte(')')
	}
	return b.String()
}

func nanos(t time.Time) int64 { return t.UnixNano() }

func nullNanos(t time.Time, ok bool) sql.NullInt64 {
	return sql.NullInt64{Int64: t.UnixNano(), Valid: ok}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// inTx runs fn in a transaction and commits it, or rolls it back if fn
// fails: a failed transaction writes nothing. On SQLite it first waits for
// this process's other writers.
func (s *SQL) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the error that matters is fn's
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }
