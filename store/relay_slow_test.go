package store_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
	"github.com/klageflow/klage/store/sqlite"
)

// slowNotifier takes delay to accept each notification, as a webhook or
// an SMTP server that answers in 200 ms does.
type slowNotifier struct {
	delay     time.Duration
	delivered atomic.Int64
}

func (n *slowNotifier) Notify(ctx context.Context, _ complaint.Notification) error {
	select {
	case <-time.After(n.delay):
		n.delivered.Add(1)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BenchmarkRelaySlowNotifier: one relay with a notifier that takes 200 ms
// drains at least 0.8 × (Concurrency × 5) notifications a second, on
// SQLite and PostgreSQL: it delivers Concurrency at a time.
//
//	go test -run '^$' -bench RelaySlowNotifier -benchtime 2x -count 3 ./store/
//
// It reports per_second and its ratio to the ideal Concurrency × 5
// (of_ideal, target >= 0.8).
func BenchmarkRelaySlowNotifier(b *testing.B) {
	const (
		delay       = 200 * time.Millisecond
		concurrency = store.DefaultConcurrency
		complaints  = 40 // one acknowledgement each
	)
	for _, be := range []struct {
		name string
		open func(b *testing.B, w *complaint.Workflow) *store.SQL
	}{
		{"sqlite", func(b *testing.B, w *complaint.Workflow) *store.SQL {
			s, err := sqlite.Open(ctx, w, filepath.Join(b.TempDir(), "klage.db"))
			require.NoError(b, err)
			return s
		}},
		{"postgres", func(b *testing.B, w *complaint.Workflow) *store.SQL {
			s, err := postgres.Open(ctx, w, postgresDSN(b))
			require.NoError(b, err)
			return s
		}},
	} {
		b.Run(be.name, func(b *testing.B) {
			w, err := complaint.New(complaint.Options{})
			require.NoError(b, err)
			s := be.open(b, w)
			b.Cleanup(func() { _ = s.Close() })
			n := &slowNotifier{delay: delay}
			relay := &store.Relay{Outbox: s, Notifier: n}
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				for range complaints {
					_, err := store.Receive(ctx, s, w, complainttest.Intake())
					require.NoError(b, err)
				}
				b.StartTimer()
				start := time.Now()
				for {
					batch, err := relay.RunOnce(ctx)
					require.NoError(b, err)
					if batch.Delivered == 0 {
						break
					}
				}
				took += time.Since(start)
			}
			perSecond := float64(n.delivered.Load()) / took.Seconds()
			b.ReportMetric(perSecond, "per_second")
			b.ReportMetric(perSecond/(concurrency*float64(time.Second/delay)), "of_ideal")
		})
	}
}

// TestRelayRenewsItsLease: a pass that takes longer than its lease (a slow
// receiver) keeps its claim, so another relay does not deliver the same
// notifications meanwhile; a relay that died without releasing its claim
// gives it up once the lease runs out, in seconds, not minutes.
func TestRelayRenewsItsLease(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for range 3 {
			f.open(t, complaint.StateReceived)
		}
		// Generous margins: the renewal comes every third of a second,
		// the lease lasts a second.
		lease := time.Second
		slow := &slowNotifier{delay: 3 * lease}
		first := &store.Relay{Outbox: f.s, Notifier: slow, Lease: lease}
		done := make(chan store.Batch)
		go func() {
			b, err := first.RunOnce(ctx)
			assert.NoError(t, err)
			done <- b
		}()
		// While the first relay delivers (three leases long), another
		// finds nothing to claim: the claim was renewed.
		other := &complainttest.Recorder{}
		second := &store.Relay{Outbox: f.s, Notifier: other, Lease: lease}
		for range 5 {
			time.Sleep(lease / 2)
			b, err := second.RunOnce(ctx)
			require.NoError(t, err)
			assert.Equal(t, store.Batch{}, b, "the first relay's claim holds while it works")
		}
		assert.Equal(t, store.Batch{Delivered: 3}, <-done)
		assert.Empty(t, other.Keys())

		// A relay that dies holding a claim: another takes it over once
		// the lease has run out.
		f.open(t, complaint.StateReceived)
		claimed, err := f.s.Claim(ctx, time.Now(), 100, time.Now().Add(lease))
		require.NoError(t, err)
		require.Len(t, claimed, 1)
		b, err := second.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{}, b)
		time.Sleep(lease + lease/2)
		b, err = second.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 1}, b, "taken over after the lease")
	})
}
