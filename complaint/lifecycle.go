package complaint

import (
	"fmt"
	"slices"

	"github.com/klageflow/klage/glossary"
)

// Lifecycle is a complaint process as plain data: its states, the events
// that may happen in each, who may fire them, what they need and what they
// do. [Reference] returns the lifecycle of klage's design (DESIGN §2); a
// retailer may extend it (an extra state such as a technician's service
// step, an extra event, an extra role) and build a [Workflow] on it with
// [Options].Lifecycle. [New] validates it, the design's invariants
// included, and refuses a bad one with a *ConfigError naming the part.
//
// The zero Lifecycle is empty and is refused by New.
type Lifecycle struct {
	// States lists every state, the first being where a complaint is
	// opened (received).
	States []StateSpec
	// Events lists the events that are not in the reference vocabulary,
	// with their labels. The reference events need no entry.
	Events []EventSpec
	// Roles lists every role that may act, the reference roles included.
	Roles []glossary.Role
	// Openers may open a complaint.
	Openers []glossary.Role
	// Rules are the rows of the event table, in the order menus list
	// them. An event may have several rows (request_info has one for
	// customer service and one for the Complaints Department) as long as
	// no two name the same state and all need the same payload.
	Rules []Rule
	// Timers say what happens, by itself, when a clock lapses: reminders,
	// messages to the customer, events the system fires. A store's timer
	// runner (store.Timers) acts on them, once each.
	Timers []Timer

	// restoreOnly are rows that an older release allowed and this one does
	// not: a stored entry that one of them allows still restores, and no
	// new entry of the kind can be made.
	restoreOnly []Rule
}

// Timer is one thing that happens by itself when a clock of a complaint
// has lapsed: After (or the policy's Setting) past the clock's due time,
// while the complaint is in one of States, once per lapse of the clock.
// Its action reminds roles (Notify, and NotifyOwner for the clock's owner)
// or fires Fire as the system actor; a Fire that a remedy owed refuses
// (accept, close) reminds customer service instead. Each is recorded in
// the history: a reminder as EventRemind, an event as itself, with the
// timer's Name as the entry's note, so that it happens exactly once.
type Timer struct {
	// Name identifies the timer: unique in the lifecycle, a well-formed
	// wire name ("first_response.remind").
	Name string
	// Clock is the clock whose lapse it follows.
	Clock DeadlineName
	// States limits it to complaints in these states; empty means wherever
	// the clock runs. A paused clock never acts.
	States []State
	// After is how long after the clock's due time it acts; Setting, when
	// set, names the policy's period to use instead (Policy.Setting), so
	// that each customer type's policy decides, and a zero setting turns
	// the timer off.
	After   Period
	Setting string
	// Lapse, when above 1, limits it to the Lapse-th and later lapses of a
	// clock that runs again and again (the progress update's).
	Lapse int
	// Notify and NotifyOwner are who is reminded: roles, and the clock's
	// owner (whoever must act, or the role that asked the customer).
	// A customer gets TopicReplyReminder, staff TopicReminder.
	Notify      []glossary.Role
	NotifyOwner bool
	// Fire is the event the system fires instead of reminding.
	Fire Event
}

// StateSpec describes one state of a [Lifecycle].
type StateSpec struct {
	State State
	// Labels name the state in each language; a reference state without
	// labels uses the shipped ones, and a missing language falls back to
	// English, then to the wire name.
	Labels map[glossary.Language]string
	// Pauses: the complaint waits for the customer here, and its clocks
	// pause.
	Pauses bool
	// Handler is who works on the case here: while the complaint is in the
	// state, the progress-update clock runs for them. Empty: nobody does.
	Handler glossary.Role
	// Escalated: the Complaints Department holds the case. Customer service
	// may fire nothing here, and the only way to a state that is neither
	// escalated nor terminal is review.
	Escalated bool
	// Terminal: nothing leaves the state (closed).
	Terminal bool
}

// EventSpec gives an event that the reference vocabulary lacks its labels.
type EventSpec struct {
	Event  Event
	Labels map[glossary.Language]string
}

// Payload is what an event needs besides its actor.
type Payload string

