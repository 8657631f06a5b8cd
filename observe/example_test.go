package observe_test

import (
	"context"
	"fmt"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/observe"
)

// printer is an Observer that prints each operation and how it ended.
type printer struct{}

func (printer) Begin(ctx context.Context, op observe.Operation) (context.Context, func(error)) {
	return ctx, func(err error) {
		fmt.Printf("%s %s %s: %v\n", op.Op, op.ComplaintID, op.Event, err == nil)
	}
}

// An Observer of your own, given to the workflow, sees every open and
// transition (and, through Workflow.Observer, a store's saves and a
// relay's deliveries).
func Example() {
	w, err := complaint.New(complaint.Options{Observers: []observe.Observer{printer{}}})
	if err != nil {
		panic(err)
	}
	in := complainttest.Intake()
	in.ID = "K-1"
	c, err := w.Open(context.Background(), in)
	if err != nil {
		panic(err)
	}
	_, _ = w.Fire(context.Background(), c, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Agent})
	// Output:
	// open K-1 open: true
	// fire K-1 review: false
}
