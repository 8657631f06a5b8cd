package complaint

import (
	"time"

	"github.com/klageflow/klage/glossary"
)

// record is the in-memory form of a history Entry: vocabulary as table
// indices and the time as seconds and nanoseconds, 56 bytes instead of 128.
// Complaints are restored and extended on every transition, so the history
// is most of what a transition copies and allocates.
type record struct {
	sec                   int64
	nsec                  int32
	seq                   int32
	event, from, to, role uint8
	actorID               string
	note                  string
}

const noState = 0xff // the From of the opening entry

var (
	stateByIndex = [numStates]State{StateReceived, StateInProgress, StateAwaitingCustomer, StateWithManufacturer,
		StateFinalAnswer, StateEscalated, StateReviewed, StateClosed}
	eventByIndex = [numEvents]Event{EventOpen, EventStart, EventRequestInfo, EventProvideInfo, EventRefer, EventResume,
		EventAnswer, EventAccept, EventEscalate, EventReview, EventClose, EventWithdraw, EventUpdate}
	roleByIndex = [numRoles]glossary.Role{glossary.Customer, glossary.CustomerService, glossary.ComplaintsDepartment,
		glossary.Manufacturer, glossary.System}
)

// stamp is t as history records it: UTC, without a monotonic reading.
func stamp(t time.Time) time.Time { return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC() }

func (r *record) at() time.Time { return time.Unix(r.sec, int64(r.nsec)).UTC() }

func (r *record) fromState() State {
	if r.from == noState {
		return ""
	}
	return stateByIndex[r.from]
}

func (r *record) actor() glossary.Actor {
	return glossary.Actor{ID: r.actorID, Role: roleByIndex[r.role]}
}

func (r *record) entry() Entry {
	return Entry{
		Seq:   int(r.seq),
		At:    r.at(),
		Event: eventByIndex[r.event],
		From:  r.fromState(),
		To:    stateByIndex[r.to],
		Actor: r.actor(),
		Note:  r.note,
	}
}

func entries(h []record) []Entry {
	out := make([]Entry, len(h))
	for i := range h {
		out[i] = h[i].entry()
	}
	return out
}

// lastAt returns the time of the newest record of event e.
func lastAt(h []record, e Event) (time.Time, bool) {
	ei := uint8(eventIndex(e))
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].event == ei {
			return h[i].at(), true
		}
	}
	return time.Time{}, false
}
