package complaint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// Notification is a message a transition owes someone: the customer, the
// Complaints Department or the manufacturer. Its Key is an idempotency key,
// stable across retries, so that a receiver can drop duplicates: delivery is
// at least once.
type Notification struct {
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
	Customer     Customer          `json:"customer,omitzero"`
	Product      Product           `json:"product,omitzero"`
	Description  string            `json:"description,omitempty"`  // the customer's own words, for the manufacturer and the Complaints Department
	RemedySought escalation.Remedy `json:"remedy_sought,omitzero"` // what the customer asked for, likewise

	Answer     *Answer              `json:"answer,omitempty"`     // final_answer, escalated
	Fulfilment *Fulfilment          `json:"fulfilment,omitempty"` // fulfilled
	Referral   *Referral            `json:"referral,omitempty"`   // referred
	Decision   *escalation.Decision `json:"decision,omitempty"`   // reviewed

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

// Key returns the notification's idempotency key,
// "<complaint id>/<seq>/<topic>/<recipient>" ("reminder.<deadline>" for a
// reminder's topic): the same every time the notification is offered, and
// different for every notification. A reminder's Seq is the complaint's
// version when it was swept, so repeated sweeps of an unchanged complaint
// give the same key.
func (n *Notification) Key() string {
	if n.Topic == TopicReminder && n.Data.Deadline != nil {
		return notificationKey(n.ComplaintID, n.Seq, Topic(string(TopicReminder)+"."+string(n.Data.Deadline.Name)), n.Recipient)
	}
	return notificationKey(n.ComplaintID, n.Seq, n.Topic, n.Recipient)
}

// notificationJSON is the wire form of a Notification: its fields and its
// key.
type notificationJSON struct {
	Key string `json:"key"`
	notificationFields
}

type notificationFields Notification // the fields without the methods

// MarshalJSON encodes the notification with its key.
func (n Notification) MarshalJSON() ([]byte, error) {
	return json.Marshal(notificationJSON{Key: n.Key(), notificationFields: notificationFields(n)})
}

// UnmarshalJSON decodes a notification. A key that is present must be the
// one the notification's fields give; it is refused otherwise.
func (n *Notification) UnmarshalJSON(b []byte) error {
	var v notificationJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	got := Notification(v.notificationFields)
	if v.Key != "" && v.Key != got.Key() {
		return fmt.Errorf("complaint: notification key %q does not match its fields (%q)", v.Key, got.Key())
	}
	*n = got
	return nil
}

func (n Notification) clone() Notification {
	if n.Data.Answer != nil {
		a := n.Data.Answer.clone()
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
func notificationKey(id string, seq int, topic Topic, recipient glossary.Role) string {
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

// Notify calls f; a nil f returns ErrNilNotifier instead of panicking.
func (f NotifierFunc) Notify(ctx context.Context, n Notification) error {
	if f == nil {
		return ErrNilNotifier
	}
	return f(ctx, n)
}

// ErrNilNotifier is what a nil NotifierFunc returns; New refuses one as
// Options.Notifier.
var ErrNilNotifier = errors.New("complaint: nil NotifierFunc")

// escalationInstructions are the shipped texts that tell a customer how to
// escalate; a Translation adds another language.
var escalationInstructions = map[glossary.Language]string{
	glossary.Danish:  "Er du ikke tilfreds med vores endelige svar, kan du klage til vores Klageafdeling. Klageafdelingen er uafhængig af kundeservice og behandler din sag upartisk. Svar på denne besked eller skriv til Klageafdelingen, og oplys dit sagsnummer.",
	glossary.English: "If you are not satisfied with our final answer, you can take your complaint to our Complaints Department. It is independent of customer service and reviews your case impartially. Reply to this message or write to the Complaints Department, quoting your case number.",
}

// openingNotices is what opening a complaint owes: an acknowledgement.
var openingNotices = []Notice{{Topic: TopicAcknowledged, To: glossary.Customer}}

// feedbackNotices is what opening feedback or a general complaint owes:
// an acknowledgement, and the complaint itself to the Complaints
// Department, for its improvement work.
var feedbackNotices = []Notice{{Topic: TopicAcknowledged, To: glossary.Customer}, {Topic: TopicAcknowledged, To: glossary.ComplaintsDepartment}}

// notifications appends to dst what entry e of complaint c owes whom: the
// notices of rule r (nil for the opening) that apply to e's From state,
// each with the data its topic and recipient need. It fills each
// notification in place: they are large, and this runs on every
// transition.
func (w *Workflow) notifications(dst []Notification, c *Complaint, e *Entry, r *Rule) []Notification {
	notices := openingNotices
	switch {
	case r != nil:
		notices = r.Notify
	case !c.kind.AboutProduct():
		// Feedback and general complaints (delivery, billing, staff) are
		// routed to the Complaints Department's improvement work.
		notices = feedbackNotices
	}
	if r == nil && c.safety {
		notices = append(slices.Clone(notices), Notice{Topic: TopicSafety, To: glossary.ComplaintsDepartment})
	}
	var lapsed *Deadline // the clock a timer's reminder is about
	if e.Event == EventRemind {
		var roles []glossary.Role
		roles, lapsed = w.timerNotices(c, e)
		notices = make([]Notice, len(roles))
		for i, role := range roles {
			notices[i] = Notice{Topic: TopicReminder, To: role}
			if role == glossary.Customer {
				notices[i].Topic = TopicReplyReminder
			}
		}
	}
	consumer := c.customer.Type == Consumer
	for _, notice := range notices {
		if len(notice.From) > 0 && !slices.Contains(notice.From, e.From) {
			continue
		}
		to := notice.To
		dst = append(dst, Notification{Topic: notice.Topic, Recipient: to, ComplaintID: c.id, Seq: e.Seq, At: e.At})
		d := &dst[len(dst)-1].Data
		d.Event, d.State, d.By, d.Language, d.Kind, d.Note = e.Event, e.To, e.Actor.Role, c.customer.Language, c.kind, e.Note
		if lapsed != nil {
			dl := *lapsed
			d.Deadline, d.Note = &dl, "" // the note is the timer's name, for the audit trail
		}
		if r == nil && to == glossary.Customer && e.Actor.Role != glossary.Customer {
			d.Note = "" // a staff member's intake note is for staff
		}
		// Every recipient can reach the customer and knows the product; the
		// manufacturer and the Complaints Department also get the case.
		d.Customer, d.Product = c.customer, c.product
		if to != glossary.Customer {
			d.Description, d.RemedySought = c.description, c.remedy
		}
		switch notice.Topic {
		case TopicReferred:
			if c.referral != nil {
				ref := *c.referral
				d.Referral = &ref
			}
		case TopicFinalAnswer:
			if a, ok := c.FinalAnswer(); ok {
				d.Answer = &a
				if to == glossary.Customer && !a.Outcome.FullyUpheld() {
					d.Escalation = w.escalationInfo(c)
					if consumer {
						d.ComplaintBodies = slices.Clone(w.bodies)
					}
				}
			}
		case TopicEscalated:
			if a, ok := c.FinalAnswer(); ok {
				d.Answer = &a
			}
		case TopicFulfilled:
			if n := len(c.fulfilments); n > 0 {
				f := c.fulfilments[n-1]
				d.Fulfilment = &f
			}
		case TopicReviewed:
			if dec, ok := c.Decision(); ok {
				d.Decision = &dec
				if to == glossary.Customer && !dec.Outcome.FullyUpheld() && consumer {
					d.ComplaintBodies = slices.Clone(w.bodies)
				}
			}
		}
	}
	return dst
}

func (w *Workflow) escalationInfo(c *Complaint) *EscalationInfo {
	info := &EscalationInfo{Contact: w.contact, Instructions: w.instructions(c.customer.Language)}
	if d := c.deadline(DeadlineEscalationWindow); d != nil && d.Running() {
		info.Until = d.Due
	}
	return info
}

// Deliver offers the complaint's pending notifications to the Notifier,
// oldest first, and removes each one it accepts. It stops at the first
// failure, so that a recipient never gets them out of order, and returns a
// *DeliveryError (matching ErrUndelivered); the rest stay pending. Without a
// Notifier it does nothing and returns nil.
func (w *Workflow) Deliver(ctx context.Context, c *Complaint) error {
	w = w.orDefault()
	if w.notifier == nil || c == nil {
		return nil
	}
	p := c.pending
	sent := 0
	var failure error
	for sent < len(p) {
		err := ctx.Err()
		if err == nil {
			err = w.notifier.Notify(ctx, p[sent])
		}
		if err != nil {
			failure = &DeliveryError{Key: p[sent].Key(), Pending: len(p) - sent, Err: err}
			break
		}
		sent++
	}
	// Keep what is left at the front and the slice's capacity for the
	// next transition.
	n := copy(p, p[sent:])
	clear(p[n:])
	c.pending = p[:n]
	return failure
}

// Sweep returns a reminder for every clock that is overdue at t on the
// given complaints, addressed to the clock's owner (customer service or the
// Complaints Department), oldest complaint first as given. Sweep changes
// nothing: deliver the reminders as the service sees fit; their keys repeat
// while a complaint does not change, so a receiver can drop repeats.
func (w *Workflow) Sweep(t time.Time, complaints []*Complaint) []Notification {
	var out []Notification
	for _, c := range complaints {
		if c == nil {
			continue
		}
		for _, d := range c.Overdue(t) {
			out = append(out, Notification{
				Topic: TopicReminder, Recipient: d.Owner, ComplaintID: c.id, Seq: c.Version(), At: t,
				Data: Data{
					Event: EventRemind, By: glossary.System, State: c.State(), Language: c.customer.Language, Kind: c.Kind(),
					Customer: c.Customer(), Product: c.Product(), Description: c.description, RemedySought: c.remedy,
					Deadline: &d,
				},
			})
		}
	}
	return out
}
