// Package observe is how klage tells metrics and traces what it does: an
// [Observer] is told when an operation begins and ends. Packages metrics
// and tracing are Observers; write one of your own for another backend,
// and give it to complaint.Options's Observers (and the workflow's
// combined observer, Workflow.Observer, to a store.Relay).
//
// An [Operation] carries names and ids, never personal data.
package observe

import (
	"context"

	"github.com/klageflow/klage/glossary"
)

// Op names an operation an [Observer] watches.
type Op string

// The operations the library reports.
const (
	Open    Op = "open"    // complaint.Workflow.Open
	Fire    Op = "fire"    // complaint.Workflow.Fire
	Save    Op = "save"    // a store writing a complaint (Create, Save)
	Deliver Op = "deliver" // a relay handing a notification to its Notifier
)

// Operation is what an [Observer] is told of an operation: names and ids,
// never personal data.
type Operation struct {
	Op Op
	// ComplaintID is the complaint's id; empty for an Open whose id the
	// workflow makes.
	ComplaintID string
	// Event is the wire name of the event fired, opened with or saved (the
	// newest entry's).
	Event string
	// Topic, Recipient and Key are a delivery's notification.
	Topic     string
	Recipient glossary.Role
	Key       string
}

// Observer watches what the library does, for metrics and traces. Begin
// is called as an operation starts; it returns the context the operation
// runs in (one carrying a span, say) and a function that is called once
// when the operation ends, with its error: nil on success. Observers must
// be safe for concurrent use and quick: they run on every transition.
type Observer interface {
	Begin(ctx context.Context, op Operation) (context.Context, func(err error))
}

// Join combines observers into one that tells each of them, in order; nil
// when there is none.
func Join(obs ...Observer) Observer {
	var all multi
	for _, o := range obs {
		switch o := o.(type) {
		case nil:
		case multi:
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

type multi []Observer

func (m multi) Begin(ctx context.Context, op Operation) (context.Context, func(error)) {
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

// Begin begins op on o, which may be nil: then it returns ctx and a
// function that does nothing. Stores call it around their writes with
// the workflow's observer.
func Begin(ctx context.Context, o Observer, op Operation) (context.Context, func(err error)) {
	if o == nil {
		return ctx, nothing
	}
	return o.Begin(ctx, op)
}

func nothing(error) {}
