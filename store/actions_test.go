package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// TestActions: a finding becomes an action with an owner and a due date;
// it is listed and filtered, counted in the report, reminded to its owner
// once overdue, and ends done (with a note) or dropped, once.
func TestActions(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		as := f.s.(store.Actioner)
		c := f.open(t, complaint.StateReviewed) // a decision with a finding on returns
		dec, ok := c.Decision()
		require.True(t, ok)
		require.NotEmpty(t, dec.Findings)
		owner := glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}
		now := f.clock.Now()
		a, err := as.CreateAction(ctx, store.Action{ComplaintID: c.ID(), Area: dec.Findings[0].Area, Description: dec.Findings[0].Description,
			Owner: owner, Due: now.Add(14 * 24 * time.Hour)})
		require.NoError(t, err)
		assert.NotEmpty(t, a.ID)
		assert.Equal(t, store.ActionOpen, a.Status)
		b, err := as.CreateAction(ctx, store.Action{ID: "act-web", Area: "website", Description: "Make the returns page easy to find.",
			Owner: glossary.Actor{ID: "anna", Role: glossary.CustomerService}, Due: now.Add(7 * 24 * time.Hour)})
		require.NoError(t, err)
		_, err = as.CreateAction(ctx, store.Action{ID: "act-web", Area: "x", Description: "y", Owner: owner, Due: now})
		require.ErrorIs(t, err, store.ErrExists)
		for _, bad := range []store.Action{
			{Description: "no area", Owner: owner, Due: now},
			{Area: "a", Owner: owner, Due: now},
			{Area: "a", Description: "no owner", Due: now},
			{Area: "a", Description: "a customer owns nothing", Owner: glossary.Actor{ID: "c", Role: glossary.Customer}, Due: now},
			{Area: "a", Description: "no due date", Owner: owner},
			{Area: "a", Description: "a bad id", Owner: owner, Due: now, ID: "bad\u202eid"},
		} {
			_, err := as.CreateAction(ctx, bad)
			assert.ErrorIs(t, err, complaint.ErrInvalidInput, bad.Description)
		}

		all, err := as.Actions(ctx, store.ActionFilter{})
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, []string{b.ID, a.ID}, []string{all[0].ID, all[1].ID}, "by due date")
		mine, err := as.Actions(ctx, store.ActionFilter{OwnerID: "METTE"})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, a, mine[0])
		got, err := as.Action(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, a, got)
		_, err = as.Action(ctx, "act-nope")
		assert.ErrorIs(t, err, store.ErrActionNotFound)

		// Ten days on, the website action is overdue: a reminder to
		// customer service, and a count in the report.
		later := now.Add(10 * 24 * time.Hour)
		overdue, err := as.Actions(ctx, store.ActionFilter{OverdueAt: later})
		require.NoError(t, err)
		require.Len(t, overdue, 1)
		reminders := store.ActionReminders(all, later)
		require.Len(t, reminders, 1)
		assert.Equal(t, glossary.CustomerService, reminders[0].Recipient)
		assert.Equal(t, complaint.TopicReminder, reminders[0].Topic)
		assert.Equal(t, fmt.Sprintf("act-web/%d/reminder.improvement_action/customer_service", overdue[0].Due.Unix()), reminders[0].Key(),
			"its own key for each lapse")
		rep, err := f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: now.Add(-time.Hour), To: later, Now: later})
		require.NoError(t, err)
		assert.Equal(t, store.ActionCounts{Open: 2, Overdue: 1}, rep.Actions)

		_, err = as.UpdateAction(ctx, a.ID, store.ActionDone, "")
		require.ErrorIs(t, err, complaint.ErrInvalidInput, "done says what was done")
		f.clock.Advance(time.Hour)
		done, err := as.UpdateAction(ctx, a.ID, store.ActionDone, "Repairs are offered before a refusal.")
		require.NoError(t, err)
		assert.Equal(t, store.ActionDone, done.Status)
		assert.Equal(t, f.clock.Now(), done.UpdatedAt.UTC())
		_, err = as.UpdateAction(ctx, a.ID, store.ActionDropped, "")
		require.ErrorIs(t, err, complaint.ErrInvalidInput, "an ended action stays ended")
		_, err = as.UpdateAction(ctx, "nope", store.ActionDropped, "")
		require.ErrorIs(t, err, store.ErrActionNotFound)
		_, err = as.UpdateAction(ctx, b.ID, store.ActionDropped, "The new site replaces it.")
		require.NoError(t, err)
		rep, err = f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: now.Add(-time.Hour), To: later, Now: later})
		require.NoError(t, err)
		assert.Equal(t, store.ActionCounts{Done: 1, Dropped: 1}, rep.Actions)
		open, err := as.Actions(ctx, store.ActionFilter{Status: store.ActionOpen})
		require.NoError(t, err)
		assert.Empty(t, open)
	})
}

// TestActionsByOwnerPastTheLimit: an owner's actions are found even when
// more than MaxActions of others' come before them.
func TestActionsByOwnerPastTheLimit(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		as := f.s.(store.Actioner)
		now := f.clock.Now()
		for i := range store.MaxActions + 1 {
			_, err := as.CreateAction(ctx, store.Action{Area: "a", Description: "d", Due: now.Add(time.Duration(i) * time.Minute),
				Owner: glossary.Actor{ID: "anna", Role: glossary.CustomerService}})
			require.NoError(t, err)
		}
		late, err := as.CreateAction(ctx, store.Action{Area: "a", Description: "d", Due: now.Add(30 * 24 * time.Hour),
			Owner: glossary.Actor{ID: "mette", Role: glossary.ComplaintsDepartment}})
		require.NoError(t, err)
		mine, err := as.Actions(ctx, store.ActionFilter{OwnerID: "mette"})
		require.NoError(t, err)
		require.Len(t, mine, 1)
		assert.Equal(t, late.ID, mine[0].ID)
		all, err := as.Actions(ctx, store.ActionFilter{})
		require.NoError(t, err)
		assert.Len(t, all, store.MaxActions, "bounded")
	})
}
