package complaint

import "github.com/klageflow/klage/observe"

// Observer returns the workflow's observers ([Options].Observers) as one,
// nil when it has none: give it to a store.Relay, so that deliveries are
// observed too, and to observe.Begin around a store's writes.
func (w *Workflow) Observer() observe.Observer { return w.orDefault().observer }
