// Package storetest checks a [store.Store] and [store.Outbox]
// implementation against the contract klage's own stores keep: versions
// and conflicts, the history, the outbox's order, leases and at-least-once
// delivery, paging, and, for a [store.PersonalData], erasure. A team that
// writes its own store runs it from a test:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t testing.TB, w *complaint.Workflow) storetest.Storage {
//			return mystore.Open(t, w)
//		})
//	}
//
// klage's memory, SQLite and PostgreSQL stores run it too.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/complaint/complainttest"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// Storage is what Run checks: a store and its outbox.
type Storage interface {
	store.Store
	store.Outbox
}

// NewStorage opens a fresh, empty store for one subtest, on workflow w
// (which has no Notifier and runs on a test clock). Register its cleanup
// with t.Cleanup.
type NewStorage func(t testing.TB, w *complaint.Workflow) Storage

// Run runs the contract's subtests against stores that newStore opens,
// on the reference lifecycle and on an extended one ([Extended]: a
// terminal state of its own, an extra event and role), so that a store
// that assumes the reference lifecycle's names fails.
func Run(t *testing.T, newStore NewStorage) {
	t.Helper()
	for _, lc := range []struct {
		name string
		lc   complaint.Lifecycle
	}{{"Reference", complaint.Reference()}, {"Extended", Extended()}} {
		t.Run(lc.name, func(t *testing.T) {
			for _, c := range []struct {
				name string
				test func(*testing.T, *env)
			}{
				{"CreateAndGet", testCreateAndGet},
				{"Conflicts", testConflicts},
				{"History", testHistory},
				{"OutboxOrderAndLeases", testOutbox},
				{"ListPages", testListPages},
				{"Erasure", testErasure},
				{"RandomWalksRestore", testRandomWalks},
				{"LeasesExtendAndRequeue", testExtendRequeue},
				{"RetentionOfEveryTerminalState", testRetention},
				{"ReportsRatingsActionsStats", testReporting},
				{"TimersActOnce", testTimers},
				{"ActionRemindersOncePerLapse", testActionReminders},
			} {
				t.Run(c.name, func(t *testing.T) {
					clock := complainttest.NewClock(time.Time{})
					w, err := complaint.New(complaint.Options{Now: clock.Now, Lifecycle: &lc.lc})
					require.NoError(t, err)
					c.test(t, &env{clock: clock, w: w, s: newStore(t, w)})
				})
			}
		})
	}
}

// The extension of [Extended].
const (
	// StateScrapped is Extended's own terminal state: the product was
	// scrapped by the warehouse, and the case ends.
	StateScrapped complaint.State = "scrapped"
	// EventScrap leads from in_progress, and from final_answer once the
	// escalation window has lapsed (as close does), to scrapped.
	EventScrap complaint.Event = "scrap"
	// Warehouse is Extended's own role, which scraps.
	Warehouse glossary.Role = "warehouse"
)

// Extended returns the reference lifecycle with a terminal state of its
// own (scrapped), an event that leads there (scrap) and a role that fires
// it (warehouse): what a store must handle as well as the reference.
func Extended() complaint.Lifecycle {
	lc := complaint.Reference()
	lc.States = append(lc.States, complaint.StateSpec{State: StateScrapped, Terminal: true,
		Labels: map[glossary.Language]string{glossary.English: "scrapped", glossary.Danish: "kasseret"}})
	lc.Roles = append(lc.Roles, Warehouse)
	lc.Events = append(lc.Events, complaint.EventSpec{Event: EventScrap,
		Labels: map[glossary.Language]string{glossary.English: "scrap", glossary.Danish: "kassér"}})
	lc.Rules = append(lc.Rules, complaint.Rule{Event: EventScrap, From: []complaint.State{complaint.StateInProgress, complaint.StateFinalAnswer}, To: StateScrapped,
		Roles: []glossary.Role{Warehouse, glossary.CustomerService}, Needs: complaint.NeedsNote,
		Notify: []complaint.Notice{{Topic: complaint.TopicClosed, To: glossary.Customer}}})
	return lc
}

type env struct {
	clock *complainttest.Clock
	w     *complaint.Workflow
	s     Storage
}

