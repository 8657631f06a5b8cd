package complaint

import (
	"math"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// record is the in-memory form of a history Entry: vocabulary as table
// indices, the time as seconds and nanoseconds and the sequence number as
// the position, 48 bytes instead of 128. Complaints are restored and
// extended on every transition, so the history is most of what a
// transition copies and allocates.
type record struct {
	sec                   int64 // with nsec, an instant
	nsec                  int32
	event, from, to, role uint8
	actorID               string
	note                  string
}

func recordOf(e *Entry, event, from, to, role uint8) record {
	at := instantOf(e.At)
	return record{sec: at.sec, nsec: at.nsec, event: event, from: from, to: to, role: role,
		actorID: e.Actor.ID, note: e.Note}
}

// instant is a time.Time without pointers, as records, clocks and claims
// keep it: seconds since the zero Time, so that the zero instant is the zero
// Time, and nanoseconds. Times come back in UTC.
type instant struct {
	sec  int64
	nsec int32
}

// zeroUnix is time.Time{}.Unix().
const zeroUnix = -62135596800

func instantOf(t time.Time) instant {
	return instant{sec: t.Unix() - zeroUnix, nsec: int32(t.Nanosecond())}
}

func (i instant) time() time.Time {
	if i == (instant{}) {
		return time.Time{}
	}
	return time.Unix(i.sec+zeroUnix, int64(i.nsec)).UTC()
}

func (i instant) isZero() bool { return i == (instant{}) }

// sub returns i-j, saturated like time.Time.Sub.
func (i instant) sub(j instant) time.Duration {
	const limit = math.MaxInt64/int64(time.Second) - 1
	switch s := i.sec - j.sec; {
	case s > limit:
		return math.MaxInt64
	case s < -limit:
		return math.MinInt64
	default:
		return time.Duration(s)*time.Second + time.Duration(i.nsec-j.nsec)
	}
}

// before reports whether i is before j.
func (i instant) before(j instant) bool { return i.sec < j.sec || (i.sec == j.sec && i.nsec < j.nsec) }

const noState = 0xff // the From of the opening entry

var (
	stateByIndex = [numStates]State{StateReceived, StateInProgress, StateAwaitingCustomer, StateWithManufacturer,
		StateFinalAnswer, StateEscalated, StateReviewed, StateClosed}
	eventByIndex = [numEvents]Event{EventOpen, EventStart, EventRequestInfo, EventProvideInfo, EventRefer, EventResume,
		EventAnswer, EventAccept, EventEscalate, EventReview, EventClose, EventWithdraw, EventUpdate}
	roleByIndex = [numRoles]glossary.Role{glossary.Customer, glossary.CustomerService, glossary.ComplaintsDepartment,
		glossary.Manufacturer, glossary.System}
	termByIndex         = glossary.Terms()
	channelByIndex      = glossary.Channels()
	languageByIndex     = glossary.Languages()
	customerTypeByIndex = customerTypes.Values()
	outcomeByIndex      = escalation.Outcomes()
)

// indexIn returns the position of v in list, or -1. The lists are a few
// entries long.
func indexIn[T comparable](list []T, v T) int {
	for i, x := range list {
		if x == v {
			return i
		}
	}
	return -1
}

// stamp is t as history records it: UTC, without a monotonic reading.
func stamp(t time.Time) time.Time { return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC() }

func (r *record) at() time.Time { return instant{sec: r.sec, nsec: r.nsec}.time() }

func (r *record) fromState() State {
	if r.from == noState {
		return ""
	}
	return stateByIndex[r.from]
}

func (r *record) actor() glossary.Actor {
	return glossary.Actor{ID: r.actorID, Role: roleByIndex[r.role]}
}

// entry returns r as the history entry with sequence number seq.
func (r *record) entry(seq int) Entry {
	return Entry{
		Seq:   seq,
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
		out[i] = h[i].entry(i + 1)
	}
	return out
}
