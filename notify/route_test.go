package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/notifytest"
	"github.com/klageflow/klage/notify"
)

func TestRoute(t *testing.T) {
	customer, staff := &complainttest.Recorder{}, &complainttest.Recorder{}
	ctx := context.Background()
	toCustomer := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicEscalated, glossary.Customer)
	toDepartment := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicEscalated, glossary.ComplaintsDepartment)
	r := notify.Route{ByRecipient: map[glossary.Role]complaint.Notifier{glossary.Customer: customer}, Default: staff}
	require.NoError(t, r.Notify(ctx, toCustomer))
	require.NoError(t, r.Notify(ctx, toDepartment))
	assert.Equal(t, []string{toCustomer.Key()}, customer.Keys())
	assert.Equal(t, []string{toDepartment.Key()}, staff.Keys())
	r.Default = nil
	assert.Error(t, r.Notify(ctx, toDepartment), "nobody to take it: it waits")
}

func TestFanout(t *testing.T) {
	ctx := context.Background()
	n := notifytest.Find(t, complaint.Consumer, glossary.English, complaint.TopicStarted, glossary.Customer)
	a, b := &complainttest.Recorder{}, &complainttest.Recorder{}
	require.NoError(t, notify.Fanout{a, b}.Notify(ctx, n))
	assert.Equal(t, a.Keys(), b.Keys())

	permanent := &notify.PermanentError{Err: notify.ErrNoAddress}
	fail := func(err error) complaint.Notifier {
		return complaint.NotifierFunc(func(context.Context, complaint.Notification) error { return err })
	}
	var p interface{ Permanent() bool }
	err := notify.Fanout{fail(permanent), b}.Notify(ctx, n)
	require.ErrorIs(t, err, notify.ErrNoAddress)
	require.ErrorAs(t, err, &p)
	assert.True(t, p.Permanent(), "the only failure is for good")
	err = notify.Fanout{fail(permanent), fail(errors.New("503"))}.Notify(ctx, n)
	require.ErrorAs(t, err, &p)
	assert.False(t, p.Permanent(), "one failure may pass: retry")
	assert.Len(t, b.Keys(), 2, "every notifier is tried")
}