var ctx = context.Background()

// open receives a complaint and moves it to state through store.Fire.
func (e *env) open(t *testing.T, state complaint.State) *complaint.Complaint {
	t.Helper()
	c, err := store.Receive(ctx, e.s, e.w, complainttest.Intake())
	require.NoError(t, err)
	for _, ev := range complainttest.PathTo(e.w, state) {
		c = e.fire(t, c.ID(), ev)
	}
	return c
}

// fire fires ev on complaint id by the first role that may.
func (e *env) fire(t *testing.T, id string, ev complaint.Event) *complaint.Complaint {
	t.Helper()
	c, err := e.s.Get(ctx, id)
	require.NoError(t, err)
	for _, r := range e.w.Lifecycle().Roles {
		in := complainttest.InputFor(c, ev, r)
		if e.w.Check(ctx, c, in) != nil {
			continue
		}
		e.clock.Advance(time.Minute)
		got, _, err := store.Fire(ctx, e.s, e.w, id, in, store.FireOptions{})
		require.NoError(t, err, "%s on %s", ev, id)
		return got
	}
	t.Fatalf("storetest: nobody may fire %s in %s", ev, c.State())
	return nil
}

func testCreateAndGet(t *testing.T, e *env) {
	c := e.open(t, complaint.StateReceived)
	got, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	assert.Equal(t, e.w.SnapshotTail(c, 1), e.w.SnapshotTail(got, 1), "Get returns what Create stored")
	assert.Empty(t, got.Pending(), "the notifications are in the outbox, not on the complaint")

	again, err := e.w.Restore(c.Snapshot())
	require.NoError(t, err)
	assert.ErrorIs(t, e.s.Create(ctx, again), store.ErrExists)
	_, err = e.s.Get(ctx, "storetest-missing")
	var nf *store.NotFoundError
	assert.ErrorAs(t, err, &nf)
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func testConflicts(t *testing.T, e *env) {
	c := e.open(t, complaint.StateInProgress)
	a, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	b, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	loaded := a.Version()
	_, err = e.w.Fire(ctx, a, complainttest.InputFor(a, complaint.EventRequestInfo, glossary.CustomerService))
	require.NoError(t, err)
	_, err = e.w.Fire(ctx, b, complainttest.InputFor(b, complaint.EventAnswer, glossary.CustomerService))
	require.NoError(t, err)
	require.NoError(t, e.s.Save(ctx, a, loaded), "the first save wins")
	before := b.Snapshot()
	err = e.s.Save(ctx, b, loaded)
	var ce *store.ConflictError
	require.ErrorAs(t, err, &ce, "the second conflicts")
	assert.Equal(t, loaded, ce.Expected)
	assert.Equal(t, loaded+1, ce.Actual)
	assert.Equal(t, before, b.Snapshot(), "a refused save leaves the complaint as it was")

	for _, expected := range []int{0, -1, b.Version() + 1} {
		assert.ErrorIs(t, e.s.Save(ctx, b, expected), store.ErrConflict, "expected version %d", expected)
	}
	got, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	assert.Equal(t, complaint.StateAwaitingCustomer, got.State(), "the winner's change stands")
	h, err := e.s.History(ctx, c.ID())
	require.NoError(t, err)
	assert.Len(t, h, loaded+1, "the loser's entry was not written")
	ns, err := e.s.Notifications(ctx, c.ID())
	require.NoError(t, err)
	for _, n := range ns {
		assert.NotEqual(t, complaint.TopicFinalAnswer, n.Topic, "the loser's notifications were not written")
	}

	// Two copies that fire the same event produce the same history seq
	// and notification keys: the second save is a conflict, never the
	// database's unique-key error.
	x, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	y, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	for _, copy := range []*complaint.Complaint{x, y} {
		_, err := e.w.Fire(ctx, copy, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "Same note."})
		require.NoError(t, err)
	}
	require.NoError(t, e.s.Save(ctx, x, x.Version()-1))
	err = e.s.Save(ctx, y, y.Version()-1)
	require.ErrorIs(t, err, store.ErrConflict, "a stale copy's save: %v", err)
	// A Loaded copy whose version matches the store's but which still
	// carries notifications the store has written (restored from a
	// snapshot taken before its save): a conflict, and Fire loads the
	// complaint again and succeeds.
	z, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	_, err = e.w.Fire(ctx, z, complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "Third."})
	require.NoError(t, err)
	unsaved := z.Snapshot()
	require.NoError(t, e.s.Save(ctx, z, z.Version()-1))
	stale, err := e.w.Restore(unsaved)
	require.NoError(t, err)
	require.NotEmpty(t, stale.Pending())
	err = e.s.Save(ctx, stale, stale.Version())
	require.ErrorIs(t, err, store.ErrConflict, "a stale copy's save: %v", err)
	fired, _, err := store.Fire(ctx, e.s, e.w, c.ID(), complaint.Input{Event: complaint.EventUpdate, Actor: complainttest.Agent, Note: "Fourth."},
		store.FireOptions{Loaded: stale})
	require.NoError(t, err, "Fire loads the complaint again after the conflict")
	assert.Equal(t, unsaved.Version+1, fired.Version())

	// A complaint the store does not hold, with an entry and a
	// notification to save: refused, and neither is written.
	missing, err := e.w.Open(ctx, complainttest.Intake())
	require.NoError(t, err)
	_, err = e.w.Fire(ctx, missing, complainttest.InputFor(missing, complaint.EventStart, glossary.CustomerService))
	require.NoError(t, err)
	assert.ErrorIs(t, e.s.Save(ctx, missing, 1), store.ErrNotFound)
	_, err = e.s.History(ctx, missing.ID())
	assert.ErrorIs(t, err, store.ErrNotFound, "no history of a complaint the store does not hold")
	_, err = e.s.Notifications(ctx, missing.ID())
	assert.ErrorIs(t, err, store.ErrNotFound, "no notifications of a complaint the store does not hold")
}

