package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/timeline.golden")

// TestTimeline runs the demo and compares its output with the golden file:
// every path of the lifecycle must still run, and the timeline must not
// change unnoticed.
func TestTimeline(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out))
	if *update {
		require.NoError(t, os.WriteFile("testdata/timeline.golden", out.Bytes(), 0o644))
	}
	want, err := os.ReadFile("testdata/timeline.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}
