// Package sqlite opens a klage store ([store.SQL]) in a SQLite file,
// through modernc.org/sqlite (pure Go, no cgo). It serves one process, or
// a few on one machine. Importing it links SQLite and no PostgreSQL driver.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
)

// Open opens the store in the SQLite file at path (created if it does not
// exist), with the settings of [store.SQLiteDSN], creating or migrating
// its schema.
func Open(ctx context.Context, w *complaint.Workflow, path string) (*store.SQL, error) {
	dsn, err := store.SQLiteDSN(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	return store.OpenSQL(ctx, w, db, store.SQLite)
}
