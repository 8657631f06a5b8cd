package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/escalation"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// reportData fills f's store with complaints of every shape a report
// counts and returns the query over them and their ids in order: a DOA
// replaced and accepted (rated 5), a claim rejected then partly upheld
// by the Complaints Department (rated 2), a warranty case withdrawn while
// with the manufacturer, feedback by chat, a safety matter left waiting, a
// business customer's case in progress; and one opened before the range.
func reportData(t testing.TB, f *fixture) (store.ReportQuery, []string) {
	t.Helper()
	old := complainttest.Intake()
	_, err := store.Receive(ctx, f.s, f.w, old)
	require.NoError(t, err)
	f.clock.Advance(48 * time.Hour)
	from := f.clock.Now().Add(-time.Hour)

	open := func(edit func(*complaint.Intake)) string {
		in := complainttest.Intake()
		if edit != nil {
			edit(&in)
		}
		c, err := store.Receive(ctx, f.s, f.w, in)
		require.NoError(t, err)
		return c.ID()
	}
	fire := func(id string, e complaint.Event, r glossary.Role, after time.Duration, edit func(*complaint.Input)) {
		t.Helper()
		f.clock.Advance(after)
		c, err := f.s.Get(ctx, id)
		require.NoError(t, err)
		in := complainttest.InputFor(c, e, r)
		if edit != nil {
			edit(&in)
		}
		_, _, err = store.Fire(ctx, f.s, f.w, id, in, store.FireOptions{})
		require.NoError(t, err, "%s on %s", e, id)
	}
	rater, ok := f.s.(store.Rater)
	require.True(t, ok)
	rate := func(id string, score int) {
		c, err := f.s.Get(ctx, id)
		require.NoError(t, err)
		require.NoError(t, rater.Rate(ctx, id, complainttest.ActorFor(c, glossary.Customer), complaint.Rating{Score: score, Comment: "Tak."}))
	}
	cs, cd, cu := glossary.CustomerService, glossary.ComplaintsDepartment, glossary.Customer
	replacement := &escalation.Remedy{Kind: escalation.Replacement, Text: "A new laptop."}

	doa := open(nil)
	fire(doa, complaint.EventStart, cs, 3*time.Hour, nil)
	fire(doa, complaint.EventAnswer, cs, 24*time.Hour, func(in *complaint.Input) {
		in.Answer = &complaint.Answer{Outcome: escalation.Upheld, Text: "A new one.", Remedy: replacement}
	})
	fire(doa, complaint.EventFulfil, cs, 24*time.Hour, nil)
	fire(doa, complaint.EventAccept, cu, time.Hour, nil)
	rate(doa, 5)

	claim := open(func(in *complaint.Intake) {
		in.Kind, in.Product.Name, in.Product.Manufacturer = glossary.Claim, "Kettle 2000", "Acme"
	})
	fire(claim, complaint.EventStart, cs, 5*time.Hour, nil)
	fire(claim, complaint.EventAnswer, cs, 48*time.Hour, nil) // rejected
	fire(claim, complaint.EventEscalate, cu, time.Hour, nil)
	fire(claim, complaint.EventReview, cd, 80*time.Hour, nil) // partly upheld, a repair, a finding on returns
	fire(claim, complaint.EventFulfil, cs, 24*time.Hour, nil)
	fire(claim, complaint.EventClose, cd, time.Hour, nil)
	rate(claim, 2)

	warranty := open(func(in *complaint.Intake) { in.Kind = glossary.Warranty })
	fire(warranty, complaint.EventStart, cs, time.Hour, nil)
	fire(warranty, complaint.EventRefer, cs, time.Hour, nil)
	fire(warranty, complaint.EventWithdraw, cu, time.Hour, nil)

	feedback := open(func(in *complaint.Intake) {
		in.Kind, in.Channel, in.Product, in.RemedySought = glossary.Feedback, glossary.Chat, complaint.Product{}, escalation.Remedy{}
	})
	safety := open(func(in *complaint.Intake) { in.Safety, in.Product.Name = true, "Kettle 2000" })
	business := open(func(in *complaint.Intake) {
		in.Customer.ID, in.Customer.Type = "acme-aps", complaint.Business
	})
	fire(business, complaint.EventStart, cs, time.Hour, nil)

	f.clock.Advance(10 * 24 * time.Hour)
	return store.ReportQuery{From: from, To: f.clock.Now(), Now: f.clock.Now()}, []string{doa, claim, warranty, feedback, safety, business}
}