func testHistory(t *testing.T, e *env) {
	c := e.open(t, complaint.StateClosed)
	h, err := e.s.History(ctx, c.ID())
	require.NoError(t, err)
	require.Len(t, h, c.Version())
	for i, en := range h {
		require.Equal(t, i+1, en.Seq, "one entry per version, in order")
		if i > 0 {
			require.Equal(t, h[i-1].To, en.From, "contiguous")
		}
	}
	held := c.History()
	assert.Equal(t, held, h[len(h)-len(held):], "the complaint's entries are the history's newest")
	var paged []complaint.Entry
	cursor := ""
	for range len(h) + 1 {
		page, err := e.s.HistoryPage(ctx, c.ID(), 2, cursor)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.Entries), 2)
		paged = append(paged, page.Entries...)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	assert.Equal(t, h, paged, "HistoryPage pages through the same history")
	_, err = e.s.History(ctx, "storetest-missing")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func testOutbox(t *testing.T, e *env) {
	c := e.open(t, complaint.StateEscalated)
	ns, err := e.s.Notifications(ctx, c.ID())
	require.NoError(t, err)
	require.NotEmpty(t, ns)
	for i := 1; i < len(ns); i++ {
		require.LessOrEqual(t, ns[i-1].Seq, ns[i].Seq, "in the order they were produced")
	}
	now := e.clock.Now()
	claimed, err := e.s.Claim(ctx, now, 2, now.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	assert.Equal(t, ns[0].Key(), claimed[0].Key(), "oldest first")
	again, err := e.s.Claim(ctx, now, 100, now.Add(time.Minute))
	require.NoError(t, err)
	for _, m := range again {
		assert.NotContains(t, []string{claimed[0].Key(), claimed[1].Key()}, m.Key(), "a leased message is not claimed twice")
	}
	require.NoError(t, e.s.MarkDelivered(ctx, claimed[0].Key(), now))
	require.NoError(t, e.s.MarkFailed(ctx, claimed[1].Key(), "smtp down", now.Add(time.Hour)))
	for _, m := range again {
		require.NoError(t, e.s.Release(ctx, m.Key()))
	}
	// After the lease and the retry time, exactly the undelivered come back.
	later := now.Add(2 * time.Hour)
	back, err := e.s.Claim(ctx, later, 100, later.Add(time.Minute))
	require.NoError(t, err)
	var keys []string
	for _, m := range back {
		keys = append(keys, m.Key())
	}
	assert.NotContains(t, keys, claimed[0].Key(), "a delivered message is not delivered again")
	assert.Contains(t, keys, claimed[1].Key(), "a failed one is retried")
	assert.Len(t, keys, len(ns)-1)
	require.NoError(t, e.s.DeadLetter(ctx, claimed[1].Key(), "gave up", later))
	dead, err := e.s.DeadLetters(ctx, 10)
	require.NoError(t, err)
	require.Len(t, dead, 1)
	assert.Equal(t, claimed[1].Key(), dead[0].Key())
	assert.Equal(t, "gave up", dead[0].LastError)
	all, err := e.s.Notifications(ctx, c.ID())
	require.NoError(t, err)
	for _, m := range all {
		if m.Key() == claimed[0].Key() {
			assert.True(t, m.Delivered())
		}
	}
	assert.ErrorIs(t, e.s.MarkDelivered(ctx, "storetest/missing", now), store.ErrMessageNotFound)
}

func testListPages(t *testing.T, e *env) {
	var ids []string
	for range 25 {
		ids = append(ids, e.open(t, complaint.StateReceived).ID())
	}
	working := e.open(t, complaint.StateInProgress)
	ids = append(ids, working.ID())
	slices.Sort(ids)
	var got []string
	f := store.Filter{Limit: 10}
	for range 10 {
		page, err := e.s.List(ctx, f)
		require.NoError(t, err)
		require.Empty(t, page.Corrupt)
		require.LessOrEqual(t, len(page.Complaints), 10)
		for _, c := range page.Complaints {
			got = append(got, c.ID())
		}
		if f.Cursor = page.Next; f.Cursor == "" {
			break
		}
	}
	assert.Equal(t, ids, got, "every complaint once, by id")
	page, err := e.s.List(ctx, store.Filter{State: complaint.StateInProgress})
	require.NoError(t, err)
	require.Len(t, page.Complaints, 1)
	assert.Equal(t, working.ID(), page.Complaints[0].ID())
	_, err = e.s.List(ctx, store.Filter{Cursor: "storetest: not a cursor"})
	assert.ErrorIs(t, err, store.ErrInvalidCursor)
}

func testErasure(t *testing.T, e *env) {
	pd, ok := e.s.(store.PersonalData)
	if !ok {
		t.Skip("storetest: the store is not a store.PersonalData")
	}
	c := e.open(t, complaint.StateFinalAnswer)
	ex, err := pd.Export(ctx, c.Customer().ID)
	require.NoError(t, err)
	require.Len(t, ex.Complaints, 1)
	assert.Equal(t, c.Customer().Email, ex.Customer.Email)
	er, err := pd.Erase(ctx, c.Customer().ID)
	require.NoError(t, err)
	assert.Equal(t, 1, er.Complaints)
	got, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err, "an erased complaint still loads")
	_, erased := got.ErasedAt()
	assert.True(t, erased)
	assert.Empty(t, got.Customer().Email)
	assert.Equal(t, complaint.Erased, got.Description())
	assert.Equal(t, c.Version(), got.Version(), "the audit trail stays")
	_, err = pd.Erase(ctx, "storetest-nobody")
	assert.True(t, errors.Is(err, store.ErrCustomerNotFound), fmt.Sprint(err))
}

