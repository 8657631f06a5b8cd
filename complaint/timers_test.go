package complaint_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// runTimers fires what the timers owe c at the clock's now, as a store's
// runner does, and returns the timers that acted.
func runTimers(t *testing.T, f *fixture, c *complaint.Complaint) []string {
	t.Helper()
	var acted []string
	for _, in := range f.w.DueTimers(c, f.clock.Now()) {
		_, err := f.w.Fire(ctx, c, in)
		require.NoError(t, err, "timer %s", in.Timer)
		acted = append(acted, in.Timer)
	}
	return acted
}

// TestTimersActOncePerLapse: each reference timer acts when its clock has
// lapsed (plus its period), once, in the complaint's history by the
// system, with the notifications it owes; a second pass does nothing.
func TestTimersActOncePerLapse(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	// Friday 27 March 2026, 16:00 in Copenhagen: a weekend ahead, and
	// summer time begins on Sunday the 29th.
	f.clock.Set(local(2026, 3, 27, 16, 0))
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	assert.Empty(t, runTimers(t, f, c), "nothing is due yet")
	next, ok := f.w.NextTimer(c)
	require.True(t, ok)
	assert.Equal(t, local(2026, 3, 30, 16, 0), next.In(cph), "24 working hours from Friday 16:00: Monday 16:00")

	f.clock.Set(local(2026, 3, 30, 16, 0))
	f.rec.Reset()
	assert.Equal(t, []string{"first_response.remind"}, runTimers(t, f, c))
	last := c.Last()
	assert.Equal(t, complaint.EventRemind, last.Event)
	assert.Equal(t, complainttest.System.Role, last.Actor.Role)
	assert.Equal(t, "first_response.remind", last.Note)
	ns := f.rec.Notifications()
	require.Len(t, ns, 1)
	assert.Equal(t, complaint.TopicReminder, ns[0].Topic)
	assert.Equal(t, glossary.CustomerService, ns[0].Recipient)
	require.NotNil(t, ns[0].Data.Deadline)
	assert.Equal(t, complaint.DeadlineFirstResponse, ns[0].Data.Deadline.Name)
	assert.Empty(t, runTimers(t, f, c), "once per lapse")
	// The same input again (a second runner that lost the race) is refused.
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventRemind, Actor: complaint.SystemActor, Timer: "first_response.remind"})
	require.ErrorIs(t, err, complaint.ErrTimerNotDue)

	// A working day later (Tuesday 31 March), the second reminder, which
	// tells the Complaints Department too.
	f.clock.Set(local(2026, 3, 31, 15, 59))
	assert.Empty(t, runTimers(t, f, c))
	f.clock.Set(local(2026, 3, 31, 16, 0))
	f.rec.Reset()
	assert.Equal(t, []string{"first_response.repeat"}, runTimers(t, f, c))
	var to []glossary.Role
	for _, n := range f.rec.Notifications() {
		to = append(to, n.Recipient)
	}
	assert.ElementsMatch(t, []glossary.Role{glossary.CustomerService, glossary.ComplaintsDepartment}, to)
	assert.Empty(t, runTimers(t, f, c))

	// Other roles may not fire a timer's event.
	_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventRemind, Actor: complainttest.Agent, Timer: "first_response.remind"})
	require.ErrorIs(t, err, complaint.ErrForbidden)
	assert.False(t, f.w.Can(ctx, c, complaint.EventRemind, complainttest.System), "a timer's event is not on a menu")
}

// TestTimersProgressUpdate: every lapse of the rolling progress-update
// clock reminds its owner once; the second lapse tells the department.
func TestTimersProgressUpdate(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	f.clock.Set(local(2026, 10, 20, 9, 0))
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	f.clock.Advance(72 * time.Hour)
	acted := runTimers(t, f, c)
	assert.Contains(t, acted, "progress_update.remind")
	assert.NotContains(t, acted, "progress_update.department", "the first lapse")
	fire(t, f, c, complaint.EventUpdate, glossary.CustomerService) // a new run of the clock
	f.clock.Advance(72 * time.Hour)
	f.rec.Reset()
	acted = runTimers(t, f, c)
	assert.Contains(t, acted, "progress_update.remind")
	assert.Contains(t, acted, "progress_update.department", "the second lapse tells the Complaints Department")
	assert.Equal(t, 2, deadline(t, c, complaint.DeadlineProgressUpdate).Lapses)
}

