package complaint_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
)

// The rules a Danish retailer's lawyer would check (DESIGN §2-3, v3), with
// concrete dates in Europe/Copenhagen.

// TestReclassifyToAProductKind: feedback or a general complaint that turns
// out to be about a product is reclassified with its product, and the
// result restores; without a product the reclassification is refused and
// changes nothing.
func TestReclassifyToAProductKind(t *testing.T) {
	for _, from := range []glossary.Term{glossary.Feedback, glossary.General} {
		for _, to := range []glossary.Term{glossary.Claim, glossary.DOA, glossary.Warranty, glossary.Service, glossary.Support} {
			t.Run(string(from)+" to "+string(to), func(t *testing.T) {
				f := newFixture(t, complaint.Options{})
				f.clock.Set(local(2026, 3, 4, 10, 0))
				in := complainttest.Intake()
				in.Kind, in.Product = from, complaint.Product{}
				in.ReceivedAt = local(2026, 3, 2, 9, 0)
				c, err := f.w.Open(ctx, in)
				require.NoError(t, err)
				before := c.Snapshot()

				re := complaint.Input{Event: complaint.EventReclassify, Actor: complainttest.Agent, Kind: to}
				_, err = f.w.Fire(ctx, c, re)
				var ie *complaint.InputError
				require.ErrorAs(t, err, &ie, "a product kind without a product")
				assert.Equal(t, "product", ie.Field)
				assert.Equal(t, before, c.Snapshot(), "a refused reclassification changes nothing")
				assert.Error(t, f.w.Check(ctx, c, re))

				re.Product = &complaint.Product{Name: "UltraBook 14", Manufacturer: "Lenovo",
					PurchasedAt: local(2025, 12, 1, 12, 0), DeliveredAt: local(2025, 12, 3, 12, 0)}
				re.DefectNoticedAt = local(2026, 2, 27, 18, 0)
				_, err = f.w.Fire(ctx, c, re)
				require.NoError(t, err)
				assert.Equal(t, to, c.Kind())
				assert.Equal(t, "UltraBook 14", c.Product().Name)
				a := c.ClaimAssessment()
				assert.True(t, a.Known, "the claim is assessed when the kind is about a product")
				assert.True(t, local(2027, 12, 4, 0, 0).Equal(a.PeriodEnds), "two years from delivery: %s", a.PeriodEnds)
				assert.True(t, a.WithinPeriod)
				assert.True(t, a.NoticeTimely, "noticed 27 February, received 2 March")
				assert.True(t, local(2026, 3, 2, 9, 0).Equal(a.ReceivedAt))

				back, err := f.w.Restore(c.Snapshot())
				require.NoError(t, err, "whatever Fire accepts, Restore accepts")
				raw, err := json.Marshal(back)
				require.NoError(t, err)
				_, err = f.w.RestoreJSON(raw)
				require.NoError(t, err)
			})
		}
	}
	t.Run("a product given with another event is refused", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
		in := complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService)
		in.Product = &complaint.Product{Name: "x"}
		var ie *complaint.InputError
		require.ErrorAs(t, f.w.Check(ctx, c, in), &ie)
		assert.Equal(t, "product", ie.Field)
	})
	t.Run("a complaint stored by the old code still restores", func(t *testing.T) {
		// Feedback reclassified to a claim with no product, as the
		// previous release accepted: it must load, not be lost.
		f := newFixture(t, complaint.Options{})
		in := complainttest.Intake()
		in.Kind, in.Product = glossary.Feedback, complaint.Product{}
		c, err := f.w.Open(ctx, in)
		require.NoError(t, err)
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReclassify, Actor: complainttest.Agent, Kind: glossary.General})
		require.NoError(t, err)
		s := c.Snapshot()
		s.Kind = glossary.Claim // what the old code stored
		_, err = f.w.Restore(s)
		require.NoError(t, err)
		s.History = s.History[:1]
		s.Version = 1
		_, err = f.w.Restore(s)
		require.ErrorIs(t, err, complaint.ErrInvalidSnapshot, "a claim that was never reclassified needs its product")
	})
}

