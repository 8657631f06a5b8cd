package complaint

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/looplab/fsm"

	"github.com/klageflow/klage/glossary"
)

// transitionSpec is one row of DESIGN's event table.
type transitionSpec struct {
	event Event
	from  []State
	to    State
	roles []glossary.Role
}

// lifecycle is the contract: DESIGN.md section 2, row for row.
var lifecycle = []transitionSpec{
	{EventStart, []State{StateReceived}, StateInProgress, []glossary.Role{glossary.CustomerService}},
	{EventRequestInfo, []State{StateInProgress}, StateAwaitingCustomer, []glossary.Role{glossary.CustomerService}},
	{EventProvideInfo, []State{StateAwaitingCustomer}, StateInProgress, []glossary.Role{glossary.Customer, glossary.CustomerService}},
	{EventRefer, []State{StateInProgress}, StateWithManufacturer, []glossary.Role{glossary.CustomerService}},
	{EventResume, []State{StateWithManufacturer}, StateInProgress, []glossary.Role{glossary.CustomerService, glossary.Manufacturer}},
	{EventAnswer, []State{StateReceived, StateInProgress}, StateFinalAnswer, []glossary.Role{glossary.CustomerService}},
	{EventAccept, []State{StateFinalAnswer}, StateClosed, []glossary.Role{glossary.Customer, glossary.CustomerService}},
	{EventEscalate, []State{StateFinalAnswer}, StateEscalated, []glossary.Role{glossary.Customer, glossary.ComplaintsDepartment}},
	{EventReview, []State{StateEscalated}, StateReviewed, []glossary.Role{glossary.ComplaintsDepartment}},
	{EventClose, []State{StateFinalAnswer, StateReviewed}, StateClosed, []glossary.Role{glossary.ComplaintsDepartment, glossary.System}},
	{EventWithdraw, []State{StateReceived, StateInProgress, StateAwaitingCustomer, StateWithManufacturer, StateFinalAnswer, StateEscalated},
		StateClosed, []glossary.Role{glossary.Customer, glossary.CustomerService}},
}

// updateRoles says who may post a progress update in which state.
var updateRoles = map[State][]glossary.Role{
	StateInProgress:       {glossary.CustomerService},
	StateAwaitingCustomer: {glossary.CustomerService},
	StateWithManufacturer: {glossary.CustomerService},
	StateEscalated:        {glossary.ComplaintsDepartment},
}

// openRoles may open a complaint.
var openRoles = []glossary.Role{glossary.Customer, glossary.CustomerService, glossary.System}

const (
	numStates = 8
	numEvents = 13
	numRoles  = 5
)

type roleMask uint8

// openMask is the roles that may open a complaint.
var openMask = maskOf(openRoles)

func maskOf(roles []glossary.Role) roleMask {
	var m roleMask
	for _, r := range roles {
		if i := roleIndex(r); i >= 0 {
			m |= 1 << i
		}
	}
	return m
}

func (m roleMask) has(r glossary.Role) bool {
	i := roleIndex(r)
	return i >= 0 && m&(1<<i) != 0
}

func (m roleMask) roles() []glossary.Role {
	var out []glossary.Role
	for _, r := range glossary.Roles() {
		if m.has(r) {
			out = append(out, r)
		}
	}
	return out
}

// cell is what event e does in state s.
type cell struct {
	ok    bool
	toi   uint8 // index of to
	to    State
	roles roleMask
}

// definition is the machine, built and validated once per process: a dense
// table for lookups that must not allocate (Can, Restore), and a pool of
// looplab FSMs that execute transitions, so that no FSM is built per
// complaint.
type definition struct {
	table     [numStates][numEvents]cell
	fsmEvents fsm.Events
	pool      sync.Pool
}