// TestTimersChaseTheCustomer: a customer asked for information is reminded
// after 7 and 14 days (the second time with the role that asked told);
// by default the case never closes by itself; a policy that says so closes
// it as lapsed with a notice; the other clocks, paused, remind nobody.
func TestTimersChaseTheCustomer(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lapse complaint.Period
	}{{"default: never lapses", complaint.Period{}}, {"a policy that closes after 28 more days", complaint.Days(28)}} {
		t.Run(tc.name, func(t *testing.T) {
			p := complaint.DanishConsumerPolicy()
			p.CustomerLapse = tc.lapse
			f := newFixture(t, complaint.Options{ConsumerPolicy: &p})
			f.clock.Set(local(2026, 3, 2, 10, 0))
			c := complainttest.InState(t, f.w, complaint.StateAwaitingCustomer, nil)
			d := deadline(t, c, complaint.DeadlineCustomerReply)
			assert.Equal(t, local(2026, 3, 9, 10, 0), d.Due.In(cph))
			assert.Equal(t, glossary.CustomerService, d.Owner, "the role that asked")

			f.clock.Set(local(2026, 3, 9, 10, 0))
			f.rec.Reset()
			assert.Equal(t, []string{"customer_reply.remind"}, runTimers(t, f, c), "7 days")
			ns := f.rec.Notifications()
			require.Len(t, ns, 1)
			assert.Equal(t, complaint.TopicReplyReminder, ns[0].Topic)
			assert.Equal(t, glossary.Customer, ns[0].Recipient)

			f.clock.Set(local(2026, 3, 16, 10, 0))
			f.rec.Reset()
			assert.Equal(t, []string{"customer_reply.again"}, runTimers(t, f, c), "14 days")
			var to []glossary.Role
			for _, n := range f.rec.Notifications() {
				to = append(to, n.Recipient)
			}
			assert.ElementsMatch(t, []glossary.Role{glossary.Customer, glossary.CustomerService}, to)

			f.clock.Set(local(2026, 6, 1, 10, 0))
			acted := runTimers(t, f, c)
			if tc.lapse.IsZero() {
				assert.Empty(t, acted, "never closes by itself, and paused clocks remind nobody")
				assert.Equal(t, complaint.StateAwaitingCustomer, c.State())
				return
			}
			assert.Equal(t, []string{"customer_reply.lapse"}, acted)
			assert.Equal(t, complaint.StateClosed, c.State())
			assert.Equal(t, complaint.EventLapse, c.Last().Event)
		})
	}
}

