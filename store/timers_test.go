package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// timerComplaints opens n complaints in received on s at start, in SQL
// directly for speed: each is a copy of one opened by the workflow, so
// every first-response timer falls due together.
func timerComplaints(tb testing.TB, s *store.SQL, w *complaint.Workflow, n int) {
	tb.Helper()
	c, err := store.Receive(ctx, s, w, complainttest.Intake())
	require.NoError(tb, err)
	series := "generate_series(1, $1::int) AS g"
	if s.Dialect() == "sqlite" {
		series = "(WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $1) SELECT g FROM s) AS s"
	}
	for _, q := range []string{`
		INSERT INTO klage_complaints (id, state, version, created_at, updated_at, next_due, data, data_format, customer_id, kind, manufacturer,
			closed_at, first_response_secs, final_answer_secs, decision_secs, timer_due)
		SELECT id || '-' || g, state, version, created_at, updated_at, next_due, replace(data, id, id || '-' || g), data_format, customer_id,
			kind, manufacturer, closed_at, first_response_secs, final_answer_secs, decision_secs, timer_due
		FROM klage_complaints, ` + series + ` WHERE id = $2`, `
		INSERT INTO klage_history (complaint_id, seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer,
			consent_channel, consent_at, request_id, request_hash)
		SELECT complaint_id || '-' || g, seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer,
			consent_channel, consent_at, request_id, request_hash
		FROM klage_history, ` + series + ` WHERE complaint_id = $2`} {
		_, err = s.DB().ExecContext(ctx, q, n-1, c.ID())
		require.NoError(tb, err)
	}
}