var loadDefinition = sync.OnceValues(func() (*definition, error) {
	d := &definition{}
	for _, spec := range lifecycle {
		ev := eventIndex(spec.event)
		desc := fsm.EventDesc{Name: string(spec.event), Dst: string(spec.to)}
		for _, from := range spec.from {
			d.table[stateIndex(from)][ev] = cell{ok: true, to: spec.to, toi: uint8(stateIndex(spec.to)), roles: maskOf(spec.roles)}
			desc.Src = append(desc.Src, string(from))
		}
		d.fsmEvents = append(d.fsmEvents, desc)
	}
	for s, roles := range updateRoles {
		d.table[stateIndex(s)][eventIndex(EventUpdate)] = cell{ok: true, to: s, toi: uint8(stateIndex(s)), roles: maskOf(roles)}
	}
	d.pool.New = func() any { return d.newFSM() }
	if err := d.validate(); err != nil {
		return nil, err
	}
	return d, nil
})

func (d *definition) newFSM() *fsm.FSM {
	return fsm.NewFSM(string(StateReceived), d.fsmEvents, nil)
}

// validate checks the definition once, when it is first built: the tables
// name only known states, events and roles; no event loops onto its own
// state (looplab reports such an event as NoTransitionError); every state is
// reachable from received and can reach closed; closed is terminal; and the
// looplab machine agrees with the dense table on every (state, event) pair.
func (d *definition) validate() error {
	for _, spec := range lifecycle {
		if !spec.event.Valid() || !spec.to.Valid() || len(spec.roles) == 0 {
			return fmt.Errorf("complaint: definition: bad row for %q", spec.event)
		}
		for _, r := range spec.roles {
			if !r.Valid() {
				return fmt.Errorf("complaint: definition: %s: unknown role %q", spec.event, r)
			}
		}
		for _, from := range spec.from {
			if !from.Valid() {
				return fmt.Errorf("complaint: definition: %s: unknown state %q", spec.event, from)
			}
			if from == spec.to {
				return fmt.Errorf("complaint: definition: %s loops on %s", spec.event, from)
			}
		}
	}
	// Reachability, forwards from received and backwards from closed.
	reach := func(start State, forward bool) map[State]bool {
		seen := map[State]bool{start: true}
		for changed := true; changed; {
			changed = false
			for _, s := range States() {
				for _, e := range Events() {
					c := d.table[stateIndex(s)][eventIndex(e)]
					if !c.ok {
						continue
					}
					a, b := s, c.to
					if !forward {
						a, b = b, a
					}
					if seen[a] && !seen[b] {
						seen[b], changed = true, true
					}
				}
			}
		}
		return seen
	}
	fromReceived, toClosed := reach(StateReceived, true), reach(StateClosed, false)
	for _, s := range States() {
		if !fromReceived[s] {
			return fmt.Errorf("complaint: definition: %s is unreachable", s)
		}
		if !toClosed[s] {
			return fmt.Errorf("complaint: definition: %s cannot reach closed", s)
		}
	}
	for _, e := range Events() {
		if d.table[stateIndex(StateClosed)][eventIndex(e)].ok {
			return fmt.Errorf("complaint: definition: closed is not terminal (%s)", e)
		}
	}
	// The looplab machine and the table must agree.
	m := d.newFSM()
	for _, s := range States() {
		for _, e := range Events() {
			if e == EventUpdate || e == EventOpen {
				continue
			}
			m.SetState(string(s))
			c := d.table[stateIndex(s)][eventIndex(e)]
			if m.Can(string(e)) != c.ok {
				return fmt.Errorf("complaint: definition: fsm and table disagree on %s from %s", e, s)
			}
			if !c.ok {
				continue
			}
			if err := m.Event(context.Background(), string(e)); err != nil || State(m.Current()) != c.to {
				return fmt.Errorf("complaint: definition: fsm takes %s from %s to %s (%v), want %s", e, s, m.Current(), err, c.to)
			}
		}
	}
	return nil
}

