package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/internal/pgtest"
	"github.com/klageflow/klage/internal/promtest"
)

// replica is one klaged process of the scale-out test.
type replica struct {
	t    *testing.T
	bin  string
	args []string
	env  []string
	addr string
	log  *os.File
	cmd  *exec.Cmd
}

func (r *replica) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, append(r.args, "-addr", r.addr)...)
	r.cmd.Env, r.cmd.Stdout, r.cmd.Stderr = r.env, r.log, r.log
	require.NoError(r.t, r.cmd.Start())
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + r.addr + "/healthz")
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.t.Fatalf("replica %s did not start", r.addr)
}

func (r *replica) kill() {
	_ = r.cmd.Process.Kill() // SIGKILL: no graceful shutdown
	_ = r.cmd.Wait()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = ln.Close() }()
	return ln.Addr().String()
}

// hookLog counts the webhook deliveries of each notification key.
type hookLog struct {
	mu   sync.Mutex
	seen map[string]int
}

func (h *hookLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	h.mu.Lock()
	h.seen[r.Header.Get("webhook-id")]++
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// scaleClient drives complaints through the replicas, retrying a request
// that failed on another replica with the same Idempotency-Key.
type scaleClient struct {
	replicas                     []*replica
	hc                           *http.Client
	next                         atomic.Int64
	requests, retried, conflicts atomic.Int64
}

func (c *scaleClient) call(tok, method, path, key string, body any, out any) error {
	data, _ := json.Marshal(body)
	for attempt := 0; attempt < 20; attempt++ {
		rep := c.replicas[int(c.next.Add(1))%len(c.replicas)]
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, "http://"+rep.addr+path, r)
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		c.requests.Add(1)
		resp, err := c.hc.Do(req)
		if err != nil { // the replica died or is starting: another one
			c.retried.Add(1)
			time.Sleep(20 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusConflict:
			c.conflicts.Add(1)
			c.retried.Add(1)
			continue
		case resp.StatusCode >= 500:
			c.retried.Add(1)
			time.Sleep(20 * time.Millisecond)
			continue
		case resp.StatusCode >= 300:
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		if out != nil {
			return json.Unmarshal(b, out)
		}
		return nil
	}
	return fmt.Errorf("%s %s: no replica answered", method, path)
}

// TestScaleOut runs three service processes on one PostgreSQL, each with
// its relay, under a bounded load for 30 s, while one of them is killed
// (SIGKILL) twice and restarted. Afterwards every acknowledged write is
// there, histories are contiguous, no request applied twice, and every
// notification was delivered at least once, its duplicates recognisable
// by key.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("the scale-out test takes 30 s")
	}
	dsn := pgtest.DSN(t)
	goTool, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir()
	bin := filepath.Join(dir, "service")
	build := exec.Command(goTool, "build", "-o", bin, "github.com/klageflow/klage/cmd/klaged")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	hooks := &hookLog{seen: map[string]int{}}
	hookSrv := httptest.NewServer(hooks)
	defer hookSrv.Close()
	env := append(os.Environ(), "KLAGE_WEBHOOK_SECRET="+webhookSecret)
	args := []string{"-dsn", dsn, "-tokens", writeTokens(t), "-secret", testSecret, "-webhook", hookSrv.URL + "/hook", "-intake-per-minute", "100000", "-requests-per-second", "0", "-relay-lease", "3s"}
	var replicas []*replica
	for i := range 3 {
		log, err := os.Create(filepath.Join(dir, fmt.Sprintf("replica-%d.log", i)))
		require.NoError(t, err)
		defer log.Close()
		r := &replica{t: t, bin: bin, args: args, env: env, addr: freeAddr(t), log: log}
		r.start()
		defer r.kill()
		replicas = append(replicas, r)
	}

	c := &scaleClient{replicas: replicas, hc: &http.Client{Timeout: 10 * time.Second}}
	type walked struct {
		id   string
		keys []string // the acknowledged events' Idempotency-Keys
	}
	var (
		mu     sync.Mutex
		done   []walked
		failed []error
	)
	// A complaint every client updates too: their saves conflict, and the
	// service retries them.
	var shared struct {
		ID string `json:"id"`
	}
	require.NoError(t, c.call(tokAgent, "POST", "/complaints", "shared-open", intake(), &shared))
	require.NoError(t, c.call(tokAgent, "POST", "/complaints/"+shared.ID+"/events", "shared-start", map[string]any{"event": "start"}, nil))
	var sharedKeys []string
	stop := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for client := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; time.Now().Before(stop); n++ {
				prefix := fmt.Sprintf("c%d-%d", client, n)
				var created struct {
					ID            string `json:"id"`
					CustomerToken string `json:"customer_token"`
				}
				in := intake()
				in["customer"].(map[string]any)["id"] = "cust-" + prefix
				if err := c.call(tokAgent, "POST", "/complaints", prefix+"-open", in, &created); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
					return
				}
				w := walked{id: created.ID}
				for i, st := range []struct {
					tok  string
					body map[string]any
				}{
					{tokAgent, map[string]any{"event": "start"}},
					{tokAgent, map[string]any{"event": "update", "note": "Working on it."}},
					{tokAgent, map[string]any{"event": "answer", "answer": map[string]any{"outcome": "rejected", "text": "Not covered."}}},
					{created.CustomerToken, map[string]any{"event": "escalate"}},
					{tokReviewer, map[string]any{"event": "review", "decision": map[string]any{"outcome": "rejected", "explanation": "It stands."}}},
					{tokReviewer, map[string]any{"event": "close"}},
				} {
					key := prefix + "-" + strconv.Itoa(i)
					if err := c.call(st.tok, "POST", "/complaints/"+created.ID+"/events", key, st.body, nil); err != nil {
						mu.Lock()
						failed = append(failed, err)
						mu.Unlock()
						return
					}
					w.keys = append(w.keys, key)
					time.Sleep(10 * time.Millisecond) // a bounded load
				}
				key := prefix + "-shared"
				if err := c.call(tokAgent, "POST", "/complaints/"+shared.ID+"/events", key, map[string]any{"event": "update", "note": "News."}, nil); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
					return
				}
				mu.Lock()
				done = append(done, w)
				sharedKeys = append(sharedKeys, key)
				mu.Unlock()
			}
		}()
	}
	// Kill replica 0 twice, and restart it each time.
	for _, at := range []time.Duration{8 * time.Second, 18 * time.Second} {
		time.Sleep(time.Until(stop.Add(-30*time.Second + at)))
		replicas[0].kill()
		time.Sleep(2 * time.Second)
		replicas[0].start()
	}
	wg.Wait()
	require.Empty(t, failed)
	require.NotEmpty(t, done)

	db, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	// The relays drain the outbox.
	require.Eventually(t, func() bool {
		var pending int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_outbox WHERE delivered_at IS NULL`).Scan(&pending))
		return pending == 0
	}, 60*time.Second, 200*time.Millisecond, "every notification delivered")

	for _, w := range done {
		var version, entries, maxSeq, requests, distinct int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT version FROM klage_complaints WHERE id = $1`, w.id).Scan(&version), w.id)
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(seq), COUNT(NULLIF(request_id, '')), COUNT(DISTINCT NULLIF(request_id, ''))
			FROM klage_history WHERE complaint_id = $1`, w.id).Scan(&entries, &maxSeq, &requests, &distinct))
		assert.Equal(t, 7, version, "%s: open and six events, each once", w.id)
		assert.Equal(t, version, entries, "%s: one history entry a version", w.id)
		assert.Equal(t, version, maxSeq, "%s: contiguous", w.id)
		assert.Equal(t, requests, distinct, "%s: no request applied twice", w.id)
		for _, key := range w.keys {
			var n int
			require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_history WHERE complaint_id = $1 AND request_id = $2`, w.id, key).Scan(&n))
			assert.Equal(t, 1, n, "%s: acknowledged %s", w.id, key)
		}
	}
	var sharedVersion, sharedEntries, sharedMax, sharedDistinct int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT version FROM klage_complaints WHERE id = $1`, shared.ID).Scan(&sharedVersion))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(seq), COUNT(DISTINCT NULLIF(request_id, '')) FROM klage_history WHERE complaint_id = $1`,
		shared.ID).Scan(&sharedEntries, &sharedMax, &sharedDistinct))
	assert.Equal(t, sharedVersion, sharedEntries, "the shared complaint's history is contiguous")
	assert.Equal(t, sharedVersion, sharedMax)
	assert.Equal(t, sharedEntries, sharedDistinct, "every entry its own request")
	assert.GreaterOrEqual(t, sharedVersion, 2+len(sharedKeys), "every acknowledged update is there")
	for _, key := range sharedKeys {
		var n int
		require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_history WHERE complaint_id = $1 AND request_id = $2`, shared.ID, key).Scan(&n))
		assert.Equal(t, 1, n, "shared: acknowledged %s", key)
	}
	// The conflicts the replicas retried, from their metrics (replica 0's
	// since its last restart).
	serverConflicts := 0.0
	for _, r := range replicas {
		f := promtest.ScrapeAs(t, "http://"+r.addr+"/metrics", tokSystem)
		if v, ok := f.Value("klage_saves_total", "result", "conflict"); ok {
			serverConflicts += v
		}
	}

	rows, err := db.QueryContext(ctx, `SELECT key FROM klage_outbox`)
	require.NoError(t, err)
	keys := 0
	hooks.mu.Lock()
	for rows.Next() {
		var key string
		require.NoError(t, rows.Scan(&key))
		keys++
		assert.Positive(t, hooks.seen[key], "%s delivered", key)
	}
	deliveries := 0
	for _, n := range hooks.seen {
		deliveries += n
	}
	hooks.mu.Unlock()
	require.NoError(t, rows.Close())
	t.Logf("scale-out: %d complaints walked, %d requests, %d retried by the clients (%d of them 409), %.0f conflicting saves retried by the replicas, %d notifications, %d deliveries (%d duplicates)",
		len(done), c.requests.Load(), c.retried.Load(), c.conflicts.Load(), serverConflicts, keys, deliveries, deliveries-keys)
}
