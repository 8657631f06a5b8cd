package complaint_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

func TestMilestones(t *testing.T) {
	cph, err := time.LoadLocation("Europe/Copenhagen")
	require.NoError(t, err)
	// Friday 6 March 2026, 20:00 in Copenhagen: the first response's 24
	// working hours skip the weekend.
	clock := complainttest.NewClock(time.Date(2026, 3, 6, 20, 0, 0, 0, cph))
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	ctx := context.Background()
	c, err := w.Open(ctx, complainttest.Intake())
	require.NoError(t, err)
	assert.Equal(t, complaint.Milestones{}, w.Milestones(c))

	fire := func(e complaint.Event, r glossary.Role, edit func(*complaint.Input)) {
		t.Helper()
		in := complainttest.InputFor(c, e, r)
		if edit != nil {
			edit(&in)
		}
		_, err := w.Fire(ctx, c, in)
		require.NoError(t, err)
	}
	clock.Set(time.Date(2026, 3, 9, 8, 0, 0, 0, cph)) // Monday 08:00
	fire(complaint.EventStart, glossary.CustomerService, nil)
	m := w.Milestones(c)
	require.True(t, m.HasFirstResponse)
	assert.Equal(t, 12*time.Hour, m.FirstResponse, "Friday 20-24 and Monday 0-8: 60 hours elapsed, 12 of them working")
	assert.False(t, m.HasFinalAnswer)

	clock.Advance(48 * time.Hour)
	fire(complaint.EventAnswer, glossary.CustomerService, nil)
	m = w.Milestones(c)
	require.True(t, m.HasFinalAnswer)
	assert.Equal(t, 108*time.Hour, m.FinalAnswer, "from receipt, elapsed: 60 hours to the start and 48 more")

	clock.Advance(time.Hour)
	fire(complaint.EventEscalate, glossary.Customer, nil)
	clock.Advance(5 * 24 * time.Hour)
	fire(complaint.EventReview, glossary.ComplaintsDepartment, func(in *complaint.Input) {
		in.Decision = &escalation.Decision{Outcome: escalation.Rejected, Explanation: "The answer stands."}
	})
	m = w.Milestones(c)
	require.True(t, m.HasDecision)
	assert.Equal(t, 5*24*time.Hour, m.Decision, "the review clock counts calendar days")

	// The same from a snapshot: the milestones are data.
	back, err := w.Restore(c.Snapshot())
	require.NoError(t, err)
	assert.Equal(t, m, w.Milestones(back))
}

func TestPolicyBetween(t *testing.T) {
	p := complaint.DanishConsumerPolicy()
	fri := time.Date(2026, 3, 6, 12, 0, 0, 0, time.UTC)
	mon := fri.Add(72 * time.Hour)
	assert.Equal(t, 72*time.Hour, p.Between(complaint.Hours(1), fri, mon))
	assert.Less(t, p.Between(complaint.WorkingHours(1), fri, mon), 72*time.Hour)
	assert.Zero(t, p.Between(complaint.Hours(1), mon, fri))
}
