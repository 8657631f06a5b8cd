package complaint

import "time"

// Between returns the time from t to u in period's terms: working time
// on the policy's calendar for a working period, elapsed time otherwise;
// zero when u is not after t.
func (p Policy) Between(period Period, t, u time.Time) time.Duration {
	if !u.After(t) {
		return 0
	}
	if period.Working {
		return workingBetween(t, u, p.calendar(), p.location())
	}
	return u.Sub(t)
}

// Milestones are how long a complaint took to reach what a report
// measures; each Has flag says whether it was reached (with a start
// recorded).
type Milestones struct {
	// FirstResponse runs from receipt to leaving received (the
	// first-response clock), in the clock's terms: working time for a
	// period in working hours.
	FirstResponse    time.Duration
	HasFirstResponse bool
	// FinalAnswer runs from receipt to customer service's final answer,
	// in elapsed time.
	FinalAnswer    time.Duration
	HasFinalAnswer bool
	// Decision runs from the escalation to the Complaints Department's
	// decision (the review clock), in the clock's terms.
	Decision    time.Duration
	HasDecision bool
}

// Milestones returns c's milestones by the policy for its customer.
func (w *Workflow) Milestones(c *Complaint) Milestones {
	w = w.orDefault()
	p := w.policyFor(c.customer.Type)
	var m Milestones
	if d := c.deadline(DeadlineFirstResponse); d != nil && !d.Started.IsZero() && !d.MetAt.IsZero() {
		m.FirstResponse, m.HasFirstResponse = p.Between(p.FirstResponse, d.Started, d.MetAt), true
	}
	if c.answer != nil && !c.answer.At.IsZero() {
		received := c.claim.ReceivedAt
		if received.IsZero() || received.After(c.answer.At) {
			received = c.created
		}
		m.FinalAnswer, m.HasFinalAnswer = c.answer.At.Sub(received), true
	}
	if d := c.deadline(DeadlineReviewDecision); d != nil && !d.Started.IsZero() && !d.MetAt.IsZero() {
		m.Decision, m.HasDecision = p.Between(p.ReviewDecision, d.Started, d.MetAt), true
	}
	return m
}
