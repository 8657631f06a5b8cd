package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/klageflow/klage/complaint"
)

// postgresDialect is PostgreSQL (driver pgx): $n placeholders, a
// migration lock, SKIP LOCKED claims, a write in one statement (pgWrite),
// jsonb in reports.
type postgresDialect struct{}

var postgres dialect = postgresDialect{}

func (postgresDialect) name() string             { return "postgres" }
func (postgresDialect) placeholder(n int) string { return "$" + strconv.Itoa(n) }
func (postgresDialect) lockMigrations() string   { return `SELECT pg_advisory_xact_lock(7354010)` }
func (postgresDialect) skipLocked() string       { return ` FOR UPDATE SKIP LOCKED` }
func (postgresDialect) forUpdate() string        { return ` FOR UPDATE` }
func (postgresDialect) serialWrites() bool       { return false }

// rebind turns ? placeholders into $1, $2, ...
func (postgresDialect) rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// afterErase does nothing: what PostgreSQL keeps of erased rows (dead
// tuples, WAL, backups) is the operator's (docs/storage.md).
func (postgresDialect) afterErase(context.Context, *SQL) error { return nil }

// doc: the report's cohort table holds each row's document, parsed once.
func (postgresDialect) doc() string { return "c.doc" }

func (postgresDialect) jsonText(doc, path string) string {
	parts := strings.Split(path, ".")
	var b strings.Builder
	b.WriteString(doc)
	for i, p := range parts {
		if i == len(parts)-1 {
			b.WriteString("->>'" + p + "'")
		} else {
			b.WriteString("->'" + p + "'")
		}
	}
	return b.String()
}

func (d postgresDialect) elements(path string) string {
	// jsonb_array_elements fails on a null or missing array (a complaint
	// with no decision has no findings): those join none.
	arr := d.doc() + "->'" + strings.ReplaceAll(path, ".", "'->'") + "'"
	return " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(" + arr + ") = 'array' THEN " + arr + " ELSE '[]'::jsonb END) AS e(value)"
}

func (postgresDialect) ex(field string) string    { return "e.value->>'" + field + "'" }
func (postgresDialect) truthy(expr string) string { return "COALESCE(" + expr + ", 'false') = 'true'" }
func (d postgresDialect) lastEvent() string       { return d.doc() + "->>'last_event'" }
func (postgresDialect) before(expr string) string {
	return "(" + expr + ")::timestamptz < ?::timestamptz"
}
func (d postgresDialect) reviewClock() string {
	return d.doc() + `->'deadlines' @> '[{"name": "review_decision"}]'::jsonb`
}

// cohortDoc: the cohort's filters read the row's JSON parsed as x.d.
func (postgresDialect) cohortDoc() string { return "x.d" }
func (postgresDialect) readable() string  { return "jsonb_typeof(x.d) = 'object'" }

// cohort builds the report's cohort as a temporary table in a repeatable
// read transaction, each row's JSON parsed once.
func (d postgresDialect) cohort(ctx context.Context, s *SQL, base string, baseArgs []any, where string, args []any) (reportSQL, func(), error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
	}
	done := func() { _ = tx.Rollback() } // it wrote nothing but its temporary table
	r := reportSQL{s: s, on: tx, from: reportCohortTable + " c", where: "TRUE"}
	// Built from constants and the cohort's placeholders; its values are
	// arguments.
	create := "CREATE TEMPORARY TABLE " + reportCohortTable + " ON COMMIT DROP AS SELECT c.id, c.state, c.kind, c.manufacturer, c.created_at, c.closed_at," + //nolint:gosec // see above
		" c.first_response_secs, c.final_answer_secs, c.decision_secs, " + projection("x.d", reportPaths) + " AS doc" +
		" FROM klage_complaints c CROSS JOIN LATERAL (SELECT c.data::jsonb AS d OFFSET 0) x WHERE " + where
	create = d.rebind(create)
	if reportTrace != nil {
		reportTrace(create, args)
	}
	// A row that is not valid JSON fails the cast; then, and only then,
	// the cohort is built again with a cast that reads it as NULL
	// (klage_try_jsonb, schema 10), which costs a subtransaction a row.
	if _, err := tx.ExecContext(ctx, "SAVEPOINT klage_cohort"); err != nil {
		done()
		return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
	}
	if _, err := tx.ExecContext(ctx, create, args...); err != nil {
		var pgErr interface{ SQLState() string }
		if !errors.As(err, &pgErr) || pgErr.SQLState() != "22P02" {
			done()
			return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
		}
		create = strings.Replace(create, "c.data::jsonb AS d", "klage_try_jsonb(c.data) AS d", 1)
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT klage_cohort"); err != nil {
			done()
			return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
		}
		if _, err := tx.ExecContext(ctx, create, args...); err != nil {
			done()
			return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
		}
		// Count what the safe cast could not read as an object.
		count := d.rebind("SELECT COUNT(*) FROM klage_complaints c CROSS JOIN LATERAL (SELECT klage_try_jsonb(c.data) AS d OFFSET 0) x WHERE " + //nolint:gosec // constants and placeholders
			base + " AND COALESCE(jsonb_typeof(x.d), '') <> 'object'")
		if err := tx.QueryRowContext(ctx, count, baseArgs...).Scan(&r.unreadable); err != nil {
			done()
			return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
		}
		return r, done, nil
	}
	// Every row was valid JSON: one that is not an object does not start
	// with a brace. No second parse.
	count := d.rebind("SELECT COUNT(*) FROM klage_complaints c WHERE " + base + " AND ltrim(c.data) NOT LIKE '{%'") //nolint:gosec // constants and placeholders
	if err := tx.QueryRowContext(ctx, count, baseArgs...).Scan(&r.unreadable); err != nil {
		done()
		return reportSQL{}, nil, fmt.Errorf("store: report: %w", err)
	}
	return r, done, nil
}

