package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// TestCancelledContextsEveryEntryPoint calls every entry point of the
// workflow and the stores with a cancelled and with an expired context:
// each returns the context's error, and the complaint and the store stay
// usable.
func TestCancelledContextsEveryEntryPoint(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress)
		live := func() *complaint.Complaint {
			got, err := f.s.Get(ctx, c.ID())
			require.NoError(t, err)
			return got
		}
		entryPoints := []struct {
			name string
			call func(ctx context.Context) error
		}{
			{"Workflow.Open", func(ctx context.Context) error { _, err := f.w.Open(ctx, complainttest.Intake()); return err }},
			{"Workflow.Fire", func(ctx context.Context) error {
				c := live()
				_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService))
				return err
			}},
			{"Workflow.Deliver", func(ctx context.Context) error {
				delivering, err := complaint.New(complaint.Options{Notifier: &complainttest.Recorder{}})
				require.NoError(t, err)
				opened, err := f.w.Open(context.Background(), complainttest.Intake()) // no Notifier: the acknowledgement stays pending
				require.NoError(t, err)
				err = delivering.Deliver(ctx, opened)
				assert.Len(t, opened.Pending(), 1, "nothing delivered, nothing lost")
				return err
			}},
			{"Store.Create", func(ctx context.Context) error {
				c, err := f.w.Open(context.Background(), complainttest.Intake())
				require.NoError(t, err)
				return f.s.Create(ctx, c)
			}},
			{"Store.Get", func(ctx context.Context) error { _, err := f.s.Get(ctx, c.ID()); return err }},
			{"Store.Save", func(ctx context.Context) error {
				c := live()
				v := c.Version()
				_, err := f.w.Fire(context.Background(), c, complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService))
				require.NoError(t, err)
				return f.s.Save(ctx, c, v)
			}},
			{"Store.List", func(ctx context.Context) error { _, err := listAll(ctx, f.s, store.Filter{}); return err }},
			{"Store.History", func(ctx context.Context) error { _, err := f.s.History(ctx, c.ID()); return err }},
			{"Outbox.Notifications", func(ctx context.Context) error { _, err := f.s.Notifications(ctx, c.ID()); return err }},
			{"Outbox.Pending", func(ctx context.Context) error { _, err := f.s.Pending(ctx, 10); return err }},
			{"Outbox.Claim", func(ctx context.Context) error {
				_, err := f.s.Claim(ctx, f.clock.Now(), 10, f.clock.Now().Add(time.Minute))
				return err
			}},
			{"Transition", func(ctx context.Context) error {
				_, _, err := store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService), store.FireOptions{})
				return err
			}},
			{"Receive", func(ctx context.Context) error {
				_, err := store.Receive(ctx, f.s, f.w, complainttest.Intake())
				return err
			}},
			{"Relay.RunOnce", func(ctx context.Context) error {
				_, err := (&store.Relay{Outbox: f.s, Notifier: &complainttest.Recorder{}, Now: f.clock.Now}).RunOnce(ctx)
				return err
			}},
			{"Relay.Run", func(ctx context.Context) error {
				return (&store.Relay{Outbox: f.s, Notifier: &complainttest.Recorder{}, Now: f.clock.Now}).Run(ctx)
			}},
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		expired, cancel2 := context.WithDeadline(ctx, time.Unix(1, 0))
		defer cancel2()
		for _, ep := range entryPoints {
			for _, cc := range []struct {
				name string
				ctx  context.Context
				want error
			}{{"cancelled", cancelled, context.Canceled}, {"expired", expired, context.DeadlineExceeded}} {
				t.Run(ep.name+"/"+cc.name, func(t *testing.T) {
					before := live()
					beforeCount, err := listAll(ctx, f.s, store.Filter{Limit: store.MaxLimit})
					require.NoError(t, err)
					err = ep.call(cc.ctx)
					require.Error(t, err)
					assert.True(t, errors.Is(err, cc.want), "%s returned %v, want %v", ep.name, err, cc.want)

					after := live()
					assert.Equal(t, before.Snapshot(), after.Snapshot(), "the complaint is unchanged")
					afterCount, err := listAll(ctx, f.s, store.Filter{Limit: store.MaxLimit})
					require.NoError(t, err)
					assert.Len(t, afterCount, len(beforeCount), "nothing was created")
				})
			}
		}
		// Everything still works.
		got, _, err := store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventRequestInfo, glossary.CustomerService), store.FireOptions{})
		require.NoError(t, err)
		assert.Equal(t, complaint.StateAwaitingCustomer, got.State())
		_, err = (&store.Relay{Outbox: f.s, Notifier: &complainttest.Recorder{}, Now: f.clock.Now}).RunOnce(ctx)
		require.NoError(t, err)
	})
}

// TestImpartialityEveryEntryPoint: a reviewer who handled the complaint for
// customer service cannot review it through the library, the store helper,
// or a stored history that claims otherwise.
func TestImpartialityEveryEntryPoint(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateEscalated) // answered by agent-1
		in := complainttest.InputFor(c, complaint.EventReview, glossary.ComplaintsDepartment)
		in.Actor.ID = complainttest.Agent.ID

		_, err := f.w.Fire(ctx, c, in)
		assert.ErrorIs(t, err, complaint.ErrNotImpartial, "library")
		_, _, err = store.Fire(ctx, f.s, f.w, c.ID(), in, store.FireOptions{})
		assert.ErrorIs(t, err, complaint.ErrNotImpartial, "store helper")

		// A snapshot whose review was made by the agent does not restore.
		ok := f.fire(t, c.ID(), complaint.EventReview)
		s := ok.Snapshot()
		s.History[len(s.History)-1].Actor.ID = complainttest.Agent.ID
		_, err = f.w.Restore(s)
		assert.ErrorIs(t, err, complaint.ErrNotImpartial, "restore")
	})
}
