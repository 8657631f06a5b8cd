package store

import (
	"github.com/klageflow/klage/complaint"

	"context"
	"database/sql"
	"errors"
	"fmt"
)

// sqliteDialect is SQLite (driver sqlite, modernc.org/sqlite): ?
// placeholders, one writer at a time (queued in Go), a write as a short
// transaction of prepared statements (sqliteWrite), JSON1 in reports.
type sqliteDialect struct{}

var sqlite dialect = sqliteDialect{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) placeholder(int) string { return "?" }
func (sqliteDialect) rebind(q string) string { return q }
func (sqliteDialect) lockMigrations() string { return "" }
func (sqliteDialect) skipLocked() string     { return "" }
func (sqliteDialect) forUpdate() string      { return "" }
func (sqliteDialect) serialWrites() bool     { return true }

// create is Create on SQLite.
func (sqliteDialect) create(ctx context.Context, s *SQL, c *complaint.Complaint, r row) error {
	return s.sqliteWrite(ctx, c.ID(), r, "create", s.q.insertComplaint, r.insertArgs(c, s.w.Now()), true,
		func(*sql.Tx) error { return ErrExists })
}

// save is Save on SQLite.
func (sqliteDialect) save(ctx context.Context, s *SQL, c *complaint.Complaint, r row, expectedVersion int) error {
	err := s.sqliteWrite(ctx, c.ID(), r, "save", s.q.updateComplaint, r.updateArgs(c, s.w.Now(), expectedVersion), false,
		func(tx *sql.Tx) error { return s.stale(ctx, tx, c.ID(), expectedVersion) })
	if errors.Is(err, errStale) {
		return s.conflict(ctx, c.ID(), expectedVersion)
	}
	return err
}

// afterErase checkpoints the write-ahead log into the database file and
// truncates it: the pages that held erased data are overwritten
// (secure_delete zeroes what is freed) and the log's copies are gone.
func (sqliteDialect) afterErase(ctx context.Context, s *SQL) error {
	defer s.lockWrites()()
	var busy, logged, done int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logged, &done); err != nil {
		return fmt.Errorf("store: checkpoint after erasure: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("store: checkpoint after erasure: a reader held the log; the erased data is in the log until the next checkpoint")
	}
	return nil
}

// sqliteDoc is c.data when it is valid JSON, an empty object otherwise:
// one damaged row cannot fail a report (the cohort leaves it out and
// counts it: readableSQLite).
const sqliteDoc = "(CASE WHEN json_valid(c.data) THEN c.data ELSE '{}' END)"

// readableSQLite is the SQLite condition that c's data is a JSON object,
// which a report can read.
const readableSQLite = "(CASE WHEN json_valid(c.data) THEN json_type(c.data) END) = 'object'"

func (sqliteDialect) doc() string { return sqliteDoc }
func (sqliteDialect) jsonText(doc, path string) string {
	return "json_extract(" + doc + ", '$." + path + "')"
}
func (sqliteDialect) elements(path string) string {
	return ", json_each(" + sqliteDoc + ", '$." + path + "') AS e"
}
func (sqliteDialect) ex(field string) string    { return "json_extract(e.value, '$." + field + "')" }
func (sqliteDialect) truthy(expr string) string { return "COALESCE(" + expr + ", 0) = 1" }
func (sqliteDialect) lastEvent() string {
	return "json_extract(" + sqliteDoc + ", '$.history[#-1].event')"
}
func (sqliteDialect) before(expr string) string { return "julianday(" + expr + ") < julianday(?)" }
func (sqliteDialect) reviewClock() string {
	return `EXISTS (SELECT 1 FROM json_each(` + sqliteDoc + `, '$.deadlines') WHERE json_extract(value, '$.name') = 'review_decision')`
}
func (sqliteDialect) cohortDoc() string { return sqliteDoc }
func (sqliteDialect) readable() string  { return readableSQLite }

// cohort reads the period's rows where they are, counting those a report
// cannot read.
func (d sqliteDialect) cohort(ctx context.Context, s *SQL, base string, baseArgs []any, where string, args []any) (reportSQL, func(), error) {
	var unreadable int
	q := d.rebind("SELECT COUNT(*) FROM klage_complaints c WHERE " + base + " AND NOT COALESCE(" + readableSQLite + ", FALSE)") //nolint:gosec // constants and placeholders
	if err := s.db.QueryRowContext(ctx, q, baseArgs...).Scan(&unreadable); err != nil {
		return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
	}
	return reportSQL{s: s, on: s.db, from: "klage_complaints c", where: where, args: args, unreadable: unreadable}, func() {}, nil
}

// sqliteWrite is Create and Save on SQLite: in one transaction, it runs
// head (the statement on the complaint's row) and, if head matched a row,
// inserts r's new history entries and pending notifications. When head
// matches no row, miss returns the error, in the transaction. The
// statements are prepared before the transaction begins, and the
// transaction waits for this process's other writers in Go.
func (s *SQL) sqliteWrite(ctx context.Context, id string, r row, op, head string, headArgs []any, withCustomer bool, miss func(*sql.Tx) error) error {
	history, outbox, err := appendArgs(id, r)
	if err != nil {
		return err
	}
	qs := []string{head}
	var rows [][]any
	if len(history) > 0 {
		qs = append(qs, s.q.insertHistory+s.values(len(r.entries), len(historyColumns)))
		rows = append(rows, history)
	}
	if len(outbox) > 0 {
		qs = append(qs, s.q.insertOutbox+s.values(len(r.pending), len(outboxInsertColumns)))
		rows = append(rows, outbox)
	}
	if withCustomer {
		qs = append(qs, s.q.upsertCustomer+s.values(1, len(customerColumns))+customerConflict)
		rows = append(rows, r.customerArgs(s.w.Now()))
	}
	sts, err := s.prepare(ctx, qs...)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := exec(ctx, tx, sts[0], headArgs...)
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", op, id, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return miss(tx)
		}
		for i, args := range rows {
			if _, err := exec(ctx, tx, sts[i+1], args...); err != nil {
				if op == "save" && uniqueViolation(err) {
					return errStale // a stale copy: see sqliteWrite's caller
				}
				return fmt.Errorf("store: %s %q: %w", op, id, err)
			}
		}
		return nil
	})
}

// errStale is what sqliteWrite returns when a save's rows are already
// stored: the caller turns it into a *ConflictError after the transaction.
var errStale = errors.New("store: stale save")
