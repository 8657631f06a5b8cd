package store_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
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
	"github.com/klageflow/klage/store/sqlite"
)

func keys(ms []store.Message) []string {
	out := make([]string, len(ms))
	for i := range ms {
		out[i] = ms[i].Key()
	}
	return out
}

func TestCreateAndGet(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c, err := f.w.Open(ctx, complainttest.Intake())
		require.NoError(t, err)
		want := c.Snapshot()
		require.Len(t, want.Pending, 1)
		require.NoError(t, f.s.Create(ctx, c))
		assert.Empty(t, c.Pending(), "the store took the pending notifications")

		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		want.Pending = nil
		assert.Equal(t, want, got.Snapshot())

		ns, err := f.s.Notifications(ctx, c.ID())
		require.NoError(t, err)
		require.Len(t, ns, 1)
		assert.Equal(t, complaint.TopicAcknowledged, ns[0].Topic)
		assert.Equal(t, c.ID()+"/1/acknowledged/customer", ns[0].Key())
		assert.False(t, ns[0].Delivered())
		assert.Equal(t, "karen@example.dk", ns[0].Data.Customer.Email)

		err = f.s.Create(ctx, got)
		assert.ErrorIs(t, err, store.ErrExists)
	})
}

func TestGetUnknown(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		_, err := f.s.Get(ctx, "K-404")
		var nf *store.NotFoundError
		require.ErrorAs(t, err, &nf)
		assert.Equal(t, "K-404", nf.ID)
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.History(ctx, "K-404")
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.Notifications(ctx, "K-404")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestTransitionLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress)
		produced := 2 // acknowledged, started
		for _, step := range []struct {
			e complaint.Event
			r glossary.Role
		}{
			{complaint.EventRefer, glossary.CustomerService},
			{complaint.EventUpdate, glossary.CustomerService},
			{complaint.EventResume, glossary.Manufacturer},
			{complaint.EventRequestInfo, glossary.CustomerService},
			{complaint.EventProvideInfo, glossary.Customer},
			{complaint.EventAnswer, glossary.CustomerService},
			{complaint.EventEscalate, glossary.Customer},
			{complaint.EventReview, glossary.ComplaintsDepartment},
			{complaint.EventFulfil, glossary.CustomerService},
			{complaint.EventClose, glossary.ComplaintsDepartment},
		} {
			f.clock.Advance(time.Hour)
			got, tr, err := store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, step.e, step.r), store.FireOptions{})
			require.NoError(t, err, "%s", step.e)
			produced += tr.Produced
			c = got
		}
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, complaint.StateClosed, got.State())
		assert.Equal(t, 12, got.Version(), "open, start and ten steps")
		assert.Equal(t, f.w.SnapshotTail(c, 1), f.w.SnapshotTail(got, 1))

		h, err := f.s.History(ctx, c.ID())
		require.NoError(t, err)
		assertHistoryEnds(t, got, h)
		ns, err := f.s.Notifications(ctx, c.ID())
		require.NoError(t, err)
		assert.Len(t, ns, produced, "every notification produced is in the outbox")
		seq := 0
		for _, n := range ns {
			assert.GreaterOrEqual(t, n.Seq, seq, "in the order they were produced")
			seq = n.Seq
		}
		d, _ := got.Decision()
		assert.Len(t, d.Findings, 1, "the decision's findings are stored")
	})
}

func TestTransitionRefusedWritesNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateReceived)
		_, _, err := store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventEscalate, glossary.Customer), store.FireOptions{})
		require.ErrorIs(t, err, complaint.ErrInvalidTransition)
		_, _, err = store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.Customer), store.FireOptions{})
		require.ErrorIs(t, err, complaint.ErrForbidden)
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, 1, got.Version())
		ns, err := f.s.Notifications(ctx, c.ID())
		require.NoError(t, err)
		assert.Len(t, ns, 1)

		_, _, err = store.Fire(ctx, f.s, f.w, "K-404", complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestTransitionExpectedVersion(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress)
		in := complainttest.InputFor(c, complaint.EventUpdate, glossary.CustomerService)
		_, _, err := store.Fire(ctx, f.s, f.w, c.ID(), in, store.FireOptions{ExpectedVersion: c.Version() - 1})
		var ce *store.ConflictError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, c.Version(), ce.Actual)
		got, tr, err := store.Fire(ctx, f.s, f.w, c.ID(), in, store.FireOptions{ExpectedVersion: c.Version()})
		require.NoError(t, err)
		assert.Equal(t, c.Version()+1, got.Version())
		assert.Equal(t, complaint.EventUpdate, tr.Entry.Event)
	})
}

// TestConcurrentTransitionsRetry races goroutines posting updates to one
// complaint: each must land once, retrying on conflict.
func TestConcurrentTransitionsRetry(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "update " + string(rune('A'+i))}
				_, _, err := store.Fire(ctx, f.s, f.w, c.ID(), in, store.FireOptions{MaxAttempts: 2 * n})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, c.Version()+n, got.Version())
		h, err := f.s.History(ctx, c.ID())
		require.NoError(t, err)
		require.Len(t, h, c.Version()+n)
		notes := map[string]bool{}
		for i, e := range h {
			assert.Equal(t, i+1, e.Seq)
			if e.Event == complaint.EventUpdate {
				assert.False(t, notes[e.Note], "update %q landed twice", e.Note)
				notes[e.Note] = true
			}
		}
		assert.Len(t, notes, n)
	})
}

func TestList(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		received := f.open(t, complaint.StateReceived)
		f.clock.Advance(time.Hour)
		working := f.open(t, complaint.StateInProgress)
		f.clock.Advance(time.Hour)
		working2 := f.open(t, complaint.StateInProgress)
		closed := f.open(t, complaint.StateClosed)

		ids := func(cs []*complaint.Complaint) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c.ID())
			}
			return out
		}
		all, err := listAll(ctx, f.s, store.Filter{})
		require.NoError(t, err)
		assert.Equal(t, []string{received.ID(), working.ID(), working2.ID(), closed.ID()}, ids(all))

		inProgress, err := listAll(ctx, f.s, store.Filter{State: complaint.StateInProgress})
		require.NoError(t, err)
		assert.Equal(t, []string{working.ID(), working2.ID()}, ids(inProgress))

		// Pages of one, each after the last.
		var paged []string
		pf := store.Filter{Limit: 1}
		for {
			page, err := f.s.List(ctx, pf)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Complaints), 1)
			paged = append(paged, ids(page.Complaints)...)
			if page.Next == "" {
				break
			}
			pf.Cursor = page.Next
		}
		assert.Equal(t, ids(all), paged)
		// A cursor belongs to its query.
		first, err := f.s.List(ctx, store.Filter{Limit: 1})
		require.NoError(t, err)
		_, err = f.s.List(ctx, store.Filter{Limit: 1, State: complaint.StateClosed, Cursor: first.Next})
		assert.ErrorIs(t, err, store.ErrInvalidCursor)
		_, err = f.s.List(ctx, store.Filter{Cursor: "not-a-cursor"})
		assert.ErrorIs(t, err, store.ErrInvalidCursor)

		// first response is due 24h after Start; progress 72h after each start.
		at := complainttest.Start.Add(25 * time.Hour)
		overdue, err := listAll(ctx, f.s, store.Filter{OverdueAt: at})
		require.NoError(t, err)
		assert.Equal(t, []string{received.ID()}, ids(overdue))

		at = complainttest.Start.Add(80 * time.Hour)
		overdue, err = listAll(ctx, f.s, store.Filter{OverdueAt: at})
		require.NoError(t, err)
		assert.Equal(t, []string{received.ID(), working.ID(), working2.ID()}, ids(overdue), "earliest due first; closed complaints have no clock")
		for _, c := range overdue {
			assert.NotEmpty(t, c.Overdue(at))
		}
		assert.Len(t, f.w.Sweep(at, overdue), 3)
		// Filters.
		other := f.openFor(t, "customer-2", complaint.StateReceived)
		for name, tc := range map[string]struct {
			f    store.Filter
			want []string
		}{
			"customer":        {store.Filter{CustomerID: "customer-2"}, []string{other.ID()}},
			"manufacturer":    {store.Filter{Manufacturer: "LENOVO"}, []string{received.ID(), working.ID(), working2.ID(), closed.ID(), other.ID()}},
			"no manufacturer": {store.Filter{Manufacturer: "asus"}, nil},
			"kind":            {store.Filter{Kind: glossary.DOA}, []string{received.ID(), working.ID(), working2.ID(), closed.ID(), other.ID()}},
			"other kind":      {store.Filter{Kind: glossary.Warranty}, nil},
			"created from":    {store.Filter{CreatedFrom: complainttest.Start.Add(time.Hour)}, []string{working.ID(), working2.ID(), closed.ID(), other.ID()}},
			"created before":  {store.Filter{CreatedBefore: complainttest.Start.Add(time.Hour)}, []string{received.ID()}},
			"both":            {store.Filter{CreatedFrom: complainttest.Start.Add(time.Hour), CreatedBefore: complainttest.Start.Add(2 * time.Hour)}, []string{working.ID()}},
		} {
			got, err := listAll(ctx, f.s, tc.f)
			require.NoError(t, err, name)
			assert.Equal(t, tc.want, ids(got), name)
		}

	})
}

