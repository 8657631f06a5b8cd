package complaint_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

var cph = complaint.DanishConsumerPolicy().Location

func local(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, cph)
}

func deadline(t *testing.T, c *complaint.Complaint, name complaint.DeadlineName) complaint.Deadline {
	t.Helper()
	for _, d := range c.Deadlines() {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no %s deadline on %s", name, c.State())
	return complaint.Deadline{}
}

func hasDeadline(c *complaint.Complaint, name complaint.DeadlineName) bool {
	for _, d := range c.Deadlines() {
		if d.Name == name {
			return true
		}
	}
	return false
}

func fire(t *testing.T, f *fixture, c *complaint.Complaint, e complaint.Event, r glossary.Role) {
	t.Helper()
	_, err := f.w.Fire(ctx, c, complainttest.InputFor(c, e, r))
	require.NoError(t, err, "Fire(%q)", e)
}

func TestFirstResponse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		after    time.Duration
		event    complaint.Event
		breached bool
	}{
		{"started in time", 2 * time.Hour, complaint.EventStart, false},
		{"answered at the last second", 24 * time.Hour, complaint.EventAnswer, false},
		{"started late", 24*time.Hour + time.Second, complaint.EventStart, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
			d := deadline(t, c, complaint.DeadlineFirstResponse)
			assert.Equal(t, complainttest.Start.Add(24*time.Hour), d.Due)
			assert.Equal(t, glossary.CustomerService, d.Owner)
			assert.True(t, d.Running())

			f.clock.Advance(tc.after)
			fire(t, f, c, tc.event, glossary.CustomerService)
			d = deadline(t, c, complaint.DeadlineFirstResponse)
			assert.Equal(t, complainttest.Start.Add(tc.after), d.MetAt)
			assert.True(t, d.Due.IsZero())
			assert.Equal(t, tc.breached, d.Breached)
			assert.False(t, d.Running())
		})
	}
}

func TestDOAReplacementAcrossDaylightSaving(t *testing.T) {
	// Summer time starts in Copenhagen at 02:00 on Sunday 29 March 2026.
	received := local(2026, 3, 28, 12, 0)
	f := newFixture(t, complaint.Options{})
	f.clock.Set(received)
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)

	doa := deadline(t, c, complaint.DeadlineDOAReplacement)
	assert.Equal(t, local(2026, 4, 11, 12, 0), doa.Due.In(cph), "14 calendar days: the same wall-clock time")
	assert.Equal(t, 14*24*time.Hour-time.Hour, doa.Due.Sub(received), "one hour fewer elapsed: the clocks went forward")

	fr := deadline(t, c, complaint.DeadlineFirstResponse)
	assert.Equal(t, local(2026, 3, 31, 0, 0), fr.Due.In(cph), "a Saturday's complaint: 24 working hours from Monday")

	// Met by the replacement delivered, not by the answer.
	f.clock.Set(local(2026, 4, 11, 10, 0))
	fire(t, f, c, complaint.EventStart, glossary.CustomerService)
	fire(t, f, c, complaint.EventAnswer, glossary.CustomerService)
	assert.True(t, deadline(t, c, complaint.DeadlineDOAReplacement).NotApplicable, "the helpers' answer is a rejection")
}

func TestDOAOnlyForDOA(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.Kind = glossary.Warranty
	c := complainttest.InState(t, f.w, complaint.StateReceived, &in)
	assert.False(t, hasDeadline(c, complaint.DeadlineDOAReplacement))
}

func TestClocksPauseWhileAwaitingCustomer(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil) // DOA: due in 14 days
	f.clock.Advance(time.Hour)
	fire(t, f, c, complaint.EventStart, glossary.CustomerService)
	doaDue := deadline(t, c, complaint.DeadlineDOAReplacement).Due
	assert.Equal(t, f.clock.Now().Add(72*time.Hour), deadline(t, c, complaint.DeadlineProgressUpdate).Due)

	f.clock.Advance(47 * time.Hour)
	fire(t, f, c, complaint.EventRequestInfo, glossary.CustomerService)
	pausedAt := f.clock.Now()
	for _, name := range []complaint.DeadlineName{complaint.DeadlineDOAReplacement, complaint.DeadlineProgressUpdate} {
		d := deadline(t, c, name)
		assert.True(t, d.Paused(), name)
		assert.True(t, d.Due.IsZero(), name)
	}
	assert.Equal(t, doaDue.Sub(pausedAt), deadline(t, c, complaint.DeadlineDOAReplacement).Remaining)
	assert.Equal(t, 25*time.Hour, deadline(t, c, complaint.DeadlineProgressUpdate).Remaining, "started at +1h, due at +73h, paused at +48h")

	// A month passes: nothing the retailer owes is overdue while the
	// customer has the ball; only the customer-reply clock, which runs
	// there, has lapsed (and is never breached).
	f.clock.Advance(30 * 24 * time.Hour)
	overdue := c.Overdue(f.clock.Now())
	require.Len(t, overdue, 1)
	assert.Equal(t, complaint.DeadlineCustomerReply, overdue[0].Name)
	assert.Equal(t, glossary.CustomerService, overdue[0].Owner, "the role that asked")

	fire(t, f, c, complaint.EventProvideInfo, glossary.Customer)
	resumed := f.clock.Now()
	assert.Equal(t, resumed.Add(doaDue.Sub(pausedAt)), deadline(t, c, complaint.DeadlineDOAReplacement).Due, "resumes with the time that was left")
	assert.Equal(t, resumed.Add(25*time.Hour), deadline(t, c, complaint.DeadlineProgressUpdate).Due,
		"the customer's own input does not count as an update from us")
	next, ok := c.NextDue()
	assert.True(t, ok)
	assert.Equal(t, resumed.Add(25*time.Hour), next)
	assert.False(t, deadline(t, c, complaint.DeadlineDOAReplacement).Breached)
}

