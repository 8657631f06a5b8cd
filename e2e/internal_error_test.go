package e2e

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

// goneStore returns a workflow on a test clock and a SQLite store whose
// database is closed: every call to it fails.
func goneStore(t *testing.T) (*complainttest.Clock, *complaint.Workflow, *store.SQL) {
	t.Helper()
	clock := complainttest.NewClock(time.Time{})
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	s, err := sqlite.Open(t.Context(), w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	return clock, w, s
}

// TestInternalError: a failure the API has no code for (here, a store whose
// database is gone) answers 500 with a JSON error that tells the client
// nothing of the internals, and is logged for the operator.
func TestInternalError(t *testing.T) {
	clock, w, s := goneStore(t)
	var logs bytes.Buffer
	srv := httptest.NewServer(newHandler(t, w, s, testOptions(t, clock.Now, slog.New(slog.NewJSONHandler(&logs, nil)))))
	defer srv.Close()

	req, _ := http.NewRequest("GET", srv.URL+"/complaints/K-1", nil)
	req.Header.Set("Authorization", "Bearer "+tokAgent)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	var e errorJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	assert.Equal(t, "internal", e.Error.Code)
	assert.Equal(t, "internal error", e.Error.Message)
	assert.Contains(t, logs.String(), "request failed")
	assert.Contains(t, logs.String(), "the store is closed")
}
