package complaint

import (
	"encoding/json"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Customer is who made the complaint.
type Customer struct {
	ID       string            `json:"id"`
	Name     string            `json:"name,omitempty"`
	Email    string            `json:"email,omitempty"`
	Type     CustomerType      `json:"type"`
	Language glossary.Language `json:"language,omitempty"` // of notifications; Open sets Danish when empty
}

// Product is what the complaint is about.
type Product struct {
	SKU          string    `json:"sku,omitempty"`
	Name         string    `json:"name,omitempty"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	DeliveredAt  time.Time `json:"delivered_at,omitzero"` // starts the claim period; zero when unknown
}

// Answer is customer service's final answer.
type Answer struct {
	Outcome escalation.Outcome `json:"outcome"`
	Text    string             `json:"text"`
}

// Referral is how a complaint was handed to the manufacturer's support or
// service, putting the customer in direct contact with it.
type Referral struct {
	Manufacturer string `json:"manufacturer"`
	Contact      string `json:"contact"` // how the customer reaches the manufacturer: phone, e-mail, URL
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
}

// Snapshot is the plain data of a complaint, as it is stored and sent over
// the wire. Its JSON form is klage's public complaint format. A Snapshot is
// turned back into a live Complaint only by Workflow.Restore, which checks
// that the history replays to the state.
type Snapshot struct {
	ID           string               `json:"id"`
	State        State                `json:"state"`
	Version      int                  `json:"version"`
	Kind         glossary.Term        `json:"kind"`
	Channel      glossary.Channel     `json:"channel"`
	Customer     Customer             `json:"customer"`
	Product      Product              `json:"product"`
	Description  string               `json:"description"`
	RemedySought string               `json:"remedy_sought,omitempty"`
	CreatedAt    time.Time            `json:"created_at"`
	Deadlines    []Deadline           `json:"deadlines"`
	Claim        ClaimAssessment      `json:"claim"`
	History      []Entry              `json:"history"`
	FinalAnswer  *Answer              `json:"final_answer"`
	Referral     *Referral            `json:"referral"`
	Decision     *escalation.Decision `json:"decision"`
	Pending      []Notification       `json:"pending,omitempty"` // notifications not yet delivered
}

// copyPayloads gives s its own copies of the decision and pending
// notifications, so that it shares no memory with the complaint or snapshot
// they came from.
func (s *Snapshot) copyPayloads() {
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

// Complaint is one customer complaint moving through the lifecycle. Its
// state changes only through a Workflow, so its history always replays to
// its state. Accessors return copies: changing them does not change the
// complaint.
//
// A Complaint is not safe for concurrent use; share it between goroutines
// only with a lock, or keep it in a store, which serialises changes by
// version. The zero value is not a complaint: get one from Workflow.Open or
// Workflow.Restore.
type Complaint struct {
	// A complaint is restored for every transition a service makes, so it
	// is kept compact (at most 512 bytes, which the Go allocator serves
	// without a type header; a test holds it there): vocabulary as table
	// indices, times as seconds and nanoseconds, the history as records.
	// The version is the length of the history.
	id, description, remedy                 string
	customerID, customerName, customerEmail string
	sku, productName, manufacturer          string
	claimPolicy, claimNotice                string
	delivered                               time.Time // kept as given: it is a date in the customer's zone
	answerText                              string    // with answerOutcome; answered when that is not 0
	referral                                Referral  // referred when Contact is set
	decision                                *escalation.Decision
	pending                                 []Notification
	hist                                    []record
	clocks                                  [numDeadlines]clock
	claimEnds, presumptionEnds              instant
	state, kind, channel, customerType      uint8
	language, answerOutcome                 uint8 // answerOutcome is the outcome's index + 1
	claimKnown, withinPeriod, presumption   bool
}

// newComplaint returns a complaint in received with the intake data, which
// has been validated, and nothing else.
func newComplaint(id string, cu *Customer, p *Product, kind glossary.Term, ch glossary.Channel, description, remedy string) *Complaint {
	return &Complaint{
		id: id, description: description, remedy: remedy,
		customerID: cu.ID, customerName: cu.Name, customerEmail: cu.Email,
		sku: p.SKU, productName: p.Name, manufacturer: p.Manufacturer, delivered: p.DeliveredAt,
		kind:         uint8(indexIn(termByIndex, kind)),
		channel:      uint8(indexIn(channelByIndex, ch)),
		customerType: uint8(indexIn(customerTypeByIndex, cu.Type)),
		language:     uint8(indexIn(languageByIndex, cu.Language)),
	}
}

// ID returns the complaint's id.
func (c *Complaint) ID() string { return c.id }

// State returns the current state.
func (c *Complaint) State() State { return stateByIndex[c.state] }

// Version returns the version, which is the number of history entries:
// every transition, progress updates included, adds one.
func (c *Complaint) Version() int { return len(c.hist) }

// Kind returns what kind of complaint this is.
func (c *Complaint) Kind() glossary.Term { return termByIndex[c.kind] }

// Channel returns how the complaint arrived.
func (c *Complaint) Channel() glossary.Channel { return channelByIndex[c.channel] }

// Customer returns who made the complaint.
func (c *Complaint) Customer() Customer {
	return Customer{ID: c.customerID, Name: c.customerName, Email: c.customerEmail,
		Type: customerTypeByIndex[c.customerType], Language: languageByIndex[c.language]}
}

// Product returns what the complaint is about.
func (c *Complaint) Product() Product {
	return Product{SKU: c.sku, Name: c.productName, Manufacturer: c.manufacturer, DeliveredAt: c.delivered}
}

// Description returns the customer's description of the problem.
func (c *Complaint) Description() string { return c.description }

// RemedySought returns what the customer asked for.
func (c *Complaint) RemedySought() string { return c.remedy }

// CreatedAt returns when the complaint was opened: the time of the first
// history entry.
func (c *Complaint) CreatedAt() time.Time {
	if len(c.hist) == 0 {
		return time.Time{}
	}
	return c.hist[0].at()
}

// History returns a copy of the history, oldest first.
func (c *Complaint) History() []Entry { return entries(c.hist) }

// Last returns the newest history entry.
func (c *Complaint) Last() Entry {
	if len(c.hist) == 0 {
		return Entry{}
	}
	return c.hist[len(c.hist)-1].entry(len(c.hist))
}

// FinalAnswer returns customer service's final answer, if it has given one.
func (c *Complaint) FinalAnswer() (Answer, bool) {
	if c.answerOutcome == 0 {
		return Answer{}, false
	}
	return Answer{Outcome: outcomeByIndex[c.answerOutcome-1], Text: c.answerText}, true
}

// setAnswer stores a, which has been validated.
func (c *Complaint) setAnswer(a *Answer) {
	c.answerOutcome, c.answerText = uint8(indexIn(outcomeByIndex, a.Outcome)+1), a.Text
}

// Referral returns the referral to the manufacturer, if there was one.
func (c *Complaint) Referral() (Referral, bool) {
	return c.referral, c.referral.Contact != ""
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

// TakePending removes and returns the pending notifications. The caller
// takes over the duty to deliver them: a store writes them to its outbox in
// the same transaction as the complaint.
func (c *Complaint) TakePending() []Notification {
	p := c.pending
	c.pending = nil
	return p
}

// Snapshot returns a deep copy of the complaint's data.
func (c *Complaint) Snapshot() Snapshot {
	s := Snapshot{
		ID:           c.id,
		State:        c.State(),
		Version:      c.Version(),
		Kind:         c.Kind(),
		Channel:      c.Channel(),
		Customer:     c.Customer(),
		Product:      c.Product(),
		Description:  c.description,
		RemedySought: c.remedy,
		CreatedAt:    c.CreatedAt(),
		Deadlines:    c.Deadlines(),
		Claim:        c.Claim(),
		History:      entries(c.hist),
		Decision:     c.decision,
		Pending:      c.pending,
	}
	s.copyPayloads()
	if a, ok := c.FinalAnswer(); ok {
		s.FinalAnswer = &a
	}
	if r, ok := c.Referral(); ok {
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
func actors(h []record) []glossary.Actor {
	out := make([]glossary.Actor, len(h))
	for i := range h {
		out[i] = h[i].actor()
	}
	return out
}
