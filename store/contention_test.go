package store_test

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
	"github.com/klageflow/klage/store/postgres"
)

// TestContendMemory sets 64 goroutines on one complaint at every step, each
// firing a legal event of its own choosing against the version they all
// saw: exactly one wins each step, and the history stays contiguous.
func TestContendMemory(t *testing.T) {
	f := newFixture(t)
	f.s = store.NewMemory(f.w)
	c := f.open(t, complaint.StateReceived)
	const goroutines = 64
	steps := 0
	for c.State() != complaint.StateClosed && steps < 40 {
		version := c.Version()
		var (
			wins  atomic.Int32
			start sync.WaitGroup
			done  sync.WaitGroup
			mu    sync.Mutex
			other []error
		)
		start.Add(1)
		for i := range goroutines {
			done.Add(1)
			go func() {
				defer done.Done()
				rng := rand.New(rand.NewPCG(uint64(steps), uint64(i)))
				// Every role's legal events; events that close the case only
				// when nothing else is possible or after 20 steps, so that
				// the lifecycle runs for a while.
				var choices, closing []complaint.Input
				for _, r := range glossary.Roles() {
					for _, e := range f.w.Available(ctx, c, complainttest.ActorFor(c, r)) {
						in := complainttest.InputFor(c, e, r)
						switch {
						case f.w.Check(ctx, c, in) != nil:
						case e == complaint.EventWithdraw || e == complaint.EventAccept || e == complaint.EventClose:
							closing = append(closing, in)
						default:
							choices = append(choices, in)
						}
					}
				}
				if len(choices) == 0 || steps >= 20 {
					choices = append(choices, closing...)
				}
				in := choices[rng.IntN(len(choices))]
				start.Wait()
				_, _, err := store.Fire(ctx, f.s, f.w, c.ID(), in, store.FireOptions{ExpectedVersion: version})
				switch {
				case err == nil:
					wins.Add(1)
				case errors.Is(err, store.ErrConflict):
				default:
					mu.Lock()
					other = append(other, err)
					mu.Unlock()
				}
			}()
		}
		start.Done()
		done.Wait()
		require.Empty(t, other, "step %d", steps)
		require.Equal(t, int32(1), wins.Load(), "exactly one wins step %d", steps)
		var err error
		c, err = f.s.Get(ctx, c.ID())
		require.NoError(t, err)
		require.Equal(t, version+1, c.Version())
		steps++
	}
	h, err := f.s.History(ctx, c.ID())
	require.NoError(t, err)
	require.Len(t, h, steps+1)
	for i, e := range h {
		if i > 0 {
			require.Equal(t, h[i-1].To, e.From, "contiguous at %d", i+1)
		}
	}
	assertHistoryEnds(t, c, h)
	t.Logf("%d goroutines, %d contended steps, ended in %s", goroutines, steps, c.State())
}

// lifecyclePath is the event fired at each version of a complaint, from
// opening to closing, with the role that fires it.
var lifecyclePath = []struct {
	e complaint.Event
	r glossary.Role
}{
	{complaint.EventStart, glossary.CustomerService},
	{complaint.EventRequestInfo, glossary.CustomerService},
	{complaint.EventProvideInfo, glossary.Customer},
	{complaint.EventRefer, glossary.CustomerService},
	{complaint.EventResume, glossary.Manufacturer},
	{complaint.EventAnswer, glossary.CustomerService},
	{complaint.EventEscalate, glossary.Customer},
	{complaint.EventReview, glossary.ComplaintsDepartment},
	{complaint.EventFulfil, glossary.CustomerService},
	{complaint.EventClose, glossary.ComplaintsDepartment},
}

// TestConcurrentPostgresReplicas runs two stores on one PostgreSQL
// database, as two replicas of a service would, each with several workers
// driving the same few hundred complaints through their lifecycles at once.
func TestConcurrentPostgresReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	f := newFixture(t)
	var replicas [2]*store.SQL
	for i := range replicas {
		s, err := postgres.Open(ctx, f.w, dsn)
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		replicas[i] = s
	}
	const (
		complaints = 200
		workers    = 4 // per replica
	)
	ids := make([]string, complaints)
	for i := range ids {
		c, err := store.Receive(ctx, replicas[i%2], f.w, complainttest.Intake())
		require.NoError(t, err)
		ids[i] = c.ID()
	}

	// Every complaint is queued twice in a row, so that two workers, often
	// on different replicas, race to move it along.
	work := make(chan string, 2*complaints)
	for _, id := range ids {
		work <- id
		work <- id
	}
	close(work)
	var (
		transitions, produced, conflicts atomic.Int64
		wg                               sync.WaitGroup
		errs                             = make(chan error, 2*workers)
	)
	for r := range replicas {
		for range workers {
			wg.Add(1)
			go func(s *store.SQL) {
				defer wg.Done()
				for id := range work {
					for {
						c, err := s.Get(ctx, id)
						if err != nil {
							errs <- err
							return
						}
						if c.State() == complaint.StateClosed {
							break
						}
						step := lifecyclePath[c.Version()-1]
						in := complainttest.InputFor(c, step.e, step.r)
						_, tr, err := store.Fire(ctx, s, f.w, id, in, store.FireOptions{ExpectedVersion: c.Version()})
						switch {
						case err == nil:
							transitions.Add(1)
							produced.Add(int64(tr.Produced))
						case errors.Is(err, store.ErrConflict):
							conflicts.Add(1)
						default:
							errs <- err
							return
						}
					}
				}
			}(replicas[r])
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	db := replicas[0].DB()
	count := func(q string) int64 {
		var n int64
		require.NoError(t, db.QueryRowContext(ctx, q).Scan(&n))
		return n
	}
	assert.Equal(t, int64(complaints*len(lifecyclePath)), transitions.Load(), "every step landed once")
	assert.Equal(t, int64(complaints), count(`SELECT COUNT(*) FROM klage_complaints WHERE state = 'closed' AND version = 11`), "every complaint closed")
	assert.Equal(t, transitions.Load()+complaints, count(`SELECT COUNT(*) FROM klage_history`), "history entries = transitions + openings: no lost update")
	assert.Equal(t, produced.Load()+complaints, count(`SELECT COUNT(*) FROM klage_outbox`), "outbox rows = notifications produced")
	assert.Zero(t, count(`SELECT COUNT(*) FROM (SELECT complaint_id FROM klage_history GROUP BY complaint_id HAVING COUNT(*) <> MAX(seq)) gaps`), "no gaps")
	t.Logf("2 replicas × %d workers, %d complaints: %d transitions, %d notifications, %d conflicts retried",
		workers, complaints, transitions.Load(), produced.Load()+complaints, conflicts.Load())
}
