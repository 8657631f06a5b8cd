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

func deadlineIndex(n DeadlineName) int {
	switch n {
	case DeadlineFirstResponse:
		return dlFirstResponse
	case DeadlineProgressUpdate:
		return dlProgressUpdate
	case DeadlineDOAReplacement:
		return dlDOAReplacement
	case DeadlineReviewDecision:
		return dlReviewDecision
	case DeadlineEscalationWindow:
		return dlEscalationWindow
	}
	return -1
}

// clock is a Deadline kept in a complaint's fixed array, indexed by name,
// in 32 bytes without pointers. While the clock is paused, dueSec holds the
// time that was left, in nanoseconds.
type clock struct {
	dueSec, metSec   int64
	dueNsec, metNsec int32
	owner            uint8 // role index
	flags            uint8
}

const (
	clockSet = 1 << iota
	clockPaused
	clockBreached
	clockCancelled
)

func (k *clock) is(f uint8) bool { return k.flags&f != 0 }

func (k *clock) due() instant {
	if k.is(clockPaused) {
		return instant{}
	}
	return instant{sec: k.dueSec, nsec: k.dueNsec}
}

func (k *clock) met() instant { return instant{sec: k.metSec, nsec: k.metNsec} }

func (k *clock) remaining() time.Duration {
	if k.is(clockPaused) {
		return time.Duration(k.dueSec)
	}
	return 0
}

func (k *clock) setDue(t instant) { k.dueSec, k.dueNsec, k.flags = t.sec, t.nsec, k.flags&^clockPaused }

func (k *clock) pause(remaining time.Duration) {
	k.dueSec, k.dueNsec, k.flags = int64(remaining), 0, k.flags|clockPaused
}

func (k *clock) running() bool {
	return k.flags&(clockSet|clockPaused|clockCancelled) == clockSet && k.met().isZero() && !k.due().isZero()
}
func (k *clock) paused() bool {
	return k.flags&(clockSet|clockPaused|clockCancelled) == clockSet|clockPaused
}
func (k *clock) open() bool {
	return k.flags&(clockSet|clockCancelled) == clockSet && k.met().isZero()
}

func (k *clock) start(owner glossary.Role, due instant) {
	*k = clock{flags: clockSet, owner: uint8(roleIndex(owner))}
	k.setDue(due)
}

func (k *clock) meet(now instant, breachable bool) {
	if !k.open() {
		return
	}
	if due := k.due(); breachable && !due.isZero() && due.before(now) {
		k.flags |= clockBreached
	}
	k.dueSec, k.dueNsec, k.flags = 0, 0, k.flags&^clockPaused
	k.metSec, k.metNsec = now.sec, now.nsec
}

func (k *clock) cancel() {
	k.dueSec, k.dueNsec, k.flags = 0, 0, (k.flags&^clockPaused)|clockCancelled
}

func (k *clock) deadline(i int) Deadline {
	return Deadline{Name: deadlineByIndex[i], Owner: roleByIndex[k.owner], Due: k.due().time(), Remaining: k.remaining(),
		MetAt: k.met().time(), Breached: k.is(clockBreached), Cancelled: k.is(clockCancelled)}
}

// clockOf is the clock that keeps d, which has been validated.
func clockOf(d *Deadline) clock {
	k := clock{flags: clockSet, owner: uint8(roleIndex(d.Owner))}
	if d.Breached {
		k.flags |= clockBreached
	}
	if d.Cancelled {
		k.flags |= clockCancelled
	}
	met := instantOf(d.MetAt)
	k.metSec, k.metNsec = met.sec, met.nsec
	if d.Paused() {
		k.pause(d.Remaining)
	} else {
		k.setDue(instantOf(d.Due))
	}
	return k
}

// Deadlines returns the complaint's clocks that have been started, in the
// order of the DeadlineName constants.
func (c *Complaint) Deadlines() []Deadline {
	var out []Deadline
	for i := range c.clocks {
		if c.clocks[i].is(clockSet) {
			out = append(out, c.clocks[i].deadline(i))
		}
	}
	return out
}

