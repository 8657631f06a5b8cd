package complaint

import (
	"slices"
	"time"

	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/internal/vocab"
)

// DeadlineName names a clock on a complaint.
type DeadlineName string

// The deadlines.
const (
	DeadlineFirstResponse    DeadlineName = "first_response"    // leave received
	DeadlineProgressUpdate   DeadlineName = "progress_update"   // the customer must hear from us
	DeadlineDOAReplacement   DeadlineName = "doa_replacement"   // a DOA item replaced (final answer given)
	DeadlineReviewDecision   DeadlineName = "review_decision"   // the Complaints Department decides
	DeadlineEscalationWindow DeadlineName = "escalation_window" // the customer may escalate until then
	// DeadlineCustomerReply runs while the customer holds the case (a
	// request for information): the customer is chased when it lapses. It
	// is the one clock that does not pause there, and it is never
	// breached: the silence is the customer's.
	DeadlineCustomerReply DeadlineName = "customer_reply"
	// DeadlineImprovementAction is not a clock of a complaint: it names an
	// improvement action's due time in the reminder to its owner
	// (store.ActionReminder).
	DeadlineImprovementAction DeadlineName = "improvement_action"
)

var deadlineNames = vocab.New("deadline", parseError,
	vocab.Entry[DeadlineName]{Value: DeadlineFirstResponse, Danish: "første svar", English: "first response"},
	vocab.Entry[DeadlineName]{Value: DeadlineProgressUpdate, Danish: "statusopdatering", English: "progress update"},
	vocab.Entry[DeadlineName]{Value: DeadlineDOAReplacement, Danish: "ombytning af DOA-vare", English: "DOA replacement"},
	vocab.Entry[DeadlineName]{Value: DeadlineReviewDecision, Danish: "Klageafdelingens afgørelse", English: "review decision"},
	vocab.Entry[DeadlineName]{Value: DeadlineEscalationWindow, Danish: "frist for klage til Klageafdelingen", English: "escalation window"},
	vocab.Entry[DeadlineName]{Value: DeadlineCustomerReply, Danish: "kundens svar", English: "customer reply"},
	vocab.Entry[DeadlineName]{Value: DeadlineImprovementAction, Danish: "forbedringstiltag", English: "improvement action"},
)

// ParseDeadlineName parses a deadline's wire name.
func ParseDeadlineName(s string) (DeadlineName, error) { return deadlineNames.ParseErr(s) }

// Valid reports whether n is a known deadline.
func (n DeadlineName) Valid() bool { return deadlineNames.Valid(n) }

// String returns the wire name.
func (n DeadlineName) String() string { return string(n) }

// Label returns the deadline's name in lang.
func (n DeadlineName) Label(lang glossary.Language) string {
	return deadlineNames.Label(n, string(lang))
}

