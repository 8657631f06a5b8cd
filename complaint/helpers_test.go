package complaint_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
)

// recorder is a Notifier that records what it is given and can be told to
// fail.
type recorder struct {
	mu   sync.Mutex
	got  []complaint.Notification
	fail error
}

func (r *recorder) Notify(_ context.Context, n complaint.Notification) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.got = append(r.got, n)
	return nil
}

func (r *recorder) setFail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail = err
}

func (r *recorder) all() []complaint.Notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]complaint.Notification(nil), r.got...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = nil
}

type fixture struct {
	w     *complaint.Workflow
	clock *complainttest.Clock
	rec   *recorder
}

func newFixture(t testing.TB, opts complaint.Options) *fixture {
	t.Helper()
	f := &fixture{clock: complainttest.NewClock(time.Time{}), rec: &recorder{}}
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