// The payloads. Input carries at most one; an event that needs none
// refuses every one, so that a misrouted answer is never dropped silently.
const (
	NeedsNothing  Payload = ""         // a note is optional
	NeedsNote     Payload = "note"     // a note is required (request_info, update, internal_note, fulfil)
	NeedsAnswer   Payload = "answer"   // Input.Answer (answer)
	NeedsReferral Payload = "referral" // Input.Referral (refer)
	NeedsDecision Payload = "decision" // Input.Decision (review)
	NeedsKind     Payload = "kind"     // Input.Kind, the new kind (reclassify)
	NeedsTimer    Payload = "timer"    // Input.Timer, the timer that acts (remind, and events timers fire)
	// NeedsFulfilment: Input.Fulfilment, the remedy carried out (fulfil).
	NeedsFulfilment Payload = "fulfilment"
)

// Rule is one row of a lifecycle's event table.
//
// Besides its fields, the library derives from the table what the law's
// escalation window means for a rule, so that an extended lifecycle's own
// events follow it without being named: the window applies in the states
// a rule that starts the escalation_window clock leads to (final_answer);
// there, a rule that ends the case (leads to a Terminal state) and is not
// the customer's decision (Consent) waits for the window to lapse, and is
// refused for good when the policy sets none (close does; accept and
// withdraw do not); a rule that leads to an Escalated state is fired by
// the customer only while the window runs, and by anyone else after it
// only with a note (escalate). A refusal in a Terminal state matches
// [ErrClosed].
type Rule struct {
	Event Event
	// From lists the states the event may fire in.
	From []State
	// To is the state the event leads to; empty when it keeps the state
	// (update, internal_note, reclassify, fulfil).
	To State
	// Roles may fire the event.
	Roles []glossary.Role
	// Needs is the payload the event requires.
	Needs Payload
	// Notify lists the notifications the event produces. Internal notes
	// produce none.
	Notify []Notice
	// Starts lists the clocks the event starts, when the policy sets a
	// period for them (and, for doa_replacement, the complaint is DOA).
	Starts []DeadlineName
	// Meets lists the clocks the event meets. Clocks not met when the
	// complaint reaches a terminal state are cancelled.
	Meets []DeadlineName
	// Consent: the event is the customer's decision. Anyone else who fires
	// it acts for the customer and must record the customer's consent
	// (Input.Consent).
	Consent bool
	// Settles: the event ends the case as resolved (accept, close), so it
	// is refused while a granted remedy has not been carried out. A
	// withdrawal does not settle: it is always the customer's right.
	Settles bool
	// StaffOnly: the event's history entries are for staff only (an
	// internal note, a safety flag): a customer or a manufacturer never
	// sees them ([Audience]). Such a rule may notify only staff.
	StaffOnly bool
	// Safety: the event marks the complaint as a product-safety matter
	// ([Complaint.Safety]), and is refused once it is one (flag_safety).
	Safety bool
}

// Notice is a notification a [Rule] produces: its topic and recipient,
// optionally only when the event leaves one of the states in From.
type Notice struct {
	Topic Topic
	To    glossary.Role
	From  []State // empty: from every state of the rule; states the rule does not fire in never apply
}

var (
	customerService = []glossary.Role{glossary.CustomerService}
	department      = []glossary.Role{glossary.ComplaintsDepartment}
	toCustomer      = []Notice{{Topic: TopicProgress, To: glossary.Customer}}
)

