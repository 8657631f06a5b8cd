package complaint

import (
	"slices"

	"github.com/klageflow/klage/glossary"
)

// The workflow is the one source of facts about its lifecycle: which
// states are terminal, escalated or paused, which events are staff-only,
// and which names it knows. Stores, reports, timers and HTTP layers ask it,
// so that an extended lifecycle (a terminal state of its own, an extra
// event or role) gets retention, reports and visibility right.

// State returns the spec of state s in the workflow's lifecycle (whether
// it is terminal, escalated or paused, and who works on the case there),
// and false for a state the lifecycle does not have.
func (w *Workflow) State(s State) (StateSpec, bool) {
	w = w.orDefault()
	spec := w.m.state(s)
	if spec == nil {
		return StateSpec{}, false
	}
	out := *spec
	out.Labels = cloneLabels(out.Labels)
	return out, true
}

// States returns the states of the workflow's lifecycle, in its order.
func (w *Workflow) States() []State {
	w = w.orDefault()
	out := make([]State, len(w.m.lc.States))
	for i, s := range w.m.lc.States {
		out[i] = s.State
	}
	return out
}

// StatesWhere returns the states of the lifecycle whose spec satisfies
// keep, in lifecycle order: w.StatesWhere(func(s StateSpec) bool { return
// s.Terminal }).
func (w *Workflow) StatesWhere(keep func(StateSpec) bool) []State {
	w = w.orDefault()
	var out []State
	for _, s := range w.m.lc.States {
		if keep(s) {
			out = append(out, s.State)
		}
	}
	return out
}

// Terminal reports whether s is a terminal state of the workflow's
// lifecycle: nothing leaves it, and a store stamps the complaint closed
// (retention runs from then).
func (w *Workflow) Terminal(s State) bool {
	spec := w.orDefault().m.state(s)
	return spec != nil && spec.Terminal
}

// Escalated reports whether the Complaints Department holds a complaint in
// state s, or has decided it: an escalated state, or one that only a
// review leads to.
func (w *Workflow) Escalated(s State) bool {
	w = w.orDefault()
	spec := w.m.state(s)
	if spec == nil {
		return false
	}
	if spec.Escalated {
		return true
	}
	for i := range w.m.lc.Rules {
		if r := &w.m.lc.Rules[i]; r.To == s && r.Needs == NeedsDecision {
			return true
		}
	}
	return false
}

// Events returns the events of the workflow's lifecycle that may be
// fired, in lifecycle order (EventOpen, how a complaint starts, is not
// among them).
func (w *Workflow) Events() []Event { return slices.Clone(w.orDefault().m.events) }

// Roles returns the roles of the workflow's lifecycle.
func (w *Workflow) Roles() []glossary.Role { return slices.Clone(w.orDefault().m.lc.Roles) }

// ParseState parses the wire name of a state of the workflow's lifecycle;
// anything else is a *glossary.ParseError (glossary.ErrUnknown).
func (w *Workflow) ParseState(s string) (State, error) {
	if st := State(s); w.orDefault().m.state(st) != nil {
		return st, nil
	}
	return "", parseError("state", s)
}

// ParseEvent parses the wire name of an event of the workflow's lifecycle
// (EventOpen included); anything else is a *glossary.ParseError.
func (w *Workflow) ParseEvent(s string) (Event, error) {
	if e := Event(s); e == EventOpen || w.orDefault().m.known(e) {
		return e, nil
	}
	return "", parseError("event", s)
}

// ParseRole parses the wire name of a role of the workflow's lifecycle;
// anything else is a *glossary.ParseError.
func (w *Workflow) ParseRole(s string) (glossary.Role, error) {
	if r := glossary.Role(s); w.orDefault().m.role(r) {
		return r, nil
	}
	return "", parseError("role", s)
}