// MarshalText implements encoding.TextMarshaler; it fails for an unknown value.
func (n DeadlineName) MarshalText() ([]byte, error) { return deadlineNames.MarshalText(n) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (n *DeadlineName) UnmarshalText(b []byte) error { return deadlineNames.UnmarshalText(n, b) }

// Deadline is one clock on a complaint, as the complaint reports it. While
// it runs, Due is set; while it is paused (the complaint awaits the
// customer), Due is zero and Remaining holds the time that was left. When it
// is met, MetAt is set and it runs no more; when the complaint closed first,
// it is Cancelled. A deadline whose due time passed before it was met is
// Breached (the escalation window never is: lapsing is its purpose).
type Deadline struct {
	Name  DeadlineName  `json:"name"`
	Owner glossary.Role `json:"owner"` // who must act: customer_service or complaints_department
	// Started is when the clock last started (a rolling clock restarts);
	// zero on a complaint stored before klage recorded it.
	Started   time.Time     `json:"started,omitzero"`
	Due       time.Time     `json:"due,omitzero"`
	Remaining time.Duration `json:"remaining,omitempty"` // while paused
	MetAt     time.Time     `json:"met_at,omitzero"`
	Breached  bool          `json:"breached"`
	Cancelled bool          `json:"cancelled,omitempty"`
	// NotApplicable: the clock ended because its promise no longer applies
	// (a DOA complaint answered with a rejection, or reclassified as
	// another kind): neither met nor breached.
	NotApplicable bool `json:"not_applicable,omitempty"`
	// Lapses counts how many runs of the clock have lapsed and been acted
	// on by a timer ([Timer]); Fired names the timers that acted on this
	// run's lapse, so that none acts twice.
	Lapses int      `json:"lapses,omitempty"`
	Fired  []string `json:"fired,omitempty"`
}

// Running reports whether the clock runs: it is neither paused, met nor
// cancelled.
func (d Deadline) Running() bool {
	return !d.Due.IsZero() && d.MetAt.IsZero() && !d.Cancelled && !d.NotApplicable
}

// Paused reports whether the clock is paused.
func (d Deadline) Paused() bool {
	return d.Due.IsZero() && d.MetAt.IsZero() && !d.Cancelled && !d.NotApplicable
}

// OverdueAt reports whether the clock runs and its due time is before t.
func (d Deadline) OverdueAt(t time.Time) bool { return d.Running() && t.After(d.Due) }

// ClaimAssessment is what intake records about the claim's timing, so that
// a person can decide: intake never refuses a late claim. It is judged from
// facts that are each optional: when the goods were bought and delivered
// (Product), when the customer noticed the defect, and when the complaint
// reached the retailer (ReceivedAt, which may be before it was registered:
// an e-mail read on Monday). Missing lists the facts it lacked.
//
// Periods counted in days, months or years end at the end of the
// corresponding calendar day in the policy's time zone: goods delivered on 2
// March 2024 can be claimed until the end of 2 March 2026.
type ClaimAssessment struct {
	// Known is false when the delivery date is unknown; the period and
	// presumption fields are then zero.
	Known bool `json:"known"`
	// WithinPeriod reports whether the complaint reached the retailer
	// (ReceivedAt) before PeriodEnds, the end of the claim period from
	// delivery.
	WithinPeriod bool      `json:"within_period"`
	PeriodEnds   time.Time `json:"period_ends,omitzero"`
	// PresumptionApplies reports whether a defect is presumed to have been
	// there at delivery (Købeloven §77 a, stk. 3): the defect showed
	// (DefectNoticedAt, or ReceivedAt when that is unknown) before
	// PresumptionEnds. Which period applies is decided by the purchase date
	// (the delivery date when that is unknown).
	PresumptionApplies bool      `json:"presumption_applies"`
	PresumptionEnds    time.Time `json:"presumption_ends,omitzero"`
	// NoticePeriod is the policy's period in which notice after the defect
	// is noticed is always timely (ISO 8601, "P2M"; Købeloven §81); empty
	// when the policy has none.
	NoticePeriod string `json:"notice_period,omitempty"`
	// NoticeTimely reports whether the complaint reached the retailer
	// within NoticePeriod of DefectNoticedAt, before NoticeEnds; false, with
	// NoticeEnds zero, when either is unknown.
	NoticeTimely bool      `json:"notice_timely,omitempty"`
	NoticeEnds   time.Time `json:"notice_ends,omitzero"`
	// DefectNoticedAt is when the customer noticed the defect; zero when
	// unknown.
	DefectNoticedAt time.Time `json:"defect_noticed_at,omitzero"`
	// ReceivedAt is when the complaint reached the retailer.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// PresumptionUnknown reports that whether the presumption applies
	// cannot be said: the purchase date is unknown, the goods were
	// delivered shortly after the policy's PresumptionChange (so they may
	// have been bought before it), and the two periods decide differently.
	// PresumptionApplies is then false and PresumptionEnds zero, and a
	// person must find out when the goods were bought.
	PresumptionUnknown bool `json:"presumption_unknown,omitempty"`
	// Warranty reports that the manufacturer's warranty was assessed too
	// (a warranty case whose manufacturer's terms the policy has):
	// WarrantyEnds is its end and WithinWarranty whether the complaint came
	// before it. The law's claim period (PeriodEnds, WithinPeriod) is
	// assessed in every case: a lapsed warranty leaves the consumer's
	// claim right.
	Warranty       bool      `json:"warranty,omitempty"`
	WarrantyEnds   time.Time `json:"warranty_ends,omitzero"`
	WithinWarranty bool      `json:"within_warranty,omitempty"`
	// DOAWindowEnds is the end of the manufacturer's DOA window after
	// delivery, for a DOA case; WithinDOAWindow reports whether the
	// complaint came before it. DOAProcedure is the manufacturer's
	// procedure.
	DOAWindowEnds   time.Time `json:"doa_window_ends,omitzero"`
	WithinDOAWindow bool      `json:"within_doa_window,omitempty"`
	DOAProcedure    string    `json:"doa_procedure,omitempty"`
	// Missing lists the facts the assessment lacked: "delivered_at",
	// "purchased_at", "defect_noticed_at", and "manufacturer_terms" for a
	// warranty or DOA case whose manufacturer the policy has no terms for.
	Missing []string `json:"missing,omitempty"`
	// Policy names the policy that assessed the claim.
	Policy string `json:"policy"`
}

// deadlineOrder is the position of each deadline in the order of the
// DeadlineName constants, in which a complaint keeps and reports them.
var deadlineOrder = map[DeadlineName]int{DeadlineFirstResponse: 0, DeadlineProgressUpdate: 1,
	DeadlineDOAReplacement: 2, DeadlineReviewDecision: 3, DeadlineEscalationWindow: 4, DeadlineCustomerReply: 5}

// clockOwner is who must act before each deadline.
var clockOwner = map[DeadlineName]glossary.Role{
	DeadlineFirstResponse:    glossary.CustomerService,
	DeadlineDOAReplacement:   glossary.CustomerService,
	DeadlineReviewDecision:   glossary.ComplaintsDepartment,
	DeadlineEscalationWindow: glossary.ComplaintsDepartment,
}

// period returns the policy's period for clock n.
func (p *Policy) period(n DeadlineName) Period {
	switch n {
	case DeadlineFirstResponse:
		return p.FirstResponse
	case DeadlineProgressUpdate:
		return p.ProgressUpdate
	case DeadlineDOAReplacement:
		return p.DOAReplacement
	case DeadlineReviewDecision:
		return p.ReviewDecision
	case DeadlineEscalationWindow:
		return p.EscalationWindow
	case DeadlineCustomerReply:
		return p.CustomerReply
	}
	return Period{}
}

// Deadlines returns the complaint's clocks that have been started, in the
// order of the DeadlineName constants.
func (c *Complaint) Deadlines() []Deadline { return slices.Clone(c.deadlines) }

// deadline returns c's clock n, or nil when it was never started.
func (c *Complaint) deadline(n DeadlineName) *Deadline {
	for i := range c.deadlines {
		if c.deadlines[i].Name == n {
			return &c.deadlines[i]
		}
	}
	return nil
}

// start starts clock n for owner, due at due, replacing an earlier run of
// it.
func (c *Complaint) start(n DeadlineName, owner glossary.Role, at, due time.Time) {
	d := Deadline{Name: n, Owner: owner, Started: at, Due: due}
	if old := c.deadline(n); old != nil {
		d.Lapses = old.Lapses // a new run, counted with the earlier ones
		*old = d
		return
	}
	i, _ := slices.BinarySearchFunc(c.deadlines, n, func(d Deadline, n DeadlineName) int {
		return deadlineOrder[d.Name] - deadlineOrder[n]
	})
	c.deadlines = slices.Insert(c.deadlines, i, d)
}

// open reports whether d still counts: it is neither met, cancelled nor
// not applicable.
func (d *Deadline) open() bool { return d.MetAt.IsZero() && !d.Cancelled && !d.NotApplicable }

// endNotApplicable ends d as not applicable: neither met nor breached.
func (d *Deadline) endNotApplicable() {
	if d == nil || !d.open() {
		return
	}
	d.Due, d.Remaining, d.Breached, d.NotApplicable = time.Time{}, 0, false, true
}

// meet marks d met at now, breached when it was past due (the escalation
// window never is: lapsing is its purpose).
func (d *Deadline) meet(now time.Time) {
	if d == nil || !d.open() {
		return
	}
	if breachable(d.Name) && d.Running() && d.Due.Before(now) {
		d.Breached = true
	}
	d.Due, d.Remaining, d.MetAt = time.Time{}, 0, now
}

// ClaimAssessment returns the assessment of the claim's timing made at
// intake.
func (c *Complaint) ClaimAssessment() ClaimAssessment {
	a := c.claim
	a.Missing = slices.Clone(a.Missing)
	return a
}

// Overdue returns the clocks that run and are past due at t. A paused
// clock is never overdue.
func (c *Complaint) Overdue(t time.Time) []Deadline {
	var out []Deadline
	for _, d := range c.deadlines {
		if d.OverdueAt(t) {
			out = append(out, d)
		}
	}
	return out
}

// NextDue returns the earliest due time of the running clocks, for
// indexing complaints by when they next need attention.
func (c *Complaint) NextDue() (time.Time, bool) {
	var next time.Time
	for _, d := range c.deadlines {
		if d.Running() && (next.IsZero() || d.Due.Before(next)) {
			next = d.Due
		}
	}
	return next, !next.IsZero()
}

// updateDeadlines recomputes c's clocks after entry e, which rule r made
// (nil for the opening), from the policy for c's customer and the states'
// specs: clocks pause in a state that Pauses and resume with the time that
// was left; the rule starts and meets the clocks it names; the
// progress-update clock runs while a state has a Handler; a terminal state
// cancels what is still open.
func (w *Workflow) updateDeadlines(c *Complaint, e *Entry, r *Rule) {
	p := w.policyFor(c.customer.Type)
	loc := p.location()
	now := e.At
	from, to := w.m.state(e.From), w.m.state(e.To) // from is nil for the opening
	pausing := to.Pauses && (from == nil || !from.Pauses)
	resuming := from != nil && from.Pauses && !to.Pauses
	reclassify := r != nil && r.Needs == NeedsKind // the event changes the kind

	var nowWall time.Time // now on the wall clock, computed once when a calendar clock needs it
	if pausing || resuming || (reclassify && to.Pauses) {
		nowWall = w.zones.wall(now, loc)
	}
	for i := range c.deadlines {
		d := &c.deadlines[i]
		running := d.Running()
		// A clock that is past due is breached, whatever happens next.
		if running && breachable(d.Name) && d.Due.Before(now) {
			d.Breached = true
		}
		switch {
		case d.Name == DeadlineCustomerReply:
			// It runs while the customer holds the case: it never pauses.
		case pausing && running:
			w.pause(d, p, now, nowWall)
		case resuming && d.Paused():
			w.resume(d, p, now, nowWall)
		}
	}

	// The DOA promise is a replacement within 14 days of receipt, and it
	// follows the kind: a rejecting answer ends it as not applicable
	// (before anything could mark it breached), and so does reclassifying
	// the complaint as another kind; reclassifying it as DOA (again) starts
	// it from the receipt, paused when the case waits for the customer.
	if doa := c.deadline(DeadlineDOAReplacement); reclassify {
		switch {
		case c.kind != glossary.DOA:
			doa.endNotApplicable()
		case (doa == nil || doa.NotApplicable) && !p.DOAReplacement.IsZero():
			received := c.receivedAt()
			c.start(DeadlineDOAReplacement, clockOwner[DeadlineDOAReplacement], received, p.Due(p.DOAReplacement, received))
			if to.Pauses {
				w.pause(c.deadline(DeadlineDOAReplacement), p, now, nowWall)
			}
		}
	} else if r != nil && r.Needs == NeedsAnswer && c.answer != nil && c.answer.Outcome == escalation.Rejected {
		doa.endNotApplicable()
	}

	var starts, meets []DeadlineName
	start := now
	if r != nil {
		starts, meets = r.Starts, r.Meets
	} else {
		// The clocks the policy defines from receipt start when the
		// complaint reached the retailer, which may be before it was
		// registered.
		starts, start = []DeadlineName{DeadlineFirstResponse, DeadlineDOAReplacement}, c.receivedAt()
	}
	for _, n := range meets {
		if n == DeadlineDOAReplacement && !fulfilsDOA(c, e) {
			continue // only a replacement delivered or a refund paid keeps the DOA promise
		}
		c.deadline(n).meet(now)
	}
	if to.Terminal {
		// Closing cancels what is still open: a withdrawal keeps no
		// promise.
		for i := range c.deadlines {
			if d := &c.deadlines[i]; d.open() {
				d.Due, d.Remaining, d.Cancelled = time.Time{}, 0, true
			}
		}
		return
	}
	for _, n := range starts {
		if period := p.period(n); !period.IsZero() && (n != DeadlineDOAReplacement || c.kind == glossary.DOA) {
			owner := clockOwner[n]
			if n == DeadlineCustomerReply || owner == "" {
				owner = e.Actor.Role // the role that asked the customer
			}
			due := p.Due(period, start)
			if n == DeadlineEscalationWindow && period.calendar() {
				// The letter names a date ("until 1 November"): the window
				// ends with that day in the policy's zone.
				due = endOfDay(due, loc)
			}
			c.start(n, owner, start, due)
		}
	}

	// Progress updates: a rolling clock while someone works on the case.
	// Every message to the customer by staff starts it again; the
	// customer's own input leaves it running with the time that was left.
	if p.ProgressUpdate.IsZero() {
		return
	}
	pu := c.deadline(DeadlineProgressUpdate)
	var before glossary.Role
	if from != nil {
		before = from.Handler
	}
	switch {
	case to.Handler != "" && (to.Handler != before || pu == nil) && (from == nil || !from.Pauses):
		c.start(DeadlineProgressUpdate, to.Handler, now, p.ProgressUpdate.AddTo(now, loc))
	case to.Handler != "" && pu != nil && pu.Running() && e.Actor.Role != glossary.Customer && notifiesCustomer(r):
		pu.Due, pu.Fired = p.ProgressUpdate.AddTo(now, loc), nil // a new run
	case to.Handler == "" && !to.Pauses:
		pu.meet(now)
	}
}

// breachable reports whether clock n can be breached: not the escalation
// window, whose lapsing is its purpose, nor the customer-reply clock,
// whose silence is the customer's.
func breachable(n DeadlineName) bool {
	return n != DeadlineEscalationWindow && n != DeadlineCustomerReply
}

// pause stops running clock d at now (nowWall on the wall clock) and keeps
// what was left in the clock's own terms: wall-clock time for a clock in
// calendar days (so the due time of day survives a daylight-saving
// change), working time for one in working hours, elapsed time otherwise.
func (w *Workflow) pause(d *Deadline, p *Policy, now, nowWall time.Time) {
	loc := p.location()
	switch period := p.period(d.Name); {
	case period.calendar():
		d.Remaining = max(w.zones.wall(d.Due, loc).Sub(nowWall), 0)
	case period.Working:
		d.Remaining = workingBetween(now, d.Due, p.calendar(), loc)
	default:
		d.Remaining = max(d.Due.Sub(now), 0)
	}
	d.Due = time.Time{}
}

// resume starts paused clock d again at now with the time it had left.
func (w *Workflow) resume(d *Deadline, p *Policy, now, nowWall time.Time) {
	loc := p.location()
	switch period := p.period(d.Name); {
	case period.calendar():
		d.Due = w.zones.unwall(nowWall.Add(d.Remaining), loc)
	case period.Working:
		d.Due = addWorking(now, d.Remaining, p.calendar(), loc)
	default:
		d.Due = now.Add(d.Remaining)
	}
	d.Remaining = 0
}

// receivedAt is when c reached the retailer: the clocks the policy
// defines "from receipt" start then.
func (c *Complaint) receivedAt() time.Time {
	if c.claim.ReceivedAt.IsZero() {
		return c.created // stored before klage recorded it
	}
	return c.claim.ReceivedAt
}

// notifiesCustomer reports whether rule r sends the customer something.
func notifiesCustomer(r *Rule) bool {
	if r == nil {
		return false
	}
	for _, n := range r.Notify {
		if n.To == glossary.Customer {
			return true
		}
	}
	return false
}

// claimFacts are what a claim's timing is judged from.
type claimFacts struct {
	purchased, delivered, noticed, received time.Time
	kind                                    glossary.Term
	manufacturer                            string
}

// assessClaim judges the claim's timing against p from the facts f (see
// ClaimAssessment).
func assessClaim(p *Policy, f claimFacts) ClaimAssessment {
	a := ClaimAssessment{Policy: p.Name, ReceivedAt: f.received, DefectNoticedAt: f.noticed}
	loc := p.location()
	if !p.NoticePeriod.IsZero() {
		a.NoticePeriod = p.NoticePeriod.String()
		if !f.noticed.IsZero() {
			a.NoticeEnds = endOfDay(p.NoticePeriod.AddTo(f.noticed, loc), loc)
			a.NoticeTimely = f.received.Before(a.NoticeEnds)
		}
	}
	if f.delivered.IsZero() {
		a.Missing = append(a.Missing, "delivered_at")
	}
	if f.purchased.IsZero() {
		a.Missing = append(a.Missing, "purchased_at")
	}
	if f.noticed.IsZero() {
		a.Missing = append(a.Missing, "defect_noticed_at")
	}
	terms, haveTerms := p.terms(f.manufacturer)
	if (f.kind == glossary.Warranty || f.kind == glossary.DOA) && !haveTerms {
		a.Missing = append(a.Missing, "manufacturer_terms")
	}
	if f.kind == glossary.DOA && haveTerms {
		a.DOAProcedure = terms.DOAProcedure
	}
	if f.delivered.IsZero() {
		return a
	}
	a.Known = true
	a.PeriodEnds = endOfDay(p.ClaimPeriod.AddTo(f.delivered, loc), loc)
	a.WithinPeriod = f.received.Before(a.PeriodEnds)
	if f.kind == glossary.Warranty && haveTerms && !terms.Warranty.IsZero() {
		a.Warranty = true
		a.WarrantyEnds = endOfDay(terms.Warranty.AddTo(f.delivered, loc), loc)
		a.WithinWarranty = f.received.Before(a.WarrantyEnds)
	}
	if f.kind == glossary.DOA && haveTerms && !terms.DOAWindow.IsZero() {
		a.DOAWindowEnds = endOfDay(terms.DOAWindow.AddTo(f.delivered, loc), loc)
		a.WithinDOAWindow = f.received.Before(a.DOAWindowEnds)
	}
	showed := f.noticed
	if showed.IsZero() {
		showed = f.received // it showed by the time the customer complained
	}
	// presumed reports whether the presumption under period applies, and
	// until when it runs.
	presumed := func(period Period) (bool, time.Time) {
		if period.IsZero() {
			return false, time.Time{}
		}
		ends := endOfDay(period.AddTo(f.delivered, loc), loc)
		return showed.Before(ends), ends
	}
	change := p.PresumptionChange
	switch {
	case change.IsZero() || !f.purchased.IsZero() || f.delivered.Before(change):
		// Which period applies is known: by the purchase date, and
		// without one, goods delivered before the change were bought
		// before it too.
		bought := f.purchased
		if bought.IsZero() {
			bought = f.delivered
		}
		period := p.Presumption
		if !change.IsZero() && bought.Before(change) {
			period = p.EarlierPresumption
		}
		a.PresumptionApplies, a.PresumptionEnds = presumed(period)
	default:
		// Delivered after the change, bought when is not known. Goods
		// delivered more than presumptionMargin after it are taken as
		// bought after it; nearer, they may have been bought before, and
		// when that would change the answer, it is unknown.
		later, laterEnds := presumed(p.Presumption)
		earlier, _ := presumed(p.EarlierPresumption)
		if later == earlier || !f.delivered.Before(presumptionMargin.AddTo(change, loc)) {
			a.PresumptionApplies, a.PresumptionEnds = later, laterEnds
		} else {
			a.PresumptionUnknown = true
		}
	}
	return a
}

// presumptionMargin is how long after a policy's PresumptionChange goods
// delivered with no known purchase date may have been bought before it
// (an order placed before the change and delivered after it): within it, a
// presumption that depends on the purchase date is reported as unknown.
var presumptionMargin = Months(3)

// endOfDay returns the start of the calendar day after t's in loc: the
// moment a period ending on t's day runs out.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).In(t.Location())
}

// fulfilsDOA reports whether entry e recorded a replacement or a refund
// (cancellation) carried out: what meets the DOA clock.
func fulfilsDOA(c *Complaint, e *Entry) bool {
	n := len(c.fulfilments)
	if n == 0 || c.fulfilments[n-1].Seq != e.Seq {
		return false
	}
	k := c.fulfilments[n-1].Remedy
	return k == escalation.Replacement || k == escalation.Cancellation
}
