package complaint_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

type ctxKey struct{}

// recordingObserver records what it is told, and marks the context it
// returns so that a test can see the operation ran in it.
type recordingObserver struct {
	name string
	mu   sync.Mutex
	log  []string
	all  *[]string // when set, also gets the log, to see several observers' order
	seen []complaint.Operation
	errs []error
}

func (o *recordingObserver) Begin(ctx context.Context, op complaint.Operation) (context.Context, func(error)) {
	o.mu.Lock()
	o.log = append(o.log, o.name+" begin")
	if o.all != nil {
		*o.all = append(*o.all, o.name+" begin")
	}
	o.seen = append(o.seen, op)
	o.mu.Unlock()
	return context.WithValue(ctx, ctxKey{}, o.name), func(err error) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.log = append(o.log, o.name+" end")
		if o.all != nil {
			*o.all = append(*o.all, o.name+" end")
		}
		o.errs = append(o.errs, err)
	}
}

func TestObserversSeeOpensAndTransitions(t *testing.T) {
	obs := &recordingObserver{name: "a"}
	var hookCtx any
	w, err := complaint.New(complaint.Options{Observers: []complaint.Observer{obs},
		Hooks: []complaint.Hook{{Name: "ctx", Before: func(ctx context.Context, _ complaint.View, _ complaint.Input, _ complaint.State) error {
			hookCtx = ctx.Value(ctxKey{})
			return nil
		}}}})
	require.NoError(t, err)
	ctx := context.Background()
	in := complainttest.Intake()
	in.ID = "K-1"
	c, err := w.Open(ctx, in)
	require.NoError(t, err)
	_, err = w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService))
	require.NoError(t, err)
	assert.Equal(t, "a", hookCtx, "the transition runs in the observer's context")
	_, err = w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer))
	require.ErrorIs(t, err, complaint.ErrInvalidTransition)

	assert.Equal(t, []complaint.Operation{
		{Op: complaint.OpOpen, ComplaintID: "K-1", Event: complaint.EventOpen},
		{Op: complaint.OpFire, ComplaintID: "K-1", Event: complaint.EventStart},
		{Op: complaint.OpFire, ComplaintID: "K-1", Event: complaint.EventEscalate},
	}, obs.seen)
	require.Len(t, obs.errs, 3)
	assert.NoError(t, obs.errs[0])
	assert.NoError(t, obs.errs[1])
	assert.ErrorIs(t, obs.errs[2], complaint.ErrInvalidTransition, "the refusal is reported")

	// Preview and Check are not transitions.
	_, _, err = w.Preview(ctx, c, complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService))
	require.NoError(t, err)
	assert.Len(t, obs.seen, 3)
}

func TestObserversCombine(t *testing.T) {
	assert.Nil(t, complaint.Observers(), "none")
	assert.Nil(t, complaint.Observers(nil, nil))
	var order []string
	a, b, c := &recordingObserver{name: "a", all: &order}, &recordingObserver{name: "b", all: &order}, &recordingObserver{name: "c", all: &order}
	assert.Same(t, a, complaint.Observers(nil, a))
	all := complaint.Observers(complaint.Observers(a, b), c)
	ctx, end := all.Begin(context.Background(), complaint.Operation{Op: complaint.OpSave})
	assert.Equal(t, "c", ctx.Value(ctxKey{}), "each observer's context is passed on")
	end(nil)
	assert.Equal(t, []string{"a begin", "b begin", "c begin", "c end", "b end", "a end"}, order,
		"in order, flattened, and ended innermost first, as nested spans")

	w, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	assert.Nil(t, w.Observer())
	ctx, end = w.Observe(context.Background(), complaint.Operation{Op: complaint.OpSave})
	assert.Nil(t, ctx.Value(ctxKey{}))
	end(nil) // does nothing
}

func TestErrorKind(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&complaint.InputError{Field: "note", Problem: "missing"}, "invalid_input"},
		{&complaint.TransitionError{Event: complaint.EventStart, From: complaint.StateClosed, Cause: complaint.ErrClosed}, "closed"},
		{&complaint.TransitionError{Event: complaint.EventEscalate, From: complaint.StateReceived}, "not_allowed"},
		{&complaint.PermissionError{Event: complaint.EventStart}, "forbidden"},
		{&escalation.ImpartialityError{}, "not_impartial"},
		{&complaint.VetoError{Hook: "h", Err: errors.New("no")}, "vetoed"},
		{complaint.ErrRemedyOwed, "remedy_owed"},
		{&complaint.DeliveryError{Key: "k", Err: errors.New("503")}, "undelivered"},
		{fmt.Errorf("wrapped: %w", context.Canceled), "cancelled"},
		{errors.New("disk full"), "other"},
	} {
		assert.Equal(t, tc.want, complaint.ErrorKind(tc.err), "%v", tc.err)
	}
}
