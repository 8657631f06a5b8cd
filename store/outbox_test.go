package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/sqlite"
)

// writeConcurrently opens writers complaints at once, each in its own
// goroutine, and moves each through steps transitions, returning every
// error.
func writeConcurrently(f *fixture, writers int) []error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				c, err := store.Receive(ctx, f.s, f.w, complainttest.Intake())
				if err != nil {
					return err
				}
				for _, e := range []complaint.Event{complaint.EventStart, complaint.EventUpdate, complaint.EventUpdate, complaint.EventAnswer} {
					if _, _, err := store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, e, glossary.CustomerService), store.FireOptions{}); err != nil {
						return err
					}
				}
				return nil
			}()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errs
}

// TestSQLiteConcurrentWritersColdStart: eight writers on a store just
// opened, whose statements are not prepared yet. A writer used to take
// SQLite's write lock and then wait for a second connection to prepare a
// statement, while every connection waited for the lock: all of them
// failed after the busy timeout.
func TestSQLiteConcurrentWritersColdStart(t *testing.T) {
	for trial := range 3 {
		f := newFixture(t)
		s, err := sqlite.Open(ctx, f.w, filepath.Join(t.TempDir(), "klage.db"))
		require.NoError(t, err)
		f.s = s
		errs := writeConcurrently(f, 8)
		assert.Empty(t, errs, "trial %d", trial)
		all, err := listAll(ctx, s, store.Filter{})
		require.NoError(t, err)
		assert.Len(t, all, 8)
		for _, c := range all {
			assert.Equal(t, complaint.StateFinalAnswer, c.State())
		}
		require.NoError(t, s.Close())
	}
}

// TestSlowNotifierBlocksNoWriter holds a Notifier inside Notify while
// eight writers write: every write completes before the Notifier returns.
// A relay used to keep its transaction, and on SQLite the write lock,
// across its Notifier calls.
func TestSlowNotifierBlocksNoWriter(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.open(t, complaint.StateInProgress)
		entered, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		relay := &store.Relay{Outbox: f.s, Now: f.clock.Now, Notifier: complaint.NotifierFunc(func(context.Context, complaint.Notification) error {
			once.Do(func() {
				close(entered)
				<-release
			})
			return nil
		})}
		done := make(chan error, 1)
		go func() {
			_, err := relay.RunOnce(ctx)
			done <- err
		}()
		<-entered
		errs := writeConcurrently(f, 8) // the notifier is still inside Notify
		close(release)
		require.NoError(t, <-done)
		assert.Empty(t, errs, "no write waited for the notifier")
		all, err := listAll(ctx, f.s, store.Filter{State: complaint.StateFinalAnswer})
		require.NoError(t, err)
		assert.Len(t, all, 8)
	})
}

// TestPoisonOutboxRow: a row the relay cannot decode (a topic from a newer
// version, say) is dead-lettered with the reason, and the rest is
// delivered, that complaint's later notifications included.
func TestPoisonOutboxRow(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		poisoned := f.open(t, complaint.StateFinalAnswer) // acknowledged, final_answer
		other := f.open(t, complaint.StateInProgress)     // acknowledged, started
		key := notificationKey(poisoned.ID(), 1, complaint.TopicAcknowledged, glossary.Customer)
		q := `UPDATE klage_outbox SET payload = '{"topic": "gossip", "recipient": "customer"}' WHERE key = ?`
		if s.Dialect() == "postgres" {
			q = strings.ReplaceAll(q, "?", "$1")
		}
		_, err := s.DB().ExecContext(ctx, q, key)
		require.NoError(t, err)

		rec := &complainttest.Recorder{}
		relay := &store.Relay{Outbox: s, Notifier: rec, Now: f.clock.Now}
		b, err := relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 3, DeadLettered: 1}, b)
		assert.NotContains(t, rec.Keys(), key)
		assert.Contains(t, rec.Keys(), notificationKey(poisoned.ID(), 2, complaint.TopicFinalAnswer, glossary.Customer))
		assert.Contains(t, rec.Keys(), notificationKey(other.ID(), 2, complaint.TopicStarted, glossary.Customer))

		dead, err := s.DeadLetters(ctx, 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, key, dead[0].Key(), "the columns still name it")
		assert.True(t, dead[0].Dead())
		assert.Contains(t, dead[0].LastError, "cannot be decoded")
		pending, err := s.Pending(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, pending)
		b, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{}, b, "a dead letter is not offered again")
	})
}

