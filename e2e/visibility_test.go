package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// TestVisibilityPerRoleAndRoute: who sees what is the library's rule
// (complaint.Audience), and every route that shows a complaint applies
// it. A case referred to Lenovo and then to Asus: Asus does not read
// Lenovo's referral or its resume note; Lenovo no longer sees the case;
// the customer reads neither internal notes nor the safety flag's note,
// nor staff ids or idempotency keys.
func TestVisibilityPerRoleAndRoute(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		body := intake()
		body["note"] = "Caller sounded upset; VIP account."
		var c complaintJSON
		status, _ := s.doHeaders(tokAgent, "POST", "/complaints", body, &c, map[string]string{"Idempotency-Key": "open-vip-1"})
		require.Equal(t, http.StatusCreated, status)
		ev := func(tok string, e map[string]any) {
			t.Helper()
			status, _ := s.event(tok, c.ID, e)
			require.Equal(t, http.StatusOK, status, "%v", e)
		}
		ev(tokAgent, map[string]any{"event": "start"})
		ev(tokAgent, map[string]any{"event": "internal_note", "note": "Second complaint this month."})
		ev(tokAgent, map[string]any{"event": "flag_safety", "note": "Battery swelling reported."})
		ev(tokAgent, map[string]any{"event": "refer", "note": "Lenovo, please call her.", "referral": map[string]any{"manufacturer": "Lenovo", "contact": "lenovo-desk@example.com"}})
		ev(tokLenovo, map[string]any{"event": "resume", "note": "Lenovo: not ours, the panel is Asus's."})
		ev(tokAgent, map[string]any{"event": "refer", "note": "Asus, over to you.", "referral": map[string]any{"manufacturer": "Asus", "contact": "asus-desk@example.com"}})

		routes := []string{"/complaints/" + c.ID, "/complaints/" + c.ID + "/history", "/complaints/" + c.ID + "/notifications"}
		read := func(tok string) (map[string]int, string) {
			statuses, bodies := map[string]int{}, ""
			for _, route := range routes {
				var raw json.RawMessage
				status, _ := s.do(tok, "GET", route, nil, &raw)
				statuses[route] = status
				bodies += string(raw)
			}
			return statuses, bodies
		}
		for _, tc := range []struct {
			name   string
			tok    string
			status int
			hidden []string
			shown  []string
		}{
			{"customer service", tokAgent, http.StatusOK, nil,
				[]string{"VIP account", "Second complaint", "Battery swelling", "lenovo-desk@", "Lenovo: not ours", "open-vip-1", `"anna"`}},
			{"the customer", c.CustomerToken, http.StatusOK,
				[]string{"VIP account", "Second complaint", "Battery swelling", "open-vip-1", `"anna"`, `"key"`, "internal_note", "flag_safety"},
				[]string{"Asus, over to you.", "asus-desk@"}},
			{"Asus, referred to now", tokAsus, http.StatusOK,
				[]string{"lenovo-desk@", "Lenovo: not ours", "Lenovo, please call", "VIP account", "Second complaint", "Battery swelling", "open-vip-1", `"anna"`},
				[]string{"Asus, over to you.", "asus-desk@", "karen@example.dk"}},
			{"Lenovo, referred to before", tokLenovo, http.StatusNotFound, []string{"Asus", "VIP"}, nil},
		} {
			statuses, bodies := read(tc.tok)
			for route, status := range statuses {
				assert.Equal(t, tc.status, status, "%s: GET %s", tc.name, route)
			}
			for _, h := range tc.hidden {
				assert.NotContains(t, bodies, h, "%s", tc.name)
			}
			for _, sh := range tc.shown {
				assert.Contains(t, bodies, sh, "%s", tc.name)
			}
		}
		assert.False(t, strings.Contains(s.logs.String(), "VIP account"), "notes never reach the log")
	})
}
