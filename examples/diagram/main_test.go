package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
)

// TestReadmeDiagram keeps the diagram in docs/lifecycle.md in step with the one
// this program prints.
func TestReadmeDiagram(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, complaint.Mermaid))
	readme, err := os.ReadFile("../../docs/lifecycle.md")
	require.NoError(t, err)
	const open = "```mermaid\n"
	start := bytes.Index(readme, []byte(open))
	require.GreaterOrEqual(t, start, 0, "docs/lifecycle.md has no mermaid block")
	rest := readme[start+len(open):]
	end := bytes.Index(rest, []byte("```"))
	require.GreaterOrEqual(t, end, 0)
	assert.Equal(t, out.String(), string(rest[:end]), "docs/lifecycle.md's diagram is stale: paste the output of go run ./examples/diagram")
}

func TestFormats(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, complaint.Graphviz))
	assert.True(t, strings.HasPrefix(out.String(), "digraph fsm {"))
	assert.Contains(t, out.String(), `"escalated" -> "reviewed" [ label = "review" ];`)
	assert.Error(t, run(&out, "png"))
}