// Claim returns the assessment of the claim made at intake.
func (c *Complaint) Claim() ClaimAssessment {
	return ClaimAssessment{Known: c.claimKnown, WithinPeriod: c.withinPeriod, PeriodEnds: c.claimEnds.time(),
		PresumptionApplies: c.presumption, PresumptionEnds: c.presumptionEnds.time(),
		NoticePeriod: c.claimNotice, Policy: c.claimPolicy}
}

// setClaim stores a.
func (c *Complaint) setClaim(a *ClaimAssessment) {
	c.claimKnown, c.withinPeriod, c.claimEnds = a.Known, a.WithinPeriod, instantOf(a.PeriodEnds)
	c.presumption, c.presumptionEnds = a.PresumptionApplies, instantOf(a.PresumptionEnds)
	c.claimNotice, c.claimPolicy = a.NoticePeriod, a.Policy
}

// Overdue returns the clocks that run and are past due at t. A paused
// clock is never overdue.
func (c *Complaint) Overdue(t time.Time) []Deadline {
	var out []Deadline
	at := instantOf(t)
	for i := range c.clocks {
		if k := &c.clocks[i]; k.running() && k.due().before(at) {
			out = append(out, k.deadline(i))
		}
	}
	return out
}

// NextDue returns the earliest due time of the running clocks, for
// indexing complaints by when they next need attention.
func (c *Complaint) NextDue() (time.Time, bool) {
	var next instant
	for i := range c.clocks {
		if k := &c.clocks[i]; k.running() && (next.isZero() || k.due().before(next)) {
			next = k.due()
		}
	}
	return next.time(), !next.isZero()
}

func working(s State) bool {
	return s == StateInProgress || s == StateWithManufacturer || s == StateEscalated
}

// updateDeadlines recomputes c's clocks after entry e, from the policy for
// c's customer. It does not allocate.
func (w *Workflow) updateDeadlines(c *Complaint, e *Entry) {
	p := w.policyFor(customerTypeByIndex[c.customerType])
	loc := p.location()
	now, at := e.At, instantOf(e.At)
	k := &c.clocks
	after := func(d Period) instant { return instantOf(d.AddTo(now, loc)) }

	pausing := e.To == StateAwaitingCustomer && e.From != StateAwaitingCustomer
	resuming := e.From == StateAwaitingCustomer && e.To != StateAwaitingCustomer
	for i := range k {
		ki := &k[i]
		if !ki.is(clockSet) {
			continue
		}
		running := ki.running()
		// A clock that is past due is breached, whatever happens next.
		if running && i != dlEscalationWindow && ki.due().before(at) {
			ki.flags |= clockBreached
		}
		// Clocks pause while the complaint awaits the customer, and resume
		// with the time that was left.
		switch {
		case pausing && running:
			ki.pause(max(ki.due().sub(at), 0))
		case resuming && ki.paused():
			ki.setDue(instantOf(now.Add(ki.remaining())))
		}
	}

	switch e.Event {
	case EventOpen:
		if !p.FirstResponse.IsZero() {
			k[dlFirstResponse].start(glossary.CustomerService, after(p.FirstResponse))
		}
		if termByIndex[c.kind] == glossary.DOA && !p.DOAReplacement.IsZero() {
			k[dlDOAReplacement].start(glossary.CustomerService, after(p.DOAReplacement))
		}
	case EventAnswer:
		k[dlDOAReplacement].meet(at, true)
		if !p.EscalationWindow.IsZero() {
			k[dlEscalationWindow].start(glossary.ComplaintsDepartment, after(p.EscalationWindow))
		}
	case EventEscalate:
		if !p.ReviewDecision.IsZero() {
			k[dlReviewDecision].start(glossary.ComplaintsDepartment, after(p.ReviewDecision))
		}
	case EventReview:
		k[dlReviewDecision].meet(at, true)
	}
	if e.From == StateReceived {
		k[dlFirstResponse].meet(at, true)
	}
	if e.From == StateFinalAnswer {
		k[dlEscalationWindow].meet(at, false)
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
			pu.start(owner, after(p.ProgressUpdate))
		case working(e.To) && e.Event != EventProvideInfo && pu.running():
			pu.setDue(after(p.ProgressUpdate))
		case !working(e.To) && e.To != StateAwaitingCustomer:
			pu.meet(at, true)
		}
	}

	// Closing stops what is still open.
	if e.To == StateClosed {
		for i := range k {
			if k[i].open() {
				k[i].cancel()
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
