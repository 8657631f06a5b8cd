package complaint

import (
	"time"

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
)

var deadlineNames = vocab.New("deadline", glossary.NewParseError,
	vocab.Entry[DeadlineName]{Value: DeadlineFirstResponse, Danish: "første svar", English: "first response"},
	vocab.Entry[DeadlineName]{Value: DeadlineProgressUpdate, Danish: "statusopdatering", English: "progress update"},
	vocab.Entry[DeadlineName]{Value: DeadlineDOAReplacement, Danish: "ombytning af DOA-vare", English: "DOA replacement"},
	vocab.Entry[DeadlineName]{Value: DeadlineReviewDecision, Danish: "Klageafdelingens afgørelse", English: "review decision"},
	vocab.Entry[DeadlineName]{Value: DeadlineEscalationWindow, Danish: "frist for klage til Klageafdelingen", English: "escalation window"},
)

// ParseDeadlineName parses a deadline's wire name.
func ParseDeadlineName(s string) (DeadlineName, error) { return deadlineNames.ParseErr(s) }

// Valid reports whether n is a known deadline.
func (n DeadlineName) Valid() bool { return deadlineNames.Valid(n) }

// String returns the wire name.
func (n DeadlineName) String() string { return string(n) }

// Label returns the deadline's name in lang.
func (n DeadlineName) Label(lang glossary.Language) string {
	return deadlineNames.Label(n, lang == glossary.English)
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
	Name      DeadlineName  `json:"name"`
	Owner     glossary.Role `json:"owner"` // who must act: customer_service or complaints_department
	Due       time.Time     `json:"due,omitzero"`
	Remaining time.Duration `json:"remaining,omitempty"` // while paused
	MetAt     time.Time     `json:"met_at,omitzero"`
	Breached  bool          `json:"breached"`
	Cancelled bool          `json:"cancelled,omitempty"`
}

// Running reports whether the clock runs: it is neither paused, met nor
// cancelled.
func (d Deadline) Running() bool { return !d.Due.IsZero() && d.MetAt.IsZero() && !d.Cancelled }

// Paused reports whether the clock is paused.
func (d Deadline) Paused() bool { return d.Due.IsZero() && d.MetAt.IsZero() && !d.Cancelled }

// OverdueAt reports whether the clock runs and its due time is before t.
func (d Deadline) OverdueAt(t time.Time) bool { return d.Running() && t.After(d.Due) }

// ClaimAssessment is what intake records about the claim's timing, so that
// a person can decide: intake never refuses a late claim.
//
// Periods counted in days, months or years end at the end of the
// corresponding calendar day in the policy's time zone: goods delivered on 2
// March 2024 can be claimed until the end of 2 March 2026.
type ClaimAssessment struct {
	// Known is false when the delivery date is unknown; the other fields
	// but Policy are then zero.
	Known bool `json:"known"`
	// WithinPeriod reports whether the complaint was made before
	// PeriodEnds.
	WithinPeriod bool      `json:"within_period"`
	PeriodEnds   time.Time `json:"period_ends,omitzero"`
	// PresumptionApplies reports whether a defect is presumed to have been
	// there at delivery: the complaint was made before PresumptionEnds.
	PresumptionApplies bool      `json:"presumption_applies"`
	PresumptionEnds    time.Time `json:"presumption_ends,omitzero"`
	// NoticePeriod is the policy's period in which notice after the defect
	// is discovered is always timely (ISO 8601, "P2M"); empty when the
	// policy has none. Discovery is not recorded, so it is for the person
	// deciding.
	NoticePeriod string `json:"notice_period,omitempty"`
	// Policy names the policy that assessed the claim.
	Policy string `json:"policy"`
}

// deadline indices: the order of deadlineNames.
const (
	dlFirstResponse = iota
	dlProgressUpdate
	dlDOAReplacement
	dlReviewDecision
	dlEscalationWindow
	numDeadlines
)

var deadlineByIndex = [numDeadlines]DeadlineName{DeadlineFirstResponse, DeadlineProgressUpdate,
	DeadlineDOAReplacement, DeadlineReviewDecision, DeadlineEscalationWindow}

func deadlineIndex(n DeadlineName) int { return deadlineNames.Index(n) }

// clock is a Deadline kept in a complaint's fixed array, indexed by name.
type clock struct {
	set       bool
	breached  bool
	cancelled bool
	owner     glossary.Role
	due, met  time.Time
	remaining time.Duration
}

func (k *clock) running() bool { return k.set && !k.due.IsZero() && k.met.IsZero() && !k.cancelled }
func (k *clock) paused() bool  { return k.set && k.due.IsZero() && k.met.IsZero() && !k.cancelled }
func (k *clock) open() bool    { return k.set && k.met.IsZero() && !k.cancelled }

func (k *clock) start(owner glossary.Role, due time.Time) {
	*k = clock{set: true, owner: owner, due: due}
}

func (k *clock) meet(now time.Time, breachable bool) {
	if !k.open() {
		return
	}
	if breachable && !k.due.IsZero() && now.After(k.due) {
		k.breached = true
	}
	k.due, k.remaining, k.met = time.Time{}, 0, now
}

func (k *clock) deadline(i int) Deadline {
	return Deadline{Name: deadlineByIndex[i], Owner: k.owner, Due: k.due, Remaining: k.remaining,
		MetAt: k.met, Breached: k.breached, Cancelled: k.cancelled}
}