// owedRepair returns a complaint in final_answer whose answer partly
// upholds it with a repair.
func owedRepair(t *testing.T, f *fixture) *complaint.Complaint {
	t.Helper()
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent, Answer: &complaint.Answer{
		Outcome: escalation.PartlyUpheld, Text: "We repair the laptop.", Remedy: &escalation.Remedy{Kind: escalation.Repair, Text: "A free repair."}}})
	require.NoError(t, err)
	return c
}

// TestWithdrawIsAlwaysTheCustomersRight: a withdrawal is never refused for
// a remedy owed, before or after escalation, and what is owed stays
// recorded.
func TestWithdrawIsAlwaysTheCustomersRight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		escalate bool
		by       glossary.Role
	}{
		{"customer, before escalation", false, glossary.Customer},
		{"customer service with consent, before escalation", false, glossary.CustomerService},
		{"customer, escalated", true, glossary.Customer},
		{"Complaints Department with consent, escalated", true, glossary.ComplaintsDepartment},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			c := owedRepair(t, f)
			if tc.escalate {
				fire(t, f, c, complaint.EventEscalate, glossary.Customer)
			}
			require.True(t, c.Owes())
			actor := complainttest.ActorFor(c, tc.by)
			assert.True(t, f.w.Can(ctx, c, complaint.EventWithdraw, actor), "Can says yes")
			assert.False(t, f.w.Can(ctx, c, complaint.EventAccept, complainttest.ActorFor(c, glossary.Customer)), "accept still waits for the repair")
			fire(t, f, c, complaint.EventWithdraw, tc.by)
			assert.Equal(t, complaint.StateClosed, c.State())
			assert.True(t, c.Owes(), "what is owed stays recorded after the withdrawal")
			g, ok := c.Granted()
			assert.True(t, ok)
			assert.Equal(t, escalation.Repair, g.Kind)
		})
	}
	t.Run("a lifecycle that makes withdrawal wait is refused", func(t *testing.T) {
		lc := complaint.Reference()
		lc.Find(complaint.EventWithdraw, complaint.StateReceived).Settles = true
		_, err := complaint.New(complaint.Options{Lifecycle: &lc})
		require.ErrorIs(t, err, complaint.ErrInvalidConfig)
	})
}

// TestReviewNeverTakesAway: what customer service granted stays owed
// unless the Complaints Department grants something in its place, and a
// decision may not grant less than an answer that upheld in full.
func TestReviewNeverTakesAway(t *testing.T) {
	reject := &escalation.Decision{Outcome: escalation.Rejected, Explanation: "Customer service's answer stands."}
	replace := &escalation.Decision{Outcome: escalation.PartlyUpheld, Explanation: "A replacement instead.",
		Remedy: &escalation.Remedy{Kind: escalation.Replacement}}
	for _, tc := range []struct {
		name     string
		decision *escalation.Decision
		owed     escalation.RemedyKind
	}{
		{"a rejection leaves the repair owed", reject, escalation.Repair},
		{"a replacement in its place", replace, escalation.Replacement},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			c := owedRepair(t, f)
			fire(t, f, c, complaint.EventEscalate, glossary.Customer)
			_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer, Decision: tc.decision})
			require.NoError(t, err)
			g, ok := c.Granted()
			require.True(t, ok)
			assert.Equal(t, tc.owed, g.Kind)
			require.True(t, c.Owes())
			_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventClose, Actor: complainttest.Reviewer})
			require.ErrorIs(t, err, complaint.ErrRemedyOwed, "the case does not close owing the %s", tc.owed)
			_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventFulfil, Actor: complainttest.Agent,
				Fulfilment: &complaint.Fulfilment{Remedy: tc.owed, Reference: "RMA-77"}})
			require.NoError(t, err)
			_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventClose, Actor: complainttest.Reviewer})
			require.NoError(t, err)
		})
	}
	t.Run("less than an upheld answer is refused", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent, Answer: &complaint.Answer{
			Outcome: escalation.Upheld, Text: "A new laptop.", Remedy: &escalation.Remedy{Kind: escalation.Replacement}}})
		require.NoError(t, err)
		fire(t, f, c, complaint.EventEscalate, glossary.Customer)
		before := c.Snapshot()
		_, err = f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer,
			Decision: &escalation.Decision{Outcome: escalation.PartlyUpheld, Explanation: "A repair will do.", Remedy: &escalation.Remedy{Kind: escalation.Repair}}})
		var ie *complaint.InputError
		require.ErrorAs(t, err, &ie)
		assert.Equal(t, "decision.outcome", ie.Field)
		assert.Equal(t, before, c.Snapshot())
	})
}

