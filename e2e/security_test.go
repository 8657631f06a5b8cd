package e2e

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint/complainttest"
)

// sqlMeta are strings that would do damage if they reached SQL as text.
var sqlMeta = []string{
	`'; DROP TABLE klage_complaints; --`,
	`Robert'); DELETE FROM klage_history; --`,
	`" OR "1"="1`,
	`\'; UPDATE klage_outbox SET delivered_at = 0; --`,
	"x\u0000y",
	`$1 $$ ; SELECT pg_sleep(5); --`,
}

// TestHostileInput sends SQL metacharacters in every text field, deep and
// huge JSON and unknown fields: text is stored verbatim and executes
// nothing, and bad bodies get a clear 4xx and write nothing.
func TestHostileInput(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		for i, meta := range sqlMeta {
			body := map[string]any{
				"customer":      map[string]any{"id": fmt.Sprintf("cust-%d", i), "name": meta, "email": "", "type": "consumer"},
				"channel":       "web",
				"kind":          "claim",
				"product":       map[string]any{"sku": meta, "name": meta, "manufacturer": meta},
				"description":   meta,
				"remedy_sought": meta,
			}
			var c complaintJSON
			status, _ := s.do(tokAgent, "POST", "/complaints", body, &c)
			if strings.Contains(meta, "\u0000") {
				// A control character is refused before it reaches a
				// database (PostgreSQL cannot store NUL).
				assert.Equal(t, http.StatusBadRequest, status, "meta %d", i)
				continue
			}
			require.Equal(t, http.StatusCreated, status, "meta %d: %q", i, meta)
			assert.Equal(t, meta, c.Description)
			assert.Equal(t, meta, c.Product["sku"])
			status, _ = s.event(tokAgent, c.ID, map[string]any{"event": "start", "note": meta})
			require.Equal(t, http.StatusOK, status, "meta %d", i)
			var history []map[string]any
			s.getAll(tokAgent, "GET", "/complaints/"+c.ID+"/history", nil, &history)
			require.Len(t, history, 2)
			assert.Equal(t, meta, history[1]["note"], "stored verbatim")
		}
		// The tables are all still there and whole.
		var list []complaintJSON
		status, _ := s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		require.Equal(t, http.StatusOK, status)
		count := len(list)
		assert.Equal(t, len(sqlMeta)-1, count, "every complaint but the refused one")

		deep := `{"event": "start", "note": ` + strings.Repeat(`{"a": `, 20000) + `1` + strings.Repeat(`}`, 20000) + `}`
		huge := `{"customer": {"id": "c", "type": "consumer"}, "channel": "web", "kind": "claim", "product": {"name": "x"}, "description": "` + strings.Repeat("é", 600_000) + `"}`
		manyFields := `{"customer": {"id": "c", "type": "consumer"` + strings.Repeat(`, "x": 1`, 1000) + `}}`
		c := s.create()
		for _, tc := range []struct {
			name, path, body string
			status           int
			code             string
		}{
			{"deep JSON", "/complaints/" + c.ID + "/events", deep, 400, "invalid_input"},
			{"huge JSON", "/complaints", huge, 413, "too_large"},
			{"unknown fields", "/complaints", manyFields, 400, "invalid_input"},
			{"not JSON", "/complaints", "<xml/>", 400, "invalid_input"},
			{"empty", "/complaints", "", 400, "invalid_input"},
			{"text too long", "/complaints/" + c.ID + "/events", `{"event": "update", "note": "` + strings.Repeat("x", 70_000) + `"}`, 400, "invalid_input"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var e errorJSON
				status, _ := s.do(tokAgent, "POST", tc.path, tc.body, &e)
				assert.Equal(t, tc.status, status)
				assert.Equal(t, tc.code, e.Error.Code)
			})
		}
		s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		assert.Len(t, list, count+1, "nothing written by the refused requests")
		var got complaintJSON
		s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
		assert.Equal(t, 1, got.Version)

		// A client that gives up mid-request leaves the service working.
		cctx, cancel := context.WithCancel(context.Background())
		cancel()
		req, _ := http.NewRequestWithContext(cctx, "GET", s.base+"/complaints", nil)
		_, err := http.DefaultClient.Do(req)
		assert.Error(t, err)
		status, _ = s.do("", "GET", "/healthz", nil, nil)
		assert.Equal(t, http.StatusOK, status)
	})
}