func TestProgressUpdates(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	d := deadline(t, c, complaint.DeadlineProgressUpdate)
	assert.Equal(t, complainttest.Start.Add(72*time.Hour), d.Due)
	assert.Equal(t, glossary.CustomerService, d.Owner)

	f.clock.Advance(48 * time.Hour)
	fire(t, f, c, complaint.EventUpdate, glossary.CustomerService)
	assert.Equal(t, f.clock.Now().Add(72*time.Hour), deadline(t, c, complaint.DeadlineProgressUpdate).Due, "an update starts the clock again")

	f.clock.Advance(73 * time.Hour)
	over := c.Overdue(f.clock.Now())
	require.Len(t, over, 1)
	assert.Equal(t, complaint.DeadlineProgressUpdate, over[0].Name)

	fire(t, f, c, complaint.EventRefer, glossary.CustomerService)
	d = deadline(t, c, complaint.DeadlineProgressUpdate)
	assert.True(t, d.Breached, "the silence was too long")
	assert.True(t, d.Running(), "and the clock goes on")
	assert.Empty(t, c.Overdue(f.clock.Now()))

	fire(t, f, c, complaint.EventResume, glossary.Manufacturer)
	fire(t, f, c, complaint.EventAnswer, glossary.CustomerService)
	d = deadline(t, c, complaint.DeadlineProgressUpdate)
	assert.Equal(t, f.clock.Now(), d.MetAt, "the final answer ends the cycle")

	// The Complaints Department owns the clock once it has the case.
	f.clock.Advance(time.Hour)
	fire(t, f, c, complaint.EventEscalate, glossary.Customer)
	d = deadline(t, c, complaint.DeadlineProgressUpdate)
	assert.Equal(t, glossary.ComplaintsDepartment, d.Owner)
	assert.False(t, d.Breached, "a new cycle for a new owner")
	assert.Equal(t, f.clock.Now().Add(72*time.Hour), d.Due)
}

func TestReviewDecision(t *testing.T) {
	for _, tc := range []struct {
		name     string
		after    time.Duration
		breached bool
	}{
		{"decided in time", 20 * 24 * time.Hour, false},
		{"decided late", 31 * 24 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
			f.clock.Set(local(2026, 10, 20, 10, 0))
			// Long after the window: the Complaints Department takes the
			// late case (with a note).
			fire(t, f, c, complaint.EventEscalate, glossary.ComplaintsDepartment)
			d := deadline(t, c, complaint.DeadlineReviewDecision)
			assert.Equal(t, local(2026, 11, 19, 10, 0), d.Due.In(cph), "30 calendar days, across the end of summer time")
			assert.Equal(t, glossary.ComplaintsDepartment, d.Owner)
			f.clock.Advance(tc.after)
			fire(t, f, c, complaint.EventReview, glossary.ComplaintsDepartment)
			d = deadline(t, c, complaint.DeadlineReviewDecision)
			assert.Equal(t, tc.breached, d.Breached)
			assert.False(t, d.MetAt.IsZero())
		})
	}
}