// pgWrite builds one PostgreSQL statement that writes a complaint row and,
// only if that write matched, its new history and outbox rows, returning
// how many complaint rows it wrote. A single statement is atomic on its
// own, so a save is one round trip rather than a five-step transaction.
// head is the data-modifying statement on klage_complaints, with its
// placeholders numbered from 1; pgWrite adds its RETURNING clause. The
// statement's text depends only on head and the number of rows of each
// kind: the common shapes are built once (pgWriteShapes).
func pgWrite(head string, headArgs []any, history, outbox, customer []any) (string, []any) {
	shape := pgWriteShape{head: head, params: len(headArgs),
		history: len(history) / len(historyColumns), outbox: len(outbox) / len(outboxInsertColumns), customer: len(customer) / len(customerColumns)}
	args := make([]any, 0, len(headArgs)+len(history)+len(outbox)+len(customer))
	args = append(append(append(append(args, headArgs...), history...), outbox...), customer...)
	if q, ok := pgWriteShapes.Load(shape); ok {
		return q.(string), args
	}
	q := shape.build()
	if shape.history <= maxCachedRows && shape.outbox <= maxCachedRows {
		pgWriteShapes.Store(shape, q)
	}
	return q, args
}

// pgWriteShape is what the text of a pgWrite statement depends on.
type pgWriteShape struct {
	head                      string
	params                    int // head's placeholders
	history, outbox, customer int // rows
}

// pgWriteShapes caches the text of pgWrite's statements by shape, for
// shapes of up to maxCachedRows history and outbox rows: a bounded set.
var pgWriteShapes sync.Map

const maxCachedRows = 16

func (sh pgWriteShape) build() string {
	var b strings.Builder
	n := sh.params
	b.WriteString("WITH c AS (" + sh.head + " RETURNING id)")
	rows := func(table string, cols [][2]string, count int, conflict string) {
		if count == 0 {
			return
		}
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c[0]
		}
		fmt.Fprintf(&b, ", %s AS (INSERT INTO %s (%s) SELECT * FROM (VALUES ", table, table, strings.Join(names, ", "))
		for i := range count {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, c := range cols {
				if j > 0 {
					b.WriteString(", ")
				}
				n++
				fmt.Fprintf(&b, "$%d::%s", n, c[1])
			}
			b.WriteByte(')')
		}
		b.WriteString(") AS v WHERE EXISTS (SELECT 1 FROM c)" + conflict + ")")
	}
	rows("klage_history", historyColumns[:], sh.history, "")
	rows("klage_outbox", outboxInsertColumns[:], sh.outbox, "")
	rows("klage_customers", customerColumns[:], sh.customer, customerConflict)
	b.WriteString(" SELECT COUNT(*) FROM c")
	return b.String()
}

// save is Save on PostgreSQL: one statement.
func (postgresDialect) save(ctx context.Context, s *SQL, c *complaint.Complaint, r row, expectedVersion int) error {
	history, outbox, err := appendArgs(c.ID(), r)
	if err != nil {
		return err
	}
	q, args := pgWrite(s.q.updateComplaint, r.updateArgs(c, s.w.Now(), expectedVersion), history, outbox, nil)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		if uniqueViolation(err) {
			return s.conflict(ctx, c.ID(), expectedVersion)
		}
		return fmt.Errorf("store: save %q: %w", c.ID(), err)
	}
	if n == 0 {
		return s.stale(ctx, s.db, c.ID(), expectedVersion)
	}
	return nil
}

// create is Create on PostgreSQL: one statement.
func (postgresDialect) create(ctx context.Context, s *SQL, c *complaint.Complaint, r row) error {
	history, outbox, err := appendArgs(c.ID(), r)
	if err != nil {
		return err
	}
	now := s.w.Now()
	q, args := pgWrite(s.q.insertComplaint, r.insertArgs(c, now), history, outbox, r.customerArgs(now))
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return fmt.Errorf("store: create %q: %w", c.ID(), err)
	}
	if n == 0 {
		return ErrExists
	}
	return nil
}
