package e2e

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/klagehttp"
	"github.com/klageflow/klage/store"
)

// webIntake is a web-form complaint: no customer id, which the service
// assigns.
func webIntake() map[string]any {
	m := intake()
	delete(m["customer"].(map[string]any), "id")
	return m
}

// TestRouteCredentialTable sends every route with every kind of credential
// over real HTTP and checks the exact status; then that the refused
// requests wrote nothing.
func TestRouteCredentialTable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		clock := complainttest.NewClock(time.Time{})
		iss := newIssuer(t)
		s := start(t, dsn, clock, "-oidc-issuer", iss.url, "-jwks", iss.jwks, "-audience", testAudience)
		a, b := s.create(), s.create()
		for _, st := range []map[string]any{
			{"event": "start"},
			{"event": "internal_note", "note": "The customer sounded upset."},
			{"event": "refer", "referral": map[string]any{"contact": "support@lenovo.example"}},
		} {
			status, _ := s.event(tokAgent, a.ID, st)
			require.Equal(t, http.StatusOK, status, "%v", st["event"])
		}
		otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		now := clock.Now()
		staff := map[string]any{"klage_role": "customer_service"}
		tampered := a.CustomerToken[:len(a.CustomerToken)-2] + "xx"

		type row struct {
			name string
			tok  string
			want [6]int // get, history, notifications, list, event (update), intake
		}
		rows := []row{
			{"anonymous", "", [6]int{401, 401, 401, 401, 401, 201}},
			{"customer A", a.CustomerToken, [6]int{200, 200, 200, 403, 403, 403}},
			{"customer B", b.CustomerToken, [6]int{404, 404, 404, 403, 404, 403}},
			{"customer service", tokAgent, [6]int{200, 200, 200, 200, 200, 201}},
			{"Complaints Department", tokReviewer, [6]int{200, 200, 200, 200, 403, 403}},
			{"referred manufacturer", tokLenovo, [6]int{200, 200, 200, 403, 403, 403}},
			{"other manufacturer", tokAsus, [6]int{404, 404, 404, 403, 404, 403}},
			{"system", tokSystem, [6]int{200, 200, 200, 200, 403, 201}},
			{"JWT", iss.sign(t, nil, "jens", testAudience, now.Add(time.Hour), staff), [6]int{200, 200, 200, 200, 200, 201}},
			{"JWT expired", iss.sign(t, nil, "jens", testAudience, now.Add(-time.Minute), staff), [6]int{401, 401, 401, 401, 401, 401}},
			{"JWT bad signature", iss.sign(t, otherKey, "jens", testAudience, now.Add(time.Hour), staff), [6]int{401, 401, 401, 401, 401, 401}},
			{"JWT wrong audience", iss.sign(t, nil, "jens", "someone-else", now.Add(time.Hour), staff), [6]int{401, 401, 401, 401, 401, 401}},
			{"JWT claiming customer", iss.sign(t, nil, "jens", testAudience, now.Add(time.Hour), map[string]any{"klage_role": "customer"}), [6]int{401, 401, 401, 401, 401, 401}},
			{"customer token tampered", tampered, [6]int{401, 401, 401, 401, 401, 401}},
			{"not a bearer", "Basic YWRtaW46YWRtaW4=", [6]int{401, 401, 401, 401, 401, 401}},
		}
		var before []complaintJSON
		s.getAll(tokAgent, "GET", "/complaints", nil, &before)
		var beforeA complaintJSON
		s.do(tokAgent, "GET", "/complaints/"+a.ID, nil, &beforeA)
		created, events := 0, 0
		for _, r := range rows {
			t.Run(r.name, func(t *testing.T) {
				calls := []struct {
					method, path string
					body         any
				}{
					{"GET", "/complaints/" + a.ID, nil},
					{"GET", "/complaints/" + a.ID + "/history", nil},
					{"GET", "/complaints/" + a.ID + "/notifications", nil},
					{"GET", "/complaints", nil},
					{"POST", "/complaints/" + a.ID + "/events", map[string]any{"event": "update", "note": "Checking in."}},
					{"POST", "/complaints", webIntake()},
				}
				for i, c := range calls {
					var status int
					var header http.Header
					if strings.HasPrefix(r.tok, "Basic ") {
						status, header = s.raw(c.method, c.path, c.body, r.tok)
					} else {
						status, header = s.do(r.tok, c.method, c.path, c.body, nil)
					}
					assert.Equal(t, r.want[i], status, "%s %s", c.method, c.path)
					if status == 401 {
						assert.Contains(t, header.Get("WWW-Authenticate"), "Bearer")
					}
					switch {
					case status == 201:
						created++
					case status == 200 && c.method == "POST":
						events++
					}
				}
			})
		}
		var after []complaintJSON
		s.getAll(tokAgent, "GET", "/complaints", nil, &after)
		assert.Len(t, after, len(before)+created, "only the accepted intakes were written")
		var afterA complaintJSON
		s.do(tokAgent, "GET", "/complaints/"+a.ID, nil, &afterA)
		assert.Equal(t, beforeA.Version+events, afterA.Version, "only the accepted events were written")

		// What a customer and a manufacturer see: no internal notes.
		for _, tok := range []string{a.CustomerToken, tokLenovo} {
			var h []map[string]any
			s.getAll(tok, "GET", "/complaints/"+a.ID+"/history", nil, &h)
			for _, e := range h {
				assert.NotEqual(t, "internal_note", e["event"])
			}
			var c complaintJSON
			s.do(tok, "GET", "/complaints/"+a.ID, nil, &c)
			assert.NotContains(t, fmt.Sprint(c.History), "upset")
		}
		var h []map[string]any
		s.getAll(tokReviewer, "GET", "/complaints/"+a.ID+"/history", nil, &h)
		assert.Contains(t, fmt.Sprint(h), "internal_note", "staff see the notes")
	})
}

