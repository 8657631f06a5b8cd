package klagehttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/klagehttp"
)

func glossaryRole(r string) glossary.Role { return glossary.Role(r) }

// TestStrictBodies: request bodies are decoded by the encoding/json v2
// design: names match exactly, so the long s (ſ, which encoding/json folds
// to s) names nothing; duplicate names, unknown members, invalid UTF-8 and
// deep nesting are refused; and a refused body writes nothing.
func TestStrictBodies(t *testing.T) {
	e := newEnv(t)
	c := e.create()
	ev := "/complaints/" + c.ID + "/events"
	for _, tc := range []struct {
		name, path, body string
	}{
		{"long s replaces the description", "/complaints", `{"customer": {"id": "c-1", "type": "consumer"}, "channel": "web", "kind": "general", "description": "mine", "deſcription": "yours"}`},
		{"long s bypasses the version check", ev, `{"event": "update", "note": "x", "expected_verſion": 0}`},
		{"a name in capitals", ev, `{"EVENT": "update", "note": "x"}`},
		{"a duplicate name", ev, `{"event": "update", "note": "x", "note": "y"}`},
		{"a duplicate name in a nested object", "/complaints", `{"customer": {"id": "c-1", "id": "c-2", "type": "consumer"}, "channel": "web", "kind": "general", "description": "d"}`},
		{"a duplicate in the remedy", "/complaints", `{"customer": {"id": "c-1", "type": "consumer"}, "channel": "web", "kind": "general", "description": "d", "remedy_sought": {"kind": "repair", "kind": "refund"}}`},
		{"an unknown name in the remedy", "/complaints", `{"customer": {"id": "c-1", "type": "consumer"}, "channel": "web", "kind": "general", "description": "d", "remedy_sought": {"kind": "repair", "amount": 1}}`},
		{"invalid UTF-8", ev, "{\"event\": \"update\", \"note\": \"\xff\xfe\"}"},
		{"trailing data", ev, `{"event": "update", "note": "x"} {}`},
		{"nested 17 deep", ev, `{"event": "update", "note": "x", "answer": ` + strings.Repeat("[", 17) + strings.Repeat("]", 17) + `}`},
	} {
		status, body := e.do(tokAgent, "POST", tc.path, tc.body)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", tc.name, body)
	}
	var got struct {
		Version int `json:"version"`
	}
	_, body := e.do(tokAgent, "GET", "/complaints/"+c.ID, nil)
	require.NoError(t, json.Unmarshal(body, &got))
	assert.Equal(t, 1, got.Version, "nothing was written")
	status, _ := e.do(tokAgent, "GET", "/complaints?limit=100", nil)
	require.Equal(t, http.StatusOK, status)
}

// TestHostileBodyMemory: a megabyte of "[" (reachable by anyone with a
// customer's token) costs the service a few MiB, not hundreds: the body
// itself and a bounded decoder. Measured with runtime memory statistics
// over the handler, in process.
func TestHostileBodyMemory(t *testing.T) {
	e := newEnv(t)
	c := e.create()
	hostile := strings.Repeat("[", 1<<20-64)
	send := func() int {
		req := httptest.NewRequest("POST", "/complaints/"+c.ID+"/events", strings.NewReader(hostile))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.CustomerToken)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec.Code
	}
	require.Equal(t, http.StatusBadRequest, send())
	var before, after runtime.MemStats
	const n = 8
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		send()
	}
	runtime.ReadMemStats(&after)
	perRequest := float64(after.TotalAlloc-before.TotalAlloc) / n / (1 << 20)
	t.Logf("%.2f MiB allocated per hostile request", perRequest)
	limit := 4.0 // the body, and a decoder that stops at 16 levels
	if raceEnabled {
		limit = 8 // pooled buffers dropped at random: still far from the hundreds of MiB an unbounded decoder took
	}
	assert.Less(t, perRequest, limit, "MiB allocated per request of 1 MiB of [")
}

// TestRequestLimitPerClient: one client past its request limit gets 429
// and writes nothing; another client, and the health probe, are served.
func TestRequestLimitPerClient(t *testing.T) {
	e := newEnv(t, func(o *klagehttp.Options) { o.RequestRate, o.RequestBurst = 0.001, 5 })
	c := e.create()
	limited := 0
	for range 10 {
		if status, _ := e.do(c.CustomerToken, "GET", "/complaints/"+c.ID, nil); status == http.StatusTooManyRequests {
			limited++
		}
	}
	assert.Equal(t, 5, limited, "the customer's burst is 5 (the create counted against the agent)")
	status, _ := e.do(tokReviewer, "GET", "/complaints/"+c.ID, nil)
	assert.Equal(t, http.StatusOK, status, "another client is served")
	status, _ = e.do("", "GET", "/healthz", nil)
	assert.Equal(t, http.StatusOK, status, "the health probe always answers")
}