// TestClocksFromReceipt: a complaint received on Monday and registered on
// Wednesday has its first-response and DOA clocks from Monday, also when
// it becomes DOA later, and its milestone measures from Monday.
func TestClocksFromReceipt(t *testing.T) {
	received := local(2026, 3, 2, 9, 0)   // Monday
	registered := local(2026, 3, 4, 9, 0) // Wednesday
	for _, kind := range []glossary.Term{glossary.DOA, glossary.Claim} {
		t.Run(string(kind), func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(registered)
			in := complainttest.Intake()
			in.Kind, in.ReceivedAt = kind, received
			c, err := f.w.Open(ctx, in)
			require.NoError(t, err)
			fr := deadline(t, c, complaint.DeadlineFirstResponse)
			assert.True(t, received.Equal(fr.Started), "first response starts at receipt, not %s", fr.Started.In(cph))
			assert.True(t, local(2026, 3, 3, 9, 0).Equal(fr.Due), "24 working hours from Monday 09:00: %s", fr.Due.In(cph))
			if kind == glossary.Claim {
				assert.False(t, hasDeadline(c, complaint.DeadlineDOAReplacement))
				_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReclassify, Actor: complainttest.Agent, Kind: glossary.DOA})
				require.NoError(t, err)
			}
			doa := deadline(t, c, complaint.DeadlineDOAReplacement)
			assert.True(t, received.Equal(doa.Started))
			assert.True(t, local(2026, 3, 16, 9, 0).Equal(doa.Due), "14 days from Monday: %s", doa.Due.In(cph))

			f.clock.Set(local(2026, 3, 4, 11, 0))
			fire(t, f, c, complaint.EventStart, glossary.CustomerService)
			ms := f.w.Milestones(c)
			require.True(t, ms.HasFirstResponse)
			// Monday 09:00 to Wednesday 11:00 is 50 hours, all on working days.
			assert.Equal(t, 50*time.Hour, ms.FirstResponse)
			assert.True(t, deadline(t, c, complaint.DeadlineFirstResponse).Breached, "due on Tuesday, met on Wednesday")
		})
	}
}

// TestDOAClockFollowsTheKind: DOA -> claim -> DOA runs the DOA clock
// again from receipt, and a claim that becomes DOA while the customer
// holds the case starts its clock paused: no reminder while they do.
func TestDOAClockFollowsTheKind(t *testing.T) {
	t.Run("DOA, claim, DOA", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		f.clock.Set(local(2026, 3, 2, 9, 0))
		c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
		for _, k := range []glossary.Term{glossary.Claim, glossary.DOA} {
			f.clock.Advance(time.Hour)
			_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReclassify, Actor: complainttest.Agent, Kind: k})
			require.NoError(t, err)
		}
		d := deadline(t, c, complaint.DeadlineDOAReplacement)
		assert.True(t, d.Running(), "the DOA clock runs again")
		assert.False(t, d.NotApplicable)
		assert.True(t, local(2026, 3, 16, 9, 0).Equal(d.Due), "from receipt: %s", d.Due.In(cph))
	})
	t.Run("claim to DOA while awaiting the customer", func(t *testing.T) {
		f := newFixture(t, complaint.Options{})
		f.clock.Set(local(2026, 3, 2, 9, 0))
		in := complainttest.Intake()
		in.Kind = glossary.Claim
		c := complainttest.InState(t, f.w, complaint.StateAwaitingCustomer, &in)
		f.clock.Set(local(2026, 3, 5, 9, 0))
		_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventReclassify, Actor: complainttest.Agent, Kind: glossary.DOA})
		require.NoError(t, err)
		d := deadline(t, c, complaint.DeadlineDOAReplacement)
		assert.True(t, d.Paused(), "paused like the others while the customer holds the case")
		assert.Equal(t, 11*24*time.Hour, d.Remaining, "14 days from Monday less the three that passed")
		f.clock.Set(local(2026, 3, 30, 9, 0))
		for _, n := range f.w.Sweep(f.clock.Now(), []*complaint.Complaint{c}) {
			assert.NotEqual(t, complaint.DeadlineDOAReplacement, n.Data.Deadline.Name, "a paused clock reminds nobody")
		}
		for _, in := range f.w.DueTimers(c, f.clock.Now()) {
			assert.NotEqual(t, "doa_replacement.remind", in.Timer, "a paused clock's timer does not act")
		}
		// The customer answers on 30 March (summer time began on the
		// 29th): 11 calendar days on, at the same time of day.
		_, err = f.w.Fire(ctx, c, complainttest.InputFor(c, complaint.EventProvideInfo, glossary.Customer))
		require.NoError(t, err)
		assert.Equal(t, local(2026, 4, 10, 9, 0), deadline(t, c, complaint.DeadlineDOAReplacement).Due.In(cph))
	})
}

