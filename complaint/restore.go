package complaint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Restore turns a snapshot, as it comes back from storage, into a live
// complaint. It replays the history through the lifecycle and refuses, with
// a *SnapshotError (ErrInvalidSnapshot), a snapshot whose history does not
// start with the opening, has gaps, takes a step the lifecycle does not
// allow or by a role that may not, or does not end in the snapshot's state
// and version; and one whose intake data, final answer, referral or
// decision is missing or invalid. A snapshot with a [Checkpoint] replays
// from the checkpoint's state. The complaint shares no memory with s.
func (w *Workflow) Restore(s Snapshot) (*Complaint, error) {
	w = w.orDefault()
	if err := w.validateSnapshot(&s); err != nil {
		return nil, err
	}
	s.copyPayloads()
	c := &Complaint{id: s.ID, state: s.State, created: s.CreatedAt, base: s.Checkpoint.clone(), kind: s.Kind, channel: s.Channel, customer: s.Customer, product: s.Product,
		description: s.Description, remedy: s.RemedySought, claim: s.Claim, decision: s.Decision, pending: s.Pending,
		fulfilments: slices.Clone(s.Fulfilments), safety: s.Safety, noContact: s.NoContact, erasedAt: s.ErasedAt,
		// Room for one more entry, so that the next transition does not
		// copy the history again.
		history:   append(make([]Entry, 0, len(s.History)+1), s.History...),
		deadlines: slices.Clone(s.Deadlines),
	}
	slices.SortStableFunc(c.deadlines, func(a, b Deadline) int { return deadlineOrder[a.Name] - deadlineOrder[b.Name] })
	if s.FinalAnswer != nil {
		a := s.FinalAnswer.clone()
		c.answer = &a
	}
	if s.Referral != nil {
		r := *s.Referral
		c.referral = &r
	}
	return c, nil
}

// RestoreJSON decodes a complaint from its JSON form (as MarshalJSON
// writes it) and restores it. Unknown fields are refused.
func (w *Workflow) RestoreJSON(data []byte) (*Complaint, error) {
	w = w.orDefault()
	s, err := UnmarshalSnapshot(data)
	if err != nil {
		return nil, err
	}
	return w.Restore(s)
}

// UnmarshalSnapshot decodes a complaint's JSON form as RestoreJSON does,
// without restoring it: for a store that completes the snapshot (the
// customer's contact details, kept apart) before [Workflow.Restore].
// Unknown fields and trailing data are a *SnapshotError.
func UnmarshalSnapshot(data []byte) (Snapshot, error) {
	var s Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Snapshot{}, &SnapshotError{Reason: "cannot decode: " + err.Error(), Err: err}
	}
	if dec.More() {
		return Snapshot{}, &SnapshotError{ID: s.ID, Reason: "trailing data after the complaint"}
	}
	return s, nil
}