// testRandomWalks is a property: whatever Fire accepts, the store keeps
// and gives back. For every kind, complaints take random walks of events
// by random roles (reclassifications to random kinds, with a product or
// without one, fulfilments, time passing); after every step, accepted or
// refused, the complaint loads from the store, its snapshot restores and
// its JSON form restores.
func testRandomWalks(t *testing.T, e *env) {
	const walks, steps = 3, 24
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1)) //nolint:gosec // a walk's moves, logged by seed to replay: not a secret
	lc := e.w.Lifecycle()
	roles, events := lc.Roles, lc.Rules
	terminal := map[complaint.State]bool{}
	for _, st := range lc.States {
		terminal[st.State] = st.Terminal
	}
	ends := func(from complaint.State, ev complaint.Event) bool {
		r := lc.Find(ev, from)
		return r != nil && terminal[r.To]
	}
	for _, kind := range glossary.Terms() {
		for walk := range walks {
			in := complainttest.Intake()
			in.Kind = kind
			if !kind.AboutProduct() {
				in.Product = complaint.Product{}
			}
			c, err := store.Receive(ctx, e.s, e.w, in)
			require.NoError(t, err, "%s walk %d: receive", kind, walk)
			var path []string
			for range steps {
				// Mostly what some role may do now (Available), sometimes
				// anything at all, which must be refused without a trace.
				type move struct {
					ev complaint.Event
					r  glossary.Role
				}
				var moves []move
				for _, r := range roles {
					for _, ev := range e.w.Available(ctx, c, complainttest.ActorFor(c, r)) {
						moves = append(moves, move{ev, r})
					}
				}
				if len(moves) == 0 {
					break // closed
				}
				m := moves[rng.IntN(len(moves))]
				for try := 0; try < 4 && ends(c.State(), m.ev); try++ {
					m = moves[rng.IntN(len(moves))] // walk on more often than not
				}
				if rng.IntN(5) == 0 {
					m = move{events[rng.IntN(len(events))].Event, roles[rng.IntN(len(roles))]}
				}
				ev, r := m.ev, m.r
				fire := complainttest.InputFor(c, ev, r)
				if ev == complaint.EventReclassify {
					terms := glossary.Terms()
					fire.Kind = terms[rng.IntN(len(terms))]
					if rng.IntN(2) == 0 {
						fire.Product = nil // refused when the complaint has no product and the kind needs one
					} else if fire.Product == nil && rng.IntN(2) == 0 {
						fire.Product = &complaint.Product{Name: "Monitor 27", Manufacturer: "Dell",
							DeliveredAt: e.clock.Now().Add(-30 * 24 * time.Hour)}
					}
				}
				e.clock.Advance(time.Duration(rng.IntN(96)) * time.Hour)
				if rng.IntN(4) == 0 {
					// Time passes and the timers act on what lapsed.
					e.clock.Advance(time.Duration(rng.IntN(30*24)) * time.Hour)
					for _, in := range e.w.DueTimers(c, e.clock.Now()) {
						got, _, err := store.Fire(ctx, e.s, e.w, c.ID(), in, store.FireOptions{})
						require.NoError(t, err, "%s walk %d (seed %d): timer %s after %v", kind, walk, seed, in.Timer, path)
						c = got
						path = append(path, in.Timer)
					}
				}
				got, _, err := store.Fire(ctx, e.s, e.w, c.ID(), fire, store.FireOptions{})
				step := fmt.Sprintf("%s by %s", ev, r)
				if err == nil {
					c = got
					step += " ok"
				}
				path = append(path, step)
				loaded, err := e.s.Get(ctx, c.ID())
				require.NoError(t, err, "%s walk %d (seed %d): after %v the complaint does not load", kind, walk, seed, path)
				_, err = e.w.Restore(loaded.Snapshot())
				require.NoError(t, err, "%s walk %d (seed %d): after %v the snapshot does not restore", kind, walk, seed, path)
				raw, err := loaded.MarshalJSON()
				require.NoError(t, err)
				_, err = e.w.RestoreJSON(raw)
				require.NoError(t, err, "%s walk %d (seed %d): after %v the JSON does not restore", kind, walk, seed, path)
				require.Equal(t, c.Version(), loaded.Version(), "%s walk %d: the store holds what Fire left", kind, walk)
			}
		}
	}
}