func TestRelayDelivers(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		a := f.open(t, complaint.StateEscalated)
		b := f.open(t, complaint.StateInProgress)
		pending, err := f.s.Pending(ctx, 100)
		require.NoError(t, err)
		want := keys(pending)
		require.Len(t, want, 4+2) // acknowledged, final_answer, escalated twice; acknowledged, started

		rec := &complainttest.Recorder{}
		relay := &store.Relay{Outbox: f.s, Notifier: rec, BatchSize: 3, Now: f.clock.Now}
		total := 0
		for range 10 {
			batch, err := relay.RunOnce(ctx)
			require.NoError(t, err)
			total += batch.Delivered
			if batch.Delivered == 0 {
				break
			}
		}
		assert.Equal(t, 6, total)
		assert.ElementsMatch(t, want, rec.Keys(), "delivered once each")
		assertComplaintOrder(t, want, rec.Keys())
		pending, err = f.s.Pending(ctx, 100)
		require.NoError(t, err)
		assert.Empty(t, pending)
		for _, id := range []string{a.ID(), b.ID()} {
			ns, err := f.s.Notifications(ctx, id)
			require.NoError(t, err)
			for _, n := range ns {
				assert.True(t, n.Delivered(), n.Key())
				assert.Equal(t, 1, n.Attempts)
			}
		}
	})
}

func TestRelayBacksOff(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress) // acknowledged, started
		down := errors.New("smtp down")
		rec := &complainttest.Recorder{}
		rec.FailWith(func(complaint.Notification) error { return down })
		relay := &store.Relay{Outbox: f.s, Notifier: rec, Now: f.clock.Now,
			RetryAfter: func(n int) time.Duration { return time.Duration(n) * time.Minute }}

		batch, err := relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Failed: 1}, batch, "the second waits behind the first of its complaint")
		ns, err := f.s.Notifications(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, 1, ns[0].Attempts)
		assert.Equal(t, "smtp down", ns[0].LastError)
		assert.Equal(t, f.clock.Now().Add(time.Minute), ns[0].NextAttempt)
		assert.Equal(t, 0, ns[1].Attempts)

		// The first is not due yet; the second is tried on its own.
		batch, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Failed: 1}, batch)
		batch, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{}, batch, "nothing is due")

		rec.FailWith(nil)
		f.clock.Advance(time.Minute)
		batch, err = relay.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, store.Batch{Delivered: 2}, batch)
		ns, err = f.s.Notifications(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, 2, ns[0].Attempts)
		assert.True(t, ns[0].Delivered())
		assert.Equal(t, 2, ns[1].Attempts)
		assert.Equal(t, []string{c.ID() + "/1/acknowledged/customer", c.ID() + "/2/started/customer"}, rec.Keys())
	})
}

