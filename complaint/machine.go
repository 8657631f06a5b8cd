package complaint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/looplab/fsm"

	"github.com/klageflow/klage/glossary"
)

// cellKey is a (state, event) pair.
type cellKey struct {
	state State
	event Event
}

// machine is a validated lifecycle, compiled for lookups that do not
// allocate (Can, Check, Restore), and a pool of looplab FSMs built from it
// that execute the state-changing transitions, so that no FSM is built per
// complaint.
type machine struct {
	lc     Lifecycle
	rules  map[cellKey]*Rule
	events []Event // every event with a rule, in the order of first appearance
	labels map[Event]map[glossary.Language]string
	// windowed lists the states in which the escalation window applies:
	// those a rule that starts the escalation_window clock leads to.
	windowed []State

	fsmEvents fsm.Events
	pool      sync.Pool
}

// referenceMachine is the reference lifecycle, compiled once per process.
var referenceMachine = sync.OnceValues(func() (*machine, error) { return newMachine(Reference()) })

// newMachine validates lc and compiles a copy of it.
func newMachine(lc Lifecycle) (*machine, error) {
	lc = lc.clone()
	if err := lc.validate(); err != nil {
		return nil, err
	}
	m := &machine{lc: lc, rules: map[cellKey]*Rule{}, labels: map[Event]map[glossary.Language]string{}}
	for _, e := range m.lc.Events {
		m.labels[e.Event] = e.Labels
	}
	for i := range m.lc.Rules {
		r := &m.lc.Rules[i]
		if !slices.Contains(m.events, r.Event) {
			m.events = append(m.events, r.Event)
		}
		for _, from := range r.From {
			m.rules[cellKey{from, r.Event}] = r
		}
		if r.To != "" && slices.Contains(r.Starts, DeadlineEscalationWindow) && !slices.Contains(m.windowed, r.To) {
			m.windowed = append(m.windowed, r.To)
		}
		if r.To == "" {
			continue // looplab reports a self-loop as NoTransitionError: these never reach it
		}
		// looplab keys a transition by (event, source), so the rows of one
		// event may lead to different states.
		desc := fsm.EventDesc{Name: string(r.Event), Dst: string(r.To)}
		for _, from := range r.From {
			desc.Src = append(desc.Src, string(from))
		}
		m.fsmEvents = append(m.fsmEvents, desc)
	}
	m.pool.New = func() any { return m.newFSM() }
	if err := m.agree(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *machine) newFSM() *fsm.FSM {
	return fsm.NewFSM(string(StateReceived), m.fsmEvents, nil)
}

// agree checks that the looplab machine takes every state-changing rule
// where the table says, and nothing else.
func (m *machine) agree() error {
	f := m.newFSM()
	for _, s := range m.lc.States {
		for _, e := range m.events {
			f.SetState(string(s.State))
			r := m.rule(s.State, e)
			if f.Can(string(e)) != (r != nil && r.To != "") {
				return fmt.Errorf("complaint: lifecycle: looplab and the table disagree on %s from %s", e, s.State)
			}
		}
	}
	for k, r := range m.rules {
		if r.To == "" {
			continue
		}
		f.SetState(string(k.state))
		if err := f.Event(context.Background(), string(r.Event)); err != nil {
			return fmt.Errorf("complaint: lifecycle: looplab refuses %s from %s: %w", k.event, k.state, err)
		}
		if State(f.Current()) != r.To {
			return fmt.Errorf("complaint: lifecycle: looplab takes %s from %s to %s, want %s", k.event, k.state, f.Current(), r.To)
		}
	}
	return nil
}

// known reports whether some rule of m fires e.
func (m *machine) known(e Event) bool { return slices.Contains(m.events, e) }

// state returns the spec of state s, or nil when m has no such state. A
// lifecycle has a handful of states: a scan is cheaper than a map.
func (m *machine) state(s State) *StateSpec {
	for i := range m.lc.States {
		if m.lc.States[i].State == s {
			return &m.lc.States[i]
		}
	}
	return nil
}

// fromWindow returns the spec of the state rule r leads to when it is
// fired in s and s is a state where the escalation window applies; nil
// otherwise. Two facts about the window follow from it:
//
//   - a rule to a terminal state that is not the customer's own decision
//     (Consent) waits for the window to lapse, and is refused for good
//     when the policy sets no limit (close from final_answer; accept and
//     withdraw are the customer's);
//   - a rule to an escalated state is the customer's escalation (escalate).
func (m *machine) fromWindow(s State, r *Rule) *StateSpec {
	if r.To == "" || !slices.Contains(m.windowed, s) {
		return nil
	}
	return m.state(r.To)
}

// waitsForWindow reports whether rule r, fired in s, waits for the
// escalation window to lapse (see fromWindow).
func (m *machine) waitsForWindow(s State, r *Rule) bool {
	to := m.fromWindow(s, r)
	return to != nil && to.Terminal && !r.Consent
}

// escalates reports whether rule r, fired in s, is the customer's
// escalation (see fromWindow).
func (m *machine) escalates(s State, r *Rule) bool {
	to := m.fromWindow(s, r)
	return to != nil && to.Escalated
}

// needs returns the payload event e needs in m (the same in every state
// it fires in: validate checks that).
func (m *machine) needs(e Event) Payload {
	for i := range m.lc.Rules {
		if m.lc.Rules[i].Event == e {
			return m.lc.Rules[i].Needs
		}
	}
	return NeedsNothing
}

// restoreOnly reports whether a row that an older release allowed, and
// this one no longer does, allows the stored entry e from state.
func (m *machine) restoreOnly(state State, e *Entry) bool {
	for i := range m.lc.restoreOnly {
		r := &m.lc.restoreOnly[i]
		if r.Event == e.Event && r.To == e.To && slices.Contains(r.From, state) && slices.Contains(r.Roles, e.Actor.Role) {
			return true
		}
	}
	return false
}

// role reports whether r is one of m's roles.
func (m *machine) role(r glossary.Role) bool { return slices.Contains(m.lc.Roles, r) }

// rule returns the rule for e in s, or nil.
func (m *machine) rule(s State, e Event) *Rule { return m.rules[cellKey{s, e}] }

// step runs rule r from state from on a pooled looplab FSM. A machine
// whose Event failed is dropped, never put back: looplab leaves a machine
// wedged when the context is cancelled during Event.
func (m *machine) step(ctx context.Context, from State, r *Rule) error {
	f := m.pool.Get().(*fsm.FSM)
	f.SetState(string(from))
	if err := f.Event(ctx, string(r.Event)); err != nil {
		var noTransition fsm.NoTransitionError
		if !errors.As(err, &noTransition) || noTransition.Err != nil {
			return err
		}
	}
	m.pool.Put(f)
	return nil
}

// Edge is one allowed (state, event) pair of a lifecycle with the state it
// leads to and the roles that may fire it. For an event that keeps the
// state (update, internal_note, reclassify, fulfil), To equals From.
type Edge struct {
	From  State
	Event Event
	To    State
	Roles []glossary.Role
}

// edges lists m's edges by state, then by rule order.
func (m *machine) edges() []Edge {
	var out []Edge
	for _, s := range m.lc.States {
		for _, e := range m.events {
			if r := m.rule(s.State, e); r != nil {
				to := r.To
				if to == "" {
					to = s.State
				}
				out = append(out, Edge{From: s.State, Event: e, To: to, Roles: slices.Clone(r.Roles)})
			}
		}
	}
	return out
}

// DiagramFormat selects the notation of [Workflow.Diagram].
type DiagramFormat string

// The diagram formats.
const (
	Mermaid  DiagramFormat = "mermaid"  // a Mermaid stateDiagram-v2
	Graphviz DiagramFormat = "graphviz" // a Graphviz digraph
)

// diagram renders m's state-changing transitions with looplab/fsm's
// visualizers.
func (m *machine) diagram(format DiagramFormat) (string, error) {
	switch format {
	case Mermaid:
		return fsm.VisualizeWithType(m.newFSM(), fsm.MermaidStateDiagram)
	case Graphviz:
		return fsm.VisualizeWithType(m.newFSM(), fsm.GRAPHVIZ)
	}
	return "", fmt.Errorf("complaint: unknown diagram format %q (want %q or %q)", format, Mermaid, Graphviz)
}
