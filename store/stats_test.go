package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
	"github.com/klageflow/klage/store"
)

func TestStats(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		sr, ok := f.s.(store.StatsReader)
		require.True(t, ok)
		var all []*complaint.Complaint
		for _, s := range []complaint.State{complaint.StateReceived, complaint.StateInProgress, complaint.StateInProgress,
			complaint.StateAwaitingCustomer, complaint.StateClosed} {
			all = append(all, f.open(t, s))
			f.clock.Advance(time.Minute)
		}
		st, err := sr.Stats(ctx, f.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, map[complaint.State]int{complaint.StateReceived: 1, complaint.StateInProgress: 2, complaint.StateAwaitingCustomer: 1}, st.Open)
		pending, err := f.s.Pending(ctx, 1000)
		require.NoError(t, err)
		assert.Equal(t, len(pending), st.Pending)
		assert.Equal(t, complainttest.Start, st.OldestPending.UTC(), "the first complaint's acknowledgement")
		assert.Zero(t, st.DeadLetters)
		assert.Empty(t, st.Overdue)

		// Deliver everything but one, which is dead-lettered.
		dead := pending[0].Key()
		relay := &store.Relay{Outbox: f.s, Now: f.clock.Now, Notifier: complaint.NotifierFunc(func(_ context.Context, n complaint.Notification) error {
			if n.Key() == dead {
				return permanentError{}
			}
			return nil
		})}
		for range 3 {
			_, err := relay.RunOnce(ctx)
			require.NoError(t, err)
		}
		st, err = sr.Stats(ctx, f.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, 0, st.Pending)
		assert.True(t, st.OldestPending.IsZero())
		assert.Equal(t, 1, st.DeadLetters)

		// A month on, clocks are overdue: the counts are those of the
		// complaints' own Overdue.
		later := f.clock.Now().Add(30 * 24 * time.Hour)
		want := map[complaint.DeadlineName]int{}
		for _, c := range all {
			got, err := f.s.Get(ctx, c.ID())
			require.NoError(t, err)
			for _, d := range got.Overdue(later) {
				want[d.Name]++
			}
		}
		require.NotEmpty(t, want)
		st, err = sr.Stats(ctx, later)
		require.NoError(t, err)
		assert.Equal(t, want, st.Overdue)
		assert.False(t, st.OverdueTruncated)
	})
}

// opRecorder records the operations it is told of, and how they ended.
type opRecorder struct {
	mu   sync.Mutex
	ops  []observe.Operation
	errs []error
}

func (o *opRecorder) Begin(ctx context.Context, op observe.Operation) (context.Context, func(error)) {
	return ctx, func(err error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.ops = append(o.ops, op)
		o.errs = append(o.errs, err)
	}
}

func (o *opRecorder) of(kind observe.Op) (ops []observe.Operation, errs []error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i, op := range o.ops {
		if op.Op == kind {
			ops, errs = append(ops, op), append(errs, o.errs[i])
		}
	}
	return ops, errs
}

// TestSavesAndDeliveriesAreObserved: a store reports its writes to the
// workflow's observers, a losing save with its conflict, and a relay
// reports each delivery.
func TestSavesAndDeliveriesAreObserved(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			obs := &opRecorder{}
			clock := complainttest.NewClock(time.Time{})
			w, err := complaint.New(complaint.Options{Now: clock.Now, Observers: []observe.Observer{obs}})
			require.NoError(t, err)
			s := b.open(t, w)
			c, err := store.Receive(ctx, s, w, complainttest.Intake())
			require.NoError(t, err)
			stale, err := s.Get(ctx, c.ID())
			require.NoError(t, err)
			_, _, err = store.Fire(ctx, s, w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
			require.NoError(t, err)
			_, err = w.Fire(ctx, stale, complainttest.InputFor(stale, complaint.EventAnswer, glossary.CustomerService))
			require.NoError(t, err)
			require.ErrorIs(t, s.Save(ctx, stale, 1), store.ErrConflict)

			saves, errs := obs.of(observe.Save)
			require.Len(t, saves, 3)
			assert.Equal(t, observe.Operation{Op: observe.Save, ComplaintID: c.ID(), Event: "open"}, saves[0])
			assert.Equal(t, "start", saves[1].Event)
			assert.NoError(t, errs[0])
			assert.NoError(t, errs[1])
			assert.ErrorIs(t, errs[2], store.ErrConflict)

			relay := &store.Relay{Outbox: s, Now: clock.Now, Observer: w.Observer(), Notifier: complaint.NotifierFunc(
				func(context.Context, complaint.Notification) error { return nil })}
			_, err = relay.RunOnce(ctx)
			require.NoError(t, err)
			deliveries, _ := obs.of(observe.Deliver)
			require.Len(t, deliveries, 2)
			assert.Equal(t, observe.Operation{Op: observe.Deliver, ComplaintID: c.ID(), Event: "open",
				Topic: "acknowledged", Recipient: glossary.Customer, Key: c.ID() + "/1/acknowledged/customer"}, deliveries[0])
		})
	}
}

// countingStore counts its Gets.
type countingStore struct {
	storeAndOutbox
	gets int
}

func (c *countingStore) Get(ctx context.Context, id string) (*complaint.Complaint, error) {
	c.gets++
	return c.storeAndOutbox.Get(ctx, id)
}

// TestFireLoaded: a complaint the caller has just loaded is fired on
// without a second read; a stale one costs a conflict and a fresh load,
// and the event still applies once.
func TestFireLoaded(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		cs := &countingStore{storeAndOutbox: f.s}
		c := f.open(t, complaint.StateInProgress)
		loaded, err := cs.Get(ctx, c.ID())
		require.NoError(t, err)
		cs.gets = 0
		got, _, err := store.Fire(ctx, cs, f.w, c.ID(), complainttest.InputFor(loaded, complaint.EventUpdate, glossary.CustomerService),
			store.FireOptions{Loaded: loaded})
		require.NoError(t, err)
		assert.Zero(t, cs.gets, "no second read")
		assert.Equal(t, c.Version()+1, got.Version())

		stale, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		f.fire(t, c.ID(), complaint.EventUpdate) // someone else moves it on
		cs.gets = 0
		got, _, err = store.Fire(ctx, cs, f.w, c.ID(), complainttest.InputFor(stale, complaint.EventUpdate, glossary.CustomerService),
			store.FireOptions{Loaded: stale})
		require.NoError(t, err)
		assert.Equal(t, 1, cs.gets, "the conflict loads it afresh")
		assert.Equal(t, c.Version()+3, got.Version())
	})
}