// raw sends a request with the Authorization header as given.
func (s *server) raw(method, path string, _ any, authorization string) (int, http.Header) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, nil)
	require.NoError(s.t, err)
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// TestWebFormRateLimit: anonymous intake past the per-address limit gets
// 429 and writes nothing; staff are not limited.
func TestWebFormRateLimit(t *testing.T) {
	s := start(t, t.TempDir()+"/klage.db", complainttest.NewClock(time.Time{}), "-intake-per-minute", "1", "-intake-burst", "5")
	for i := range 5 { // the burst
		status, _ := s.do("", "POST", "/complaints", webIntake(), nil)
		require.Equal(t, http.StatusCreated, status, "request %d", i)
	}
	var e errorJSON
	status, _ := s.do("", "POST", "/complaints", webIntake(), &e)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "too_many_requests", e.Error.Code)
	status, _ = s.do(tokAgent, "POST", "/complaints", webIntake(), nil)
	assert.Equal(t, http.StatusCreated, status)
	var list []complaintJSON
	s.getAll(tokAgent, "GET", "/complaints", nil, &list)
	assert.Len(t, list, 6)
}

// TestHeldConnections: a client holding more idle connections than the
// listener serves at once does not make /healthz unreachable for long.
func TestHeldConnections(t *testing.T) {
	s := start(t, t.TempDir()+"/klage.db", complainttest.NewClock(time.Time{}), "-max-conns", "16", "-idle-timeout", "300ms")
	addr := strings.TrimPrefix(s.base, "http://")
	var held []net.Conn
	for range 64 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		require.NoError(t, err)
		held = append(held, c)
	}
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(s.base + "/healthz")
	require.NoError(t, err, "healthz answers once the idle connections time out")
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	// The server closed the connections that sent nothing: reading one
	// ends, where without the short timeouts it would wait.
	require.NoError(t, held[0].SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = held[0].Read(make([]byte, 1))
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "the server closed the idle connection: %v", err)
	assert.Error(t, err)
}