func TestEscalationWindow(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateFinalAnswer, nil)
	answered := c.Last().At
	d := deadline(t, c, complaint.DeadlineEscalationWindow)
	y, m, day := complaint.Months(2).AddTo(answered, cph).Date()
	assert.Equal(t, time.Date(y, m, day+1, 0, 0, 0, 0, cph), d.Due.In(cph), "two months, to the end of the day the letter names")
	assert.Equal(t, glossary.ComplaintsDepartment, d.Owner, "the Complaints Department closes the case once it lapses")

	f.clock.Set(d.Due.Add(time.Minute))
	rem := f.w.Sweep(f.clock.Now(), []*complaint.Complaint{c})
	require.Len(t, rem, 1)
	assert.Equal(t, complaint.DeadlineEscalationWindow, rem[0].Data.Deadline.Name)

	fire(t, f, c, complaint.EventClose, glossary.ComplaintsDepartment)
	d = deadline(t, c, complaint.DeadlineEscalationWindow)
	assert.False(t, d.Breached, "a lapsed window is not a breach")
	assert.False(t, d.MetAt.IsZero())
	assert.False(t, d.Cancelled)
}

func TestWithdrawCancelsClocks(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateAwaitingCustomer, nil)
	fire(t, f, c, complaint.EventWithdraw, glossary.Customer)
	for _, d := range c.Deadlines() {
		if d.MetAt.IsZero() {
			assert.True(t, d.Cancelled, d.Name)
			assert.False(t, d.Running(), d.Name)
			assert.False(t, d.Paused(), d.Name)
		}
	}
	assert.True(t, deadline(t, c, complaint.DeadlineDOAReplacement).Cancelled)
	assert.Empty(t, c.Overdue(f.clock.Now().Add(1000*time.Hour)))
}

func TestSweep(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	fresh := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	f.clock.Advance(time.Hour)
	working := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	f.clock.Advance(time.Hour)
	escalated := complainttest.InState(t, f.w, complaint.StateEscalated, nil)

	at := complainttest.Start.Add(80 * time.Hour)
	got := f.w.Sweep(at, []*complaint.Complaint{fresh, working, escalated, nil})
	type rem struct {
		id   string
		name complaint.DeadlineName
		to   glossary.Role
	}
	var rems []rem
	keys := map[string]bool{}
	for _, n := range got {
		assert.Equal(t, complaint.TopicReminder, n.Topic)
		assert.Equal(t, at, n.At)
		assert.False(t, keys[n.Key()], "duplicate key %s", n.Key())
		keys[n.Key()] = true
		require.NotNil(t, n.Data.Deadline)
		assert.True(t, at.After(n.Data.Deadline.Due))
		rems = append(rems, rem{n.ComplaintID, n.Data.Deadline.Name, n.Recipient})
	}
	assert.Equal(t, []rem{
		{fresh.ID(), complaint.DeadlineFirstResponse, glossary.CustomerService},
		{working.ID(), complaint.DeadlineProgressUpdate, glossary.CustomerService},
		{escalated.ID(), complaint.DeadlineProgressUpdate, glossary.ComplaintsDepartment},
	}, rems)
	again := f.w.Sweep(at.Add(time.Hour), []*complaint.Complaint{fresh, working, escalated})
	for i := range got {
		assert.Equal(t, got[i].Key(), again[i].Key(), "keys repeat while the complaint is unchanged")
	}
	assert.Empty(t, f.w.Sweep(complainttest.Start, []*complaint.Complaint{fresh, working, escalated}))
}

func TestClaimPeriodEdges(t *testing.T) {
	consumer := complaint.DanishConsumerPolicy()
	business := complaint.DanishBusinessPolicy()
	cases := []struct {
		name      string
		customer  complaint.CustomerType
		delivered time.Time
		at        time.Time
		within    bool
		ends      time.Time
	}{
		{"consumer, last minute of the second year", complaint.Consumer, local(2024, 3, 2, 15, 0), local(2026, 3, 2, 23, 59), true, local(2026, 3, 3, 0, 0)},
		{"consumer, first minute after", complaint.Consumer, local(2024, 3, 2, 15, 0), local(2026, 3, 3, 0, 0), false, local(2026, 3, 3, 0, 0)},
		// Years end on the same day number, or the month's last day.
		{"consumer, leap day delivery, 28 February", complaint.Consumer, local(2024, 2, 29, 9, 0), local(2026, 2, 28, 23, 0), true, local(2026, 3, 1, 0, 0)},
		{"consumer, leap day delivery, 1 March", complaint.Consumer, local(2024, 2, 29, 9, 0), local(2026, 3, 1, 0, 30), false, local(2026, 3, 1, 0, 0)},
		{"business, last minute of twelve months", complaint.Business, local(2025, 3, 2, 15, 0), local(2026, 3, 2, 23, 59), true, local(2026, 3, 3, 0, 0)},
		{"business, first minute after", complaint.Business, local(2025, 3, 2, 15, 0), local(2026, 3, 3, 0, 0), false, local(2026, 3, 3, 0, 0)},
		{"business, a consumer would still be inside", complaint.Business, local(2024, 9, 1, 12, 0), local(2026, 3, 1, 12, 0), false, local(2025, 9, 2, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(tc.at)
			in := complainttest.Intake()
			in.Customer.Type = tc.customer
			in.Product.DeliveredAt = tc.delivered
			c, err := f.w.Open(ctx, in)
			require.NoError(t, err, "a late claim is registered, never refused")
			a := c.ClaimAssessment()
			assert.True(t, a.Known)
			assert.Equal(t, tc.within, a.WithinPeriod)
			assert.True(t, tc.ends.Equal(a.PeriodEnds), "period ends %s, want %s", a.PeriodEnds, tc.ends)
			want := consumer.Name
			if tc.customer == complaint.Business {
				want = business.Name
			}
			assert.Equal(t, want, a.Policy)
		})
	}
}

