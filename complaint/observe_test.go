package complaint_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
)

type ctxKey struct{}

// recordingObserver records what it is told, and marks the context it
// returns so that a test can see the operation ran in it.
type recordingObserver struct {
	name string
	mu   sync.Mutex
	log  []string
	all  *[]string // when set, also gets the log, to see several observers' order
	seen []observe.Operation
	errs []error
}

func (o *recordingObserver) Begin(ctx context.Context, op observe.Operation) (context.Context, func(error)) {
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
	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{obs},
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

	assert.Equal(t, []observe.Operation{
		{Op: observe.Open, ComplaintID: "K-1", Event: "open"},
		{Op: observe.Fire, ComplaintID: "K-1", Event: "start"},
		{Op: observe.Fire, ComplaintID: "K-1", Event: "escalate"},
	}, obs.seen)
	require.Len(t, obs.errs, 3)
	assert.NoError(t, obs.errs[0])
	assert.NoError(t, obs.errs[1])
	assert.ErrorIs(t, obs.errs[2], complaint.ErrInvalidTransition, "the refusal is reported")

	// Preview and Check are not transitions.
	_, _, err = w.Preview(ctx, c, complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService))
	require.NoError(t, err)
	assert.Len(t, obs.seen, 3)
	assert.Same(t, obs, w.Observer(), "one observer is itself")

	none, err := complaint.New(complaint.Options{})
	require.NoError(t, err)
	assert.Nil(t, none.Observer())
}
