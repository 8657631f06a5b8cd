package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// TestReadmeCurlExamples runs the curl examples of docs/http.md, as written,
// against a live service, so that they keep working.
func TestReadmeCurlExamples(t *testing.T) {
	daemonOnly(t) // the examples talk to the daemon at its root
	for _, tool := range []string{"bash", "curl", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: cannot run docs/http.md's curl examples", tool)
		}
	}
	readme, err := os.ReadFile("../docs/http.md")
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(readme), "With the service running on 127.0.0.1:8080")
	require.True(t, ok, "docs/http.md has no curl examples")
	_, rest, ok = strings.Cut(rest, "```sh\n")
	require.True(t, ok)
	script, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)

	s := start(t, filepath.Join(t.TempDir(), "klage.db"), complainttest.NewClock(time.Time{}), "-tokens", "../cmd/klaged/demo-tokens.json")
	script = strings.ReplaceAll(script, "http://127.0.0.1:8080", s.base)
	script += "\necho \"ID=$id\"\n"
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	output := string(out)

	assert.Equal(t, 1, strings.Count(output, `"error"`), "only the last request is refused:\n%s", output)
	assert.Contains(t, output, `"code":"forbidden"`)
	assert.Contains(t, output, `"state":"reviewed"`)
	_, id, _ := strings.Cut(output, "ID=")
	id = strings.TrimSpace(id)
	require.NotEmpty(t, id)
	var c complaintJSON
	s.do("demo-anna", "GET", "/complaints/"+id, nil, &c)
	assert.Equal(t, "reviewed", c.State)
	assert.Equal(t, 5, c.Version)
}
