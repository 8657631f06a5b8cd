package e2e

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// TestListPagesAndFilters: GET /complaints answers pages with a cursor and
// filters; GET /complaints/{id}/history pages the same way.
func TestListPagesAndFilters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		var ids []string
		for range 5 {
			ids = append(ids, s.create().ID)
		}
		other := intake()
		other["customer"] = map[string]any{"id": "cust-9", "name": "Ole Hansen", "email": "ole@example.dk", "type": "consumer"}
		other["kind"] = "warranty"
		var o complaintJSON
		status, _ := s.do(tokAgent, "POST", "/complaints", other, &o)
		require.Equal(t, http.StatusCreated, status)

		var page struct {
			Complaints []complaintJSON `json:"complaints"`
			NextCursor string          `json:"next_cursor"`
		}
		var got []string
		path := "/complaints?limit=2"
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			page.Complaints, page.NextCursor = nil, ""
			status, _ := s.do(tokAgent, "GET", path, nil, &page)
			require.Equal(t, http.StatusOK, status)
			require.LessOrEqual(t, len(page.Complaints), 2)
			for _, c := range page.Complaints {
				got = append(got, c.ID)
				assert.Empty(t, c.History, "a listed complaint does not carry its history")
			}
			if page.NextCursor == "" {
				break
			}
			path = "/complaints?limit=2&cursor=" + url.QueryEscape(page.NextCursor)
		}
		all := append(slices.Clone(ids), o.ID)
		slices.Sort(all)
		assert.Equal(t, all, got, "every complaint once, by id")
		slices.Sort(ids)

		for q, want := range map[string][]string{
			"customer=cust-9":   {o.ID},
			"kind=warranty":     {o.ID},
			"manufacturer=asus": nil,
			"customer=cust-7":   ids,
			"created_from=" + url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(time.RFC3339)): nil,
		} {
			var list []complaintJSON
			status, _ := s.getAll(tokAgent, "GET", "/complaints?"+q, nil, &list)
			require.Equal(t, http.StatusOK, status, q)
			var gotIDs []string
			for _, c := range list {
				gotIDs = append(gotIDs, c.ID)
			}
			assert.Equal(t, want, gotIDs, q)
		}
		for _, q := range []string{"cursor=garbage", "kind=nonsense", "created_before=yesterday", "limit=0"} {
			var e errorJSON
			status, _ := s.do(tokAgent, "GET", "/complaints?"+q, nil, &e)
			assert.Equal(t, http.StatusBadRequest, status, q)
			assert.Equal(t, "invalid_input", e.Error.Code, q)
		}

		c := ids[0]
		for _, ev := range []map[string]any{{"event": "start"}, {"event": "update", "note": "One."}, {"event": "update", "note": "Two."}} {
			status, _ := s.event(tokAgent, c, ev)
			require.Equal(t, http.StatusOK, status)
		}
		var hp struct {
			History    []map[string]any `json:"history"`
			NextCursor string           `json:"next_cursor"`
		}
		status, _ = s.do(tokAgent, "GET", "/complaints/"+c+"/history?limit=3", nil, &hp)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, hp.History, 3)
		require.NotEmpty(t, hp.NextCursor)
		next := hp.NextCursor
		hp.History, hp.NextCursor = nil, ""
		status, _ = s.do(tokAgent, "GET", "/complaints/"+c+"/history?limit=3&cursor="+url.QueryEscape(next), nil, &hp)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, hp.History, 1)
		assert.Equal(t, 4.0, hp.History[0]["seq"])
		assert.Empty(t, hp.NextCursor)
	})
}