// TestLoadTokensRefusesBadFiles: a -tokens file that could let the wrong
// actor in is refused when the service starts.
func TestLoadTokensRefusesBadFiles(t *testing.T) {
	sum := "d2bb2da0742816234b70e1e9552efd7290494d808362b940f4835e6641663ccd"
	for name, body := range map[string]string{
		"not JSON":                     `{`,
		"short hash":                   `[{"sha256": "abc", "id": "anna", "role": "customer_service"}]`,
		"a role that is no name":       `[{"sha256": "` + sum + `", "id": "anna", "role": "Boss!"}]`,
		"a customer token":             `[{"sha256": "` + sum + `", "id": "c-1", "role": "customer"}]`,
		"a manufacturer without name":  `[{"sha256": "` + sum + `", "id": "m-1", "role": "manufacturer"}]`,
		"a name for another role":      `[{"sha256": "` + sum + `", "id": "anna", "role": "customer_service", "manufacturer": "Lenovo"}]`,
		"an id with hidden characters": `[{"sha256": "` + sum + `", "id": "an\u200bna", "role": "customer_service"}]`,
	} {
		path := filepath.Join(t.TempDir(), "tokens.json")
		require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
		_, err := klagehttp.LoadTokens(path)
		assert.Error(t, err, name)
	}
	// A well-formed role loads, and the handler refuses it at start when
	// its workflow's lifecycle has no such role.
	path := filepath.Join(t.TempDir(), "tokens.json")
	require.NoError(t, os.WriteFile(path, []byte(`[{"sha256": "`+sum+`", "id": "anna", "role": "boss"}]`), 0o600))
	boss, err := klagehttp.LoadTokens(path)
	require.NoError(t, err)
	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	_, err = klagehttp.New(klagehttp.Options{Workflow: w, Store: store.NewMemory(w), Authenticator: boss, CustomerTokenSecret: make([]byte, 32)})
	assert.ErrorContains(t, err, `role "boss" is not in the workflow's lifecycle`)

	_, err = klagehttp.LoadTokens(filepath.Join(t.TempDir(), "missing.json"))
	assert.Error(t, err)
	_, err = klagehttp.LoadTokens("../cmd/klaged/demo-tokens.json")
	assert.NoError(t, err, "the demo's file loads")
}

// TestIdempotencyKey: as the IETF Idempotency-Key draft says, a POST
// retried with the same key and body returns the first result and writes
// nothing twice; the same key with another body (any field: the kind, the
// safety flag, the phone, the note) is refused with 422, for intake and
// for events, concurrently too; keys are scoped to the credential, and an
// anonymous key to the client.
func TestIdempotencyKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := start(t, dsn, complainttest.NewClock(time.Time{}))
		post := func(tok, path, key string, body any, out any) int {
			t.Helper()
			status, _ := s.doHeaders(tok, "POST", path, body, out, map[string]string{"Idempotency-Key": key})
			return status
		}
		var first, again complaintJSON
		require.Equal(t, http.StatusCreated, post("", "/complaints", "intake-1", webIntake(), &first))
		require.Equal(t, http.StatusCreated, post("", "/complaints", "intake-1", webIntake(), &again))
		assert.Equal(t, first.ID, again.ID, "the retry finds the first complaint")
		assert.NotEmpty(t, again.CustomerToken)
		for field, value := range map[string]any{"description": "Something else entirely.", "kind": "claim", "safety": true, "note": "Call me."} {
			other := webIntake()
			other[field] = value
			assert.Equal(t, http.StatusUnprocessableEntity, post("", "/complaints", "intake-1", other, nil), "the key was used with another %s", field)
		}
		phone := webIntake()
		phone["customer"].(map[string]any)["phone"] = "+45 11 22 33 44"
		assert.Equal(t, http.StatusUnprocessableEntity, post("", "/complaints", "intake-1", phone, nil), "another phone")
		// Staff using the same key make their own complaint: keys are
		// scoped to the credential.
		var staff complaintJSON
		require.Equal(t, http.StatusCreated, post(tokAgent, "/complaints", "intake-1", intake(), &staff))
		assert.NotEqual(t, first.ID, staff.ID)
		var list []complaintJSON
		s.getAll(tokAgent, "GET", "/complaints", nil, &list)
		assert.Len(t, list, 2)

		ev := "/complaints/" + first.ID + "/events"
		require.Equal(t, http.StatusOK, post(tokAgent, ev, "start-1", map[string]any{"event": "start"}, nil))
		require.Equal(t, http.StatusOK, post(tokAgent, ev, "start-1", map[string]any{"event": "start"}, nil), "the retry is answered, not refused")
		require.Equal(t, http.StatusOK, post(tokAgent, ev, "note-1", map[string]any{"event": "update", "note": "On it."}, nil))
		assert.Equal(t, http.StatusUnprocessableEntity, post(tokAgent, ev, "start-1", map[string]any{"event": "update", "note": "x"}, nil),
			"a key reused for another event")
		assert.Equal(t, http.StatusUnprocessableEntity, post(tokAgent, ev, "note-1", map[string]any{"event": "update", "note": "On it, really."}, nil),
			"a key reused for the same event with another note")
		var h []map[string]any
		s.getAll(tokAgent, "GET", ev[:len(ev)-len("/events")]+"/history", nil, &h)
		require.Len(t, h, 3, "open, start, update: nothing written twice")
		assert.Equal(t, "start-1", h[1]["request_id"])

		// Concurrently: the same key with two bodies, eight times at
		// once: one note is written, the others are answered (same body)
		// or refused (another body), never written.
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				note := "Checked the serial number."
				if i%2 == 1 {
					note = "Checked the warranty."
				}
				statuses[i], _ = s.doHeaders(tokAgent, "POST", ev, map[string]any{"event": "update", "note": note}, nil, map[string]string{"Idempotency-Key": "race-1"})
			}()
		}
		wg.Wait()
		for _, st := range statuses {
			assert.Contains(t, []int{http.StatusOK, http.StatusUnprocessableEntity, http.StatusConflict}, st)
		}
		s.getAll(tokAgent, "GET", ev[:len(ev)-len("/events")]+"/history", nil, &h)
		require.Len(t, h, 4, "one entry for the key")
		wins := 0
		for _, st := range statuses {
			if st == http.StatusOK {
				wins++
			}
		}
		assert.GreaterOrEqual(t, wins, 1)
	})
}

