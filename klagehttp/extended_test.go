package klagehttp_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/storetest"
)

// TestExtendedLifecycleOverHTTP: the handler parses events and states by
// its workflow's lifecycle, not the reference one: an extension's event
// fires, its state filters the list, and the diagram is the extension's.
func TestExtendedLifecycleOverHTTP(t *testing.T) {
	lc := storetest.Extended()
	var w *complaint.Workflow
	e := newEnv(t, func(o *klagehttp.Options) {
		var err error
		w, err = complaint.New(complaint.Options{Lifecycle: &lc})
		require.NoError(t, err)
		o.Workflow, o.Store = w, store.NewMemory(w)
	})
	c := e.create()
	e.fire(tokAgent, c.ID, map[string]any{"event": "start", "expected_version": 1})
	e.fire(tokAgent, c.ID, map[string]any{"event": string(storetest.EventScrap), "note": "Beyond repair.", "expected_version": 2})

	status, body := e.do(tokAgent, "GET", "/complaints?state="+string(storetest.StateScrapped), nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var list struct {
		Complaints []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"complaints"`
	}
	require.NoError(t, json.Unmarshal(body, &list), "%s", body)
	require.Len(t, list.Complaints, 1, "%s", body)
	assert.Equal(t, string(storetest.StateScrapped), list.Complaints[0].State)

	status, body = e.do(tokAgent, "GET", "/diagram", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "in_progress --> scrapped: scrap")
}