// Reference returns the reference lifecycle of DESIGN §2 (v2), a new copy
// on every call: change it freely to build an extended one.
func Reference() Lifecycle {
	cs, cd, cu, mf, sys := glossary.CustomerService, glossary.ComplaintsDepartment, glossary.Customer, glossary.Manufacturer, glossary.System
	working := []State{StateInProgress, StateAwaitingCustomer, StateWithManufacturer}
	escalated := []State{StateEscalated, StateEscalatedAwaitingCustomer}
	beforeEscalation := []State{StateReceived, StateInProgress, StateAwaitingCustomer, StateWithManufacturer, StateFinalAnswer}
	open := append(slices.Clone(beforeEscalation), StateEscalated, StateEscalatedAwaitingCustomer, StateReviewed)
	closedNotices := []Notice{
		{Topic: TopicClosed, To: cu},
		{Topic: TopicClosed, To: mf, From: []State{StateWithManufacturer}},
		{Topic: TopicClosed, To: cd, From: escalated},
	}
	fulfilled := []Notice{{Topic: TopicFulfilled, To: cu}}
	// The rows share slices (customerService, closedNotices): the clone
	// gives the caller its own.
	return Lifecycle{
		States: []StateSpec{
			{State: StateReceived},
			{State: StateInProgress, Handler: cs},
			{State: StateAwaitingCustomer, Pauses: true},
			{State: StateWithManufacturer, Handler: cs},
			{State: StateFinalAnswer},
			{State: StateEscalated, Handler: cd, Escalated: true},
			{State: StateEscalatedAwaitingCustomer, Pauses: true, Escalated: true},
			{State: StateReviewed},
			{State: StateClosed, Terminal: true},
		},
		Roles:   []glossary.Role{cu, cs, cd, mf, sys},
		Openers: []glossary.Role{cu, cs, sys},
		// klage v1 let customer service withdraw an escalated case; v2
		// does not. A complaint stored by v1 still restores.
		restoreOnly: []Rule{{Event: EventWithdraw, From: escalated[:1], To: StateClosed, Roles: customerService}},
		Rules: []Rule{
			{Event: EventStart, From: []State{StateReceived}, To: StateInProgress, Roles: customerService,
				Notify: []Notice{{Topic: TopicStarted, To: cu}}, Meets: []DeadlineName{DeadlineFirstResponse}},
			{Event: EventRequestInfo, From: []State{StateInProgress}, To: StateAwaitingCustomer, Roles: customerService,
				Needs: NeedsNote, Notify: []Notice{{Topic: TopicInfoRequested, To: cu}}, Starts: []DeadlineName{DeadlineCustomerReply}},
			{Event: EventRequestInfo, From: []State{StateEscalated}, To: StateEscalatedAwaitingCustomer, Roles: department,
				Needs: NeedsNote, Notify: []Notice{{Topic: TopicInfoRequested, To: cu}}, Starts: []DeadlineName{DeadlineCustomerReply}},
			{Event: EventProvideInfo, From: []State{StateAwaitingCustomer}, To: StateInProgress, Roles: []glossary.Role{cu, cs},
				Notify: toCustomer, Meets: []DeadlineName{DeadlineCustomerReply}},
			{Event: EventProvideInfo, From: []State{StateEscalatedAwaitingCustomer}, To: StateEscalated, Roles: []glossary.Role{cu, cd},
				Notify: toCustomer, Meets: []DeadlineName{DeadlineCustomerReply}},
			{Event: EventRefer, From: []State{StateInProgress}, To: StateWithManufacturer, Roles: customerService,
				Needs: NeedsReferral, Notify: []Notice{{Topic: TopicReferred, To: cu}, {Topic: TopicReferred, To: mf}}},
			{Event: EventResume, From: []State{StateWithManufacturer}, To: StateInProgress, Roles: []glossary.Role{cs, mf},
				Notify: toCustomer},
			{Event: EventAnswer, From: []State{StateReceived, StateInProgress}, To: StateFinalAnswer, Roles: customerService,
				Needs: NeedsAnswer, Notify: []Notice{{Topic: TopicFinalAnswer, To: cu}},
				Starts: []DeadlineName{DeadlineEscalationWindow}, Meets: []DeadlineName{DeadlineFirstResponse}},
			{Event: EventAccept, From: []State{StateFinalAnswer}, To: StateClosed, Roles: []glossary.Role{cu, cs}, Notify: closedNotices, Consent: true, Settles: true},
			{Event: EventEscalate, From: []State{StateFinalAnswer}, To: StateEscalated, Roles: []glossary.Role{cu, cd},
				Notify: []Notice{{Topic: TopicEscalated, To: cu}, {Topic: TopicEscalated, To: cd}},
				Starts: []DeadlineName{DeadlineReviewDecision},
				Meets:  []DeadlineName{DeadlineEscalationWindow}},
			{Event: EventReview, From: []State{StateEscalated}, To: StateReviewed, Roles: department,
				Needs: NeedsDecision, Notify: []Notice{{Topic: TopicReviewed, To: cu}}, Meets: []DeadlineName{DeadlineReviewDecision}},
			// Closing once the escalation window has lapsed meets it; an
			// accept or withdrawal within it cancels it.
			{Event: EventClose, From: []State{StateFinalAnswer, StateReviewed}, To: StateClosed, Roles: []glossary.Role{cd, sys},
				Notify: closedNotices, Meets: []DeadlineName{DeadlineEscalationWindow}, Settles: true},
			{Event: EventWithdraw, From: beforeEscalation, To: StateClosed, Roles: []glossary.Role{cu, cs}, Notify: closedNotices, Consent: true},
			{Event: EventWithdraw, From: escalated, To: StateClosed, Roles: []glossary.Role{cu, cd}, Notify: closedNotices, Consent: true},

			{Event: EventUpdate, From: working, Roles: customerService, Needs: NeedsNote, Notify: toCustomer},
			{Event: EventUpdate, From: escalated, Roles: department, Needs: NeedsNote, Notify: toCustomer},
			{Event: EventInternalNote, From: beforeEscalation, Roles: customerService, Needs: NeedsNote, StaffOnly: true},
			{Event: EventInternalNote, From: []State{StateEscalated, StateEscalatedAwaitingCustomer, StateReviewed}, Roles: department, Needs: NeedsNote, StaffOnly: true},
			{Event: EventReclassify, From: []State{StateReceived, StateInProgress, StateAwaitingCustomer, StateWithManufacturer},
				Roles: customerService, Needs: NeedsKind},
			{Event: EventReclassify, From: []State{StateEscalated}, Roles: department, Needs: NeedsKind},
			{Event: EventFlagSafety, From: beforeEscalation, Roles: customerService, Needs: NeedsNote, Safety: true,
				Notify: []Notice{{Topic: TopicSafety, To: cd}}, StaffOnly: true},
			{Event: EventFlagSafety, From: []State{StateEscalated, StateEscalatedAwaitingCustomer, StateReviewed}, Roles: department, Safety: true,
				Needs: NeedsNote, Notify: []Notice{{Topic: TopicSafety, To: cd}}, StaffOnly: true},
			// A fulfilment of a replacement or a refund meets the DOA clock
			// (see updateDeadlines).
			{Event: EventFulfil, From: []State{StateInProgress, StateWithManufacturer, StateFinalAnswer, StateReviewed},
				Roles: []glossary.Role{cs, sys, mf}, Needs: NeedsFulfilment, Notify: fulfilled, Meets: []DeadlineName{DeadlineDOAReplacement}},
			{Event: EventFulfil, From: []State{StateEscalated}, Roles: []glossary.Role{cd, sys, mf}, Needs: NeedsFulfilment, Notify: fulfilled,
				Meets: []DeadlineName{DeadlineDOAReplacement}},
			// The timers' events: a reminder keeps the state (whom it
			// tells is the timer's); a lapse closes a silent customer's
			// case, never while a remedy is owed.
			{Event: EventRemind, From: open, Roles: []glossary.Role{sys}, Needs: NeedsTimer},
			{Event: EventLapse, From: []State{StateAwaitingCustomer, StateEscalatedAwaitingCustomer}, To: StateClosed, Roles: []glossary.Role{sys},
				Needs: NeedsTimer, Settles: true,
				Notify: []Notice{{Topic: TopicLapsed, To: cu}, {Topic: TopicClosed, To: cd, From: []State{StateEscalatedAwaitingCustomer}}}},
		},
		Timers: []Timer{
			// A lapsed first response or progress update: its owner is
			// reminded once per lapse, and again a further period later;
			// the first response's second reminder, and every progress
			// update lapse from the second on, tell the Complaints
			// Department too (ISO 10002's monitoring).
			{Name: "first_response.remind", Clock: DeadlineFirstResponse, NotifyOwner: true},
			{Name: "first_response.repeat", Clock: DeadlineFirstResponse, Setting: "ReminderRepeat", NotifyOwner: true, Notify: department},
			{Name: "progress_update.remind", Clock: DeadlineProgressUpdate, NotifyOwner: true},
			{Name: "progress_update.repeat", Clock: DeadlineProgressUpdate, Setting: "ReminderRepeat", NotifyOwner: true},
			{Name: "progress_update.department", Clock: DeadlineProgressUpdate, Lapse: 2, Notify: department},
			// A customer who does not answer a request for information is
			// reminded after the reply period, again a further period later
			// (with the role that asked), and, when the policy says so, the
			// case closes as lapsed.
			{Name: "customer_reply.remind", Clock: DeadlineCustomerReply, Notify: []glossary.Role{cu}},
			{Name: "customer_reply.again", Clock: DeadlineCustomerReply, Setting: "CustomerReminder", Notify: []glossary.Role{cu}, NotifyOwner: true},
			{Name: "customer_reply.lapse", Clock: DeadlineCustomerReply, Setting: "CustomerLapse", Fire: EventLapse},
			// The escalation window lapsed on a final answer: the system
			// closes the case (while a remedy is owed, customer service is
			// reminded instead). A window of zero never lapses.
			{Name: "escalation_window.close", Clock: DeadlineEscalationWindow, States: []State{StateFinalAnswer}, Fire: EventClose},
			// A DOA replacement overdue: customer service is reminded and
			// the Complaints Department told.
			{Name: "doa_replacement.remind", Clock: DeadlineDOAReplacement, NotifyOwner: true, Notify: department},
			// A decision overdue: the department is reminded.
			{Name: "review_decision.remind", Clock: DeadlineReviewDecision, NotifyOwner: true},
		},
	}.clone()
}

