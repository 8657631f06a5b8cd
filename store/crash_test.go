package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/store"
)

// The relay crash test runs relays in child processes: this test binary,
// started again with these variables set, runs a relay instead of tests.
const (
	childDSN = "KLAGE_RELAY_CHILD_DSN"
	childLog = "KLAGE_RELAY_CHILD_LOG"
)

// childLease is the lease of a child's relay: what a killed child had
// claimed is claimed again that long after.
const childLease = 50 * time.Millisecond

// childConcurrency is how many notifications a child's relay delivers at
// once: a kill finds at most that many in flight.
const childConcurrency = 4

func TestMain(m *testing.M) {
	if dsn := os.Getenv(childDSN); dsn != "" {
		os.Exit(relayChild(dsn, os.Getenv(childLog)))
	}
	os.Exit(m.Run())
}

// fileNotifier delivers a notification by appending its key to a file,
// slowly, so that a kill lands in the middle of a batch.
type fileNotifier struct {
	mu    sync.Mutex
	f     *os.File
	delay time.Duration
}

func (n *fileNotifier) Notify(_ context.Context, m complaint.Notification) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.f.WriteString(m.Key() + "\n"); err != nil {
		return err
	}
	time.Sleep(n.delay)
	return nil
}

// relayChild runs a relay until it is killed.
func relayChild(dsn, logPath string) int {
	w, err := complaint.New(complaint.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	s, err := openSQL(context.Background(), w, dsn)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	relay := &store.Relay{Outbox: s, Notifier: &fileNotifier{f: f, delay: 3 * time.Millisecond}, BatchSize: 25, Concurrency: childConcurrency,
		Lease: childLease, Interval: 10 * time.Millisecond, Now: func() time.Time { return time.Now().Add(time.Hour) }}
	_ = relay.Run(context.Background())
	return 0
}

// TestCrashRelay kills relays with SIGKILL in the middle of delivering, at
// least 20 times, then lets a clean relay finish: every notification has
// been delivered at least once, the duplicates that the crashes caused all
// carry the key of a delivered notification, so a receiver can drop them,
// and each kill caused at most as many as the relay delivers at once: only
// the messages in flight are delivered again, since every delivery is
// recorded on its own.
func TestCrashRelay(t *testing.T) {
	for _, b := range []struct {
		name string
		dsn  func(testing.TB) string
	}{
		{"SQLite", func(tb testing.TB) string { return filepath.Join(tb.TempDir(), "klage.db") }},
		{"Postgres", postgresDSN},
	} {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			f := newFixture(t)
			s, err := openSQL(ctx, f.w, dsn)
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			f.s = s
			for range 60 {
				f.open(t, complaint.StateEscalated) // four notifications each
			}
			all, err := s.Pending(ctx, 10000)
			require.NoError(t, err)
			require.Len(t, all, 240)

			logPath := filepath.Join(t.TempDir(), "delivered.log")
			require.NoError(t, os.WriteFile(logPath, nil, 0o644))
			size := func() int64 {
				fi, err := os.Stat(logPath)
				require.NoError(t, err)
				return fi.Size()
			}
			kills, started := 0, 0
			for attempt := 0; kills < 20 && attempt < 60; attempt++ {
				pending, err := s.Pending(ctx, 1)
				require.NoError(t, err)
				if len(pending) == 0 {
					break
				}
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), childDSN+"="+dsn, childLog+"="+logPath)
				cmd.Stderr = os.Stderr
				require.NoError(t, cmd.Start())
				started++
				before := size()
				deadline := time.Now().Add(20 * time.Second)
				for size() == before && time.Now().Before(deadline) {
					time.Sleep(time.Millisecond)
				}
				delivering := size() > before
				time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				_ = cmd.Wait()
				if delivering {
					kills++
				}
			}
			require.GreaterOrEqual(t, kills, 20, "too few kills landed during delivery")

			// A clean restart, once the killed relays' leases have run out,
			// delivers the rest.
			clean, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o644)
			require.NoError(t, err)
			defer clean.Close()
			relay := &store.Relay{Outbox: s, Notifier: &fileNotifier{f: clean}, BatchSize: 50,
				Now: func() time.Time { return time.Now().Add(time.Hour + childLease) }}
			for {
				batch, err := relay.RunOnce(ctx)
				require.NoError(t, err)
				if batch.Delivered == 0 {
					break
				}
			}
			pending, err := s.Pending(ctx, 10)
			require.NoError(t, err)
			assert.Empty(t, pending, "everything is marked delivered")

			data, err := os.ReadFile(logPath)
			require.NoError(t, err)
			lines := strings.Fields(string(data))
			seen := map[string]int{}
			for _, key := range lines {
				seen[key]++
			}
			for _, m := range all {
				assert.GreaterOrEqual(t, seen[m.Key()], 1, "%s was never delivered", m.Key())
			}
			assert.Len(t, seen, len(all), "dropping duplicates by key leaves exactly the notifications")
			duplicates := len(lines) - len(seen)
			assert.LessOrEqual(t, duplicates, started*childConcurrency, "a killed relay delivers again at most the messages it was delivering")
			t.Logf("%s: %d kills during delivery, %d deliveries of %d notifications, %d duplicates (deduplicable by key)",
				b.name, kills, len(lines), len(all), duplicates)
		})
	}
}