// TestReport computes one report on every store over the same complaints:
// the figures are those the data says, and the same everywhere.
func TestReport(t *testing.T) {
	var reports []store.Report
	forEachStore(t, func(t *testing.T, f *fixture) {
		q, ids := reportData(t, f)
		rep, err := f.s.(store.Reporter).Report(ctx, q)
		require.NoError(t, err)
		doa, claim := ids[0], ids[1]

		assert.Equal(t, 6, rep.Opened, "the complaint before the range is left out")
		assert.Equal(t, 3, rep.Closed)
		assert.Equal(t, 3, rep.Open)
		assert.Equal(t, map[complaint.State]int{complaint.StateClosed: 3, complaint.StateReceived: 2, complaint.StateInProgress: 1}, rep.ByState)
		assert.Equal(t, map[glossary.Term]int{glossary.DOA: 3, glossary.Claim: 1, glossary.Warranty: 1, glossary.Feedback: 1}, rep.ByKind)
		assert.Equal(t, map[glossary.Channel]int{glossary.Email: 5, glossary.Chat: 1}, rep.ByChannel)
		assert.Equal(t, map[string]int{"lenovo": 4, "acme": 1}, rep.ByManufacturer)
		assert.Equal(t, []store.Count{{Name: "UltraBook 14", Count: 3}, {Name: "Kettle 2000", Count: 2}}, rep.TopProducts)
		assert.Equal(t, map[escalation.Outcome]int{escalation.Upheld: 1, escalation.PartlyUpheld: 1}, rep.ByOutcome)
		assert.Equal(t, 0.5, rep.EscalationRate, "one of two final answers escalated")
		assert.Equal(t, 1.0, rep.OverturnRate, "the one decision gave more than the answer")
		assert.InDelta(t, 1.0/3, rep.WithdrawalRate, 1e-9)
		assert.Equal(t, map[escalation.RemedyKind]int{escalation.Replacement: 1, escalation.Repair: 1}, rep.RemediesGranted)
		assert.InDelta(t, 1.0/3, rep.DOAReplacedWithin14Days, 1e-9, "one of the three DOA replacements was fulfilled in time")
		assert.Equal(t, []store.AreaCount{{Area: "returns", Count: 1, Complaints: []string{claim}}}, rep.FindingsByArea)
		assert.Equal(t, map[glossary.Channel]int{glossary.Chat: 1}, rep.FeedbackByChannel)
		assert.Equal(t, []store.Count{{Name: "Kettle 2000", Count: 1}}, rep.SafetyByProduct)
		started, breached := map[complaint.DeadlineName]int{}, map[complaint.DeadlineName]int{}
		for _, id := range ids {
			c, err := f.s.Get(ctx, id)
			require.NoError(t, err)
			for _, d := range c.Deadlines() {
				started[d.Name]++
				if d.Breached {
					breached[d.Name]++
				}
			}
		}
		require.Len(t, rep.BreachRate, len(started))
		for n, total := range started {
			assert.InDelta(t, float64(breached[n])/float64(total), rep.BreachRate[n], 1e-9, n)
		}
		assert.Positive(t, rep.BreachRate[complaint.DeadlineProgressUpdate], "the Complaints Department took longer than the 72-hour cadence")
		assert.Positive(t, rep.OverdueByOwner[glossary.CustomerService], "the two complaints still received")
		assert.Equal(t, 4, rep.TimeToFirstResponse.Count, "four were started")
		assert.Equal(t, 2, rep.TimeToFinalAnswer.Count)
		assert.Equal(t, int64(80*3600), rep.TimeToDecision.Median, "80 hours, in calendar days")
		assert.Equal(t, store.Satisfaction{Average: 3.5, Count: 2, Distribution: map[int]int{5: 1, 2: 1},
			ByKind:    map[glossary.Term]store.Mean{glossary.DOA: {Average: 5, Count: 1}, glossary.Claim: {Average: 2, Count: 1}},
			Escalated: store.Mean{Average: 2, Count: 1}, NotEscalated: store.Mean{Average: 5, Count: 1}}, rep.Satisfaction)
		_ = doa

		// Filters narrow the cohort.
		only, err := f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: q.From, To: q.To, Now: q.Now, Kind: glossary.DOA, CustomerType: complaint.Consumer})
		require.NoError(t, err)
		assert.Equal(t, 2, only.Opened)
		chat, err := f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: q.From, To: q.To, Now: q.Now, Channel: glossary.Chat})
		require.NoError(t, err)
		assert.Equal(t, 1, chat.Opened)
		acme, err := f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: q.From, To: q.To, Now: q.Now, Manufacturer: "ACME"})
		require.NoError(t, err)
		assert.Equal(t, 1, acme.Opened)

		_, err = f.s.(store.Reporter).Report(ctx, store.ReportQuery{From: q.To, To: q.From})
		assert.ErrorIs(t, err, store.ErrInvalidReport)

		// A report cancelled midway (after its first statement; on
		// PostgreSQL, after it filled its temporary cohort table) fails
		// with the context's error and holds no connection afterwards.
		cancelled, cancel := context.WithCancel(ctx)
		statements := 0
		stop := store.TraceReport(func(string, []any) {
			if statements++; statements == 2 {
				cancel()
			}
		})
		sqlStore, isSQL := f.s.(*store.SQL)
		if !isSQL {
			cancel() // the memory store runs no statements
		}
		_, err = f.s.(store.Reporter).Report(cancelled, q)
		stop()
		require.ErrorIs(t, err, context.Canceled)
		if isSQL {
			assert.Equal(t, 2, statements, "cancelled at its second statement")
			// database/sql rolls a transaction back from its own goroutine
			// when the context is cancelled: the connection comes back
			// soon after the report returns, not necessarily before.
			assert.Eventually(t, func() bool { return sqlStore.DB().Stats().InUse == 0 }, 10*time.Second, 5*time.Millisecond,
				"the cancelled report gave its connection back")
		}

		// Reports run side by side (on PostgreSQL each in its own
		// transaction, over its own temporary cohort table) and agree.
		var wg sync.WaitGroup
		side := make([]store.Report, 4)
		errs := make([]error, len(side))
		for i := range side {
			wg.Add(1)
			go func() {
				defer wg.Done()
				side[i], errs[i] = f.s.(store.Reporter).Report(ctx, q)
			}()
		}
		wg.Wait()
		for i := range side {
			require.NoError(t, errs[i])
			assert.Equal(t, rep, side[i], "report %d of those run side by side", i)
		}
		reports = append(reports, rep)
	})
	for i := 1; i < len(reports); i++ {
		assert.Equal(t, reports[0], reports[i], "every store gives the same report")
	}
}