// Find returns the rule for event e from state from, or nil: the row to
// change when extending a lifecycle.
func (l *Lifecycle) Find(e Event, from State) *Rule {
	for i := range l.Rules {
		if l.Rules[i].Event == e && slices.Contains(l.Rules[i].From, from) {
			return &l.Rules[i]
		}
	}
	return nil
}

// clone returns a copy of l that shares no slices or maps with it.
func (l Lifecycle) clone() Lifecycle {
	out := Lifecycle{
		States:  slices.Clone(l.States),
		Events:  slices.Clone(l.Events),
		Roles:   slices.Clone(l.Roles),
		Openers: slices.Clone(l.Openers),
		Rules:   slices.Clone(l.Rules),
		Timers:  slices.Clone(l.Timers),

		restoreOnly: slices.Clone(l.restoreOnly), // read-only: never changed after Reference
	}
	for i := range out.Timers {
		t := &out.Timers[i]
		t.States, t.Notify = slices.Clone(t.States), slices.Clone(t.Notify)
	}
	for i := range out.States {
		out.States[i].Labels = cloneLabels(out.States[i].Labels)
	}
	for i := range out.Events {
		out.Events[i].Labels = cloneLabels(out.Events[i].Labels)
	}
	for i := range out.Rules {
		r := &out.Rules[i]
		r.From, r.Roles, r.Starts, r.Meets = slices.Clone(r.From), slices.Clone(r.Roles), slices.Clone(r.Starts), slices.Clone(r.Meets)
		r.Notify = slices.Clone(r.Notify)
		for j := range r.Notify {
			r.Notify[j].From = slices.Clone(r.Notify[j].From)
		}
	}
	return out
}