// TestCrashMidBatchRedeliversOnlyInFlight claims a batch, records two
// deliveries and abandons the rest, as a relay that dies does: the rest
// stays claimed until the lease runs out, and then only the rest is
// delivered.
func TestCrashMidBatchRedeliversOnlyInFlight(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.open(t, complaint.StateEscalated) // four notifications
		f.open(t, complaint.StateReceived)  // one
		lease := time.Minute
		claimed, err := f.s.Claim(ctx, f.clock.Now(), 100, f.clock.Now().Add(lease))
		require.NoError(t, err)
		require.Len(t, claimed, 5)
		for _, m := range claimed[:2] {
			require.NoError(t, f.s.MarkDelivered(ctx, m.Key(), f.clock.Now()))
		}
		// The relay dies here.

		rec := &complainttest.Recorder{}
		relay := &store.Relay{Outbox: f.s, Notifier: rec, Now: f.clock.Now, Lease: lease}
		b, err := relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{}, b, "the dead relay's claim still holds")

		f.clock.Advance(lease)
		b, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 3}, b)
		assert.ElementsMatch(t, keys(claimed[2:]), rec.Keys(), "only what was not recorded is delivered again")
		assertComplaintOrder(t, keys(claimed[2:]), rec.Keys())
	})
}

// TestRelayDeadLettersAfterMaxAttempts: with MaxAttempts, a message that
// keeps failing is set aside for good, and the ones behind it go on.
func TestRelayDeadLettersAfterMaxAttempts(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress) // acknowledged, started
		first := notificationKey(c.ID(), 1, complaint.TopicAcknowledged, glossary.Customer)
		rec := &complainttest.Recorder{}
		rec.FailWith(func(n complaint.Notification) error {
			if n.Key() == first {
				return errors.New("mailbox unavailable")
			}
			return nil
		})
		relay := &store.Relay{Outbox: f.s, Notifier: rec, Now: f.clock.Now, MaxAttempts: 2,
			RetryAfter: func(int) time.Duration { return time.Minute }}

		b, err := relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Failed: 1}, b, "the second waits behind the first")
		f.clock.Advance(time.Minute)
		b, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{DeadLettered: 1}, b)
		b, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 1}, b)

		dead, err := f.s.DeadLetters(ctx, 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, first, dead[0].Key())
		assert.Equal(t, 2, dead[0].Attempts)
		assert.Equal(t, "mailbox unavailable", dead[0].LastError)
		assert.Equal(t, f.clock.Now(), dead[0].DeadLettered)
		pending, err := f.s.Pending(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, pending)
	})
}

// permanentError is an error that says no retry will help.
type permanentError struct{}

func (permanentError) Error() string   { return "no address for the customer" }
func (permanentError) Permanent() bool { return true }

// TestRelayDeadLettersPermanentFailures: a failure whose error reports
// itself permanent (notify.PermanentError) is set aside at its first
// attempt, without MaxAttempts; the ones behind it go on.
func TestRelayDeadLettersPermanentFailures(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress) // acknowledged, started
		first := notificationKey(c.ID(), 1, complaint.TopicAcknowledged, glossary.Customer)
		rec := &complainttest.Recorder{}
		rec.FailWith(func(n complaint.Notification) error {
			if n.Key() == first {
				return fmt.Errorf("notify: e-mail: %w", permanentError{})
			}
			return nil
		})
		relay := &store.Relay{Outbox: f.s, Notifier: rec, Now: f.clock.Now}
		b, err := relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{DeadLettered: 1}, b)
		b, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 1}, b)
		dead, err := f.s.DeadLetters(ctx, 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, first, dead[0].Key())
		assert.Equal(t, 1, dead[0].Attempts)
	})
}

// TestRelayCancelledMidBatchReleases: when the relay's context ends during
// a pass, what it delivered is recorded and the rest is released at once,
// for the next pass.
func TestRelayCancelledMidBatchReleases(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.open(t, complaint.StateEscalated) // four notifications
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		var got []string
		relay := &store.Relay{Outbox: f.s, Now: f.clock.Now, Notifier: complaint.NotifierFunc(func(_ context.Context, n complaint.Notification) error {
			got = append(got, n.Key())
			cancel() // the process is shutting down
			return nil
		})}
		b, err := relay.RunOnce(runCtx)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, store.Batch{Delivered: 1}, b)

		rec := &complainttest.Recorder{}
		b, err = (&store.Relay{Outbox: f.s, Notifier: rec, Now: f.clock.Now}).RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 3}, b, "released, not left leased")
		assert.NotContains(t, rec.Keys(), got[0])
	})
}

func TestOutboxUnknownKey(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		f.open(t, complaint.StateReceived)
		for name, call := range map[string]func() error{
			"MarkDelivered": func() error { return f.s.MarkDelivered(ctx, "K-404/1/acknowledged/customer", f.clock.Now()) },
			"MarkFailed":    func() error { return f.s.MarkFailed(ctx, "K-404/1/acknowledged/customer", "x", f.clock.Now()) },
			"Release":       func() error { return f.s.Release(ctx, "K-404/1/acknowledged/customer") },
			"DeadLetter":    func() error { return f.s.DeadLetter(ctx, "K-404/1/acknowledged/customer", "x", f.clock.Now()) },
		} {
			err := call()
			var nf *store.MessageNotFoundError
			if assert.ErrorAs(t, err, &nf, name) {
				assert.Equal(t, "K-404/1/acknowledged/customer", nf.Key)
			}
			assert.ErrorIs(t, err, store.ErrMessageNotFound, name)
		}
	})
}