// TestNoODRAnywhere: the closed EU ODR platform is refused in every text
// that reaches a customer, on every Commission host, and in configuration.
func TestNoODRAnywhere(t *testing.T) {
	links := []string{
		"https://ec.europa.eu/consumers/odr/main/",
		"Se webgate.ec.europa.eu/odr/main/index.cfm?event=main.home2.show",
		"<a href=\"https://EC.EUROPA.EU:443/ODR\">klik</a>",
		"(http://ec.europa.eu/odr).",
	}
	f := newFixture(t, complaint.Options{})
	for _, link := range links {
		for _, tc := range []struct {
			field string
			state complaint.State
			in    func(c *complaint.Complaint) complaint.Input
		}{
			{"note", complaint.StateInProgress, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: link}
			}},
			{"note", complaint.StateInProgress, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventRequestInfo, Actor: complainttest.Agent, Note: link}
			}},
			{"answer.text", complaint.StateInProgress, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventAnswer, Actor: complainttest.Agent, Answer: &complaint.Answer{Outcome: escalation.Rejected, Text: link}}
			}},
			{"decision.explanation", complaint.StateEscalated, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventReview, Actor: complainttest.Reviewer, Decision: &escalation.Decision{Outcome: escalation.Rejected, Explanation: link}}
			}},
			{"referral.contact", complaint.StateInProgress, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventRefer, Actor: complainttest.Agent, Referral: &complaint.Referral{Contact: link}}
			}},
			{"fulfilment.reference", complaint.StateInProgress, func(*complaint.Complaint) complaint.Input {
				return complaint.Input{Event: complaint.EventFulfil, Actor: complainttest.Agent, Fulfilment: &complaint.Fulfilment{Remedy: escalation.Replacement, Reference: link}}
			}},
		} {
			c := complainttest.InState(t, f.w, tc.state, nil)
			in := tc.in(c)
			var ie *complaint.InputError
			require.ErrorAs(t, f.w.Check(ctx, c, in), &ie, "%s: %s", in.Event, link)
			assert.Equal(t, tc.field, ie.Field)
			assert.Contains(t, ie.Problem, "ODR")
		}
	}
	// An internal note reaches no customer: a staff member may record
	// what a customer quoted.
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	require.NoError(t, f.w.Check(ctx, c, complaint.Input{Event: complaint.EventInternalNote, Actor: complainttest.Agent, Note: links[0]}))
	// The Commission's other pages are fine.
	require.NoError(t, f.w.Check(ctx, c, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "https://commission.europa.eu/live-work-travel-eu/consumer-rights-and-complaints_en"}))

	for name, opts := range map[string]complaint.Options{
		"department contact":      {ComplaintsDepartmentContact: "https://webgate.ec.europa.eu/odr/"},
		"escalation instructions": {Translations: []complaint.Translation{{Language: "sv", EscalationInstructions: "Klaga på ec.europa.eu/consumers/odr"}}},
		"a label":                 {Translations: []complaint.Translation{{Language: "sv", States: map[complaint.State]string{complaint.StateClosed: "Stängd, se https://ec.europa.eu/odr"}}}},
		"a complaint body":        {ComplaintBodies: []escalation.Body{{Name: "ODR", Address: "Bruxelles", Website: "https://webgate.ec.europa.eu/odr/main"}}},
	} {
		_, err := complaint.New(opts)
		assert.ErrorIs(t, err, complaint.ErrInvalidConfig, name)
	}
}

