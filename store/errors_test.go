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
	"github.com/klageflow/klage/store"
)

// TestErrorsUsersCanMatch: a store used after Close, and a zero SQL,
// return ErrClosed (not the driver's text, not a panic); a relay with no
// notifier, or a nil NotifierFunc, returns ErrRelayConfig at once.
func TestErrorsUsersCanMatch(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateReceived)
		require.NoError(t, f.s.Close())
		_, err := f.s.Get(ctx, c.ID())
		assert.ErrorIs(t, err, store.ErrClosed)
		_, err = f.s.Pending(ctx, 10)
		assert.ErrorIs(t, err, store.ErrClosed)
		assert.ErrorIs(t, f.s.Create(ctx, c), store.ErrClosed)
		_, err = store.Receive(ctx, f.s, f.w, complainttest.Intake())
		assert.ErrorIs(t, err, store.ErrClosed)
		assert.NoError(t, f.s.Close(), "closing twice does nothing")
	})
	var zero store.SQL
	_, err := zero.Get(ctx, "K-1")
	assert.ErrorIs(t, err, store.ErrClosed)
	assert.NoError(t, zero.Close())

	for name, r := range map[string]*store.Relay{
		"no notifier":      {Outbox: store.NewMemory(nil)},
		"nil NotifierFunc": {Outbox: store.NewMemory(nil), Notifier: complaint.NotifierFunc(nil)},
		"no outbox":        {Notifier: &complainttest.Recorder{}},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := r.Run(ctx)
		cancel()
		assert.ErrorIs(t, err, store.ErrRelayConfig, name)
		assert.False(t, errors.Is(err, context.DeadlineExceeded), "%s: Run returns at once", name)
	}
	_, err = complaint.New(complaint.Options{Notifier: complaint.NotifierFunc(nil)})
	assert.ErrorIs(t, err, complaint.ErrInvalidConfig)
	assert.ErrorIs(t, complaint.NotifierFunc(nil).Notify(ctx, complaint.Notification{}), complaint.ErrNilNotifier)
}

// TestOpenRefusesANotifyingWorkflow: a workflow with a Notifier would
// deliver before the store saved; the SQL stores refuse it when they
// open, not at the first Fire.
func TestOpenRefusesANotifyingWorkflow(t *testing.T) {
	w, err := complaint.New(complaint.Options{Notifier: &complainttest.Recorder{}})
	require.NoError(t, err)
	for _, b := range sqlBackends {
		_, err := openSQL(ctx, w, b.dsn(t))
		assert.ErrorIs(t, err, store.ErrWorkflowNotifies, b.name)
	}
}