// testExtendRequeue: a claim extended holds past its first lease; a
// dead letter is requeued and claimed again; unknown keys are refused.
func testExtendRequeue(t *testing.T, e *env) {
	e.open(t, complaint.StateInProgress) // acknowledged, started
	now := e.clock.Now()
	claimed, err := e.s.Claim(ctx, now, 100, now.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	k0, k1 := claimed[0].Key(), claimed[1].Key()
	require.NoError(t, e.s.Extend(ctx, []string{k0, k1, "storetest-missing"}, now.Add(time.Hour)))
	again, err := e.s.Claim(ctx, now.Add(30*time.Minute), 100, now.Add(31*time.Minute))
	require.NoError(t, err)
	assert.Empty(t, again, "an extended claim holds past its first lease")

	require.NoError(t, e.s.MarkDelivered(ctx, k0, now))
	require.NoError(t, e.s.DeadLetter(ctx, k1, "no address", now))
	require.NoError(t, e.s.Extend(ctx, []string{k0, k1}, now.Add(2*time.Hour)), "settled keys are left as they are")
	dead, err := e.s.DeadLetters(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, []string{k1}, keysOf(dead))
	pending, err := e.s.Pending(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, pending)

	require.NoError(t, e.s.Requeue(ctx, k1, now.Add(time.Minute)))
	dead, err = e.s.DeadLetters(ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, dead)
	got, err := e.s.Claim(ctx, now.Add(2*time.Minute), 100, now.Add(3*time.Minute))
	require.NoError(t, err)
	require.Equal(t, []string{k1}, keysOf(got), "the requeued message is claimed again")
	assert.Equal(t, 1, got[0].Attempts, "its attempts stay")
	require.NoError(t, e.s.Requeue(ctx, k0, now), "a delivered message is left as it is")
	var nf *store.MessageNotFoundError
	assert.ErrorAs(t, e.s.Requeue(ctx, "storetest-missing", now), &nf)
}

func keysOf(ms []store.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key()
	}
	return out
}