// TestEscalationWindowEndsWithTheNamedDay: the letter says "until 1
// November 2026"; the customer may escalate all that day.
func TestEscalationWindowEndsWithTheNamedDay(t *testing.T) {
	for _, tc := range []struct {
		name     string
		answered time.Time
		at       time.Time
		allowed  bool
	}{
		{"the named day, afternoon", local(2026, 9, 1, 15, 30), local(2026, 11, 1, 14, 0), true},
		{"the named day, last minute", local(2026, 9, 1, 15, 30), local(2026, 11, 1, 23, 59), true},
		{"the day after", local(2026, 9, 1, 15, 30), local(2026, 11, 2, 0, 0), false},
		// Two months from 31 December end on 28 February.
		{"from 31 December, 28 February", local(2025, 12, 31, 10, 0), local(2026, 2, 28, 20, 0), true},
		{"from 31 December, 1 March", local(2025, 12, 31, 10, 0), local(2026, 3, 1, 0, 0), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, complaint.Options{})
			f.clock.Set(tc.answered.Add(-2 * time.Hour))
			c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
			f.clock.Set(tc.answered)
			fire(t, f, c, complaint.EventAnswer, glossary.CustomerService)
			f.clock.Set(tc.at)
			customer := complainttest.ActorFor(c, glossary.Customer)
			assert.Equal(t, tc.allowed, f.w.Can(ctx, c, complaint.EventEscalate, customer))
			assert.Equal(t, !tc.allowed, f.w.Can(ctx, c, complaint.EventClose, complainttest.System), "the system closes once it has lapsed")
			_, err := f.w.Fire(ctx, c, complaint.Input{Event: complaint.EventEscalate, Actor: customer})
			if tc.allowed {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, complaint.ErrInvalidTransition)
			}
		})
	}
}

// TestMonthsOfTheLaw: periods in months end on the same day number, or on
// the month's last day.
func TestMonthsOfTheLaw(t *testing.T) {
	for _, tc := range []struct {
		from time.Time
		p    complaint.Period
		want time.Time
	}{
		{local(2025, 12, 31, 12, 0), complaint.Months(2), local(2026, 2, 28, 12, 0)},
		{local(2027, 12, 31, 12, 0), complaint.Months(2), local(2028, 2, 29, 12, 0)},
		{local(2026, 1, 31, 12, 0), complaint.Months(1), local(2026, 2, 28, 12, 0)},
		{local(2026, 3, 31, 12, 0), complaint.Months(1), local(2026, 4, 30, 12, 0)},
		{local(2024, 2, 29, 12, 0), complaint.Years(1), local(2025, 2, 28, 12, 0)},
		{local(2024, 2, 29, 12, 0), complaint.Years(4), local(2028, 2, 29, 12, 0)},
		{local(2026, 3, 15, 12, 0), complaint.Months(2), local(2026, 5, 15, 12, 0)},
		{local(2026, 11, 30, 12, 0), complaint.Period{Months: 3, Days: 1}, local(2027, 3, 1, 12, 0)},
	} {
		got := tc.p.AddTo(tc.from, cph)
		assert.True(t, tc.want.Equal(got), "%s + %s = %s, want %s", tc.from.Format(time.DateOnly), tc.p, got.In(cph), tc.want)
	}
	// §81's notice period from a defect noticed on 31 December.
	f := newFixture(t, complaint.Options{})
	f.clock.Set(local(2026, 2, 28, 21, 0))
	in := complainttest.Intake()
	in.Kind, in.DefectNoticedAt = glossary.Claim, local(2025, 12, 31, 20, 0)
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	a := c.ClaimAssessment()
	assert.True(t, local(2026, 3, 1, 0, 0).Equal(a.NoticeEnds), "notice ends with 28 February: %s", a.NoticeEnds.In(cph))
	assert.True(t, a.NoticeTimely)
}