func TestPresumption(t *testing.T) {
	cases := []struct {
		name      string
		purchased time.Time // zero: unknown
		delivered time.Time
		at        time.Time
		applies   bool
		unknown   bool
		ends      time.Time
	}{
		{"within the year", time.Time{}, local(2025, 5, 10, 12, 0), local(2026, 5, 10, 22, 0), true, false, local(2026, 5, 11, 0, 0)},
		{"after the year", time.Time{}, local(2025, 5, 10, 12, 0), local(2026, 5, 11, 0, 0), false, false, local(2026, 5, 11, 0, 0)},
		{"bought in 2021: six months", time.Time{}, local(2021, 12, 15, 12, 0), local(2022, 6, 15, 12, 0), true, false, local(2022, 6, 16, 0, 0)},
		{"bought in 2021, seven months later", time.Time{}, local(2021, 12, 15, 12, 0), local(2022, 7, 16, 12, 0), false, false, local(2022, 6, 16, 0, 0)},
		{"bought on 1 January 2022: one year", local(2022, 1, 1, 0, 0), local(2022, 1, 1, 0, 0), local(2022, 12, 31, 12, 0), true, false, local(2023, 1, 2, 0, 0)},
		// The purchase decides, not the delivery: bought in December,
		// delivered in January, six months.
		{"bought 20 December 2021, delivered 5 January 2022", local(2021, 12, 20, 10, 0), local(2022, 1, 5, 10, 0), local(2022, 9, 1, 12, 0), false, false, local(2022, 7, 6, 0, 0)},
		// Unknown is unknown: delivered just after the change with no
		// purchase date, the two periods decide differently.
		{"delivered 5 January 2022, purchase unknown, 8 months", time.Time{}, local(2022, 1, 5, 10, 0), local(2022, 9, 1, 12, 0), false, true, time.Time{}},
		{"delivered 5 January 2022, purchase unknown, 3 months: both periods", time.Time{}, local(2022, 1, 5, 10, 0), local(2022, 4, 5, 12, 0), true, false, local(2023, 1, 6, 0, 0)},
		{"delivered 1 June 2022, purchase unknown: after the margin", time.Time{}, local(2022, 6, 1, 10, 0), local(2023, 3, 1, 12, 0), true, false, local(2023, 6, 2, 0, 0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(tc.at)
			in := complainttest.Intake()
			in.Product.DeliveredAt, in.Product.PurchasedAt = tc.delivered, tc.purchased
			c, err := f.w.Open(ctx, in)
			require.NoError(t, err)
			a := c.ClaimAssessment()
			assert.Equal(t, tc.applies, a.PresumptionApplies)
			assert.Equal(t, tc.unknown, a.PresumptionUnknown)
			assert.True(t, tc.ends.Equal(a.PresumptionEnds), "presumption ends %s, want %s", a.PresumptionEnds, tc.ends)
			assert.Equal(t, "P2M", a.NoticePeriod)
		})
	}
	// Business customers have no presumption and no fixed notice period.
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.Customer.Type = complaint.Business
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	assert.False(t, c.ClaimAssessment().PresumptionApplies)
	assert.True(t, c.ClaimAssessment().PresumptionEnds.IsZero())
	assert.Empty(t, c.ClaimAssessment().NoticePeriod)
}

func TestClaimUnknownDelivery(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	in := complainttest.Intake()
	in.Kind = glossary.Claim
	in.Product.DeliveredAt = time.Time{}
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, complaint.ClaimAssessment{Policy: "dk-consumer", NoticePeriod: "P2M", ReceivedAt: f.clock.Now(),
		Missing: []string{"delivered_at", "purchased_at", "defect_noticed_at"}}, c.ClaimAssessment())
}

