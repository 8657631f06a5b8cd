package complaint_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
)

type fixture struct {
	w     *complaint.Workflow
	clock *complainttest.Clock
	rec   *complainttest.Recorder
}

func newFixture(t testing.TB, opts complaint.Options) *fixture {
	t.Helper()
	f := &fixture{clock: complainttest.NewClock(time.Time{}), rec: &complainttest.Recorder{}}
	if opts.Now == nil {
		opts.Now = f.clock.Now
	}
	if opts.Notifier == nil {
		opts.Notifier = f.rec
	}
	w, err := complaint.New(opts)
	require.NoError(t, err)
	f.w = w
	return f
}

// referenceWorkflow is the zero Workflow, which runs the reference
// lifecycle.
var referenceWorkflow complaint.Workflow

// referenceEvents are the reference lifecycle's events, open (how history
// names a complaint's start) first.
func referenceEvents() []complaint.Event {
	return append([]complaint.Event{complaint.EventOpen}, referenceWorkflow.Events()...)
}