// Deadlines returns the complaint's clocks that have been started, in the
// order of the DeadlineName constants.
func (c *Complaint) Deadlines() []Deadline {
	var out []Deadline
	for i := range c.clocks {
		if c.clocks[i].set {
			out = append(out, c.clocks[i].deadline(i))
		}
	}
	return out
}

// Claim returns the assessment of the claim made at intake.
func (c *Complaint) Claim() ClaimAssessment { return c.s.Claim }

// Overdue returns the clocks that run and are past due at t. A paused
// clock is never overdue.
func (c *Complaint) Overdue(t time.Time) []Deadline {
	var out []Deadline
	for i := range c.clocks {
		if k := &c.clocks[i]; k.running() && t.After(k.due) {
			out = append(out, k.deadline(i))
		}
	}
	return out
}

// NextDue returns the earliest due time of the running clocks, for
// indexing complaints by when they next need attention.
func (c *Complaint) NextDue() (time.Time, bool) {
	var next time.Time
	for i := range c.clocks {
		if k := &c.clocks[i]; k.running() && (next.IsZero() || k.due.Before(next)) {
			next = k.due
		}
	}
	return next, !next.IsZero()
}

func working(s State) bool {
	return s == StateInProgress || s == StateWithManufacturer || s == StateEscalated
}

// updateDeadlines recomputes c's clocks after entry e, from the policy for
// c's customer. It does not allocate.
func (w *Workflow) updateDeadlines(c *Complaint, e *Entry) {
	p := w.policyFor(c.s.Customer.Type)
	loc := p.location()
	now := e.At
	k := &c.clocks

	pausing := e.To == StateAwaitingCustomer && e.From != StateAwaitingCustomer
	resuming := e.From == StateAwaitingCustomer && e.To != StateAwaitingCustomer
	for i := range k {
		ki := &k[i]
		if !ki.set {
			continue
		}
		running := ki.running()
		// A clock that is past due is breached, whatever happens next.
		if running && i != dlEscalationWindow && now.After(ki.due) {
			ki.breached = true
		}
		// Clocks pause while the complaint awaits the customer, and resume
		// with the time that was left.
		switch {
		case pausing && running:
			ki.remaining = max(ki.due.Sub(now), 0)
			ki.due = time.Time{}
		case resuming && ki.paused():
			ki.due = now.Add(ki.remaining)
			ki.remaining = 0
		}
	}

	switch e.Event {
	case EventOpen:
		if !p.FirstResponse.IsZero() {
			k[dlFirstResponse].start(glossary.CustomerService, p.FirstResponse.AddTo(now, loc))
		}
		if c.s.Kind == glossary.DOA && !p.DOAReplacement.IsZero() {
			k[dlDOAReplacement].start(glossary.CustomerService, p.DOAReplacement.AddTo(now, loc))
		}
	case EventAnswer:
		k[dlDOAReplacement].meet(now, true)
		if !p.EscalationWindow.IsZero() {
			k[dlEscalationWindow].start(glossary.ComplaintsDepartment, p.EscalationWindow.AddTo(now, loc))
		}
	case EventEscalate:
		if !p.ReviewDecision.IsZero() {
			k[dlReviewDecision].start(glossary.ComplaintsDepartment, p.ReviewDecision.AddTo(now, loc))
		}
	case EventReview:
		k[dlReviewDecision].meet(now, true)
	}
	if e.From == StateReceived {
		k[dlFirstResponse].meet(now, true)
	}
	if e.From == StateFinalAnswer {
		k[dlEscalationWindow].meet(now, false)
	}

	// Progress updates: a rolling clock while someone works on the case.
	// Every contact by whoever owns it starts it again; the customer's own
	// input (provide_info) leaves it running with the time that was left.
	if !p.ProgressUpdate.IsZero() {
		pu := &k[dlProgressUpdate]
		switch {
		case working(e.To) && !working(e.From) && e.From != StateAwaitingCustomer:
			owner := glossary.CustomerService
			if e.To == StateEscalated {
				owner = glossary.ComplaintsDepartment
			}
			pu.start(owner, p.ProgressUpdate.AddTo(now, loc))
		case working(e.To) && e.Event != EventProvideInfo && pu.running():
			pu.due = p.ProgressUpdate.AddTo(now, loc)
		case !working(e.To) && e.To != StateAwaitingCustomer:
			pu.meet(now, true)
		}
	}

	// Closing stops what is still open.
	if e.To == StateClosed {
		for i := range k {
			if k[i].open() {
				k[i].due, k[i].remaining, k[i].cancelled = time.Time{}, 0, true
			}
		}
	}
}

// assessClaim records the claim's timing against p at intake time at.
func assessClaim(p *Policy, delivered, at time.Time) ClaimAssessment {
	a := ClaimAssessment{Policy: p.Name}
	if delivered.IsZero() {
		return a
	}
	if !p.NoticePeriod.IsZero() {
		a.NoticePeriod = p.NoticePeriod.String()
	}
	loc := p.location()
	a.Known = true
	a.PeriodEnds = endOfDay(p.ClaimPeriod.AddTo(delivered, loc), loc)
	a.WithinPeriod = at.Before(a.PeriodEnds)
	presumption := p.Presumption
	if !p.PresumptionChange.IsZero() && delivered.Before(p.PresumptionChange) {
		presumption = p.EarlierPresumption
	}
	if !presumption.IsZero() {
		a.PresumptionEnds = endOfDay(presumption.AddTo(delivered, loc), loc)
		a.PresumptionApplies = at.Before(a.PresumptionEnds)
	}
	return a
}

// endOfDay returns the start of the calendar day after t's in loc: the
// moment a period ending on t's day runs out.
func endOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, loc).In(t.Location())
}
