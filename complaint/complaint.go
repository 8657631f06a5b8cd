package complaint

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Customer is who made the complaint.
type Customer struct {
	ID       string            `json:"id"`
	Name     string            `json:"name,omitempty"`
	Email    string            `json:"email,omitempty"`
	Phone    string            `json:"phone,omitempty"`
	Address  string            `json:"address,omitempty"` // postal address, one line
	Type     CustomerType      `json:"type"`
	Language glossary.Language `json:"language,omitempty"` // of notifications; Open sets Danish when empty
}

// Product is what the complaint is about.
type Product struct {
	SKU          string    `json:"sku,omitempty"`
	Name         string    `json:"name,omitempty"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	PurchasedAt  time.Time `json:"purchased_at,omitzero"` // decides which presumption period applies; zero when unknown
	DeliveredAt  time.Time `json:"delivered_at,omitzero"` // starts the claim period; zero when unknown
}

// Answer is customer service's final answer.
type Answer struct {
	Outcome escalation.Outcome `json:"outcome"`
	Text    string             `json:"text"`
	// Remedy is what the answer grants: required when the outcome is
	// upheld (the remedy sought) or partly upheld, refused when it is
	// rejected.
	Remedy *escalation.Remedy `json:"remedy,omitempty"`
	// At is when the answer was given, set from the history entry; zero
	// on a complaint stored before klage recorded it.
	At time.Time `json:"at,omitzero"`
}

// clone returns a copy of a that shares no memory with it.
func (a Answer) clone() Answer {
	if a.Remedy != nil {
		r := *a.Remedy
		a.Remedy = &r
	}
	return a
}

// Fulfilment records that a granted remedy was carried out: a replacement
// delivered, a repair done, a refund paid.
type Fulfilment struct {
	Remedy    escalation.RemedyKind `json:"remedy"`
	Reference string                `json:"reference"`     // a tracking number, a repair order, a refund id
	At        time.Time             `json:"at,omitzero"`   // set from the history entry
	Seq       int                   `json:"seq,omitempty"` // the history entry that recorded it
}

// Referral is how a complaint was handed to the manufacturer's support or
// service, putting the customer in direct contact with it.
type Referral struct {
	Manufacturer string `json:"manufacturer"`
	Contact      string `json:"contact"` // how the customer reaches the manufacturer: phone, e-mail, URL
	// Seq is the history entry that made the referral, set by Fire; zero
	// on a complaint stored before klage recorded it.
	Seq int `json:"seq,omitempty"`
}

// Entry is one immutable line of a complaint's history: the audit trail.
// The first entry of every complaint is EventOpen into StateReceived. A
// progress update has From == To.
type Entry struct {
	Seq   int            `json:"seq"` // 1, 2, 3, ... without gaps; equals the complaint's version after it
	At    time.Time      `json:"at"`
	Event Event          `json:"event"`
	From  State          `json:"from"` // empty for EventOpen
	To    State          `json:"to"`
	Actor glossary.Actor `json:"actor"`
	Note  string         `json:"note,omitempty"`
	// Consent is the customer's consent when staff acted for them.
	Consent *Consent `json:"consent,omitempty"`
	// RequestID is the idempotency key of the request that made the entry
	// (Input.RequestID), when it had one.
	RequestID string `json:"request_id,omitempty"`
	// RequestHash is the fingerprint of that request (Input.RequestHash):
	// a retry with the same key and another fingerprint is another request
	// and is refused.
	RequestHash string `json:"request_hash,omitempty"`
}

// Checkpoint stands in a [Snapshot] for the first Seq entries of the
// history, so that a store can load a complaint with a long history
// without reading all of it: [Workflow.Restore] replays only the entries
// after it, from its State, and checks the Complaints Department's
// impartiality against its Actors. A store keeps the whole history
// elsewhere (store.Store.History).
type Checkpoint struct {
	Seq   int       `json:"seq"`   // the entries it stands for: 1 to Seq
	State State     `json:"state"` // the state after entry Seq
	At    time.Time `json:"at"`    // the time of entry Seq
	// Actors are everyone who made one of those entries, once each.
	Actors []glossary.Actor `json:"actors"`
	// Recorded are the payloads those entries recorded (an answer, a
	// referral, a decision, a fulfilment, a kind): what the snapshot must
	// hold although History does not show the entry.
	Recorded []Payload `json:"recorded,omitempty"`
}

// clone copies cp so that the copy shares no memory with it.
func (cp *Checkpoint) clone() *Checkpoint {
	if cp == nil {
		return nil
	}
	out := *cp
	out.Actors, out.Recorded = slices.Clone(cp.Actors), slices.Clone(cp.Recorded)
	return &out
}

// Snapshot is the plain data of a complaint, as it is stored and sent over
// the wire. Its JSON form is klage's public complaint format. A Snapshot is
// turned back into a live Complaint only by Workflow.Restore, which checks
// that the history replays to the state.
type Snapshot struct {
	ID           string            `json:"id"`
	State        State             `json:"state"`
	Version      int               `json:"version"`
	Kind         glossary.Term     `json:"kind"`
	Channel      glossary.Channel  `json:"channel"`
	Customer     Customer          `json:"customer"`
	Product      Product           `json:"product"`
	Description  string            `json:"description"`
	RemedySought escalation.Remedy `json:"remedy_sought,omitzero"`
	CreatedAt    time.Time         `json:"created_at"`
	Deadlines    []Deadline        `json:"deadlines"`
	Claim        ClaimAssessment   `json:"claim"`
	History      []Entry           `json:"history"`
	// Checkpoint, when set, stands for the history entries before History,
	// which then starts at Checkpoint.Seq+1 (see [Workflow.SnapshotTail]).
	Checkpoint  *Checkpoint          `json:"checkpoint,omitempty"`
	FinalAnswer *Answer              `json:"final_answer"`
	Referral    *Referral            `json:"referral"`
	Decision    *escalation.Decision `json:"decision"`
	Fulfilments []Fulfilment         `json:"fulfilments,omitempty"`
	Safety      bool                 `json:"safety,omitempty"`             // a product-safety matter
	NoContact   bool                 `json:"no_written_contact,omitempty"` // a consumer with no e-mail or postal address
	ErasedAt    time.Time            `json:"erased_at,omitzero"`           // when the customer's personal data was erased (Snapshot.Erase)
	Pending     []Notification       `json:"pending,omitempty"`            // notifications not yet delivered
}

// copyPayloads gives s its own copies of the decision and pending
// notifications, so that it shares no memory with the complaint or snapshot
// they came from.
func (s *Snapshot) copyPayloads() {
	s.Claim.Missing = slices.Clone(s.Claim.Missing)
	if s.Decision != nil {
		d := s.Decision.Clone()
		s.Decision = &d
	}
	if len(s.Pending) > 0 {
		s.Pending = clonePending(s.Pending)
	} else {
		s.Pending = nil
	}
}

// clonePending copies notifications so that they share no memory with ns.
func clonePending(ns []Notification) []Notification {
	out := make([]Notification, len(ns))
	for i, n := range ns {
		out[i] = n.clone()
	}
	return out
}

// Complaint is one customer complaint moving through a lifecycle. Its
// state changes only through a [Workflow], so its history always replays to
// its state. Accessors return copies: changing them does not change the
// complaint.
//
// A Complaint is not safe for concurrent use; share it between goroutines
// only with a lock, or keep it in a store, which serialises changes by
// version. The zero value is not a complaint: get one from [Workflow.Open]
// or [Workflow.Restore]; a workflow refuses a zero one with an
// *[InputError].
type Complaint struct {
	id          string
	state       State
	kind        glossary.Term
	channel     glossary.Channel
	customer    Customer
	product     Product
	description string
	remedy      escalation.Remedy
	history     []Entry     // the entries held: all of them, or those after base
	base        *Checkpoint // the entries not held, when restored from a checkpoint; nil otherwise
	created     time.Time
	deadlines   []Deadline // the clocks started so far, in the order of the DeadlineName constants
	claim       ClaimAssessment
	answer      *Answer
	referral    *Referral
	decision    *escalation.Decision
	fulfilments []Fulfilment
	safety      bool
	noContact   bool
	erasedAt    time.Time
	pending     []Notification
}

// ErasedAt returns when the customer's personal data and free texts were
// erased from the complaint ([Snapshot.Erase]), if they were.
func (c *Complaint) ErasedAt() (time.Time, bool) { return c.erasedAt, !c.erasedAt.IsZero() }

// Safety reports whether the complaint is flagged as a product-safety
// matter: at intake (Intake.Safety) or later (EventFlagSafety).
func (c *Complaint) Safety() bool { return c.safety }

// NoWrittenContact reports that a consumer's complaint has neither an
// e-mail nor a postal address: the written answers the law requires (which
// complaint body to turn to) have nowhere to go. It is accepted, and
// flagged, so that someone asks for one.
func (c *Complaint) NoWrittenContact() bool { return c.noContact }

// ID returns the complaint's id.
func (c *Complaint) ID() string { return c.id }

// State returns the current state.
func (c *Complaint) State() State { return c.state }

// Version returns the version, which is the number of history entries:
// every transition, progress updates included, adds one.
func (c *Complaint) Version() int { return c.baseSeq() + len(c.history) }

// baseSeq is the number of entries c does not hold.
func (c *Complaint) baseSeq() int {
	if c.base == nil {
		return 0
	}
	return c.base.Seq
}

// Kind returns what kind of complaint this is.
func (c *Complaint) Kind() glossary.Term { return c.kind }

// Channel returns how the complaint arrived.
func (c *Complaint) Channel() glossary.Channel { return c.channel }

// Customer returns who made the complaint.
func (c *Complaint) Customer() Customer { return c.customer }

// Product returns what the complaint is about.
func (c *Complaint) Product() Product { return c.product }

// Description returns the customer's description of the problem.
func (c *Complaint) Description() string { return c.description }

// RemedySought returns what the customer asked for.
func (c *Complaint) RemedySought() escalation.Remedy { return c.remedy }

// Granted returns the remedy the complaint grants now: the Complaints
// Department's decision's when it grants one (in place of customer
// service's), or else customer service's final answer's. An escalation
// never worsens the customer's position: a decision that grants nothing
// leaves what customer service granted owed.
func (c *Complaint) Granted() (escalation.Remedy, bool) {
	switch {
	case c.decision != nil && c.decision.Remedy != nil:
		return *c.decision.Remedy, true
	case c.answer != nil && c.answer.Remedy != nil:
		return *c.answer.Remedy, true
	}
	return escalation.Remedy{}, false
}

// Fulfilments returns the remedies recorded as carried out, oldest first.
func (c *Complaint) Fulfilments() []Fulfilment { return slices.Clone(c.fulfilments) }

// Owes reports whether the complaint grants a remedy that has not been
// carried out: such a case may not be accepted or closed (a withdrawal,
// the customer's right, is never refused), and a withdrawn one still
// reports what it owes.
func (c *Complaint) Owes() bool {
	g, ok := c.Granted()
	if !ok {
		return false
	}
	for _, f := range c.fulfilments {
		if f.Remedy == g.Kind {
			return false
		}
	}
	return true
}

// CreatedAt returns when the complaint was opened: the time of the first
// history entry.
func (c *Complaint) CreatedAt() time.Time { return c.created }

// History returns a copy of the history, oldest first: the whole of it,
// or, for a complaint restored from a snapshot with a [Checkpoint] (as the
// SQL store loads them), the entries after the checkpoint; the store's
// History has the rest.
func (c *Complaint) History() []Entry { return slices.Clone(c.history) }

// Checkpoint returns the checkpoint c was restored from, if it was.
func (c *Complaint) Checkpoint() (Checkpoint, bool) {
	if c.base == nil {
		return Checkpoint{}, false
	}
	return *c.base.clone(), true
}

// SnapshotTail is [Complaint.Snapshot] with only the newest keep entries
// of c's history (at least one) and a [Checkpoint] for the others: what a
// store that keeps the history in its own table saves, so that the cost of
// saving and loading does not grow with the history. [Workflow.Restore]
// takes it back.
func (w *Workflow) SnapshotTail(c *Complaint, keep int) Snapshot {
	w = w.orDefault()
	s := c.Snapshot()
	keep = max(keep, 1)
	if len(c.history) <= keep {
		return s
	}
	cut := len(c.history) - keep
	cp := Checkpoint{Seq: c.baseSeq() + cut, State: c.history[cut-1].To, At: c.history[cut-1].At}
	if c.base != nil {
		cp.Actors, cp.Recorded = slices.Clone(c.base.Actors), slices.Clone(c.base.Recorded)
	}
	for i := range c.history[:cut] {
		e := &c.history[i]
		if !slices.Contains(cp.Actors, e.Actor) {
			cp.Actors = append(cp.Actors, e.Actor)
		}
		if e.Event == EventOpen {
			continue
		}
		if r := w.m.rule(e.From, e.Event); r != nil && recordedPayload(r.Needs) && !slices.Contains(cp.Recorded, r.Needs) {
			cp.Recorded = append(cp.Recorded, r.Needs)
		}
	}
	s.Checkpoint = &cp
	s.History = s.History[cut:]
	return s
}

// recordedPayload reports whether payload p leaves something in the
// complaint's data (an answer, a referral, a decision, a fulfilment, a
// kind) that a checkpoint must say was recorded. A note and a timer's name
// stay in the history.
func recordedPayload(p Payload) bool {
	switch p {
	case NeedsAnswer, NeedsReferral, NeedsDecision, NeedsKind, NeedsFulfilment:
		return true
	}
	return false
}

// Last returns the newest history entry.
func (c *Complaint) Last() Entry {
	if len(c.history) == 0 {
		return Entry{}
	}
	return c.history[len(c.history)-1]
}

// ByRequest returns the history entry that the request with idempotency
// key id made, if one did: a retried request finds what its first attempt
// did.
func (c *Complaint) ByRequest(id string) (Entry, bool) {
	if id == "" {
		return Entry{}, false
	}
	for i := len(c.history) - 1; i >= 0; i-- {
		if c.history[i].RequestID == id {
			return c.history[i], true
		}
	}
	return Entry{}, false
}

// FinalAnswer returns customer service's final answer, if it has given one.
func (c *Complaint) FinalAnswer() (Answer, bool) {
	if c.answer == nil {
		return Answer{}, false
	}
	return c.answer.clone(), true
}

// Referral returns the referral to the manufacturer, if there was one.
func (c *Complaint) Referral() (Referral, bool) {
	if c.referral == nil {
		return Referral{}, false
	}
	return *c.referral, true
}

// Decision returns the Complaints Department's decision, if it has made
// one.
func (c *Complaint) Decision() (escalation.Decision, bool) {
	if c.decision == nil {
		return escalation.Decision{}, false
	}
	return c.decision.Clone(), true
}

// Pending returns a copy of the notifications that have not been delivered
// yet, oldest first.
func (c *Complaint) Pending() []Notification { return clonePending(c.pending) }

// TakePending removes and returns the notifications pending on c, oldest
// first: for a store, which takes over the duty to deliver them by writing
// them to its outbox in the same transaction as the complaint (see
// [Workflow.Notifies]). Nobody else needs it: a caller without a store
// delivers them with [Workflow.Deliver].
func (c *Complaint) TakePending() []Notification {
	p := c.pending
	c.pending = nil
	return p
}

// Snapshot returns a deep copy of the complaint's data.
func (c *Complaint) Snapshot() Snapshot {
	s := Snapshot{
		ID:           c.id,
		State:        c.state,
		Version:      c.Version(),
		Kind:         c.kind,
		Channel:      c.channel,
		Customer:     c.customer,
		Product:      c.product,
		Description:  c.description,
		RemedySought: c.remedy,
		CreatedAt:    c.CreatedAt(),
		Deadlines:    c.Deadlines(),
		Claim:        c.claim,
		History:      c.History(),
		Checkpoint:   c.base.clone(),
		Decision:     c.decision,
		Fulfilments:  slices.Clone(c.fulfilments),
		Safety:       c.safety,
		NoContact:    c.noContact,
		ErasedAt:     c.erasedAt,
		Pending:      c.pending,
	}
	s.copyPayloads()
	if c.answer != nil {
		a := c.answer.clone()
		s.FinalAnswer = &a
	}
	if c.referral != nil {
		r := *c.referral
		s.Referral = &r
	}
	return s
}

// MarshalJSON encodes the complaint as its Snapshot.
func (c *Complaint) MarshalJSON() ([]byte, error) {
	s := c.Snapshot()
	return json.Marshal(&s)
}

// actors lists everyone who acted in history h, oldest first.
func actors(base *Checkpoint, h []Entry) []glossary.Actor {
	var out []glossary.Actor
	if base != nil {
		out = slices.Clone(base.Actors)
	}
	for i := range h {
		out = append(out, h[i].Actor)
	}
	return out
}

// stamp is t as history records it: UTC, without a monotonic reading.
func stamp(t time.Time) time.Time { return time.Unix(t.Unix(), int64(t.Nanosecond())).UTC() }