// validateSnapshot replays s's history through the workflow's lifecycle
// and checks the rest of s against it.
func (w *Workflow) validateSnapshot(s *Snapshot) error {
	bad := func(seq int, format string, args ...any) error {
		return &SnapshotError{ID: s.ID, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	if s.ID == "" {
		return bad(0, "no id")
	}
	if err := w.validateStored(s); err != nil {
		return &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
	}
	h := s.History
	if len(h) == 0 {
		return bad(0, "no history")
	}
	var (
		state  State // before the entry
		needed = map[Payload]bool{}
		base   = 0 // the entries before h
	)
	if cp := s.Checkpoint; cp != nil {
		if err := w.validateCheckpoint(s); err != nil {
			return err
		}
		base, state = cp.Seq, cp.State
		for _, p := range cp.Recorded {
			needed[p] = true
		}
	} else {
		if first := &h[0]; first.Event != EventOpen || first.From != "" || first.To != StateReceived {
			return bad(1, "history does not start with open into received")
		}
		if !h[0].At.Equal(s.CreatedAt) {
			return bad(1, "opening time %s is not created_at %s", h[0].At, s.CreatedAt)
		}
	}
	if s.Version != base+len(h) {
		return bad(0, "version %d, but the history has %d entries", s.Version, base+len(h))
	}
	for i := range h {
		e := &h[i]
		if e.Seq != base+i+1 {
			return bad(base+i+1, "sequence number %d, want %d", e.Seq, base+i+1)
		}
		if e.At.IsZero() {
			return bad(e.Seq, "no time")
		}
		if e.Actor.ID == "" || len(e.Actor.ID) > MaxIDLen || !w.m.role(e.Actor.Role) {
			return bad(e.Seq, "invalid actor %q", e.Actor)
		}
		if len(e.Note) > MaxTextLen {
			return bad(e.Seq, "note longer than %d bytes", MaxTextLen)
		}
		if (e.RequestID != "" && idProblem(e.RequestID) != "") || len(e.RequestHash) > MaxIDLen {
			return bad(e.Seq, "invalid request id")
		}
		if e.Actor.Role == glossary.Customer && !glossary.SameID(e.Actor.ID, s.Customer.ID) {
			return bad(e.Seq, "customer %q acted on the complaint of customer %q", e.Actor.ID, s.Customer.ID)
		}
		if base == 0 && i == 0 {
			if !slices.Contains(w.m.lc.Openers, e.Actor.Role) {
				return bad(1, "%s may not open a complaint", e.Actor.Role)
			}
			state = StateReceived
			continue
		}
		if e.From != state {
			return bad(e.Seq, "from %q, but the complaint was in %q", e.From, state)
		}
		r := w.m.rule(state, e.Event)
		if r == nil {
			return bad(e.Seq, "%s is not allowed in %s", e.Event, state)
		}
		to := r.To
		if to == "" {
			to = state
		}
		if to != e.To {
			return bad(e.Seq, "%s from %s leads to %s, not %s", e.Event, state, to, e.To)
		}
		if !slices.Contains(r.Roles, e.Actor.Role) && !w.m.restoreOnly(state, e) {
			return bad(e.Seq, "%s may not %s", e.Actor.Role, e.Event)
		}
		if c := e.Consent; c != nil && (!c.Channel.Valid() || c.At.IsZero() || !inRange(c.At)) {
			return bad(e.Seq, "invalid consent")
		}
		if r.Needs == NeedsDecision { // the review
			if err := storedImpartial(e.Actor, actors(s.Checkpoint, h[:i])); err != nil {
				return &SnapshotError{ID: s.ID, Seq: e.Seq, Reason: err.Error(), Err: err}
			}
		}
		needed[r.Needs] = true
		state = to
	}
	if state != s.State {
		return bad(0, "history replays to %q, but the state is %q", state, s.State)
	}
	if needed[NeedsAnswer] != (s.FinalAnswer != nil) {
		return bad(0, "final answer present is %t, answered is %t", s.FinalAnswer != nil, needed[NeedsAnswer])
	}
	if s.FinalAnswer != nil {
		if err := checkPayload(&Input{Answer: s.FinalAnswer}, NeedsAnswer); err != nil {
			return &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	if needed[NeedsReferral] != (s.Referral != nil) {
		return bad(0, "referral present is %t, referred is %t", s.Referral != nil, needed[NeedsReferral])
	}
	if s.Referral != nil {
		if s.Referral.Seq < 0 || s.Referral.Seq > s.Version {
			return bad(0, "the referral's entry %d is not in the history", s.Referral.Seq)
		}
		if err := checkPayload(&Input{Referral: s.Referral}, NeedsReferral); err != nil {
			return &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	// Fulfilments before the checkpoint are taken as they are, in order;
	// each entry after it that fulfils must have its own.
	fulfils := 0
	for fulfils < len(s.Fulfilments) && s.Fulfilments[fulfils].Seq <= base {
		f := &s.Fulfilments[fulfils]
		if !f.Remedy.Valid() || f.Seq < 2 || (fulfils > 0 && f.Seq <= s.Fulfilments[fulfils-1].Seq) || !inRange(f.At) {
			return bad(f.Seq, "the fulfilment before the checkpoint is invalid")
		}
		fulfils++
	}
	for i := range h {
		if r := w.m.rule(h[i].From, h[i].Event); base+i > 0 && r != nil && r.Needs == NeedsFulfilment {
			if fulfils >= len(s.Fulfilments) || s.Fulfilments[fulfils].Seq != h[i].Seq || !s.Fulfilments[fulfils].Remedy.Valid() ||
				!s.Fulfilments[fulfils].At.Equal(h[i].At) {
				return bad(h[i].Seq, "the fulfilment this entry records is missing or does not match")
			}
			fulfils++
		}
	}
	if fulfils != len(s.Fulfilments) {
		return bad(0, "%d fulfilments, but the history records %d", len(s.Fulfilments), fulfils)
	}
	if needed[NeedsDecision] != (s.Decision != nil) {
		return bad(0, "decision present is %t, reviewed is %t", s.Decision != nil, needed[NeedsDecision])
	}
	if s.Decision != nil {
		if err := s.Decision.Validate(); err != nil {
			return &SnapshotError{ID: s.ID, Reason: err.Error(), Err: err}
		}
	}
	if s.RemedySought.Kind != "" && !s.RemedySought.Kind.Valid() {
		return bad(0, "unknown remedy sought %q", s.RemedySought.Kind)
	}
	seen := map[DeadlineName]bool{}
	for i := range s.Deadlines {
		d := &s.Deadlines[i]
		if !d.Name.Valid() || seen[d.Name] || !w.m.role(d.Owner) || d.Remaining < 0 || (!d.Paused() && d.Remaining != 0) ||
			!inRange(d.Due) || !inRange(d.MetAt) {
			return bad(0, "deadline %d (%q) is invalid", i, d.Name)
		}
		seen[d.Name] = true
	}
	for i := range s.Pending {
		n := &s.Pending[i]
		if !n.Topic.Valid() || !w.m.role(n.Recipient) || n.ComplaintID != s.ID || n.Seq < 1 || n.Seq > s.Version {
			return bad(0, "pending notification %d is invalid", i)
		}
		// Its data must be writable too, or it could never be delivered or
		// stored. Pending notifications are few, so encoding is the check.
		if _, err := json.Marshal(n); err != nil {
			return &SnapshotError{ID: s.ID, Reason: fmt.Sprintf("pending notification %d cannot be encoded: %v", i, err), Err: err}
		}
	}
	return nil
}

// validateCheckpoint checks s's checkpoint on its own; the replay from it
// checks the rest.
func (w *Workflow) validateCheckpoint(s *Snapshot) error {
	cp := s.Checkpoint
	bad := func(format string, args ...any) error {
		return &SnapshotError{ID: s.ID, Reason: "checkpoint: " + fmt.Sprintf(format, args...)}
	}
	switch {
	case cp.Seq < 1:
		return bad("sequence number %d", cp.Seq)
	case w.m.state(cp.State) == nil:
		return bad("unknown state %q", cp.State)
	case cp.At.IsZero() || !inRange(cp.At) || cp.At.Before(s.CreatedAt):
		return bad("invalid time")
	case len(cp.Actors) == 0:
		return bad("no actors")
	}
	for i, a := range cp.Actors {
		if a.ID == "" || len(a.ID) > MaxIDLen || !w.m.role(a.Role) || slices.Contains(cp.Actors[:i], a) {
			return bad("invalid actor %q", a)
		}
	}
	for i, p := range cp.Recorded {
		switch {
		case !recordedPayload(p):
			return bad("unknown payload %q", p)
		case slices.Contains(cp.Recorded[:i], p):
			return bad("payload %q twice", p)
		}
	}
	return nil
}

// storedImpartial is the impartiality rule as every release of klage has
// applied it to a stored review: the reviewer acted for the Complaints
// Department and is not, by [glossary.SameID], someone who acted for
// customer service. Fire applies the stricter rule of today
// (escalation.CheckImpartial, which also refuses look-alike ids); a review
// that an earlier release accepted still restores.
func storedImpartial(reviewer glossary.Actor, acted []glossary.Actor) error {
	if reviewer.Role != glossary.ComplaintsDepartment {
		return escalation.CheckImpartial(reviewer, acted) // says why
	}
	for _, a := range acted {
		if a.Role == glossary.CustomerService && glossary.SameID(a.ID, reviewer.ID) {
			return &escalation.ImpartialityError{Reviewer: reviewer, Reason: "the reviewer acted on this complaint for customer service"}
		}
	}
	return nil
}