// TestTimersCloseTheWindow: a final answer whose escalation window has
// lapsed is closed by the system at the end of the day the letter names;
// while a remedy is owed, customer service is reminded instead; a zero
// window never closes by itself.
func TestTimersCloseTheWindow(t *testing.T) {
	t.Run("lapsed", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		f.clock.Set(local(2026, 9, 1, 15, 30))
		c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
		f.clock.Set(local(2026, 11, 1, 23, 59))
		assert.Empty(t, runTimers(t, f, c), "the window runs to the end of 1 November")
		f.clock.Set(local(2026, 11, 2, 0, 0))
		assert.Equal(t, []string{"escalation_window.close"}, runTimers(t, f, c))
		assert.Equal(t, complaint.StateClosed, c.State())
		assert.Equal(t, complaint.EventClose, c.Last().Event)
	})
	t.Run("owed", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		f.clock.Set(local(2026, 9, 1, 15, 30))
		c := owedRepair(t, f)
		f.clock.Set(local(2026, 11, 5, 9, 0))
		f.rec.Reset()
		assert.Contains(t, runTimers(t, f, c), "escalation_window.close")
		assert.Equal(t, complaint.StateFinalAnswer, c.State(), "not closed owing a repair")
		var to []glossary.Role
		for _, n := range f.rec.Notifications() {
			if n.Data.Deadline != nil && n.Data.Deadline.Name == complaint.DeadlineEscalationWindow {
				to = append(to, n.Recipient)
			}
		}
		assert.Equal(t, []glossary.Role{glossary.CustomerService}, to, "whoever owes the repair is reminded")
		assert.Empty(t, runTimers(t, f, c), "once per lapse")
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventFulfil, Actor: complainttest.Agent,
			Fulfilment: &complaint.Fulfilment{Remedy: escalation.Repair, Reference: "RMA-9"}})
		require.NoError(t, err)
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventClose, Actor: complaint.SystemActor})
		require.NoError(t, err, "once fulfilled, the system may close it")
	})
	t.Run("no window", func(t *testing.T) {
		p := complaint.DanishConsumerPolicy()
		p.EscalationWindow = complaint.Period{}
		f := newFixture(t, complaint.Options{ConsumerPolicy: &p})
		c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
		f.clock.Advance(5 * 365 * 24 * time.Hour)
		assert.Empty(t, runTimers(t, f, c))
		_, ok := f.w.NextTimer(c)
		assert.False(t, ok)
	})
}

// TestTimersDOA: a DOA replacement overdue reminds customer service and
// tells the Complaints Department.
func TestTimersDOA(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	f.clock.Set(local(2026, 3, 2, 9, 0))
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	f.clock.Set(local(2026, 3, 16, 9, 0))
	f.rec.Reset()
	assert.Contains(t, runTimers(t, f, c), "doa_replacement.remind")
	var to []glossary.Role
	for _, n := range f.rec.Notifications() {
		if n.Data.Deadline != nil && n.Data.Deadline.Name == complaint.DeadlineDOAReplacement {
			to = append(to, n.Recipient)
		}
	}
	assert.ElementsMatch(t, []glossary.Role{glossary.CustomerService, glossary.ComplaintsDepartment}, to)
}

// TestTimersValidated: New refuses a timer that names an unknown clock,
// state, setting or role, acts in a terminal state, fires an event the
// system may not fire, or does nothing.
func TestTimersValidated(t *testing.T) {
	for name, timer := range map[string]complaint.Timer{
		"unknown clock":     {Name: "x.remind", Clock: "nap", NotifyOwner: true},
		"unknown state":     {Name: "x.remind", Clock: complaint.DeadlineFirstResponse, States: []complaint.State{"limbo"}, NotifyOwner: true},
		"terminal state":    {Name: "x.remind", Clock: complaint.DeadlineFirstResponse, States: []complaint.State{complaint.StateClosed}, NotifyOwner: true},
		"unknown setting":   {Name: "x.remind", Clock: complaint.DeadlineFirstResponse, Setting: "Forever", NotifyOwner: true},
		"unknown role":      {Name: "x.remind", Clock: complaint.DeadlineFirstResponse, Notify: []glossary.Role{"boss"}},
		"not the system's":  {Name: "x.fire", Clock: complaint.DeadlineFirstResponse, States: []complaint.State{complaint.StateReceived}, Fire: complaint.EventStart},
		"does nothing":      {Name: "x.nothing", Clock: complaint.DeadlineFirstResponse},
		"twice":             {Name: "first_response.remind", Clock: complaint.DeadlineFirstResponse, NotifyOwner: true},
		"badly named":       {Name: "First Response", Clock: complaint.DeadlineFirstResponse, NotifyOwner: true},
		"fires and reminds": {Name: "x.both", Clock: complaint.DeadlineEscalationWindow, States: []complaint.State{complaint.StateFinalAnswer}, Fire: complaint.EventClose, NotifyOwner: true},
	} {
		lc := complaint.Reference()
		lc.Timers = append(lc.Timers, timer)
		_, err := complaint.New(complaint.Options{Lifecycle: &lc})
		var ce *complaint.ConfigError
		if assert.ErrorAs(t, err, &ce, name) {
			assert.Contains(t, ce.Field, "Timers[", name)
		}
	}
}
