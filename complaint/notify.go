package complaint

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Notification is a message a transition owes someone: the customer, the
// Complaints Department or the manufacturer. Key is an idempotency key,
// stable across retries, so that a receiver can drop duplicates: delivery is
// at least once.
type Notification struct {
	Key         string        `json:"key"` // "<complaint id>/<seq>/<topic>/<recipient>"
	Topic       Topic         `json:"topic"`
	Recipient   glossary.Role `json:"recipient"`
	ComplaintID string        `json:"complaint_id"`
	Seq         int           `json:"seq"` // the history entry that produced it
	At          time.Time     `json:"at"`
	Data        Data          `json:"data"`
}

// Data is what the recipient of a notification needs. Fields that do not
// apply to a topic are empty.
type Data struct {
	Event    Event             `json:"event"`
	State    State             `json:"state"` // the complaint's state after the event
	By       glossary.Role     `json:"by"`    // who acted
	Language glossary.Language `json:"language"`
	Kind     glossary.Term     `json:"kind,omitempty"`
	Note     string            `json:"note,omitempty"`

	// Customer and Product are filled for the customer (to address the
	// message) and for the manufacturer and the Complaints Department (to
	// handle the case).
	Customer    Customer `json:"customer,omitzero"`
	Product     Product  `json:"product,omitzero"`
	Description string   `json:"description,omitempty"` // the customer's own words, for the manufacturer and the Complaints Department

	Answer   *Answer              `json:"answer,omitempty"`   // final_answer, escalated
	Referral *Referral            `json:"referral,omitempty"` // referred
	Decision *escalation.Decision `json:"decision,omitempty"` // reviewed

	// Escalation tells the customer how to take a final answer that did
	// not give them all they asked for to the Complaints Department.
	Escalation *EscalationInfo `json:"escalation,omitempty"`
	// ComplaintBodies are the external bodies a consumer can turn to when
	// the complaint is wholly or partly rejected.
	ComplaintBodies []escalation.Body `json:"complaint_bodies,omitempty"`

	// Deadline is set on reminders: the overdue deadline.
	Deadline *Deadline `json:"deadline,omitempty"`
}

// EscalationInfo tells a customer how to escalate to the Complaints
// Department.
type EscalationInfo struct {
	Instructions string    `json:"instructions"`      // in the customer's language
	Contact      string    `json:"contact,omitempty"` // the Complaints Department's address, from Options
	Until        time.Time `json:"until,omitzero"`    // end of the escalation window; zero when it has no limit
}

func (n Notification) clone() Notification {
	if n.Data.Answer != nil {
		a := *n.Data.Answer
		n.Data.Answer = &a
	}
	if n.Data.Referral != nil {
		r := *n.Data.Referral
		n.Data.Referral = &r
	}
	if n.Data.Decision != nil {
		d := n.Data.Decision.Clone()
		n.Data.Decision = &d
	}
	if n.Data.Escalation != nil {
		e := *n.Data.Escalation
		n.Data.Escalation = &e
	}
	if n.Data.Deadline != nil {
		d := *n.Data.Deadline
		n.Data.Deadline = &d
	}
	if n.Data.ComplaintBodies != nil {
		n.Data.ComplaintBodies = append([]escalation.Body(nil), n.Data.ComplaintBodies...)
	}
	return n
}

// NotificationKey returns the idempotency key of the notification on topic
// for recipient produced by history entry seq of complaint id.
func NotificationKey(id string, seq int, topic Topic, recipient glossary.Role) string {
	return id + "/" + strconv.Itoa(seq) + "/" + string(topic) + "/" + string(recipient)
}

// Notifier delivers notifications: by e-mail, SMS, a message queue, a
// ticket in the manufacturer's system. The embedding service supplies it.
//
// Notify must be safe for concurrent use. It returns nil only when the
// notification has been handed over for good; on error the notification
// stays pending and is offered again later, with the same Key.
type Notifier interface {
	Notify(ctx context.Context, n Notification) error
}

// NotifierFunc adapts a function to the Notifier interface.
type NotifierFunc func(ctx context.Context, n Notification) error

// Notify calls f.
func (f NotifierFunc) Notify(ctx context.Context, n Notification) error { return f(ctx, n) }

var escalationInstructions = [2]string{
	"Er du ikke tilfreds med vores endelige svar, kan du klage til vores Klageafdeling. Klageafdelingen er uafhængig af kundeservice og behandler din sag upartisk. Svar på denne besked eller skriv til Klageafdelingen, og oplys dit sagsnummer.",
	"If you are not satisfied with our final answer, you can take your complaint to our Complaints Department. It is independent of customer service and reviews your case impartially. Reply to this message or write to the Complaints Department, quoting your case number.",
}