// testRetention: a complaint that ends in any terminal state of the
// lifecycle (Extended's scrapped too) is closed for the store, and its
// personal data is purged once the retention period has passed.
func testRetention(t *testing.T, e *env) {
	terminal := e.w.StatesWhere(func(s complaint.StateSpec) bool { return s.Terminal })
	c := e.open(t, complaint.StateInProgress)
	end := complaint.StateClosed
	in := complainttest.InputFor(c, complaint.EventWithdraw, glossary.Customer)
	if slices.Contains(terminal, StateScrapped) {
		end = StateScrapped
		in = complaint.Input{Event: EventScrap, Actor: glossary.Actor{ID: "wh-1", Role: Warehouse}, Note: "Beyond repair."}
	}
	got, _, err := store.Fire(ctx, e.s, e.w, c.ID(), in, store.FireOptions{})
	require.NoError(t, err)
	require.Equal(t, end, got.State())
	if st, ok := e.s.(store.StatsReader); ok {
		stats, err := st.Stats(ctx, e.clock.Now())
		require.NoError(t, err)
		assert.Zero(t, stats.Open[end], "a complaint in a terminal state is not open")
	}
	pd, ok := e.s.(store.PersonalData)
	if !ok {
		return
	}
	retention := e.w.Policy(c.Customer().Type).Retention
	purged, err := pd.Purge(ctx, store.PurgeOptions{Now: retention.AddTo(e.clock.Now(), nil).Add(48 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, 1, purged.Complaints, "purged after the retention period, from %s", end)
	after, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	_, erased := after.ErasedAt()
	assert.True(t, erased)
	assert.Empty(t, after.Customer().Email)
}

// testReporting checks, on a store that has them, the optional parts that
// reports and the dashboard rest on (store.Reporter, store.Rater,
// store.Actioner, store.StatsReader), on one small scenario: three
// complaints, one withdrawn and rated, one reviewed with a finding, one
// being worked on, and one improvement action.
func testReporting(t *testing.T, e *env) {
	from := e.clock.Now()
	withdrawn := e.open(t, complaint.StateInProgress)
	got, _, err := store.Fire(ctx, e.s, e.w, withdrawn.ID(), complainttest.InputFor(withdrawn, complaint.EventWithdraw, glossary.Customer), store.FireOptions{})
	require.NoError(t, err)
	require.Equal(t, complaint.StateClosed, got.State())
	reviewed := e.open(t, complaint.StateReviewed)
	e.open(t, complaint.StateInProgress)
	e.clock.Advance(time.Hour)

	if r, ok := e.s.(store.Rater); ok {
		rating := complaint.Rating{Score: 4, Comment: "Quick.", At: e.clock.Now()}
		require.NoError(t, r.Rate(ctx, withdrawn.ID(), complainttest.ActorFor(withdrawn, glossary.Customer), rating))
		back, ok, err := r.Rating(ctx, withdrawn.ID())
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, 4, back.Score)
		assert.ErrorIs(t, r.Rate(ctx, withdrawn.ID(), complainttest.ActorFor(withdrawn, glossary.Customer), rating), store.ErrRated)
	}
	actions := 0
	if a, ok := e.s.(store.Actioner); ok {
		act, err := a.CreateAction(ctx, store.Action{ComplaintID: reviewed.ID(), Area: "returns", Description: "Offer a repair first.",
			Owner: complainttest.Reviewer, Due: e.clock.Now().Add(-time.Hour)})
		require.NoError(t, err)
		list, err := a.Actions(ctx, store.ActionFilter{})
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, act.ID, list[0].ID)
		actions = 1
	}
	if st, ok := e.s.(store.StatsReader); ok {
		stats, err := st.Stats(ctx, e.clock.Now())
		require.NoError(t, err)
		assert.Equal(t, map[complaint.State]int{complaint.StateReviewed: 1, complaint.StateInProgress: 1}, stats.Open)
		pending, err := e.s.Pending(ctx, 1000)
		require.NoError(t, err)
		assert.Equal(t, len(pending), stats.Pending)
	}
	if rp, ok := e.s.(store.Reporter); ok {
		rep, err := rp.Report(ctx, store.ReportQuery{From: from.Add(-time.Minute), To: e.clock.Now(), Now: e.clock.Now()})
		require.NoError(t, err)
		assert.Equal(t, 3, rep.Opened)
		assert.Equal(t, 1, rep.Closed)
		assert.Equal(t, 2, rep.Open)
		assert.Zero(t, rep.Unreadable)
		assert.Equal(t, map[complaint.State]int{complaint.StateClosed: 1, complaint.StateReviewed: 1, complaint.StateInProgress: 1}, rep.ByState)
		assert.Equal(t, 1.0, rep.WithdrawalRate)
		require.Len(t, rep.FindingsByArea, 1)
		assert.Equal(t, []string{reviewed.ID()}, rep.FindingsByArea[0].Complaints)
		if _, ok := e.s.(store.Rater); ok {
			assert.Equal(t, 1, rep.Satisfaction.Count)
		}
		assert.Equal(t, actions, rep.Actions.Open)
		assert.Equal(t, actions, rep.Actions.Overdue)
	}
}

