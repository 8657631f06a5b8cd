package store_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLeanImports: a program that uses one database links only its
// driver, and one that uses one integration (e-mail, Prometheus,
// OpenTelemetry) only its library. go list -deps of each package must not
// name the others.
func TestLeanImports(t *testing.T) {
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command, to list the dependencies")
	for pkg, banned := range map[string][]string{
		"github.com/klageflow/klage/store":          {"modernc.org/", "github.com/jackc/"},
		"github.com/klageflow/klage/store/postgres": {"modernc.org/"},
		"github.com/klageflow/klage/store/sqlite":   {"github.com/jackc/"},
		"github.com/klageflow/klage/complaint":      {"modernc.org/", "github.com/jackc/", "database/sql", "github.com/prometheus/", "go.opentelemetry.io/", "github.com/wneessen/"},
		// Each integration links only its own library, and none links a
		// database driver.
		"github.com/klageflow/klage/notify":  {"modernc.org/", "github.com/jackc/", "github.com/prometheus/", "go.opentelemetry.io/", "github.com/emersion/"},
		"github.com/klageflow/klage/metrics": {"modernc.org/", "github.com/jackc/", "go.opentelemetry.io/", "github.com/wneessen/"},
		"github.com/klageflow/klage/tracing": {"modernc.org/", "github.com/jackc/", "github.com/prometheus/", "github.com/wneessen/"},
	} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		require.NoError(t, err, "%s", out)
		deps := strings.Fields(string(out))
		require.Contains(t, deps, pkg)
		switch pkg {
		case "github.com/klageflow/klage/store/postgres":
			assert.Contains(t, deps, "github.com/jackc/pgx/v5/stdlib")
		case "github.com/klageflow/klage/store/sqlite":
			assert.Contains(t, deps, "modernc.org/sqlite")
		}
		for _, d := range deps {
			for _, b := range banned {
				assert.False(t, strings.HasPrefix(d, b), "%s depends on %s", pkg, d)
			}
		}
	}
}