// notifications returns what entry e of complaint c owes whom. prev is the
// state before the event.
func (w *Workflow) notifications(c *Complaint, e Entry) []Notification {
	s := &c.s
	base := Data{Event: e.Event, State: e.To, By: e.Actor.Role, Language: s.Customer.Language, Kind: s.Kind, Note: e.Note}
	toCustomer := func(topic Topic, d Data) Notification {
		d.Customer = s.Customer
		d.Product = s.Product
		return w.notification(c, e, topic, glossary.Customer, d)
	}
	caseFile := func(d Data) Data {
		d.Customer, d.Product, d.Description = s.Customer, s.Product, s.Description
		return d
	}
	switch e.Event {
	case EventOpen:
		return []Notification{toCustomer(TopicAcknowledged, base)}
	case EventStart:
		return []Notification{toCustomer(TopicStarted, base)}
	case EventRequestInfo:
		return []Notification{toCustomer(TopicInfoRequested, base)}
	case EventProvideInfo, EventResume, EventUpdate:
		return []Notification{toCustomer(TopicProgress, base)}
	case EventRefer:
		d := base
		r := *s.Referral
		d.Referral = &r
		return []Notification{
			toCustomer(TopicReferred, d),
			w.notification(c, e, TopicReferred, glossary.Manufacturer, caseFile(d)),
		}
	case EventAnswer:
		d := base
		a := *s.FinalAnswer
		d.Answer = &a
		if !a.Outcome.FullyUpheld() {
			d.Escalation = w.escalationInfo(c, e.At)
			if s.Customer.Type == Consumer {
				d.ComplaintBodies = slices.Clone(w.bodies)
			}
		}
		return []Notification{toCustomer(TopicFinalAnswer, d)}
	case EventEscalate:
		d := base
		a := *s.FinalAnswer
		d.Answer = &a
		return []Notification{
			toCustomer(TopicEscalated, d),
			w.notification(c, e, TopicEscalated, glossary.ComplaintsDepartment, caseFile(d)),
		}
	case EventReview:
		d := base
		dec := s.Decision.Clone()
		d.Decision = &dec
		if !dec.Outcome.FullyUpheld() && s.Customer.Type == Consumer {
			d.ComplaintBodies = slices.Clone(w.bodies)
		}
		return []Notification{toCustomer(TopicReviewed, d)}
	case EventAccept, EventClose, EventWithdraw:
		out := []Notification{toCustomer(TopicClosed, base)}
		switch e.From {
		case StateWithManufacturer:
			out = append(out, w.notification(c, e, TopicClosed, glossary.Manufacturer, caseFile(base)))
		case StateEscalated:
			out = append(out, w.notification(c, e, TopicClosed, glossary.ComplaintsDepartment, caseFile(base)))
		}
		return out
	}
	return nil
}

func (w *Workflow) notification(c *Complaint, e Entry, topic Topic, to glossary.Role, d Data) Notification {
	return Notification{
		Key:         NotificationKey(c.s.ID, e.Seq, topic, to),
		Topic:       topic,
		Recipient:   to,
		ComplaintID: c.s.ID,
		Seq:         e.Seq,
		At:          e.At,
		Data:        d,
	}
}

func (w *Workflow) escalationInfo(c *Complaint, answeredAt time.Time) *EscalationInfo {
	info := &EscalationInfo{Contact: w.contact}
	if c.s.Customer.Language == glossary.English {
		info.Instructions = escalationInstructions[1]
	} else {
		info.Instructions = escalationInstructions[0]
	}
	p := w.policyFor(c.s.Customer.Type)
	if !p.EscalationWindow.IsZero() {
		info.Until = p.EscalationWindow.AddTo(answeredAt, p.location())
	}
	return info
}

// Deliver offers the complaint's pending notifications to the Notifier,
// oldest first, and removes each one it accepts. It stops at the first
// failure, so that a recipient never gets them out of order, and returns a
// *DeliveryError (matching ErrUndelivered); the rest stay pending. Without a
// Notifier it does nothing and returns nil.
func (w *Workflow) Deliver(ctx context.Context, c *Complaint) error {
	if w.notifier == nil || c == nil {
		return nil
	}
	for len(c.s.Pending) > 0 {
		n := c.s.Pending[0]
		err := ctx.Err()
		if err == nil {
			err = w.notifier.Notify(ctx, n)
		}
		if err != nil {
			return &DeliveryError{Key: n.Key, Pending: len(c.s.Pending), Err: err}
		}
		c.s.Pending[0] = Notification{}
		c.s.Pending = c.s.Pending[1:]
	}
	c.s.Pending = nil
	return nil
}