// TestConcurrentRelays runs relays side by side: no notification is
// delivered twice when none fails.
func TestConcurrentRelays(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		for range 10 {
			f.open(t, complaint.StateFinalAnswer)
		}
		pending, err := f.s.Pending(ctx, 1000)
		require.NoError(t, err)
		rec := &complainttest.Recorder{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				relay := &store.Relay{Outbox: f.s, Notifier: rec, BatchSize: 2, Now: f.clock.Now}
				for {
					b, err := relay.RunOnce(ctx)
					if err != nil {
						t.Error(err)
						return
					}
					if b.Delivered == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		assert.ElementsMatch(t, keys(pending), rec.Keys(), "each delivered exactly once")
	})
}

func TestCancelledContext(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateReceived)
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := f.s.Get(cancelled, c.ID())
		assert.ErrorIs(t, err, context.Canceled)
		_, _, err = store.Fire(cancelled, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
		assert.ErrorIs(t, err, context.Canceled)
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, 1, got.Version(), "nothing was written")
		_, _, err = store.Fire(ctx, f.s, f.w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
		assert.NoError(t, err, "the store stays usable")
	})
}

// TestSaveStaleCopy saves a copy loaded before the last change, claiming
// the stored version: the store refuses it rather than going back in time.
func TestSaveStaleCopy(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateInProgress)
		stale, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		now := f.fire(t, c.ID(), complaint.EventRequestInfo)

		for _, expected := range []int{now.Version(), 0, -1} {
			err := f.s.Save(ctx, stale, expected)
			assert.ErrorIs(t, err, store.ErrConflict, "expected version %d", expected)
		}
		got, err := f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		assert.Equal(t, f.w.SnapshotTail(now, 1), f.w.SnapshotTail(got, 1), "the stored complaint did not go back in time")
	})
}

func TestRelayNeedsStoreAndNotifier(t *testing.T) {
	f := newFixture(t)
	for _, r := range []*store.Relay{{Notifier: &complainttest.Recorder{}}, {Outbox: store.NewMemory(f.w)}} {
		_, err := r.RunOnce(ctx)
		assert.Error(t, err)
	}
}

// TestWorkflowWithNotifierRefused: the store helpers refuse a workflow that
// would notify before the store has saved, and nothing is sent or written.
func TestWorkflowWithNotifierRefused(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateReceived)
		rec := &complainttest.Recorder{}
		w, err := complaint.New(complaint.Options{Now: f.clock.Now, Notifier: rec})
		require.NoError(t, err)

		_, err = store.Receive(ctx, f.s, w, complainttest.Intake())
		assert.ErrorIs(t, err, store.ErrWorkflowNotifies)
		_, _, err = store.Fire(ctx, f.s, w, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
		assert.ErrorIs(t, err, store.ErrWorkflowNotifies)

		assert.Empty(t, rec.Keys(), "nothing was sent")
		all, err := listAll(ctx, f.s, store.Filter{})
		require.NoError(t, err)
		require.Len(t, all, 1, "nothing was created")
		assert.Equal(t, 1, all[0].Version(), "nothing was changed")
	})
}

// TestRelayRunSurvivesFailingPasses: Run logs a pass that fails and tries
// again, until its context ends.
func TestRelayRunSurvivesFailingPasses(t *testing.T) {
	f := newFixture(t)
	s, err := sqlite.Open(ctx, f.w, filepath.Join(t.TempDir(), "klage.db"))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	var logs bytes.Buffer
	relay := &store.Relay{Outbox: s, Notifier: &complainttest.Recorder{}, Interval: 5 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	runCtx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, relay.Run(runCtx), context.DeadlineExceeded)
	assert.GreaterOrEqual(t, bytes.Count(logs.Bytes(), []byte("relay pass failed")), 2, "failed passes are logged and retried")
}