// TestCustomerDataRoutes: export and erasure over HTTP, only for system
// credentials and staff with the privacy permission; a refused request
// erases nothing.
func TestCustomerDataRoutes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		c := s.create()
		for _, tok := range []string{"", tokAgent, tokReviewer, tokLenovo, c.CustomerToken} {
			for _, r := range []struct{ method, path string }{{"GET", "/customers/cust-7/data"}, {"POST", "/customers/cust-7/erase"}} {
				status, _ := s.do(tok, r.method, r.path, nil, nil)
				want := http.StatusForbidden
				if tok == "" {
					want = http.StatusUnauthorized
				}
				assert.Equal(t, want, status, "%s %s with %q", r.method, r.path, tok)
			}
		}
		var got complaintJSON
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, "The laptop does not power on.", got.Description, "nothing was erased")

		var export struct {
			Customer   map[string]any   `json:"customer"`
			Complaints []map[string]any `json:"complaints"`
		}
		status, header := s.do(tokPrivacy, "GET", "/customers/cust-7/data", nil, &export)
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, header.Get("Content-Disposition"), "attachment")
		assert.Equal(t, "karen@example.dk", export.Customer["email"])
		require.Len(t, export.Complaints, 1)
		assert.Len(t, export.Complaints[0]["history"], 1)

		var er map[string]any
		status, _ = s.do(tokSystem, "POST", "/customers/cust-7/erase", nil, &er)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, 1.0, er["complaints"])
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, "[erased]", got.Description)
		assert.NotContains(t, s.logs.String(), "karen@example.dk", "no personal data in the logs")
		assert.NotContains(t, s.logs.String(), "cust-7", "the erasure's log line names no customer")

		// Erasure ends the customer's access: the old token reads nothing,
		// fires nothing and rates nothing, and writes nothing.
		version := got.Version
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/complaints/" + c.ID, nil},
			{"GET", "/complaints/" + c.ID + "/history", nil},
			{"GET", "/complaints/" + c.ID + "/notifications", nil},
			{"POST", "/complaints/" + c.ID + "/events", map[string]any{"event": "withdraw", "note": "I am Karen Jensen, karen@example.dk, +45 20 30 40 50."}},
			{"POST", "/complaints/" + c.ID + "/rating", map[string]any{"score": 1, "comment": "Karen Jensen was unhappy."}},
		} {
			status, _ := s.do(c.CustomerToken, r.method, r.path, r.body, nil)
			assert.Equal(t, http.StatusNotFound, status, "%s %s with the erased customer's token", r.method, r.path)
		}
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, version, got.Version, "nothing was written")

		status, _ = s.do(tokPrivacy, "GET", "/customers/nobody/data", nil, nil)
		assert.Equal(t, http.StatusNotFound, status)
	})
}