// TestLawMinimums: a consumer policy may not give less than the law.
func TestLawMinimums(t *testing.T) {
	for _, tc := range []struct {
		field  string
		change func(p *complaint.Policy)
	}{
		{"ClaimPeriod", func(p *complaint.Policy) { p.ClaimPeriod = complaint.Months(18) }},
		{"NoticePeriod", func(p *complaint.Policy) { p.NoticePeriod = complaint.Months(1) }},
		{"NoticePeriod", func(p *complaint.Policy) { p.NoticePeriod = complaint.Period{} }},
		{"NoticePeriod", func(p *complaint.Policy) { p.NoticePeriod = complaint.Days(59) }},
		{"Presumption", func(p *complaint.Policy) { p.Presumption = complaint.Months(6) }},
		{"Presumption", func(p *complaint.Policy) { p.Presumption = complaint.Period{} }},
		{"Presumption", func(p *complaint.Policy) { p.Presumption = complaint.Days(365) }},
		{"EarlierPresumption", func(p *complaint.Policy) { p.EarlierPresumption = complaint.Months(3) }},
		{"PresumptionChange", func(p *complaint.Policy) { p.PresumptionChange = time.Date(2023, 1, 1, 0, 0, 0, 0, cph) }},
		{"PresumptionChange", func(p *complaint.Policy) { p.PresumptionChange = time.Date(2022, 1, 1, 0, 0, 1, 0, cph) }},
	} {
		p := complaint.DanishConsumerPolicy()
		tc.change(&p)
		_, err := complaint.New(complaint.Options{ConsumerPolicy: &p})
		var ce *complaint.ConfigError
		if assert.ErrorAs(t, err, &ce, tc.field) {
			assert.Equal(t, "ConsumerPolicy."+tc.field, ce.Field)
		}
	}
	for name, change := range map[string]func(p *complaint.Policy){
		"longer periods": func(p *complaint.Policy) {
			p.ClaimPeriod, p.NoticePeriod, p.Presumption = complaint.Years(3), complaint.Months(3), complaint.Years(2)
		},
		"an earlier change date":  func(p *complaint.Policy) { p.PresumptionChange = time.Date(2021, 1, 1, 0, 0, 0, 0, cph) },
		"one year for everything": func(p *complaint.Policy) { p.EarlierPresumption, p.PresumptionChange = complaint.Period{}, time.Time{} },
		"a later date with a longer earlier": func(p *complaint.Policy) {
			p.EarlierPresumption, p.PresumptionChange = complaint.Years(1), time.Date(2023, 1, 1, 0, 0, 0, 0, cph)
		},
	} {
		p := complaint.DanishConsumerPolicy()
		change(&p)
		_, err := complaint.New(complaint.Options{ConsumerPolicy: &p})
		assert.NoError(t, err, name)
	}
	b := complaint.DanishBusinessPolicy()
	_, err := complaint.New(complaint.Options{BusinessPolicy: &b})
	require.NoError(t, err, "business customers have no notice period or presumption")
}

// TestWarrantyKeepsTheClaimRight: a one-year warranty that lapsed at 18
// months leaves the consumer's two-year claim right.
func TestWarrantyKeepsTheClaimRight(t *testing.T) {
	p := complaint.DanishConsumerPolicy()
	p.Manufacturers = map[string]complaint.ManufacturerTerms{"Lenovo": {Warranty: complaint.Years(1)}}
	f := newFixture(t, complaint.Options{ConsumerPolicy: &p})
	f.clock.Set(local(2026, 9, 10, 10, 0))
	in := complainttest.Intake()
	in.Kind = glossary.Warranty
	in.Product.PurchasedAt, in.Product.DeliveredAt = local(2025, 3, 8, 12, 0), local(2025, 3, 10, 12, 0)
	c, err := f.w.Open(ctx, in)
	require.NoError(t, err)
	a := c.ClaimAssessment()
	assert.True(t, a.Warranty)
	assert.False(t, a.WithinWarranty, "the warranty ended on 10 March 2026")
	assert.True(t, local(2026, 3, 11, 0, 0).Equal(a.WarrantyEnds))
	assert.True(t, a.WithinPeriod, "the claim right runs to 10 March 2027")
	assert.True(t, local(2027, 3, 11, 0, 0).Equal(a.PeriodEnds))
}