// testTimers: a store's timer runner (store.Timers) acts on every timer
// once, at its time, through the history and the outbox: a first response
// lapsing over a weekend, a customer chased, a lapsed escalation window
// closed; two runners at once act once; a pass finds nothing when nothing
// is due.
func testTimers(t *testing.T, e *env) {
	ts, ok := e.s.(store.TimerStore)
	if !ok {
		t.Skip("storetest: the store is not a store.TimerStore")
	}
	cph := e.w.Policy(complaint.Consumer).Location
	local := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, cph) }
	runner := func() *store.Timers { return &store.Timers{Store: ts, Workflow: e.w, Now: e.clock.Now, NoPurge: true} }
	count := func(id string, ev complaint.Event, note string) int {
		h, err := e.s.History(ctx, id)
		require.NoError(t, err)
		n := 0
		for _, en := range h {
			if en.Event == ev && (note == "" || en.Note == note) {
				n++
			}
		}
		return n
	}
	// Friday 27 March 2026, 16:00: the first response is due on Monday
	// 16:00 (24 working hours), across a weekend and the start of summer
	// time.
	e.clock.Set(local(2026, 3, 27, 16))
	received := e.open(t, complaint.StateReceived)
	e.clock.Set(local(2026, 3, 2, 9)) // a second complaint, asked for information on 2 March
	asked := e.open(t, complaint.StateAwaitingCustomer)
	e.clock.Set(local(2026, 3, 27, 16))

	p, err := runner().RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, count(received.ID(), complaint.EventRemind, ""), "nothing is due for the new complaint")
	acted := p.Acted

	e.clock.Set(local(2026, 3, 30, 15))
	_, err = runner().RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 0, count(received.ID(), complaint.EventRemind, "first_response.remind"), "Monday 15:00: not yet")

	// Two runners at once, at Monday 16:00: one reminder.
	e.clock.Set(local(2026, 3, 30, 16))
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := runner().RunOnce(ctx)
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, count(received.ID(), complaint.EventRemind, "first_response.remind"), "exactly once")
	ns, err := e.s.Notifications(ctx, received.ID())
	require.NoError(t, err)
	reminders := 0
	for _, n := range ns {
		if n.Topic == complaint.TopicReminder && n.Recipient == glossary.CustomerService {
			reminders++
		}
	}
	assert.Equal(t, 1, reminders, "one reminder in the outbox")
	p, err = runner().RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, p.Acted, "a second pass finds nothing due")

	// The customer asked on 2 March was chased on the first pass (7 and
	// 14 days had passed).
	assert.Positive(t, acted)
	assert.Equal(t, 1, count(asked.ID(), complaint.EventRemind, "customer_reply.remind"))
	assert.Equal(t, 1, count(asked.ID(), complaint.EventRemind, "customer_reply.again"))

	// A final answer whose window lapses is closed by the system.
	e.clock.Set(local(2026, 4, 1, 10))
	c, err := store.Receive(ctx, e.s, e.w, func() complaint.Intake {
		in := complainttest.Intake()
		in.Kind = glossary.Claim
		return in
	}())
	require.NoError(t, err)
	answered, _, err := store.Fire(ctx, e.s, e.w, c.ID(), complainttest.InputFor(c, complaint.EventAnswer, glossary.CustomerService), store.FireOptions{})
	require.NoError(t, err)
	require.Equal(t, complaint.StateFinalAnswer, answered.State())
	e.clock.Set(local(2026, 6, 2, 0)) // two months, to the end of 1 June
	_, err = runner().RunOnce(ctx)
	require.NoError(t, err)
	closed, err := e.s.Get(ctx, c.ID())
	require.NoError(t, err)
	assert.Equal(t, complaint.StateClosed, closed.State())
	assert.Equal(t, complaint.EventClose, closed.Last().Event)
	assert.Equal(t, glossary.System, closed.Last().Actor.Role)
}

