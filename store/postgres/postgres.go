// Package postgres opens a klage store ([store.SQL]) in a PostgreSQL
// database, through github.com/jackc/pgx. Many processes may share one
// database. Importing it links pgx and no SQLite.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
)

// Open opens the store in the PostgreSQL database at dsn (a postgres://
// URL or a key=value connection string, as pgx takes it), creating or
// migrating its schema.
func Open(ctx context.Context, w *complaint.Workflow, dsn string) (*store.SQL, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	return store.OpenSQL(ctx, w, db, store.PostgreSQL)
}

// OpenDB is Open on a database the caller opened with the "pgx" driver
// (github.com/jackc/pgx/v5/stdlib), for its own connection settings. The
// store closes db when it is closed, or when OpenDB fails.
func OpenDB(ctx context.Context, w *complaint.Workflow, db *sql.DB) (*store.SQL, error) {
	return store.OpenSQL(ctx, w, db, store.PostgreSQL)
}