// step runs event e from state from on a pooled looplab FSM. When it
// succeeds the machine is in the state the table names: validate checked
// that the two agree on every pair when the definition was built. A machine
// whose Event failed is dropped, never put back: looplab leaves a machine
// wedged when the context is cancelled during Event.
func (d *definition) step(ctx context.Context, from State, e Event) error {
	m := d.pool.Get().(*fsm.FSM)
	m.SetState(string(from))
	if err := m.Event(ctx, string(e)); err != nil {
		var noTransition fsm.NoTransitionError
		if !errors.As(err, &noTransition) || noTransition.Err != nil {
			return err
		}
	}
	d.pool.Put(m)
	return nil
}

func (d *definition) cell(s State, e Event) cell {
	si, ei := stateIndex(s), eventIndex(e)
	if si < 0 || ei < 0 {
		return cell{}
	}
	return d.table[si][ei]
}

func stateIndex(s State) int {
	switch s {
	case StateReceived:
		return 0
	case StateInProgress:
		return 1
	case StateAwaitingCustomer:
		return 2
	case StateWithManufacturer:
		return 3
	case StateFinalAnswer:
		return 4
	case StateEscalated:
		return 5
	case StateReviewed:
		return 6
	case StateClosed:
		return 7
	}
	return -1
}

func eventIndex(e Event) int {
	switch e {
	case EventOpen:
		return 0
	case EventStart:
		return 1
	case EventRequestInfo:
		return 2
	case EventProvideInfo:
		return 3
	case EventRefer:
		return 4
	case EventResume:
		return 5
	case EventAnswer:
		return 6
	case EventAccept:
		return 7
	case EventEscalate:
		return 8
	case EventReview:
		return 9
	case EventClose:
		return 10
	case EventWithdraw:
		return 11
	case EventUpdate:
		return 12
	}
	return -1
}

func roleIndex(r glossary.Role) int {
	switch r {
	case glossary.Customer:
		return 0
	case glossary.CustomerService:
		return 1
	case glossary.ComplaintsDepartment:
		return 2
	case glossary.Manufacturer:
		return 3
	case glossary.System:
		return 4
	}
	return -1
}

// Edge is one allowed (state, event) pair of the lifecycle with the state
// it leads to and the roles that may fire it. For EventUpdate, To equals
// From.
type Edge struct {
	From  State
	Event Event
	To    State
	Roles []glossary.Role
}

// Edges returns every allowed (state, event) pair, including progress
// updates, ordered by state and then event in lifecycle order. The slice is
// new on every call.
func Edges() []Edge {
	d, err := loadDefinition()
	if err != nil {
		return nil
	}
	var out []Edge
	for _, s := range States() {
		for _, e := range Events() {
			if c := d.cell(s, e); c.ok {
				out = append(out, Edge{From: s, Event: e, To: c.to, Roles: c.roles.roles()})
			}
		}
	}
	return out
}

// DiagramFormat selects the notation of Diagram.
type DiagramFormat string

// The diagram formats.
const (
	Mermaid  DiagramFormat = "mermaid"  // a Mermaid stateDiagram-v2
	Graphviz DiagramFormat = "graphviz" // a Graphviz digraph
)

// Diagram renders the lifecycle's state-changing transitions, as drawn by
// looplab/fsm's visualizers: Mermaid starts with "[*] --> received" and has
// one "src --> dst: event" line per (state, event) pair, sorted. Progress
// updates are not drawn: they never change the state.
func Diagram(format DiagramFormat) (string, error) {
	d, err := loadDefinition()
	if err != nil {
		return "", err
	}
	switch format {
	case Mermaid:
		return fsm.VisualizeWithType(d.newFSM(), fsm.MermaidStateDiagram)
	case Graphviz:
		return fsm.VisualizeWithType(d.newFSM(), fsm.GRAPHVIZ)
	}
	return "", fmt.Errorf("complaint: unknown diagram format %q (want %q or %q)", format, Mermaid, Graphviz)
}
