package store_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// The relay's throughput against a hand-written floor, in one run:
//
//	go test -run '^$' -bench 'RelayDrain' -benchtime 3x -count 5 ./store/
//
// Each iteration drains 20,000 pending notifications (200 complaints, 100
// each) with 4 workers at once.

const (
	drainComplaints = 200
	drainEach       = 100
	drainWorkers    = 4
)

// drainStore opens a PostgreSQL store with drainComplaints complaints and
// returns it with a function that refills the outbox with
// drainComplaints×drainEach pending notifications, written in SQL from the
// complaints' own acknowledgements (their keys and payloads agree).
func drainStore(b *testing.B) (*store.SQL, func()) {
	b.Helper()
	f := newFixture(b)
	s, err := postgres.Open(ctx, f.w, postgresDSN(b))
	require.NoError(b, err)
	b.Cleanup(func() { _ = s.Close() })
	for range drainComplaints {
		_, err := store.Receive(ctx, s, f.w, complainttest.Intake())
		require.NoError(b, err)
	}
	refill := func() {
		_, err := s.DB().ExecContext(ctx, `DELETE FROM klage_outbox WHERE seq > 1000`)
		require.NoError(b, err)
		_, err = s.DB().ExecContext(ctx, `
			INSERT INTO klage_outbox (key, complaint_id, seq, position, topic, recipient, created_at, payload, attempts, next_attempt_at)
			SELECT o.complaint_id || '/' || (1000 + g) || '/progress/customer', o.complaint_id, 1000 + g, 0, 'progress', 'customer',
				o.created_at + g, (jsonb_set(jsonb_set(o.payload::jsonb, '{seq}', to_jsonb(1000 + g)), '{topic}', '"progress"') - 'key')::text, 0, 0
			FROM klage_outbox o, generate_series(1, $1::int) AS g
			WHERE o.seq = 1`, drainEach)
		require.NoError(b, err)
		_, err = s.DB().ExecContext(ctx, `UPDATE klage_outbox SET delivered_at = 1 WHERE seq = 1`)
		require.NoError(b, err)
	}
	return s, refill
}

func pendingCount(b *testing.B, s *store.SQL) int {
	b.Helper()
	var n int
	require.NoError(b, s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_outbox WHERE delivered_at IS NULL`).Scan(&n))
	return n
}

// drain runs work on drainWorkers goroutines until each says it is done.
func drain(b *testing.B, work func() (done bool, err error)) {
	var wg sync.WaitGroup
	errs := make(chan error, drainWorkers)
	for range drainWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				done, err := work()
				if err != nil {
					errs <- err
					return
				}
				if done {
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkRelayDrain is 4 store.Relays, each claiming batches of 100 and
// delivering to a no-op notifier, recording each delivery on its own.
func BenchmarkRelayDrain(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		s, refill := drainStore(b)
		noop := complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return nil })
		quiet := slog.New(slog.DiscardHandler)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			refill()
			require.Equal(b, drainComplaints*drainEach, pendingCount(b, s))
			b.StartTimer()
			drain(b, func() (bool, error) {
				relay := &store.Relay{Outbox: s, Notifier: noop, Logger: quiet}
				batch, err := relay.RunOnce(ctx)
				return batch.Delivered == 0, err
			})
			b.StopTimer()
			require.Zero(b, pendingCount(b, s))
			b.StartTimer()
		}
		b.ReportMetric(float64(drainComplaints*drainEach)*float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
}

// BenchmarkRelayDrainFloor is the same work hand-written: 4 loops that
// claim 100 rows with a lease (FOR UPDATE SKIP LOCKED), "deliver" each
// payload, and record each delivery with its own UPDATE, as the relay
// does; no library, no decoding.
func BenchmarkRelayDrainFloor(b *testing.B) {
	b.Run("postgres", func(b *testing.B) {
		s, refill := drainStore(b)
		db := s.DB()
		claim, err := db.PrepareContext(ctx, `UPDATE klage_outbox SET leased_until = $1 WHERE key IN (
			SELECT key FROM klage_outbox
			WHERE delivered_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $2 AND (leased_until IS NULL OR leased_until <= $2)
			ORDER BY created_at, complaint_id, seq, position LIMIT 100 FOR UPDATE SKIP LOCKED)
			RETURNING key, payload`)
		require.NoError(b, err)
		defer claim.Close()
		mark, err := db.PrepareContext(ctx, `UPDATE klage_outbox SET delivered_at = $1, attempts = attempts + 1, leased_until = NULL WHERE key = $2 AND delivered_at IS NULL`)
		require.NoError(b, err)
		defer mark.Close()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			refill()
			b.StartTimer()
			drain(b, func() (bool, error) {
				now := time.Now().UnixNano()
				rows, err := claim.QueryContext(ctx, now+int64(2*time.Minute), now)
				if err != nil {
					return false, err
				}
				var keys []string
				for rows.Next() {
					var key string
					var payload []byte
					if err := rows.Scan(&key, &payload); err != nil {
						_ = rows.Close()
						return false, err
					}
					keys = append(keys, key) // delivered to a no-op
				}
				if err := rows.Close(); err != nil {
					return false, err
				}
				for _, k := range keys {
					if _, err := mark.ExecContext(ctx, time.Now().UnixNano(), k); err != nil {
						return false, err
					}
				}
				return len(keys) == 0, nil
			})
			b.StopTimer()
			require.Zero(b, pendingCount(b, s))
			b.StartTimer()
		}
		b.ReportMetric(float64(drainComplaints*drainEach)*float64(b.N)/b.Elapsed().Seconds(), "notifications/s")
	})
}
