package complaint

import (
	"slices"

	"github.com/klageflow/klage/glossary"
)

// Audience is what one actor may see of complaints: the library's rule of
// who sees what, for any lifecycle, so that every HTTP layer, page and
// export applies the same one. Get it from [Workflow.Audience].
//
//   - Staff (every role but the customer and the manufacturer:
//     customer service, the Complaints Department, the system, and the
//     extra roles of an extended lifecycle) see everything.
//   - A customer sees their own complaint (by [glossary.SameID] on the
//     customer's id), until their data is erased ([Snapshot.Erase]), without staff-only entries ([Rule].StaffOnly:
//     internal notes, safety flags), without the notes they were not sent
//     (a staff member's intake note), without staff members' ids (the role
//     stays) and without idempotency keys; and the notifications addressed
//     to the customer.
//   - A manufacturer sees a case only while it is referred to it, and of
//     it only what concerns that referral: the entries from the referral
//     until the case leaves the referral's state, and what it did itself;
//     its own referral, the customer's contact details, the product and the
//     description; and the notifications addressed to a manufacturer from
//     that referral on. An earlier referral to another manufacturer is not
//     its concern.
//
// The zero Audience sees nothing. An Audience is a small value, safe for
// concurrent use.
type Audience struct {
	w     *Workflow
	actor glossary.Actor
}

// Audience returns what actor a may see.
func (w *Workflow) Audience(a glossary.Actor) Audience {
	return Audience{w: w.orDefault(), actor: a}
}

// staffRole reports whether role r is staff: every role but the
// customer's and the manufacturer's.
func staffRole(r glossary.Role) bool {
	return r != glossary.Customer && r != glossary.Manufacturer && r != ""
}

// Staff reports whether the audience is staff, who see everything
// (idempotency keys and notification keys included).
func (au Audience) Staff() bool {
	return au.w != nil && staffRole(au.actor.Role) && au.w.m.role(au.actor.Role)
}

// Sees reports whether the audience may see c at all.
func (au Audience) Sees(c *Complaint) bool {
	switch {
	case au.w == nil || c == nil || len(c.history) == 0 || au.actor.ID == "":
		return false
	case au.Staff():
		return true
	case au.actor.Role == glossary.Customer:
		// Erasure ends the customer's access: what is left is the audit
		// trail, for staff.
		return glossary.SameID(au.actor.ID, c.customer.ID) && c.erasedAt.IsZero()
	case au.actor.Role == glossary.Manufacturer:
		return c.referral != nil && au.actor.Manufacturer != "" && glossary.SameID(au.actor.Manufacturer, c.referral.Manufacturer)
	}
	return false
}

// Complaint returns what the audience may see of c, with the entries of
// c's history it may see, and false when it may see nothing of c.
func (au Audience) Complaint(c *Complaint) (Snapshot, bool) {
	if !au.Sees(c) {
		return Snapshot{}, false
	}
	s := c.Snapshot()
	if au.Staff() {
		return s, true
	}
	s.History = au.Entries(c, s.History)
	s.Checkpoint, s.Pending = nil, nil // staff ids and notifications to others
	if au.actor.Role == glossary.Manufacturer {
		// What the referral needs: the case, the customer's contact, the
		// product; not the claim, the clocks, the answers or decisions.
		s = Snapshot{ID: s.ID, State: s.State, Version: s.Version, Kind: s.Kind, Channel: s.Channel, Customer: s.Customer,
			Product: s.Product, Description: s.Description, RemedySought: s.RemedySought, CreatedAt: s.CreatedAt,
			Deadlines: []Deadline{}, History: s.History, Referral: s.Referral, Fulfilments: s.Fulfilments, ErasedAt: s.ErasedAt}
		return s, true
	}
	return s, true
}

// Entries returns the entries of h (a complaint's history, or a page of
// it from a store) that the audience may see of c, as it may see them. It
// returns nil when the audience may not see c.
func (au Audience) Entries(c *Complaint, h []Entry) []Entry {
	if !au.Sees(c) {
		return nil
	}
	if au.Staff() {
		return h
	}
	from, to := au.window(c)
	out := make([]Entry, 0, len(h))
	for _, e := range h {
		if e.Seq < from || e.Seq > to {
			if !au.made(e) {
				continue
			}
		}
		r := au.w.m.rule(e.From, e.Event)
		if r != nil && r.StaffOnly {
			continue
		}
		if !au.made(e) && !au.notified(e, r) {
			e.Note = ""
		}
		if staffRole(e.Actor.Role) {
			e.Actor.ID = "" // the role is what the audience needs
		}
		if au.actor.Role == glossary.Manufacturer {
			e.Consent = nil
		}
		e.RequestID, e.RequestHash = "", ""
		out = append(out, e)
	}
	return out
}

// Notifications returns the notifications of c in ns that the audience
// may see: all for staff, those addressed to the customer for the
// customer, and those addressed to a manufacturer since the referral to
// this one for a manufacturer.
func (au Audience) Notifications(c *Complaint, ns []Notification) []Notification {
	if !au.Sees(c) {
		return nil
	}
	out := make([]Notification, 0, len(ns))
	for _, n := range ns {
		if au.SeesNotification(c, n) {
			out = append(out, n)
		}
	}
	return out
}

// SeesNotification reports whether the audience may see notification n
// of complaint c (see [Audience.Notifications]).
func (au Audience) SeesNotification(c *Complaint, n Notification) bool {
	switch {
	case !au.Sees(c) || n.ComplaintID != c.id:
		return false
	case au.Staff():
		return true
	case n.Recipient != au.actor.Role:
		return false
	case au.actor.Role == glossary.Manufacturer:
		from, to := au.window(c)
		return n.Seq >= from && n.Seq <= to
	}
	return true
}

// made reports whether the audience made entry e itself.
func (au Audience) made(e Entry) bool {
	if e.Actor.Role != au.actor.Role || !glossary.SameID(e.Actor.ID, au.actor.ID) {
		return false
	}
	return au.actor.Role != glossary.Manufacturer || glossary.SameID(e.Actor.Manufacturer, au.actor.Manufacturer)
}

// notified reports whether entry e, which rule r made (nil for the
// opening), was sent to the audience's role: then its note is theirs to
// read.
func (au Audience) notified(e Entry, r *Rule) bool {
	if r == nil {
		return false // the opening: only the customer's own words are the customer's
	}
	for _, n := range r.Notify {
		if n.To == au.actor.Role && (len(n.From) == 0 || slices.Contains(n.From, e.From)) {
			return true
		}
	}
	return false
}

// window returns the sequence numbers of the entries the audience may see
// (inclusive): all for a customer; for a manufacturer, from the entry that
// referred the case to it to the one that took it out of the referral's
// state (or the newest).
func (au Audience) window(c *Complaint) (from, to int) {
	to = c.Version()
	if au.actor.Role != glossary.Manufacturer || c.referral == nil {
		return 1, to
	}
	from = c.referral.Seq
	for i := len(c.history) - 1; i >= 0 && from == 0; i-- {
		// A referral stored before klage recorded its entry: the newest
		// refer held.
		if r := au.w.m.rule(c.history[i].From, c.history[i].Event); r != nil && r.Needs == NeedsReferral {
			from = c.history[i].Seq
		}
	}
	if from == 0 {
		from = c.baseSeq() + 1 // not in the entries held: none before them
	}
	var state State
	for i := range c.history {
		e := &c.history[i]
		switch {
		case e.Seq == from:
			state = e.To
		case e.Seq > from && state != "" && e.From == state && e.To != state:
			return from, e.Seq
		}
	}
	return from, to
}