// TestClaimTimingFacts: the law's edge dates. The presumption period is
// chosen by the purchase date and covers a defect noticed within it after
// delivery; the claim period and the §81 notice are judged when the
// complaint reached the retailer.
func TestClaimTimingFacts(t *testing.T) {
	for _, tc := range []struct {
		name                          string
		bought, delivered, noticed    time.Time
		received                      time.Time
		presumptionEnds               time.Time
		applies, timely, withinPeriod bool
		missing                       []string
	}{
		{"bought in 2021, delivered in 2022: six months", local(2021, 12, 20, 12, 0), local(2022, 1, 4, 12, 0), local(2022, 6, 30, 12, 0),
			local(2022, 7, 10, 12, 0), local(2022, 7, 5, 0, 0), true, true, true, nil},
		{"bought in 2021, noticed in month seven", local(2021, 12, 20, 12, 0), local(2022, 1, 4, 12, 0), local(2022, 8, 10, 12, 0),
			local(2022, 8, 20, 12, 0), local(2022, 7, 5, 0, 0), false, true, true, nil},
		{"bought 2 January 2022: one year", local(2022, 1, 2, 12, 0), local(2022, 1, 4, 12, 0), local(2022, 12, 30, 12, 0),
			local(2023, 1, 10, 12, 0), local(2023, 1, 5, 0, 0), true, true, true, nil},
		{"noticed in month 11, notified in month 12.5: timely", local(2025, 1, 1, 12, 0), local(2025, 1, 1, 12, 0), local(2025, 12, 1, 12, 0),
			local(2026, 1, 15, 12, 0), local(2026, 1, 2, 0, 0), true, true, true, nil},
		{"noticed in month 10, notified in month 12.5: notice late", local(2025, 1, 1, 12, 0), local(2025, 1, 1, 12, 0), local(2025, 11, 1, 12, 0),
			local(2026, 1, 15, 12, 0), local(2026, 1, 2, 0, 0), true, false, true, nil},
		{"received after the claim period", local(2023, 1, 1, 12, 0), local(2023, 1, 1, 12, 0), local(2024, 12, 20, 12, 0),
			local(2025, 1, 2, 12, 0), local(2024, 1, 2, 0, 0), false, true, false, nil},
		{"purchase unknown: the delivery date decides", time.Time{}, local(2021, 12, 30, 12, 0), local(2022, 5, 1, 12, 0),
			local(2022, 5, 2, 12, 0), local(2022, 7, 1, 0, 0), true, true, true, []string{"purchased_at"}},
		{"noticed unknown: judged when received", local(2025, 1, 1, 12, 0), local(2025, 1, 1, 12, 0), time.Time{},
			local(2025, 12, 20, 12, 0), local(2026, 1, 2, 0, 0), true, false, true, []string{"defect_noticed_at"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(tc.received.Add(72 * time.Hour)) // registered later than it was received
			in := complainttest.Intake()
			in.Kind = glossary.Claim
			in.Product.PurchasedAt, in.Product.DeliveredAt, in.DefectNoticedAt, in.ReceivedAt = tc.bought, tc.delivered, tc.noticed, tc.received
			c, err := f.w.Open(ctx, in)
			require.NoError(t, err)
			a := c.ClaimAssessment()
			assert.Equal(t, tc.presumptionEnds.In(cph), a.PresumptionEnds.In(cph))
			assert.Equal(t, tc.applies, a.PresumptionApplies, "presumption")
			assert.Equal(t, tc.timely, a.NoticeTimely, "§81 notice")
			assert.Equal(t, tc.withinPeriod, a.WithinPeriod, "claim period")
			assert.Equal(t, tc.missing, a.Missing)
			assert.True(t, a.ReceivedAt.Equal(tc.received))
		})
	}
	f := newFixture(t, complaint.Options{})
	for field, edit := range map[string]func(*complaint.Intake){
		"received_at":          func(in *complaint.Intake) { in.ReceivedAt = f.clock.Now().Add(time.Hour) },
		"defect_noticed_at":    func(in *complaint.Intake) { in.DefectNoticedAt = f.clock.Now().Add(time.Hour) },
		"product.delivered_at": func(in *complaint.Intake) { in.Product.PurchasedAt = in.Product.DeliveredAt.Add(time.Hour) },
	} {
		in := complainttest.Intake()
		edit(&in)
		_, err := f.w.Open(ctx, in)
		var ie *complaint.InputError
		require.ErrorAs(t, err, &ie, field)
		assert.Equal(t, field, ie.Field)
	}
}

func TestDeadlinesSurviveRestore(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateAwaitingCustomer, nil)
	back, err := f.w.Restore(c.Snapshot())
	require.NoError(t, err)
	assert.Equal(t, c.Deadlines(), back.Deadlines())
	f.clock.Advance(time.Hour)
	fire(t, f, back, complaint.EventProvideInfo, glossary.Customer)
	assert.True(t, deadline(t, back, complaint.DeadlineDOAReplacement).Running(), "a restored paused clock resumes")
}

