package complaint

import (
	"slices"
	"time"

	"github.com/klageflow/klage/escalation"
)

// Erased is what erasure leaves in place of a free text that may not be
// empty (a description, an answer's text, a required note).
const Erased = "[erased]"

// erase returns Erased for a text that had something, "" for one that did
// not.
func erase(s string) string {
	if s == "" {
		return ""
	}
	return Erased
}

// Erase returns s without its customer's personal data and free texts, as
// a data subject's erasure (GDPR art. 17) requires, erased at at: the
// customer's name, e-mail, phone and address; every free text of the
// case: the description, the texts of the remedy sought, the final answer
// and the decision (its explanation and remedy), the referral's contact,
// the fulfilments' references and every history note (a text that may
// not be empty becomes [Erased]). What remains is the audit trail:
// events, states, times, staff actors, outcomes, remedies, the Complaints
// Department's findings, deadlines, and the customer's id. The result
// restores and replays like s; ErasedAt records the erasure.
func (s Snapshot) Erase(at time.Time) Snapshot {
	s.copyPayloads()
	s.Customer = s.Customer.WithoutContact()
	s.Description = erase(s.Description)
	s.RemedySought.Text = erase(s.RemedySought.Text)
	if s.FinalAnswer != nil {
		a := s.FinalAnswer.erase()
		s.FinalAnswer = &a
	}
	if s.Decision != nil {
		d := eraseDecision(*s.Decision)
		s.Decision = &d
	}
	if s.Referral != nil {
		r := *s.Referral
		r.Contact = erase(r.Contact)
		s.Referral = &r
	}
	s.Fulfilments = slices.Clone(s.Fulfilments)
	for i := range s.Fulfilments {
		s.Fulfilments[i].Reference = erase(s.Fulfilments[i].Reference)
	}
	h := make([]Entry, len(s.History))
	for i, e := range s.History {
		e.Note = erase(e.Note)
		h[i] = e
	}
	s.History = h
	for i := range s.Pending {
		s.Pending[i] = s.Pending[i].Erase()
	}
	s.ErasedAt = stamp(at)
	return s
}

func (a Answer) erase() Answer {
	a.Text = erase(a.Text)
	a.Remedy = eraseRemedy(a.Remedy)
	return a
}

// eraseDecision returns a copy of d without its explanation and remedy
// text; the outcome and the findings stay.
func eraseDecision(d escalation.Decision) escalation.Decision {
	d = d.Clone()
	d.Explanation = erase(d.Explanation)
	d.Remedy = eraseRemedy(d.Remedy)
	return d
}

// eraseRemedy returns a copy of r without its text, or nil.
func eraseRemedy(r *escalation.Remedy) *escalation.Remedy {
	if r == nil {
		return nil
	}
	out := *r
	out.Text = erase(out.Text)
	return &out
}

// Erase returns n without the customer's personal data and free texts
// (see [Snapshot.Erase]): what a delivered or erased notification keeps.
func (n Notification) Erase() Notification {
	n = n.WithoutContact()
	d := &n.Data
	d.Note, d.Description = erase(d.Note), erase(d.Description)
	d.RemedySought.Text = erase(d.RemedySought.Text)
	if d.Answer != nil {
		a := d.Answer.erase()
		d.Answer = &a
	}
	if d.Decision != nil {
		dec := eraseDecision(*d.Decision)
		d.Decision = &dec
	}
	if d.Referral != nil {
		r := *d.Referral
		r.Contact = erase(r.Contact)
		d.Referral = &r
	}
	if d.Fulfilment != nil {
		f := *d.Fulfilment
		f.Reference = erase(f.Reference)
		d.Fulfilment = &f
	}
	return n
}

// WithoutContact returns n with the customer's contact details (name,
// e-mail, phone, address) taken out and the customer's id kept: what a
// store writes to its outbox, resolving the details again from its
// customer records when it delivers.
func (n Notification) WithoutContact() Notification {
	n.Data.Customer = n.Data.Customer.WithoutContact()
	return n
}

// WithoutContact returns c without its name, e-mail, phone and address:
// its id, type and language stay.
func (c Customer) WithoutContact() Customer {
	return Customer{ID: c.ID, Type: c.Type, Language: c.Language}
}
