package store

import (
	"context"

	"github.com/klageflow/klage/complaint"
)

// dialect is what differs between the SQL engines, one type per engine:
// postgresDialect (dialect_postgres.go) and sqliteDialect
// (dialect_sqlite.go). Everything else in the SQL store is shared, and
// written with ? placeholders that rebind turns into the engine's.
type dialect interface {
	// name is the engine's name, also the folder of its migrations.
	name() string
	// placeholder is the nth (from 1) parameter of a statement; rebind
	// turns a statement's ? placeholders into the engine's.
	placeholder(n int) string
	rebind(q string) string
	// lockMigrations serialises migrations, in their transaction; empty
	// when the engine needs nothing for it.
	lockMigrations() string
	// skipLocked ends a claim's subquery so that it skips rows another
	// claim holds; forUpdate ends a read in a transaction so that the rows
	// it reads stay as read until the transaction writes them.
	skipLocked() string
	forUpdate() string
	// serialWrites is whether this process's writers queue in Go for the
	// engine's one write lock.
	serialWrites() bool

	// create writes a new complaint's row, history, notifications and
	// customer (ErrExists when the id is taken); save writes a transition
	// on the row at expected (a *ConflictError when it has moved on, a
	// *NotFoundError when it is gone). Each is one transaction.
	create(ctx context.Context, s *SQL, c *complaint.Complaint, r row) error
	save(ctx context.Context, s *SQL, c *complaint.Complaint, r row, expected int) error
	// afterErase makes what an erasure removed unreadable in the
	// database's files, where the engine can.
	afterErase(ctx context.Context, s *SQL) error

	// The reports' SQL: doc is the JSON document of complaint c (its
	// data); jsonText the text at a dot-separated path of a document;
	// elements joins the elements of the array at a path of c's document
	// as e, and ex is the text of a field of e; truthy is "the JSON boolean
	// is true"; lastEvent the newest history entry's event; before "the
	// RFC 3339 text is before the parameter"; reviewClock "c has a
	// review_decision clock".
	doc() string
	jsonText(doc, path string) string
	elements(path string) string
	ex(field string) string
	truthy(expr string) string
	lastEvent() string
	before(expr string) string
	reviewClock() string
	// cohortDoc is the document the cohort's filters read, and readable
	// the condition that it is a JSON object a report can read. cohort
	// builds the report's statements over the rows of where (base alone:
	// the period's rows, readable or not), counting the unreadable ones.
	cohortDoc() string
	readable() string
	cohort(ctx context.Context, s *SQL, base string, baseArgs []any, where string, args []any) (reportSQL, func(), error)
}

// jx returns the text at path (dot-separated) of complaint c's data.
func jx(d dialect, path string) string { return d.jsonText(d.doc(), path) }