// TestZeroMemory: the zero Memory is an empty store on the reference
// lifecycle.
func TestZeroMemory(t *testing.T) {
	var m store.Memory
	c, err := store.Receive(ctx, &m, nil, complainttest.Intake())
	require.NoError(t, err)
	got, _, err := store.Fire(ctx, &m, nil, c.ID(), complainttest.InputFor(c, complaint.EventStart, glossary.CustomerService), store.FireOptions{})
	require.NoError(t, err)
	assert.Equal(t, complaint.StateInProgress, got.State())
	pending, err := m.Pending(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, pending, 2)
}

// TestPagingWhileCreating pages through 2,500 complaints while others are
// being created: each of them comes exactly once.
func TestPagingWhileCreating(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		const n = 2500
		before := map[string]bool{}
		for range n {
			c, err := store.Receive(ctx, f.s, f.w, complainttest.Intake())
			require.NoError(t, err)
			before[c.ID()] = true
		}
		stop := make(chan struct{})
		created := make(chan int)
		go func() {
			k := 0
			defer func() { created <- k }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := store.Receive(ctx, f.s, f.w, complainttest.Intake()); err != nil {
					t.Error(err)
					return
				}
				k++
			}
		}()
		seen := map[string]int{}
		pf := store.Filter{Limit: 100}
		pages := 0
		for {
			page, err := f.s.List(ctx, pf)
			require.NoError(t, err)
			require.Empty(t, page.Corrupt)
			for _, c := range page.Complaints {
				seen[c.ID()]++
			}
			pages++
			if page.Next == "" {
				break
			}
			pf.Cursor = page.Next
		}
		close(stop)
		t.Logf("%d pages; %d complaints created meanwhile", pages, <-created)
		for id := range before {
			require.Equal(t, 1, seen[id], "complaint %s", id)
		}
		for id, k := range seen {
			require.Equal(t, 1, k, "complaint %s listed %d times", id, k)
		}
	})
}

func TestHistoryPage(t *testing.T) {
	forEachStore(t, func(t *testing.T, f *fixture) {
		c := f.open(t, complaint.StateClosed)
		all, err := f.s.History(ctx, c.ID())
		require.NoError(t, err)
		var got []complaint.Entry
		cur := ""
		for {
			page, err := f.s.HistoryPage(ctx, c.ID(), 5, cur)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.Entries), 5)
			got = append(got, page.Entries...)
			if page.Next == "" {
				break
			}
			cur = page.Next
		}
		assert.Equal(t, all, got)
		_, err = f.s.HistoryPage(ctx, "K-none", 5, "")
		assert.ErrorIs(t, err, store.ErrNotFound)
		other := f.open(t, complaint.StateReceived)
		first, err := f.s.HistoryPage(ctx, c.ID(), 1, "")
		require.NoError(t, err)
		_, err = f.s.HistoryPage(ctx, other.ID(), 1, first.Next)
		assert.ErrorIs(t, err, store.ErrInvalidCursor, "a cursor belongs to its complaint")
	})
}

// assertComplaintOrder asserts that got delivers each complaint's
// notifications in the order of want (the outbox's): across complaints a
// relay delivers concurrently, within one in order.
func assertComplaintOrder(t *testing.T, want, got []string) {
	t.Helper()
	byComplaint := func(keys []string) map[string][]string {
		out := map[string][]string{}
		for _, k := range keys {
			id, _, _ := strings.Cut(k, "/")
			out[id] = append(out[id], k)
		}
		return out
	}
	assert.Equal(t, byComplaint(want), byComplaint(got), "each complaint's notifications in order")
}
