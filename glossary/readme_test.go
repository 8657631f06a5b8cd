package glossary_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/glossary"
)

// glossaryTable renders the docs/lifecycle.md's glossary table from the labels.
func glossaryTable() string {
	var b strings.Builder
	b.WriteString("| kind | wire name | Danish | English |\n|---|---|---|---|\n")
	row := func(kind, wire, da, en string) { fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", kind, wire, da, en) }
	for _, v := range glossary.Terms() {
		row("term", string(v), v.Label(glossary.Danish), v.Label(glossary.English))
	}
	for _, v := range glossary.Channels() {
		row("channel", string(v), v.Label(glossary.Danish), v.Label(glossary.English))
	}
	for _, v := range glossary.Roles() {
		row("role", string(v), v.Label(glossary.Danish), v.Label(glossary.English))
	}
	for _, v := range glossary.Languages() {
		row("language", string(v), v.Label(glossary.Danish), v.Label(glossary.English))
	}
	return b.String()
}

// TestReadmeGlossary keeps docs/lifecycle.md's glossary table in step with the
// labels. Run with -update to print the table to paste.
func TestReadmeGlossary(t *testing.T) {
	readme, err := os.ReadFile("../docs/lifecycle.md")
	require.NoError(t, err)
	want := glossaryTable()
	if !strings.Contains(string(readme), want) {
		t.Logf("docs/lifecycle.md should contain:\n%s", want)
	}
	assert.Contains(t, string(readme), want, "docs/lifecycle.md's glossary table is stale")
}