// TestTimersAcrossReplicas: three stores on one PostgreSQL, each with its
// own runner, run the timers of 2,000 due complaints at once: every
// reminder is recorded once in the history and written once to the
// outbox.
func TestTimersAcrossReplicas(t *testing.T) {
	const n = 2000
	dsn := postgresDSN(t)
	clock := complainttest.NewClock(complainttest.Start)
	w, err := complaint.New(complaint.Options{Now: clock.Now})
	require.NoError(t, err)
	var stores []*store.SQL
	for range 3 {
		s, err := postgres.Open(ctx, w, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	timerComplaints(t, stores[0], w, n)
	clock.Advance(25 * time.Hour) // the first responses lapse
	var wg sync.WaitGroup
	passes := make([]store.TimerPass, 3)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &store.Timers{Store: s, Workflow: w, BatchSize: 50, NoPurge: true}
			for {
				p, err := r.RunOnce(ctx)
				if !assert.NoError(t, err) {
					return
				}
				passes[i].Acted += p.Acted
				passes[i].Lost += p.Lost
				if p.Claimed == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	db := stores[0].DB()
	var entries, distinct, reminders int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT complaint_id) FROM klage_history WHERE event = 'remind' AND note = 'first_response.remind'`).
		Scan(&entries, &distinct))
	require.NoError(t, db.QueryRowContext(ctx, `SELECT COUNT(*) FROM klage_outbox WHERE topic = 'reminder'`).Scan(&reminders))
	assert.Equal(t, n, entries, "one reminder entry per complaint")
	assert.Equal(t, n, distinct)
	assert.Equal(t, n, reminders, "one reminder in the outbox per complaint")
	acted := passes[0].Acted + passes[1].Acted + passes[2].Acted
	assert.Equal(t, n, acted)
	t.Logf("acted per replica: %d, %d, %d; races lost: %d", passes[0].Acted, passes[1].Acted, passes[2].Acted,
		passes[0].Lost+passes[1].Lost+passes[2].Lost)
}

// TestTimersCrash: a runner cancelled in the middle of a pass leaves
// nothing half-done; the next pass finishes the work, once.
func TestTimersCrash(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		ts := f.s.(store.TimerStore)
		var ids []string
		for range 30 {
			ids = append(ids, f.open(t, complaint.StateReceived).ID())
		}
		f.clock.Advance(25 * time.Hour)
		cctx, cancel := context.WithCancel(ctx)
		fired := 0
		crashing := &crashingStore{TimerStore: ts, after: 10, cancel: cancel, fired: &fired}
		_, err := (&store.Timers{Store: crashing, Workflow: f.w, NoPurge: true, Lease: time.Minute}).RunOnce(cctx)
		require.ErrorIs(t, err, context.Canceled)
		require.Equal(t, 10, fired, "the crash came after ten saves")
		// A restart, once the dead pass's lease has run out.
		f.clock.Advance(2 * time.Minute)
		p, err := (&store.Timers{Store: ts, Workflow: f.w, NoPurge: true}).RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 20, p.Acted, "the rest, and only the rest")
		for _, id := range ids {
			h, err := f.s.History(ctx, id)
			require.NoError(t, err)
			n := 0
			for _, e := range h {
				if e.Event == complaint.EventRemind {
					n++
				}
			}
			assert.Equal(t, 1, n, "%s: one reminder", id)
		}
	})
}

// crashingStore cancels its context after a number of saves: a runner
// killed in the middle of its pass.
type crashingStore struct {
	store.TimerStore
	after  int
	cancel func()
	fired  *int
}

func (c *crashingStore) Save(ctx context.Context, x *complaint.Complaint, v int) error {
	if err := c.TimerStore.Save(ctx, x, v); err != nil {
		return err
	}
	if *c.fired++; *c.fired == c.after {
		c.cancel()
	}
	return nil
}

// TestTimersOverDST: a customer asked for information on the Friday
// before summer time begins is reminded 7 days later at the same time of
// day, on every store.
func TestTimersOverDST(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		cph := f.w.Policy(complaint.Consumer).Location
		f.clock.Set(time.Date(2026, 3, 27, 10, 0, 0, 0, cph))
		c := f.open(t, complaint.StateAwaitingCustomer)
		runner := &store.Timers{Store: f.s.(store.TimerStore), Workflow: f.w, NoPurge: true}
		f.clock.Set(time.Date(2026, 4, 3, 9, 59, 0, 0, cph))
		p, err := runner.RunOnce(ctx)
		require.NoError(t, err)
		assert.Zero(t, p.Acted, "9:59 on 3 April: not yet, though 7 × 24 hours have passed")
		f.clock.Set(time.Date(2026, 4, 3, 10, 0, 0, 0, cph))
		p, err = runner.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, 1, p.Acted)
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, "customer_reply.remind", got.Last().Note)
		assert.Equal(t, glossary.System, got.Last().Actor.Role)
	})
}

// BenchmarkTimersDue: one pass of a runner over 1,000 due complaints among
// 10,000 and among 200,000: the larger table costs about the same (the
// index finds what is due; a scan would cost twenty times as much).
//
//	go test -run '^$' -bench TimersDue -benchtime 3x -count 3 ./store/
func BenchmarkTimersDue(b *testing.B) {
	for _, be := range sqlBackends {
		for _, total := range []int{10_000, 200_000} {
			b.Run(fmt.Sprintf("%s/%d", strings.ToLower(be.name), total), func(b *testing.B) {
				clock := complainttest.NewClock(complainttest.Start)
				w, err := complaint.New(complaint.Options{Now: clock.Now})
				require.NoError(b, err)
				s, err := openSQL(ctx, w, be.dsn(b))
				require.NoError(b, err)
				b.Cleanup(func() { s.Close() })
				timerComplaints(b, s, w, total)
				_, err = s.DB().ExecContext(ctx, `ANALYZE`)
				require.NoError(b, err)
				r := &store.Timers{Store: s, Workflow: w, BatchSize: 1000, NoPurge: true}
				for b.Loop() {
					b.StopTimer()
					// 1,000 complaints due, the rest not for a year.
					cast := "::bigint"
					if s.Dialect() == "sqlite" {
						cast = ""
					}
					_, err := s.DB().ExecContext(ctx, `UPDATE klage_complaints SET timer_due = CASE WHEN id IN
						(SELECT id FROM klage_complaints ORDER BY id LIMIT 1000) THEN $1`+cast+` ELSE $2`+cast+` END, timer_lease = NULL`,
						clock.Now().UnixNano(), clock.Now().Add(365*24*time.Hour).UnixNano())
					require.NoError(b, err)
					b.StartTimer()
					p, err := r.RunOnce(ctx)
					require.NoError(b, err)
					require.Equal(b, 1000, p.Claimed)
				}
			})
		}
	}
}

// TestEveryTimerOnEveryStore: each timer of the reference lifecycle, on
// every store, at its time and not before, across weekends, Danish
// holidays and a daylight-saving change.
func TestEveryTimerOnEveryStore(t *testing.T) {
	cph := complaint.DanishConsumerPolicy().Location
	at := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cph) }
	for _, tc := range []struct {
		name   string
		start  time.Time
		state  complaint.State
		kind   glossary.Term
		before time.Time // nothing acts here
		due    time.Time // and here the timers act
		want   []string
	}{
		{"first response over Easter", at(2026, 4, 1, 16), complaint.StateReceived, glossary.Claim,
			at(2026, 4, 7, 15), at(2026, 4, 7, 16), []string{"first_response.remind"}}, // Maundy Thursday to Easter Monday are holidays
		{"first response's second reminder a working day on", at(2026, 4, 1, 16), complaint.StateReceived, glossary.Claim,
			at(2026, 4, 8, 15), at(2026, 4, 8, 16), []string{"first_response.remind", "first_response.repeat"}},
		{"progress update over the end of summer time", at(2026, 10, 23, 12), complaint.StateInProgress, glossary.Claim,
			at(2026, 10, 26, 10), at(2026, 10, 26, 11), []string{"progress_update.remind"}}, // 72 elapsed hours: one hour earlier on the wall
		{"customer chased over Christmas", at(2026, 12, 22, 9), complaint.StateAwaitingCustomer, glossary.Claim,
			at(2026, 12, 29, 8), at(2026, 12, 29, 9), []string{"customer_reply.remind"}},
		{"DOA replacement overdue", at(2026, 3, 2, 9), complaint.StateInProgress, glossary.DOA,
			at(2026, 3, 16, 8), at(2026, 3, 16, 9), []string{"doa_replacement.remind"}},
		{"review decision overdue", at(2026, 3, 2, 9), complaint.StateEscalated, glossary.Claim,
			at(2026, 4, 1, 8), at(2026, 4, 1, 9), []string{"review_decision.remind"}},
		{"escalation window closes after the named day", at(2026, 9, 1, 15), complaint.StateFinalAnswer, glossary.Claim,
			at(2026, 11, 1, 23), at(2026, 11, 2, 0), []string{"escalation_window.close"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachStore(t, func(t *testing.T, f *fixture) {
				f.clock.Set(tc.start)
				in := complainttest.Intake()
				in.Kind = tc.kind
				c, err := store.Receive(ctx, f.s, f.w, in)
				require.NoError(t, err)
				for _, e := range complainttest.PathTo(f.w, tc.state) {
					for _, r := range []glossary.Role{glossary.CustomerService, glossary.Customer, glossary.ComplaintsDepartment} {
						input := complainttest.InputFor(c, e, r)
						if f.w.Check(ctx, c, input) == nil {
							c, _, err = store.Fire(ctx, f.s, f.w, c.ID(), input, store.FireOptions{})
							require.NoError(t, err)
							break
						}
					}
				}
				require.Equal(t, tc.state, c.State())
				runner := &store.Timers{Store: f.s.(store.TimerStore), Workflow: f.w, NoPurge: true}
				acted := func() []string {
					_, err := runner.RunOnce(ctx)
					require.NoError(t, err)
					h, err := f.s.History(ctx, c.ID())
					require.NoError(t, err)
					var names []string
					for _, e := range h {
						if e.Actor.Role == glossary.System && e.Note != "" {
							names = append(names, e.Note)
						}
					}
					return names
				}
				f.clock.Set(tc.before)
				for _, name := range acted() {
					assert.NotContains(t, tc.want[len(tc.want)-1:], name, "%s acted early, at %s", name, tc.before)
				}
				f.clock.Set(tc.due)
				got := acted()
				for _, w := range tc.want {
					assert.Contains(t, got, w)
				}
				again := acted()
				assert.Equal(t, got, again, "a second pass acts no more")
			})
		})
	}
}
