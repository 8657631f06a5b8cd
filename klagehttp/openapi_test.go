package klagehttp_test

import (
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v4"

	"github.com/klageflow/klage/klagehttp"
)

var update = flag.Bool("update", false, "rewrite generated files: openapi.json from openapi.yaml")

// TestOpenAPIJSON: openapi.json is openapi.yaml as indented JSON (go test
// -update rewrites it), and OpenAPI returns it. The document is validated,
// and every exchange of the HTTP suite checked against it, by the tests of
// cmd/klaged.
func TestOpenAPIJSON(t *testing.T) {
	src, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	var v any
	require.NoError(t, yaml.Unmarshal(src, &v))
	want, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)
	want = append(want, '\n')
	if *update {
		require.NoError(t, os.WriteFile("openapi.json", want, 0o644))
	}
	assert.Equal(t, string(want), string(klagehttp.OpenAPI()), "openapi.json is stale: go test ./klagehttp -run TestOpenAPIJSON -update")
}