// TestImpartialityOverHTTP: the agent who answered cannot review under
// another spelling of her id in a JWT's subject: refused as not impartial
// (403) or as a credential naming no valid actor (401), and nothing is
// written.
func TestImpartialityOverHTTP(t *testing.T) {
	clock := complainttest.NewClock(time.Time{})
	iss := newIssuer(t)
	s := start(t, t.TempDir()+"/klage.db", clock, "-oidc-issuer", iss.url, "-jwks", iss.jwks, "-audience", testAudience)
	c := s.create()
	status, _ := s.event(tokAgent, c.ID, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "No."}})
	require.Equal(t, http.StatusOK, status)
	status, _ = s.event(c.CustomerToken, c.ID, map[string]any{"event": "escalate"})
	require.Equal(t, http.StatusOK, status)
	review := map[string]any{"event": "review", "decision": map[string]any{"outcome": "upheld", "explanation": "Fine.",
		"remedy": map[string]any{"kind": "replacement"}}}
	cd := map[string]any{"klage_role": "complaints_department"}
	for _, sub := range []string{"Anna", "ANNA", "anna ", " anna", "ａｎｎａ", "\u0430nna", "an\u200bna", "anna\u202e"} {
		tok := iss.sign(t, nil, sub, testAudience, clock.Now().Add(time.Hour), cd)
		status, _ := s.do(tok, "POST", "/complaints/"+c.ID+"/events", review, nil)
		assert.Contains(t, []int{401, 403}, status, "sub %q", sub)
	}
	var got complaintJSON
	s.do(tokAgent, "GET", "/complaints/"+c.ID, nil, &got)
	assert.Equal(t, "escalated", got.State, "no variant reviewed")
	status, _ = s.do(iss.sign(t, nil, "mette", testAudience, clock.Now().Add(time.Hour), cd), "POST", "/complaints/"+c.ID+"/events", review, nil)
	assert.Equal(t, http.StatusOK, status, "an impartial reviewer does")
}