func TestPolicyPresets(t *testing.T) {
	c, b := complaint.DanishConsumerPolicy(), complaint.DanishBusinessPolicy()
	require.NoError(t, c.Validate())
	require.NoError(t, b.Validate())
	assert.Equal(t, complaint.WorkingHours(24), c.FirstResponse)
	assert.Equal(t, complaint.Days(14), c.DOAReplacement)
	assert.Equal(t, complaint.Years(2), c.ClaimPeriod)
	assert.Equal(t, complaint.Months(12), b.ClaimPeriod)
	assert.Equal(t, complaint.Months(2), c.NoticePeriod)
	assert.Equal(t, complaint.Years(1), c.Presumption)
	assert.Equal(t, complaint.Months(6), c.EarlierPresumption)
	assert.Equal(t, "Europe/Copenhagen", c.Location.String())
	assert.Equal(t, c.FirstResponse, b.FirstResponse, "the retailer's promises are the same for both")
	assert.True(t, b.Presumption.IsZero())

	assert.Equal(t, "P2Y", complaint.Years(2).String())
	assert.Equal(t, "PT24H", complaint.Hours(24).String())
	assert.Equal(t, "P1M14D", complaint.Period{Months: 1, Days: 14}.String())
	assert.Equal(t, "0", complaint.Period{}.String())
}

func TestDOAReplacementBreached(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	due := deadline(t, c, complaint.DeadlineDOAReplacement).Due
	f.clock.Set(due.Add(time.Minute))
	over := c.Overdue(f.clock.Now())
	names := []complaint.DeadlineName{}
	for _, d := range over {
		names = append(names, d.Name)
	}
	assert.Contains(t, names, complaint.DeadlineDOAReplacement)
	fire(t, f, c, complaint.EventFulfil, glossary.CustomerService) // a replacement, late
	d := deadline(t, c, complaint.DeadlineDOAReplacement)
	assert.True(t, d.Breached)
	assert.Equal(t, f.clock.Now(), d.MetAt)
}

// TestDOAMeansReplaced: the DOA clock is met only by a replacement or a
// refund carried out; a repair does not meet it, a rejecting answer ends it
// as not applicable (neither met nor breached, even when late), and
// reclassifying moves it.
func TestDOAMeansReplaced(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	repair := complainttest.InputFor(c, complaint.EventFulfil, glossary.CustomerService)
	repair.Fulfilment.Remedy = escalation.Repair
	_, err := f.w.Fire(ctx, c, repair)
	require.NoError(t, err)
	assert.True(t, deadline(t, c, complaint.DeadlineDOAReplacement).Running(), "a repair does not keep the DOA promise")
	refund := complainttest.InputFor(c, complaint.EventFulfil, glossary.CustomerService)
	refund.Fulfilment.Remedy = escalation.Cancellation
	_, err = f.w.Fire(ctx, c, refund)
	require.NoError(t, err)
	assert.False(t, deadline(t, c, complaint.DeadlineDOAReplacement).MetAt.IsZero(), "a refund does")

	late := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	f.clock.Advance(20 * 24 * time.Hour)
	fire(t, f, late, complaint.EventAnswer, glossary.CustomerService) // rejected, after the 14 days
	d := deadline(t, late, complaint.DeadlineDOAReplacement)
	assert.True(t, d.NotApplicable)
	assert.False(t, d.Breached, "a rejection is not a broken promise")
	assert.True(t, d.MetAt.IsZero(), "nor a kept one")

	claim := complainttest.Intake()
	claim.Kind = glossary.Claim
	rc := complainttest.InState(t, f.w, complaint.StateInProgress, &claim)
	assert.False(t, hasDeadline(rc, complaint.DeadlineDOAReplacement))
	created := rc.CreatedAt()
	f.clock.Advance(3 * 24 * time.Hour)
	in := complainttest.InputFor(rc, complaint.EventReclassify, glossary.CustomerService)
	in.Kind = glossary.DOA
	_, err = f.w.Fire(ctx, rc, in)
	require.NoError(t, err)
	assert.Equal(t, complaint.Days(14).AddTo(created, cph), deadline(t, rc, complaint.DeadlineDOAReplacement).Due,
		"reclassified as DOA: 14 days from the receipt")
	in.Kind = glossary.Warranty
	_, err = f.w.Fire(ctx, rc, in)
	require.NoError(t, err)
	assert.True(t, deadline(t, rc, complaint.DeadlineDOAReplacement).NotApplicable, "and away from DOA: not applicable")
}