// TestBadBytes: NUL and invalid UTF-8 in query parameters, path ids and
// the headers the API reads answer 400 on every database, never 500, and
// no database error reaches the log.
func TestBadBytes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		c := s.create()
		for _, tc := range []struct {
			method, path string
			headers      map[string]string
		}{
			{"GET", "/complaints?customer=a%00b", nil},
			{"GET", "/complaints?manufacturer=%FF%FE", nil},
			{"GET", "/complaints?cursor=%00", nil},
			{"GET", "/complaints/" + c.ID + "/history?cursor=%C3%28", nil},
			{"GET", "/reports?manufacturer=%00", nil},
			{"GET", "/actions?owner=%FF", nil},
			{"GET", "/complaints/K%00-1", nil},
			{"GET", "/customers/cust%00-7/data", nil},
			{"POST", "/customers/%FF/erase", nil},
			{"POST", "/actions/a%00b", nil},
			{"POST", "/complaints/" + c.ID + "/events", map[string]string{"Idempotency-Key": "key-\xff\xfe"}},
			{"POST", "/complaints", map[string]string{"Idempotency-Key": "\xc3\x28"}},
		} {
			var body any
			if tc.method == "POST" {
				body = map[string]any{"event": "update", "note": "x"}
			}
			status, _ := s.doHeaders(tokPrivacy, tc.method, tc.path, body, nil, tc.headers)
			assert.Equal(t, http.StatusBadRequest, status, "%s %s %v", tc.method, tc.path, tc.headers)
		}
		// A NUL in a header, which Go's client will not send: on the wire.
		conn, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(s.base, "http://"), s.prefix))
		require.NoError(t, err)
		defer conn.Close()
		_, err = fmt.Fprintf(conn, "POST %s/complaints/%s/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nIdempotency-Key: a\x00b\r\nContent-Length: 2\r\n\r\n{}", s.prefix, c.ID, tokAgent)
		require.NoError(t, err)
		line, err := bufio.NewReader(conn).ReadString('\n')
		require.NoError(t, err)
		assert.Contains(t, line, " 400 ", "a NUL in a header")
		assert.NotContains(t, s.logs.String(), "SQLSTATE")
		assert.NotContains(t, s.logs.String(), `"status":500`)
	})
}

// TestJWKSNotRefetchedPerBadToken: thirty tokens with bad signatures, or
// naming unknown keys, cost the issuer one fetch of its key set, not
// thirty; good tokens keep working.
func TestJWKSNotRefetchedPerBadToken(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	iss := newIssuer(t)
	s := start(t, t.TempDir()+"/klage.db", clock, "-oidc-issuer", iss.url, "-jwks", iss.jwks, "-audience", testAudience)
	staff := map[string]any{"klage_role": "customer_service"}
	good := iss.sign(t, nil, "jens", testAudience, clock.Now().Add(time.Hour), staff)
	status, _ := s.do(good, "GET", "/complaints", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, int64(1), iss.fetches.Load())
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	for i := range 30 {
		bad := iss.sign(t, other, fmt.Sprintf("mallory-%d", i), testAudience, clock.Now().Add(time.Hour), staff)
		status, _ := s.do(bad, "GET", "/complaints", nil, nil)
		require.Equal(t, http.StatusUnauthorized, status)
	}
	assert.LessOrEqual(t, iss.fetches.Load(), int64(2), "the key set is fetched at most once more")
	status, _ = s.do(good, "GET", "/complaints", nil, nil)
	assert.Equal(t, http.StatusOK, status)
}
