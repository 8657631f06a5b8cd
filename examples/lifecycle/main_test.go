package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/timeline.golden")

// TestTimeline runs the demo on SQLite and compares its output with the
// golden file: every path of the lifecycle must still run, and the timeline
// must not change unnoticed.
func TestTimeline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, filepath.Join(t.TempDir(), "klage.db")))
	if *update {
		require.NoError(t, os.WriteFile("testdata/timeline.golden", out.Bytes(), 0o644))
	}
	want, err := os.ReadFile("testdata/timeline.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}

// TestTimelinePostgres runs the demo on PostgreSQL: the same timeline.
func TestTimelinePostgres(t *testing.T) {
	dsn := os.Getenv("KLAGE_TEST_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("KLAGE_REQUIRE_POSTGRES") == "1" {
			t.Fatal("KLAGE_REQUIRE_POSTGRES=1 but KLAGE_TEST_POSTGRES_DSN is not set")
		}
		t.Skip("KLAGE_TEST_POSTGRES_DSN is not set: skipping PostgreSQL")
	}
	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "lifecycle_" + hex.EncodeToString(b[:])
	_, err = db.Exec("CREATE SCHEMA " + schema)
	require.NoError(t, err)
	defer db.Exec("DROP SCHEMA " + schema + " CASCADE")
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}

	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, dsn+sep+"search_path="+schema))
	want, err := os.ReadFile("testdata/timeline.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}