func cloneLabels(m map[glossary.Language]string) map[glossary.Language]string {
	if m == nil {
		return nil
	}
	out := make(map[glossary.Language]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// configErr is a *ConfigError about part of the lifecycle.
func configErr(field, format string, args ...any) error {
	return &ConfigError{Field: "Lifecycle." + field, Problem: fmt.Sprintf(format, args...)}
}

// validate checks l: names are well-formed, unique and known; every state
// is reachable from the first and can reach a terminal one; terminal
// states are left by nothing; and the design's invariants hold on the
// graph (see the checks below).
func (l *Lifecycle) validate() error {
	if len(l.States) == 0 {
		return configErr("States", "no states")
	}
	if l.States[0].State != StateReceived {
		return configErr("States[0]", "is %q; a complaint is opened in %q", l.States[0].State, StateReceived)
	}
	states := map[State]*StateSpec{}
	for i := range l.States {
		s := &l.States[i]
		switch {
		case !wireName(string(s.State)):
			return configErr(fmt.Sprintf("States[%d]", i), "%q is not a well-formed name", s.State)
		case states[s.State] != nil:
			return configErr(fmt.Sprintf("States[%d]", i), "%q is listed twice", s.State)
		case !shippedState(s.State) && s.Labels[glossary.English] == "":
			return configErr(fmt.Sprintf("States[%d]", i), "%q needs an English label", s.State)
		}
		states[s.State] = s
	}
	for _, must := range []State{StateFinalAnswer, StateEscalated, StateReviewed, StateClosed} {
		if states[must] == nil {
			return configErr("States", "%q is missing: the design's process needs it", must)
		}
	}
	if !states[StateClosed].Terminal {
		return configErr("States", "%q must be terminal", StateClosed)
	}
	if !states[StateEscalated].Escalated {
		return configErr("States", "%q must be marked Escalated", StateEscalated)
	}
	roles := map[glossary.Role]bool{}
	for i, r := range l.Roles {
		if !wireName(string(r)) || roles[r] {
			return configErr(fmt.Sprintf("Roles[%d]", i), "%q is not a well-formed name or is listed twice", r)
		}
		roles[r] = true
	}
	for _, must := range []glossary.Role{glossary.Customer, glossary.CustomerService, glossary.ComplaintsDepartment} {
		if !roles[must] {
			return configErr("Roles", "%q is missing: the design's process needs it", must)
		}
	}
	if len(l.Openers) == 0 {
		return configErr("Openers", "nobody may open a complaint")
	}
	for i, r := range l.Openers {
		if !roles[r] {
			return configErr(fmt.Sprintf("Openers[%d]", i), "unknown role %q", r)
		}
	}
	for i, s := range states {
		if s.Handler != "" && !roles[s.Handler] {
			return configErr("States", "%s: unknown handler role %q", i, s.Handler)
		}
	}
	extra := map[Event]bool{}
	for i, e := range l.Events {
		if !wireName(string(e.Event)) || events.Valid(e.Event) || extra[e.Event] || e.Labels[glossary.English] == "" {
			return configErr(fmt.Sprintf("Events[%d]", i), "%q must be a new, well-formed event with an English label", e.Event)
		}
		extra[e.Event] = true
	}

	needs := map[Event]Payload{}
	staffOnly := map[Event]bool{}
	cells := map[State]map[Event]bool{}
	for i := range l.Rules {
		r := &l.Rules[i]
		field := fmt.Sprintf("Rules[%d] (%s)", i, r.Event)
		switch {
		case r.Event == EventOpen:
			return configErr(field, "open is not fired: it is how a complaint starts")
		case !events.Valid(r.Event) && !extra[r.Event]:
			return configErr(field, "unknown event %q (add it to Events)", r.Event)
		case len(r.From) == 0:
			return configErr(field, "no From states")
		case len(r.Roles) == 0:
			return configErr(field, "no roles may fire it")
		case r.To != "" && states[r.To] == nil:
			return configErr(field, "unknown state %q", r.To)
		}
		if p, ok := needs[r.Event]; ok && p != r.Needs {
			return configErr(field, "needs %q, but another row of %s needs %q", r.Needs, r.Event, p)
		}
		needs[r.Event] = r.Needs
		switch r.Needs {
		case NeedsNothing, NeedsNote, NeedsAnswer, NeedsReferral, NeedsDecision, NeedsKind, NeedsFulfilment, NeedsTimer:
		default:
			return configErr(field, "unknown payload %q", r.Needs)
		}
		if r.Event == EventWithdraw && r.Settles {
			return configErr(field, "a withdrawal is always the customer's right: it may not wait for a remedy (Settles)")
		}
		if r.Needs == NeedsDecision && r.Event != EventReview {
			return configErr(field, "only review takes a decision: it is the step checked for impartiality")
		}
		for _, ro := range r.Roles {
			if !roles[ro] {
				return configErr(field, "unknown role %q", ro)
			}
		}
		for _, from := range r.From {
			s := states[from]
			switch {
			case s == nil:
				return configErr(field, "unknown state %q", from)
			case s.Terminal:
				return configErr(field, "%s is terminal: nothing may happen there", from)
			case from == r.To:
				return configErr(field, "leads from %s to itself; leave To empty for an event that keeps the state", from)
			case cells[from][r.Event]:
				return configErr(field, "a second row for %s in %s", r.Event, from)
			}
			if cells[from] == nil {
				cells[from] = map[Event]bool{}
			}
			cells[from][r.Event] = true
			if s.Escalated && slices.Contains(r.Roles, glossary.CustomerService) {
				return configErr(field, "customer service may fire nothing in %s: the Complaints Department holds the case (independence)", from)
			}
			if s.Escalated && r.To != "" && !states[r.To].Escalated && !states[r.To].Terminal && r.Event != EventReview {
				return configErr(field, "leaves the Complaints Department's hands (%s to %s) without a review", from, r.To)
			}
			if s.Escalated && r.To != "" && states[r.To].Escalated && r.Event == EventReview {
				return configErr(field, "review must end the Complaints Department's review, not lead to %s", r.To)
			}
		}
		if r.Event == EventReview {
			for _, from := range r.From {
				if !states[from].Escalated {
					return configErr(field, "review from %s: only an escalated case is reviewed", from)
				}
			}
		}
		if p, ok := staffOnly[r.Event]; ok && p != r.StaffOnly {
			return configErr(field, "StaffOnly differs from another row of %s", r.Event)
		}
		staffOnly[r.Event] = r.StaffOnly
		if r.StaffOnly && r.To != "" {
			return configErr(field, "a staff-only event must keep the state: a customer sees every change of state")
		}
		for _, ro := range r.Roles {
			if r.StaffOnly && !staffRole(ro) {
				return configErr(field, "a staff-only event may not be fired by %s", ro)
			}
		}
		for j, n := range r.Notify {
			if r.StaffOnly && !staffRole(n.To) {
				return configErr(fmt.Sprintf("%s.Notify[%d]", field, j), "a staff-only event may not notify %s", n.To)
			}
			if !n.Topic.Valid() || !roles[n.To] {
				return configErr(fmt.Sprintf("%s.Notify[%d]", field, j), "unknown topic %q or recipient %q", n.Topic, n.To)
			}
			for _, f := range n.From {
				if states[f] == nil {
					return configErr(fmt.Sprintf("%s.Notify[%d]", field, j), "unknown state %q", f)
				}
			}
		}
		for _, d := range slices.Concat(r.Starts, r.Meets) {
			if !d.Valid() {
				return configErr(field, "unknown deadline %q", d)
			}
		}
	}
	if needs[EventReview] != NeedsDecision {
		return configErr("Rules", "review, with a decision, is missing: the Complaints Department must be able to decide")
	}

	if err := l.validateTimers(states, roles); err != nil {
		return err
	}

	// The graph: state-changing rules only.
	next := func(s State) []State {
		var out []State
		for i := range l.Rules {
			if r := &l.Rules[i]; r.To != "" && slices.Contains(r.From, s) {
				out = append(out, r.To)
			}
		}
		return out
	}
	reach := func(start State, skip State) map[State]bool {
		seen := map[State]bool{start: true}
		queue := []State{start}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, t := range next(s) {
				if !seen[t] && t != skip {
					seen[t] = true
					queue = append(queue, t)
				}
			}
		}
		return seen
	}
	fromStart := reach(StateReceived, "")
	for _, s := range l.States {
		if !fromStart[s.State] {
			return configErr("States", "%s is unreachable from %s", s.State, StateReceived)
		}
		if s.Terminal {
			if len(next(s.State)) > 0 {
				return configErr("States", "%s is terminal but can be left", s.State)
			}
			continue
		}
		ends := false
		for t := range reach(s.State, "") {
			ends = ends || states[t].Terminal
		}
		if !ends {
			return configErr("States", "%s cannot reach a terminal state", s.State)
		}
	}
	// Escalation exists only after a final answer: without final_answer,
	// no escalated state can be reached.
	for t := range reach(StateReceived, StateFinalAnswer) {
		if states[t].Escalated {
			return configErr("Rules", "%s can be reached without a final answer", t)
		}
	}
	return nil
}