// TestFirstResponseOnWorkingDays: the 24 hours of the first response count
// only Danish working days.
func TestFirstResponseOnWorkingDays(t *testing.T) {
	for _, tc := range []struct {
		name          string
		received, due time.Time
	}{
		{"a weekday", local(2026, 3, 3, 10, 0), local(2026, 3, 4, 10, 0)},
		{"Friday 17:00", local(2026, 3, 6, 17, 0), local(2026, 3, 9, 17, 0)},
		{"the last working day before Easter", local(2026, 4, 1, 17, 0), local(2026, 4, 7, 17, 0)},
		{"Good Friday 17:00", local(2026, 4, 3, 17, 0), local(2026, 4, 8, 0, 0)},
		{"before Store Bededag 2023, a holiday", local(2023, 5, 4, 17, 0), local(2023, 5, 8, 17, 0)},
		{"before Store Bededag's date in 2024, a working day", local(2024, 4, 25, 17, 0), local(2024, 4, 26, 17, 0)},
		{"Christmas Eve", local(2026, 12, 24, 9, 0), local(2026, 12, 28, 9, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(tc.received)
			c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
			assert.Equal(t, tc.due, deadline(t, c, complaint.DeadlineFirstResponse).Due.In(cph))
		})
	}
	// A policy without a calendar counts every day.
	p := complaint.DanishConsumerPolicy()
	p.Calendar = nil
	f := newFixture(t, complaint.Options{ConsumerPolicy: &p})
	f.clock.Set(local(2026, 3, 6, 17, 0))
	c := complainttest.InState(t, f.w, complaint.StateReceived, nil)
	assert.Equal(t, local(2026, 3, 7, 17, 0), deadline(t, c, complaint.DeadlineFirstResponse).Due.In(cph))
}

// TestPauseAcrossDaylightSaving: a DOA clock paused across the spring
// change keeps its 12:00 due time; an hour-based one keeps elapsed time.
func TestPauseAcrossDaylightSaving(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	f.clock.Set(local(2026, 3, 23, 12, 0))
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	doa := deadline(t, c, complaint.DeadlineDOAReplacement)
	require.Equal(t, local(2026, 4, 6, 12, 0), doa.Due.In(cph))
	progress := deadline(t, c, complaint.DeadlineProgressUpdate)
	require.Equal(t, local(2026, 3, 26, 12, 0), progress.Due.In(cph))

	f.clock.Set(local(2026, 3, 25, 12, 0))
	fire(t, f, c, complaint.EventRequestInfo, glossary.CustomerService)
	f.clock.Set(local(2026, 3, 31, 12, 0)) // across Sunday 29 March
	fire(t, f, c, complaint.EventProvideInfo, glossary.Customer)
	doa = deadline(t, c, complaint.DeadlineDOAReplacement)
	assert.Equal(t, local(2026, 4, 12, 12, 0), doa.Due.In(cph), "six calendar days later, at 12:00 still")
	progress = deadline(t, c, complaint.DeadlineProgressUpdate)
	assert.Equal(t, 24*time.Hour, progress.Due.Sub(f.clock.Now()), "the hours that were left, elapsed")
}

// TestNotAboutAProduct: feedback and general complaints open without a
// product and get no claim assessment; both go to the Complaints
// Department too, for its improvement work. A product kind without a product is refused clearly.
func TestNotAboutAProduct(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	for _, kind := range []glossary.Term{glossary.Feedback, glossary.General} {
		in := complainttest.Intake()
		in.Kind, in.Product = kind, complaint.Product{}
		in.Description = "The courier left the parcel in the rain."
		f.rec.Reset()
		c, err := f.w.Open(ctx, in)
		require.NoError(t, err, kind)
		a := c.ClaimAssessment()
		assert.False(t, a.Known, kind)
		assert.Empty(t, a.Missing, "%s: nothing is missing where nothing is assessed", kind)
		var to []glossary.Role
		for _, n := range f.rec.Notifications() {
			to = append(to, n.Recipient)
		}
		assert.Equal(t, []glossary.Role{glossary.Customer, glossary.ComplaintsDepartment}, to, "%s is for the improvement work", kind)
		back, err := f.w.Restore(c.Snapshot())
		require.NoError(t, err)
		assert.Equal(t, c.Snapshot(), back.Snapshot())
	}
	in := complainttest.Intake()
	in.Product = complaint.Product{}
	_, err := f.w.Open(ctx, in)
	var ie *complaint.InputError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "product", ie.Field)
	assert.Contains(t, ie.Problem, "feedback and general")
}