// TestCorruptRow: a complaint row that cannot be decoded is a server fault
// when asked for, and skipped by the list.
func TestCorruptRow(t *testing.T) {
	dsn := backends[0].dsn(t)
	s := start(t, dsn, complainttest.NewClock(time.Time{}))
	bad, good := s.create(), s.create()
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE klage_complaints SET data = '[1, 2, 3]' WHERE id = ?`, bad.ID)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	var e errorJSON
	status, _ := s.do(tokAgent, "GET", "/complaints/"+bad.ID, nil, &e)
	assert.Equal(t, http.StatusInternalServerError, status)
	assert.Equal(t, "internal", e.Error.Code)
	var list []complaintJSON
	status, _ = s.getAll(tokAgent, "GET", "/complaints", nil, &list)
	require.Equal(t, http.StatusOK, status, "one bad row does not fail the list")
	require.Len(t, list, 1)
	assert.Equal(t, good.ID, list[0].ID)
	assert.True(t, strings.Contains(s.logs.String(), bad.ID), "the skipped row is logged")
}

// TestOneBadRowBreaksNoOneElse: an undecodable outbox row and an
// undecodable complaint row break nothing for anyone else. The
// notifications list and the data export answer with valid JSON (the
// bad row left out and counted), reports and the dashboard skip and count
// the unreadable complaint, and erasing its customer removes the contact
// details and every readable trace, and says what it could not reach.
func TestOneBadRowBreaksNoOneElse(t *testing.T) {
	dsn := backends[0].dsn(t)
	s := start(t, dsn, complainttest.NewClock(time.Time{}))
	c, other := s.create(), s.create() // both customer cust-7's
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`UPDATE klage_outbox SET payload = '{"topic": 7' WHERE complaint_id = ?`, c.ID)
	require.NoError(t, err)

	var raw json.RawMessage
	status, header := s.do(tokAgent, "GET", "/complaints/"+c.ID+"/notifications", nil, &raw)
	require.Equal(t, http.StatusOK, status)
	assert.True(t, json.Valid(raw) && len(raw) > 0, "a JSON body, not an empty one: %q", raw)
	assert.Equal(t, "1", header.Get("Klage-Unreadable"), "the bad row is counted")
	status, _ = s.do(c.CustomerToken, "GET", "/complaints/"+c.ID+"/notifications", nil, &raw)
	require.Equal(t, http.StatusOK, status)
	status, _ = s.do(tokPrivacy, "GET", "/customers/cust-7/data", nil, &raw)
	require.Equal(t, http.StatusOK, status)
	assert.True(t, json.Valid(raw) && len(raw) > 2, "the export is whole JSON")

	// Now the complaint row itself.
	_, err = db.Exec(`UPDATE klage_complaints SET data = '[1, 2, 3]' WHERE id = ?`, c.ID)
	require.NoError(t, err)
	s.clock.Advance(time.Minute) // a report runs to now, exclusive
	var rep map[string]any
	status, _ = s.do(tokReviewer, "GET", "/reports", nil, &rep)
	require.Equal(t, http.StatusOK, status, "a report skips what it cannot read")
	assert.Equal(t, 1.0, rep["unreadable"], "and counts it")
	status, _ = s.raw("GET", "/dashboard", nil, "Bearer "+tokReviewer)
	assert.Equal(t, http.StatusOK, status, "the dashboard too")

	var er map[string]any
	status, _ = s.do(tokSystem, "POST", "/customers/cust-7/erase", nil, &er)
	require.Equal(t, http.StatusOK, status, "the erasure goes as far as it can")
	assert.Equal(t, 1.0, er["complaints"], "the readable complaint was erased")
	assert.Equal(t, []any{c.ID}, er["unreachable"], "and the unreadable one is named")
	var name, email string
	require.NoError(t, db.QueryRow(`SELECT name, email FROM klage_customers WHERE id = 'cust-7'`).Scan(&name, &email))
	assert.Empty(t, name+email, "the contact details are gone")
	var got complaintJSON
	s.do(tokAgent, "GET", "/complaints/"+other.ID, nil, &got)
	assert.Equal(t, "[erased]", got.Description)
}

// TestDeadLettersOverHTTP: staff list the dead letters with their reason
// and the real key, and requeue one; nobody else may.
func TestDeadLettersOverHTTP(t *testing.T) {
	dsn := backends[0].dsn(t)
	s := start(t, dsn, complainttest.NewClock(time.Time{}))
	c := s.create()
	// The acknowledgement is set aside as a relay does when a receiver
	// refuses it for good.
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	defer db.Close()
	require.Eventually(t, func() bool {
		res, err := db.Exec(`UPDATE klage_outbox SET delivered_at = NULL, dead_at = 1, last_error = 'no address for the customer' WHERE complaint_id = ?`, c.ID)
		require.NoError(t, err)
		n, _ := res.RowsAffected()
		return n == 1
	}, 10*time.Second, 20*time.Millisecond)
	var dead []map[string]any
	status, _ := s.do(tokAgent, "GET", "/dead-letters", nil, &dead)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, dead, 1)
	key, _ := dead[0]["key"].(string)
	assert.Equal(t, c.ID+"/1/acknowledged/customer", key)
	assert.Equal(t, "no address for the customer", dead[0]["last_error"])
	for _, tok := range []string{"", tokLenovo, c.CustomerToken} {
		status, _ := s.do(tok, "GET", "/dead-letters", nil, nil)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status)
		status, _ = s.do(tok, "POST", "/dead-letters/requeue", map[string]any{"key": key}, nil)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status)
	}
	status, _ = s.do(tokAgent, "POST", "/dead-letters/requeue", map[string]any{"key": "K-nope/1/acknowledged/customer"}, nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = s.do(tokAgent, "POST", "/dead-letters/requeue", map[string]any{"key": key}, nil)
	require.Equal(t, http.StatusOK, status)
	require.Eventually(t, func() bool {
		var delivered sql.NullInt64
		require.NoError(t, db.QueryRow(`SELECT delivered_at FROM klage_outbox WHERE key = ?`, key).Scan(&delivered))
		return delivered.Valid
	}, 10*time.Second, 20*time.Millisecond, "the relay delivers the requeued notification")
}
