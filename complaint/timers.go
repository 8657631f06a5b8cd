package complaint

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// validTimerName reports whether s is a well-formed timer name: wire names
// joined by dots ("first_response.remind").
func validTimerName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if !vocab.WellFormed(part) {
			return false
		}
	}
	return true
}

// validateTimers checks l's timers against its states, rules and roles.
func (l *Lifecycle) validateTimers(states map[State]*StateSpec, roles map[glossary.Role]bool) error {
	names := map[string]bool{}
	var probe Policy
	for i := range l.Timers {
		t := &l.Timers[i]
		field := fmt.Sprintf("Timers[%d] (%s)", i, t.Name)
		switch {
		case !validTimerName(t.Name):
			return configErr(field, "%q is not a well-formed name", t.Name)
		case names[t.Name]:
			return configErr(field, "%q is listed twice", t.Name)
		case !t.Clock.Valid():
			return configErr(field, "unknown clock %q", t.Clock)
		case t.After.negative() || t.Lapse < 0:
			return configErr(field, "a negative period or lapse")
		case t.Setting != "" && !t.After.IsZero():
			return configErr(field, "After and Setting both set: the policy's setting is the period")
		case t.Fire == "" && len(t.Notify) == 0 && !t.NotifyOwner:
			return configErr(field, "does nothing: set Notify, NotifyOwner or Fire")
		case t.Fire != "" && (len(t.Notify) > 0 || t.NotifyOwner):
			return configErr(field, "fires %s and reminds: one timer does one of them", t.Fire)
		}
		names[t.Name] = true
		if t.Setting != "" {
			if _, ok := probe.Setting(t.Setting); !ok {
				return configErr(field, "unknown policy setting %q", t.Setting)
			}
		}
		for _, r := range t.Notify {
			if !roles[r] {
				return configErr(field, "unknown role %q", r)
			}
		}
		for _, s := range t.States {
			switch spec := states[s]; {
			case spec == nil:
				return configErr(field, "unknown state %q", s)
			case spec.Terminal:
				return configErr(field, "%s is terminal: nothing happens there", s)
			}
		}
		// The states it may act in: its own, or every one that is not
		// terminal.
		where := t.States
		if len(where) == 0 {
			for _, s := range l.States {
				if !s.Terminal {
					where = append(where, s.State)
				}
			}
		}
		// It acts in those of them where the lifecycle lets the system
		// fire its event (EventRemind for a reminder): somewhere, at least.
		event := t.Fire
		if event == "" {
			event = EventRemind
		}
		somewhere := false
		for _, s := range where {
			r := l.Find(event, s)
			switch {
			case r == nil && len(t.States) > 0:
				return configErr(field, "%s is not allowed in %s", event, s)
			case r != nil && !slices.Contains(r.Roles, glossary.System):
				return configErr(field, "the system may not fire %s in %s", event, s)
			}
			somewhere = somewhere || r != nil
		}
		if !somewhere {
			return configErr(field, "the lifecycle lets the system fire %s nowhere it could act", event)
		}
	}
	return nil
}

// timerAfter is how long after its clock's due time t acts under p, and
// whether it acts at all (a zero Setting turns it off).
func (t *Timer) after(p *Policy) (Period, bool) {
	if t.Setting == "" {
		return t.After, true
	}
	period, _ := p.Setting(t.Setting)
	return period, !period.IsZero()
}

// timerDue returns when timer t acts on c (by its customer's policy), and
// false when it does not: its clock has not started, is paused, met or
// ended, or has fired t for this lapse; c is not in one of its states;
// this is not yet the lapse it waits for; or its setting turns it off.
func (w *Workflow) timerDue(c *Complaint, t *Timer) (time.Time, bool) {
	d := c.deadline(t.Clock)
	if d == nil || !d.Running() || slices.Contains(d.Fired, t.Name) {
		return time.Time{}, false
	}
	if len(t.States) > 0 && !slices.Contains(t.States, c.state) {
		return time.Time{}, false
	}
	if spec := w.m.state(c.state); spec == nil || spec.Terminal {
		return time.Time{}, false
	}
	event := t.Fire
	if event == "" {
		event = EventRemind
	}
	if w.m.rule(c.state, event) == nil {
		return time.Time{}, false // not where the lifecycle lets it act
	}
	lapse := d.Lapses
	if len(d.Fired) == 0 {
		lapse++ // this run's lapse, not counted until a timer acts on it
	}
	if t.Lapse > 1 && lapse < t.Lapse {
		return time.Time{}, false
	}
	p := w.policyFor(c.customer.Type)
	after, on := t.after(p)
	if !on {
		return time.Time{}, false
	}
	return p.Due(after, d.Due), true
}

// timer returns the workflow's timer named name, or nil.
func (w *Workflow) timer(name string) *Timer {
	for i := range w.m.lc.Timers {
		if w.m.lc.Timers[i].Name == name {
			return &w.m.lc.Timers[i]
		}
	}
	return nil
}