// TestManufacturerTerms: a warranty case is assessed against the
// manufacturer's warranty, a DOA case against its DOA window, and a case
// whose manufacturer the policy has no terms for says so.
func TestManufacturerTerms(t *testing.T) {
	p := complaint.DanishConsumerPolicy()
	p.Manufacturers = map[string]complaint.ManufacturerTerms{
		"Lenovo": {Warranty: complaint.Years(3), DOAWindow: complaint.Days(15), DOAProcedure: "Call Lenovo Premier Support with the serial number."},
	}
	f := newFixture(t, complaint.Options{ConsumerPolicy: &p})
	delivered := local(2026, 2, 1, 12, 0)
	for _, tc := range []struct {
		name         string
		kind         glossary.Term
		manufacturer string
		periodEnds   time.Time
		warranty     time.Time // zero: no warranty assessed
		doaEnds      time.Time
		missing      bool
	}{
		// The law's claim period is assessed in every case; a warranty
		// case has the manufacturer's period besides.
		{"warranty: the manufacturer's three years", glossary.Warranty, "LENOVO", local(2028, 2, 2, 0, 0), local(2029, 2, 2, 0, 0), time.Time{}, false},
		{"claim: the law's two years", glossary.Claim, "Lenovo", local(2028, 2, 2, 0, 0), time.Time{}, time.Time{}, false},
		{"DOA: the manufacturer's window", glossary.DOA, "Lenovo", local(2028, 2, 2, 0, 0), time.Time{}, local(2026, 2, 17, 0, 0), false},
		{"warranty of a manufacturer without terms", glossary.Warranty, "Acme", local(2028, 2, 2, 0, 0), time.Time{}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := complainttest.Intake()
			in.Kind, in.Product.Manufacturer, in.Product.DeliveredAt, in.Product.PurchasedAt = tc.kind, tc.manufacturer, delivered, delivered
			in.DefectNoticedAt = delivered.Add(24 * time.Hour)
			c, err := f.w.Open(ctx, in)
			require.NoError(t, err)
			a := c.ClaimAssessment()
			assert.Equal(t, tc.periodEnds, a.PeriodEnds.In(cph))
			assert.Equal(t, !tc.warranty.IsZero(), a.Warranty)
			assert.True(t, tc.warranty.Equal(a.WarrantyEnds), "warranty ends %s, want %s", a.WarrantyEnds, tc.warranty)
			assert.Equal(t, !tc.warranty.IsZero(), a.WithinWarranty)
			assert.True(t, tc.doaEnds.Equal(a.DOAWindowEnds), "DOA window ends %s, want %s", a.DOAWindowEnds, tc.doaEnds)
			assert.Equal(t, tc.missing, slices.Contains(a.Missing, "manufacturer_terms"))
			if tc.kind == glossary.DOA {
				assert.Contains(t, a.DOAProcedure, "serial number")
			}
		})
	}
}

// TestClosingCancelsEveryOpenClock: for every state a complaint can be
// withdrawn or closed from, every clock still running or paused before is
// cancelled, never met, by the closing event; a clock met before stays met.
func TestClosingCancelsEveryOpenClock(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	checked := 0
	for _, edge := range f.w.Edges() {
		if edge.Event != complaint.EventWithdraw && edge.Event != complaint.EventClose {
			continue
		}
		c := complainttest.InState(t, f.w, edge.From, nil)
		f.clock.Advance(61 * 24 * time.Hour) // past any escalation window, so that close is allowed where it ever is
		before := map[complaint.DeadlineName]complaint.Deadline{}
		for _, d := range c.Deadlines() {
			before[d.Name] = d
		}
		var fired bool
		for _, r := range edge.Roles {
			in := complainttest.InputFor(c, edge.Event, r)
			if f.w.Check(ctx, c, in) == nil {
				_, err := f.w.Fire(ctx, c, in)
				require.NoError(t, err)
				fired = true
				break
			}
		}
		if !fired {
			continue // owing a remedy, for instance: closing is refused there
		}
		for _, d := range c.Deadlines() {
			t.Run(fmt.Sprintf("%s from %s/%s", edge.Event, edge.From, d.Name), func(t *testing.T) {
				was := before[d.Name]
				switch {
				case d.Name == complaint.DeadlineEscalationWindow && edge.Event == complaint.EventClose && was.Running():
					// Closing once the window lapsed is what the window
					// waits for: it is met, not cancelled.
					assert.False(t, d.MetAt.IsZero(), "the lapsed window is met by closing")
					assert.False(t, d.Cancelled)
				case was.Running() || was.Paused():
					assert.True(t, d.Cancelled, "an open clock is cancelled")
					assert.True(t, d.MetAt.IsZero(), "and not met")
					checked++
				case !was.MetAt.IsZero():
					assert.Equal(t, was.MetAt, d.MetAt, "a met clock stays met")
				}
				assert.False(t, d.Running() || d.Paused(), "nothing runs after closing")
			})
		}
	}
	assert.Greater(t, checked, 10, "open clocks were closed over")
}
