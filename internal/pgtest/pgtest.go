// Package pgtest gives klage's tests a PostgreSQL database of their own.
//
// Tests that need PostgreSQL call DSN. It reads the server from
// KLAGE_TEST_POSTGRES_DSN; when that is unset the test is skipped with a
// message saying so, unless KLAGE_REQUIRE_POSTGRES=1, when it fails.
// bash scripts/test.sh starts a throwaway cluster and sets both.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// DSN creates a fresh schema in the test database, drops it when the test
// ends, and returns a DSN whose connections use it (pgx passes search_path
// on as a run-time parameter), so that tests never see each other's rows.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("KLAGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("KLAGE_REQUIRE_POSTGRES") == "1" {
			tb.Fatal("KLAGE_REQUIRE_POSTGRES=1 but KLAGE_TEST_POSTGRES_DSN is not set")
		}
		tb.Skip("KLAGE_TEST_POSTGRES_DSN is not set: skipping PostgreSQL (bash scripts/test.sh starts a throwaway cluster)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	exec := func(q string) error {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return err
		}
		_, err = db.ExecContext(context.Background(), q)
		return errors.Join(err, db.Close())
	}
	if err := exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() { _ = exec("DROP SCHEMA " + schema + " CASCADE") })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}