// NextTimer returns the earliest time at which a timer of the workflow's
// lifecycle acts on c ([Timer]), and false when none will as things
// stand. A store keeps it with the complaint, indexed, so that its timer
// runner finds what is due without scanning.
func (w *Workflow) NextTimer(c *Complaint) (time.Time, bool) {
	w = w.orDefault()
	var next time.Time
	for i := range w.m.lc.Timers {
		if at, ok := w.timerDue(c, &w.m.lc.Timers[i]); ok && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// DueTimers returns what the timers of the workflow's lifecycle owe c at
// now, as the inputs to fire, in the order they fell due: a reminder
// (EventRemind) or the timer's event, each by the system actor, with
// Input.Timer naming the timer. A timer whose event a remedy owed would
// refuse (closing a case that owes a repair) reminds customer service
// instead. Fire each with [Workflow.Fire] (a store's timer runner does,
// through store.Fire): Fire records that the timer acted, and refuses it
// a second time for the same lapse, so that two runners, a crash and a
// restart never act twice.
func (w *Workflow) DueTimers(c *Complaint, now time.Time) []Input {
	w = w.orDefault()
	if c == nil || len(c.history) == 0 {
		return nil
	}
	type due struct {
		at time.Time
		in Input
	}
	var out []due
	for i := range w.m.lc.Timers {
		t := &w.m.lc.Timers[i]
		at, ok := w.timerDue(c, t)
		if !ok || at.After(now) {
			continue
		}
		in := Input{Event: EventRemind, Actor: SystemActor, Timer: t.Name}
		if t.Fire != "" {
			in.Event = t.Fire
			if r := w.m.rule(c.state, t.Fire); r != nil && r.Settles && c.Owes() {
				in.Event = EventRemind // what is owed comes first: remind who owes it
			}
		}
		out = append(out, due{at, in})
	}
	slices.SortStableFunc(out, func(a, b due) int { return a.at.Compare(b.at) })
	ins := make([]Input, len(out))
	for i := range out {
		ins[i] = out[i].in
	}
	return ins
}

// SystemActor is the actor timers act as: the system role, id "timers".
var SystemActor = glossary.Actor{ID: "timers", Role: glossary.System}

// checkTimer applies the timer rules to in: a timer's input is the system's,
// for a timer of the lifecycle that is due on c now and has not acted for
// this lapse, with the event the timer owes.
func (w *Workflow) checkTimer(c *Complaint, r *Rule, in *Input) error {
	if in.Timer == "" {
		if r.Needs == NeedsTimer {
			return &InputError{Field: "timer", Problem: fmt.Sprintf("required for %s", in.Event)}
		}
		return nil
	}
	t := w.timer(in.Timer)
	switch {
	case in.Actor.Role != glossary.System:
		return &InputError{Field: "timer", Problem: "only the system acts for a timer"}
	case t == nil:
		return &InputError{Field: "timer", Problem: fmt.Sprintf("unknown timer %q", in.Timer)}
	}
	at, ok := w.timerDue(c, t)
	if !ok || at.After(w.now()) {
		return &TransitionError{From: c.state, Event: in.Event, Reason: fmt.Sprintf("timer %s is not due (it acted for this lapse, or its clock does not run)", t.Name),
			Cause: ErrTimerNotDue}
	}
	want := EventRemind
	if t.Fire != "" {
		want = t.Fire
		if r := w.m.rule(c.state, t.Fire); r != nil && r.Settles && c.Owes() {
			want = EventRemind
		}
	}
	if in.Event != want {
		return &InputError{Field: "timer", Problem: fmt.Sprintf("timer %s owes %s, not %s", t.Name, want, in.Event)}
	}
	return nil
}

// markTimer records on c that timer name acted for its clock's lapse.
func (w *Workflow) markTimer(c *Complaint, name string) {
	t := w.timer(name)
	if t == nil {
		return
	}
	d := c.deadline(t.Clock)
	if d == nil {
		return
	}
	if len(d.Fired) == 0 {
		d.Lapses++
	}
	d.Fired = append(d.Fired, name)
}

// timerNotices returns whom the reminder of entry e (by timer e.Note) is
// for: the timer's roles and, with NotifyOwner, its clock's owner; a
// timer that could not fire its event for a remedy owed reminds customer
// service.
func (w *Workflow) timerNotices(c *Complaint, e *Entry) ([]glossary.Role, *Deadline) {
	t := w.timer(e.Note)
	if t == nil {
		return nil, nil
	}
	var d *Deadline
	if dl := c.deadline(t.Clock); dl != nil {
		cp := *dl
		cp.Fired = slices.Clone(cp.Fired)
		d = &cp
	}
	if t.Fire != "" {
		return []glossary.Role{glossary.CustomerService}, d // the fallback: a remedy is owed
	}
	roles := slices.Clone(t.Notify)
	if t.NotifyOwner && d != nil && !slices.Contains(roles, d.Owner) {
		roles = append(roles, d.Owner)
	}
	return roles, d
}
