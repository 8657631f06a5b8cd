package complaint

import (
	"context"

	"github.com/klageflow/klage/glossary"
)

// Op names an operation an [Observer] watches.
type Op string

// The operations the library reports.
const (
	OpOpen    Op = "open"    // Workflow.Open
	OpFire    Op = "fire"    // Workflow.Fire
	OpSave    Op = "save"    // a store writing a complaint (Create, Save)
	OpDeliver Op = "deliver" // a relay handing a notification to its Notifier
)

// Operation is what an [Observer] is told of an operation: names and ids,
// never personal data.
type Operation struct {
	Op Op
	// ComplaintID is the complaint's id; empty for an Open whose id the
	// workflow makes.
	ComplaintID string
	// Event is the event fired, opened with or saved (the newest entry's).
	Event Event
	// Topic, Recipient and Key are a delivery's notification.
	Topic     Topic
	Recipient glossary.Role
	Key       string
}

// Observer watches what the library does, for metrics and traces (see
// packages metrics and tracing). Begin is called as an operation starts;
// it returns the context the operation runs in (one carrying a span, say)
// and a function that is called once when the operation ends, with its
// error: nil on success. Observers must be safe for concurrent use and
// quick: they run on every transition.
type Observer interface {
	Begin(ctx context.Context, op Operation) (context.Context, func(err error))
}

// Observers combines observers into one that tells each of them, in
// order; nil when there is none.
func Observers(obs ...Observer) Observer {
	var all multiObserver
	for _, o := range obs {
		switch o := o.(type) {
		case nil:
		case multiObserver:
			all = append(all, o...)
		default:
			all = append(all, o)
		}
	}
	switch len(all) {
	case 0:
		return nil
	case 1:
		return all[0]
	}
	return all
}

type multiObserver []Observer

func (m multiObserver) Begin(ctx context.Context, op Operation) (context.Context, func(error)) {
	ends := make([]func(error), len(m))
	for i, o := range m {
		ctx, ends[i] = o.Begin(ctx, op)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

func nothing(error) {}

// Observe begins op on the workflow's observers ([Options].Observers) and
// returns the context to run it in and the function to call when it ends.
// Stores call it around their writes; without observers it returns ctx
// and a function that does nothing.
func (w *Workflow) Observe(ctx context.Context, op Operation) (context.Context, func(err error)) {
	w = w.orDefault()
	if w.observer == nil {
		return ctx, nothing
	}
	return w.observer.Begin(ctx, op)
}

// Observer returns the workflow's observers as one, nil when it has none:
// give it to a store.Relay, so that deliveries are observed too.
func (w *Workflow) Observer() Observer { return w.orDefault().observer }
