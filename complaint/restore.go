package complaint

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/klageflow/klage/escalation"
)

// Restore turns a snapshot, as it comes back from storage, into a live
// complaint. It replays the history through the lifecycle and refuses, with
// a *SnapshotError (ErrInvalidSnapshot), a snapshot whose history does not
// start with the opening, has gaps, takes a step the lifecycle does not
// allow or by a role that may not, or does not end in the snapshot's state
// and version; and one whose intake data, final answer, referral or
// decision is missing or invalid. The complaint shares no memory with s.
func (w *Workflow) Restore(s Snapshot) (*Complaint, error) {
	hist, err := w.validateSnapshot(&s)
	if err != nil {
		return nil, err
	}
	s.copyPayloads()
	c := newComplaint(s.ID, &s.Customer, &s.Product, s.Kind, s.Channel, s.Description, s.RemedySought)
	c.hist, c.state, c.decision, c.pending = hist, uint8(stateIndex(s.State)), s.Decision, s.Pending
	c.setClaim(&s.Claim)
	if a := s.FinalAnswer; a != nil {
		c.setAnswer(a)
	}
	if s.Referral != nil {
		c.referral = *s.Referral
	}
	for i := range s.Deadlines {
		d := &s.Deadlines[i]
		c.clocks[deadlineIndex(d.Name)] = clockOf(d)
	}
	return c, nil
}

// RestoreJSON decodes a complaint from its JSON form (as MarshalJSON
// writes it) and restores it. Unknown fields are refused.
func (w *Workflow) RestoreJSON(data []byte) (*Complaint, error) {
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, &SnapshotError{Reason: "cannot decode: " + err.Error(), Err: err}
	}
	if dec.More() {
		return nil, &SnapshotError{ID: s.ID, Reason: "trailing data after the complaint"}
	}
	return w.Restore(s)
}

// validateSnapshot replays s's history through the lifecycle, checks the
// rest of s against it, and returns the history as records, with room for
// one more so that the next transition does not copy it again.
func (w *Workflow) validateSnapshot(s *Snapshot) ([]record, error) {
	bad := func(seq int, format string, args ...any) error {
		return &SnapshotError{ID: s.ID, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	if s.ID == "" {
		return nil, bad(0, "no id")
	}
	if err := validateStored(s); err != nil {
		return nil, &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
	}
	h := s.History
	if len(h) == 0 {
		return nil, bad(0, "no history")
	}
	if first := &h[0]; first.Event != EventOpen || first.From != "" || first.To != StateReceived {
		return nil, bad(1, "history does not start with open into received")
	}
	if !h[0].At.Equal(s.CreatedAt) {
		return nil, bad(1, "opening time %s is not created_at %s", h[0].At, s.CreatedAt)
	}
	if s.Version != len(h) {
		return nil, bad(0, "version %d, but the history has %d entries", s.Version, len(h))
	}
	hist := make([]record, 0, len(h)+1)
	var (
		state                        = -1 // index of the state before the entry
		answered, referred, reviewed bool
	)
	for i := range h {
		e := &h[i]
		if e.Seq != i+1 {
			return nil, bad(i+1, "sequence number %d, want %d", e.Seq, i+1)
		}
		if e.At.IsZero() {
			return nil, bad(e.Seq, "no time")
		}
		role := roleIndex(e.Actor.Role)
		if e.Actor.ID == "" || len(e.Actor.ID) > MaxIDLen || role < 0 {
			return nil, bad(e.Seq, "invalid actor %q", e.Actor)
		}
		if len(e.Note) > MaxTextLen {
			return nil, bad(e.Seq, "note longer than %d bytes", MaxTextLen)
		}
		if role == 0 && e.Actor.ID != s.Customer.ID {
			return nil, bad(e.Seq, "customer %q acted on the complaint of customer %q", e.Actor.ID, s.Customer.ID)
		}
		ev, to := eventIndex(e.Event), stateIndex(e.To)
		from := uint8(noState)
		if i > 0 {
			if e.From != stateByIndex[state] {
				return nil, bad(e.Seq, "from %q, but the complaint was in %q", e.From, stateByIndex[state])
			}
			var cl cell
			if ev > 0 {
				cl = w.def.table[state][ev]
			}
			if !cl.ok {
				return nil, bad(e.Seq, "%s is not allowed in %s", e.Event, stateByIndex[state])
			}
			if cl.to != e.To {
				return nil, bad(e.Seq, "%s from %s leads to %s, not %s", e.Event, stateByIndex[state], cl.to, e.To)
			}
			if !cl.roles.has(e.Actor.Role) {
				return nil, bad(e.Seq, "%s may not %s", e.Actor.Role, e.Event)
			}
			from = uint8(state)
		} else if !openMask.has(e.Actor.Role) {
			return nil, bad(1, "%s may not open a complaint", e.Actor.Role)
		}
		switch e.Event {
		case EventAnswer:
			answered = true
		case EventRefer:
			referred = true
		case EventReview:
			if err := escalation.CheckImpartial(e.Actor, actors(hist)); err != nil {
				return nil, &SnapshotError{ID: s.ID, Seq: e.Seq, Reason: err.Error(), Err: err}
			}
			reviewed = true
		}
		hist = append(hist, recordOf(e, uint8(ev), from, uint8(to), uint8(role)))
		state = to
	}
	if stateByIndex[state] != s.State {
		return nil, bad(0, "history replays to %q, but the state is %q", stateByIndex[state], s.State)
	}
	if answered != (s.FinalAnswer != nil) {
		return nil, bad(0, "final answer present is %t, answered is %t", s.FinalAnswer != nil, answered)
	}
	if s.FinalAnswer != nil {
		if err := checkPayload(Input{Event: EventAnswer, Answer: s.FinalAnswer}); err != nil {
			return nil, &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	if referred != (s.Referral != nil) {
		return nil, bad(0, "referral present is %t, referred is %t", s.Referral != nil, referred)
	}
	if s.Referral != nil {
		if err := checkPayload(Input{Event: EventRefer, Referral: s.Referral}); err != nil {
			return nil, &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	if reviewed != (s.Decision != nil) {
		return nil, bad(0, "decision present is %t, reviewed is %t", s.Decision != nil, reviewed)
	}
	if s.Decision != nil {
		if err := s.Decision.Validate(); err != nil {
			return nil, &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	var seen [numDeadlines]bool
	for i := range s.Deadlines {
		d := &s.Deadlines[i]
		di := deadlineIndex(d.Name)
		if di < 0 || seen[di] || roleIndex(d.Owner) < 0 || d.Remaining < 0 || (!d.Paused() && d.Remaining != 0) ||
			!inRange(d.Due) || !inRange(d.MetAt) {
			return nil, bad(0, "deadline %d (%q) is invalid", i, d.Name)
		}
		seen[di] = true
	}
	for i := range s.Pending {
		n := &s.Pending[i]
		if !n.Topic.Valid() || !n.Recipient.Valid() || n.ComplaintID != s.ID || n.Seq < 1 || n.Seq > len(h) {
			return nil, bad(0, "pending notification %d is invalid", i)
		}
		// Its data must be writable too, or it could never be delivered or
		// stored. Pending notifications are few, so encoding is the check.
		if _, err := json.Marshal(n); err != nil {
			return nil, &SnapshotError{ID: s.ID, Reason: fmt.Sprintf("pending notification %d cannot be encoded: %v", i, err), Err: err}
		}
	}
	return hist, nil
}