func TestRating(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		rater := f.s.(store.Rater)
		open := f.open(t, complaint.StateInProgress)
		closed := f.open(t, complaint.StateClosed)
		customer := complainttest.ActorFor(closed, glossary.Customer)
		require.ErrorIs(t, rater.Rate(ctx, open.ID(), customer, complaint.Rating{Score: 4}), complaint.ErrNotRatable)
		require.ErrorIs(t, rater.Rate(ctx, closed.ID(), complainttest.Agent, complaint.Rating{Score: 4}), complaint.ErrForbidden)
		require.ErrorIs(t, rater.Rate(ctx, closed.ID(), glossary.Actor{ID: "someone-else", Role: glossary.Customer}, complaint.Rating{Score: 4}), complaint.ErrForbidden)
		require.ErrorIs(t, rater.Rate(ctx, closed.ID(), customer, complaint.Rating{Score: 6}), complaint.ErrInvalidInput)
		require.ErrorIs(t, rater.Rate(ctx, "nope", customer, complaint.Rating{Score: 4}), store.ErrNotFound)
		require.ErrorIs(t, rater.Rate(ctx, closed.ID(), customer, complaint.Rating{Score: 3, Comment: strings.Repeat("x", complaint.MaxTextLen+1)}),
			complaint.ErrInvalidInput)
		require.ErrorIs(t, f.w.CheckRating(nil, customer, complaint.Rating{Score: 3}), complaint.ErrInvalidInput)
		_, ok, err := rater.Rating(ctx, closed.ID())
		require.NoError(t, err)
		assert.False(t, ok, "refused ratings write nothing")

		require.NoError(t, rater.Rate(ctx, closed.ID(), customer, complaint.Rating{Score: 4, Comment: "Fint."}))
		require.ErrorIs(t, rater.Rate(ctx, closed.ID(), customer, complaint.Rating{Score: 1}), store.ErrRated, "once")
		got, ok, err := rater.Rating(ctx, closed.ID())
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, complaint.Rating{Score: 4, Comment: "Fint.", At: f.clock.Now()}, complaint.Rating{Score: got.Score, Comment: got.Comment, At: got.At.UTC()})
	})
}

// TestReportSkipsUnreadableRows: a complaint row that is not valid JSON,
// and one that is JSON but no complaint, are left out of a report and
// counted; the rest of the report is what it would be without them.
func TestReportSkipsUnreadableRows(t *testing.T) {
	forEachSQL(t, func(t *testing.T, f *fixture, s *store.SQL, _ string) {
		q, ids := reportData(t, f)
		want, err := s.Report(ctx, q)
		require.NoError(t, err)
		extra := []*complaint.Complaint{f.open(t, complaint.StateReceived), f.open(t, complaint.StateReceived)}
		for i, data := range []string{`{"id": "broken`, `[1, 2, 3]`} {
			_, err := s.DB().ExecContext(ctx, rebind(s, `UPDATE klage_complaints SET data = ?, created_at = (SELECT created_at FROM klage_complaints WHERE id = ?) WHERE id = ?`),
				data, ids[0], extra[i].ID())
			require.NoError(t, err)
		}
		got, err := s.Report(ctx, q)
		require.NoError(t, err, "a damaged row does not fail the report")
		assert.Equal(t, 2, got.Unreadable)
		got.Unreadable = 0
		assert.Equal(t, want, got, "the rest of the report is as before")
	})
}
