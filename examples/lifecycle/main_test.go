package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/internal/pgtest"
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
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, pgtest.DSN(t)))
	want, err := os.ReadFile("testdata/timeline.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}