// testActionReminders: a Timers runner with an ActionNotifier reminds the
// owner of an overdue improvement action once per lapse; a failed
// delivery is tried again by the next pass.
func testActionReminders(t *testing.T, e *env) {
	a, ok := e.s.(store.Actioner)
	ts, ok2 := e.s.(store.TimerStore)
	if _, ok3 := e.s.(store.ActionReminderStore); !ok || !ok2 || !ok3 {
		t.Skip("storetest: the store does not keep improvement actions and their reminders")
	}
	act, err := a.CreateAction(ctx, store.Action{Area: "returns", Description: "Offer a repair first.", Owner: complainttest.Reviewer,
		Due: e.clock.Now().Add(24 * time.Hour)})
	require.NoError(t, err)
	rec := &complainttest.Recorder{}
	fail := true
	rec.FailWith(func(complaint.Notification) error {
		if fail {
			return errors.New("mailbox full")
		}
		return nil
	})
	runner := &store.Timers{Store: ts, Workflow: e.w, Now: e.clock.Now, NoPurge: true, ActionNotifier: rec}
	p, err := runner.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, p.Actions, "not due yet")
	e.clock.Advance(25 * time.Hour)
	p, err = runner.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, p.Actions, "the delivery failed")
	fail = false
	p, err = runner.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, p.Actions, "tried again and delivered")
	p, err = runner.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, p.Actions, "once per lapse")
	got := rec.Notifications()
	require.NotEmpty(t, got)
	last := got[len(got)-1]
	assert.Equal(t, glossary.ComplaintsDepartment, last.Recipient)
	assert.Equal(t, complaint.DeadlineImprovementAction, last.Data.Deadline.Name)
	assert.Equal(t, act.Due.Unix(), int64(last.Seq), "its own key per lapse")
}