// TestErasureReachesFreeText: every free text of a case is erased, and the
// history still replays.
func TestErasureReachesFreeText(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	c := complainttest.InState(t, f.w, complaint.StateInProgress, nil)
	steps := []complaint.Input{
		{Event: complaint.EventRefer, Actor: complainttest.Agent, Referral: &complaint.Referral{Contact: "Lenovo, att. Karen Jensen's case, +45 20 30 40 50"}},
		{Event: complaint.EventResume, Actor: complainttest.Agent, Note: "Back from Lenovo."},
		{Event: complaint.EventFulfil, Actor: complainttest.Agent, Fulfilment: &complaint.Fulfilment{Remedy: escalation.Replacement, Reference: "RMA-77 Karen Jensen"}},
	}
	for _, in := range steps {
		_, err := f.w.Fire(ctx, c, in)
		require.NoError(t, err, in.Event)
	}
	erased := c.Snapshot().Erase(f.clock.Now())
	raw, err := json.Marshal(erased)
	require.NoError(t, err)
	for _, s := range []string{"Karen", "Jensen", "RMA-77", "+45 20"} {
		assert.NotContains(t, string(raw), s)
	}
	for _, n := range c.Pending() {
		raw, err := json.Marshal(n.Erase())
		require.NoError(t, err)
		assert.False(t, strings.Contains(string(raw), "Jensen"), "%s to %s", n.Topic, n.Recipient)
	}
	back, err := f.w.Restore(erased)
	require.NoError(t, err, "the erased case replays")
	assert.Equal(t, "Lenovo", func() string { r, _ := back.Referral(); return r.Manufacturer }(), "who it was referred to is the audit trail")
}

// TestImpartialityInEveryAct: an agent who acted for customer service may
// not act for the Complaints Department on the same complaint, at any
// step.
func TestImpartialityInEveryAct(t *testing.T) {
	f := newFixture(t, complaint.Options{})
	turncoat := glossary.Actor{ID: complainttest.Agent.ID, Role: glossary.ComplaintsDepartment}
	for _, tc := range []struct {
		state complaint.State
		in    complaint.Input
	}{
		{complaint.StateFinalAnswer, complaint.Input{Event: complaint.EventEscalate, Actor: turncoat, Note: "Taking it."}},
		{complaint.StateEscalated, complaint.Input{Event: complaint.EventRequestInfo, Actor: turncoat, Note: "Send photos."}},
		{complaint.StateEscalated, complaint.Input{Event: complaint.EventUpdate, Actor: turncoat, Note: "Still looking."}},
		{complaint.StateEscalated, complaint.Input{Event: complaint.EventInternalNote, Actor: turncoat, Note: "Hm."}},
		{complaint.StateEscalated, complaint.Input{Event: complaint.EventReview, Actor: turncoat,
			Decision: &escalation.Decision{Outcome: escalation.Rejected, Explanation: "Fine as it was."}}},
		{complaint.StateReviewed, complaint.Input{Event: complaint.EventFlagSafety, Actor: turncoat, Note: "The battery swelled."}},
	} {
		c := complainttest.InState(t, f.w, tc.state, nil)
		before := c.Snapshot()
		_, err := f.w.Fire(ctx, c, tc.in)
		var ie *escalation.ImpartialityError
		require.ErrorAs(t, err, &ie, "%s in %s", tc.in.Event, tc.state)
		assert.True(t, errors.Is(err, complaint.ErrNotImpartial))
		assert.Equal(t, before, c.Snapshot())
		// Someone else from the department may.
		other := tc.in
		other.Actor = complainttest.Reviewer
		assert.NoError(t, f.w.Check(ctx, c, other), "%s in %s by an impartial reviewer", tc.in.Event, tc.state)
	}
}