// TestRemediesOverHTTP: the claim facts, the remedy sought and granted, the
// fulfilment and the safety flag go through the API; closing a case that
// owes its remedy is refused.
func TestRemediesOverHTTP(t *testing.T) {
	s := start(t, t.TempDir()+"/klage.db", complainttest.NewClock(time.Time{}))
	body := intake()
	body["remedy_sought"] = map[string]any{"kind": "replacement", "text": "A new laptop."}
	body["product"].(map[string]any)["purchased_at"] = "2026-02-18T12:00:00Z"
	body["defect_noticed_at"] = "2026-02-21T09:00:00Z"
	body["received_at"] = "2026-02-28T10:00:00Z"
	body["safety"] = true
	var c map[string]any
	status, _ := s.do(tokAgent, "POST", "/complaints", body, &c)
	require.Equal(t, http.StatusCreated, status)
	claim := c["claim"].(map[string]any)
	assert.Equal(t, "2026-02-28T10:00:00Z", claim["received_at"])
	assert.Equal(t, true, claim["notice_timely"])
	assert.Equal(t, map[string]any{"kind": "replacement", "text": "A new laptop."}, c["remedy_sought"])
	assert.Equal(t, true, c["safety"])
	id := c["id"].(string)
	ev := "/complaints/" + id + "/events"

	status, _ = s.do(tokAgent, "POST", ev, map[string]any{"event": "answer",
		"answer": map[string]any{"outcome": "upheld", "text": "We replace it.", "remedy": map[string]any{"kind": "repair"}}}, nil)
	assert.Equal(t, http.StatusBadRequest, status, "upheld grants the remedy sought")
	status, _ = s.do(tokAgent, "POST", ev, map[string]any{"event": "answer",
		"answer": map[string]any{"outcome": "upheld", "text": "We replace it.", "remedy": map[string]any{"kind": "replacement"}}}, nil)
	require.Equal(t, http.StatusOK, status)
	consent := map[string]any{"channel": "phone", "at": "2026-03-02T08:00:00Z"}
	status, _ = s.do(tokAgent, "POST", ev, map[string]any{"event": "accept", "consent": consent}, nil)
	assert.Equal(t, http.StatusConflict, status, "the replacement is owed")
	status, _ = s.do(tokAgent, "POST", ev, map[string]any{"event": "fulfil",
		"fulfilment": map[string]any{"remedy": "replacement", "reference": "GLS 1234"}}, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = s.do(tokAgent, "POST", ev, map[string]any{"event": "accept", "consent": consent}, nil)
	require.Equal(t, http.StatusOK, status)
	s.do(tokAgent, "GET", "/complaints/"+id, nil, &c)
	assert.Equal(t, "closed", c["state"])
	require.Len(t, c["fulfilments"], 1)
	for _, d := range c["deadlines"].([]any) {
		if d := d.(map[string]any); d["name"] == "doa_replacement" {
			assert.NotEmpty(t, d["met_at"], "the replacement kept the DOA promise")
		}
	}
}

// keepAlive opens a connection to addr, makes one request on it and keeps
// it open and idle, as a keep-alive client does between polls.
func keepAlive(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	_, err = fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: klage\r\n\r\n")
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return c
}

// closedByServer counts the connections the server has closed.
func closedByServer(t *testing.T, conns []net.Conn) int {
	t.Helper()
	closed := make([]bool, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, err := c.Read(make([]byte, 1))
			closed[i] = errors.Is(err, io.EOF)
		}()
	}
	wg.Wait()
	n := 0
	for _, cl := range closed {
		if cl {
			n++
		}
	}
	return n
}

// TestConnectionFloods: idle keep-alive connections beyond the cap, from
// one client or from a crowd of pollers, do not keep a new client or a
// health probe out: at the cap (and at the per-client cap) the server
// closes the connection idle longest to make room. Counts, not clocks: the
// idle timeout is an hour, so only the guard can free a connection.
func TestConnectionFloods(t *testing.T) {
	for _, tc := range []struct {
		name              string
		max, perClient    int
		held              int
		wantClosedAtLeast int
	}{
		{"one client holds three times the cap", 32, 1000, 96, 96 - 32},
		{"a client holds more than its share", 1000, 8, 40, 40 - 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, t.TempDir()+"/klage.db", complainttest.NewClock(time.Time{}),
				"-max-conns", fmt.Sprint(tc.max), "-max-conns-per-client", fmt.Sprint(tc.perClient), "-idle-timeout", "1h")
			addr := strings.TrimPrefix(s.base, "http://")
			var held []net.Conn
			defer func() {
				for _, c := range held {
					c.Close()
				}
			}()
			for range tc.held {
				held = append(held, keepAlive(t, addr))
			}
			// A new client, and a health probe, are served at once.
			fresh := keepAlive(t, addr)
			defer fresh.Close()
			status, _ := s.do(tokAgent, "GET", "/complaints", nil, nil)
			assert.Equal(t, http.StatusOK, status)
			assert.GreaterOrEqual(t, closedByServer(t, held), tc.wantClosedAtLeast, "the idle connections beyond the cap were closed")
		})
	}
}
