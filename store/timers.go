package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
)

// TimerStore is what a [Timers] runner needs of a store: finding the
// complaints whose timers are due through an index, and claiming them, so
// that runners in several replicas share the work. Memory and SQL are
// TimerStores; storetest checks them.
type TimerStore interface {
	Store
	// ClaimTimers leases, until leaseUntil, up to limit complaints whose
	// next timer (complaint.Workflow.NextTimer, which every save records)
	// is due at now and that no other claim holds, earliest first, and
	// returns their ids. On PostgreSQL the rows are chosen with FOR UPDATE
	// SKIP LOCKED; on SQLite in one short write.
	ClaimTimers(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]string, error)
	// Reschedule records that complaint id's next timer acts at next (zero:
	// none) and releases its claim, if the stored version is still
	// version; otherwise it does nothing (the save that moved it on
	// recorded its own).
	Reschedule(ctx context.Context, id string, version int, next time.Time) error
}

var (
	_ TimerStore = (*SQL)(nil)
	_ TimerStore = (*Memory)(nil)
)

// Timers runs the timers of a workflow's lifecycle (complaint.Timer):
// reminders when a clock lapses, a silent customer chased, a lapsed
// escalation window closed. Run it in every replica, next to a Relay: a
// pass claims the complaints whose timers are due, fires what each owes
// through the same path as any other transition (store.Fire: a history
// entry by the system, the notifications to the outbox in the same
// transaction, the optimistic version check), and the workflow refuses a
// timer that has already acted for its lapse, so that two replicas, a
// crash and a restart never act twice and never skip. With a store that
// keeps personal data apart (PersonalData), each pass also purges the
// closed complaints that retention has made due.
//
// The zero Timers is not usable: set Store and Workflow. Its fields must
// not change while it runs.
type Timers struct {
	Store    TimerStore
	Workflow *complaint.Workflow
	// BatchSize is how many complaints a pass claims; 0 means 100.
	BatchSize int
	// Lease is how long a claim holds; 0 means 30 seconds. A pass that
	// dies leaves its complaints to the next claim after it.
	Lease time.Duration
	// Interval is how long Run waits when nothing is due; 0 means 10
	// seconds.
	Interval time.Duration
	// Now is the clock; nil means the workflow's.
	Now func() time.Time
	// Logger receives failures; nil means slog.Default. It logs ids and
	// timer names, never personal data.
	Logger *slog.Logger
	// NoPurge turns off the retention purge of each pass.
	NoPurge bool
	// ActionNotifier, when set and the store is an ActionReminderStore,
	// reminds the owners of overdue improvement actions, once per lapse:
	// a pass claims them, delivers each reminder (ActionReminder, with the
	// action's and due time's idempotency key, ActionReminderKey) and
	// records it; a reminder that fails, or a pass that dies, is tried
	// again by a later pass, so delivery is at least once, and receivers
	// drop repeats by the key.
	ActionNotifier complaint.Notifier

	lastPass atomic.Int64
}

// TimerPass is what one pass of a [Timers] did.
type TimerPass struct {
	Claimed     int // complaints claimed
	Acted       int // timers that acted: reminders sent, events fired
	Lost        int // timers another runner had acted on first
	Rescheduled int // complaints claimed with nothing due yet
	Actions     int // improvement actions whose owners were reminded
	Purged      Purged
}

// ErrTimersConfig is returned by Timers.RunOnce and Timers.Run for a
// runner without a Store or a Workflow.
var ErrTimersConfig = errors.New("store: timers need a Store and a Workflow")

// LastPass returns when a pass of t last reached the store, by t's
// clock; zero before the first. A readiness check compares it with now.
func (t *Timers) LastPass() time.Time {
	n := t.lastPass.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

func (t *Timers) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return t.Workflow.Now()
}

func (t *Timers) logger() *slog.Logger {
	if t.Logger == nil {
		return slog.Default()
	}
	return t.Logger
}

// RunOnce makes one pass: it claims the complaints whose timers are due,
// fires what they owe, reschedules those with nothing due yet and, unless
// NoPurge, purges what retention has made due. When ctx ends during a
// pass, what it fired stays fired and the rest is left to the next pass:
// nothing is half-done.
func (t *Timers) RunOnce(ctx context.Context) (TimerPass, error) {
	var p TimerPass
	if t.Store == nil || t.Workflow == nil {
		return p, ErrTimersConfig
	}
	if err := ctx.Err(); err != nil {
		return p, err
	}
	lease, batch := t.Lease, t.BatchSize
	if lease <= 0 {
		lease = 30 * time.Second
	}
	if batch <= 0 {
		batch = 100
	}
	now := t.now()
	ids, err := t.Store.ClaimTimers(ctx, now, batch, now.Add(lease))
	if err != nil {
		return p, err
	}
	t.lastPass.Store(now.UnixNano())
	p.Claimed = len(ids)
	log := t.logger()
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		c, err := t.Store.Get(ctx, id)
		if err != nil {
			log.ErrorContext(ctx, "klage: timers: cannot load the complaint", "complaint", id, "error", err)
			continue
		}
		due := t.Workflow.DueTimers(c, now)
		if len(due) == 0 {
			next, _ := t.Workflow.NextTimer(c)
			if err := t.Store.Reschedule(ctx, id, c.Version(), next); err != nil {
				return p, err
			}
			p.Rescheduled++
			continue
		}
		for _, in := range due {
			_, _, err := Fire(ctx, t.Store, t.Workflow, id, in, FireOptions{})
			switch {
			case err == nil:
				p.Acted++
			case errors.Is(err, complaint.ErrTimerNotDue):
				p.Lost++ // another runner acted first
			case ctx.Err() != nil:
				return p, ctx.Err()
			default:
				log.ErrorContext(ctx, "klage: timers: the timer could not act", "complaint", id, "timer", in.Timer, "error", err)
			}
		}
	}
	if ar, ok := t.Store.(ActionReminderStore); ok && t.ActionNotifier != nil {
		actions, err := ar.ClaimActionReminders(ctx, now, batch, now.Add(lease))
		if err != nil {
			return p, err
		}
		for _, a := range actions {
			err := t.ActionNotifier.Notify(ctx, ActionReminder(a, now))
			if err != nil {
				log.WarnContext(ctx, "klage: timers: an action reminder was not delivered", "action", a.ID, "error", err)
			}
			if rerr := ar.ActionReminded(context.WithoutCancel(ctx), a.ID, a.Due, err == nil); rerr != nil {
				return p, rerr
			}
			if err == nil {
				p.Actions++
			}
		}
	}
	if pd, ok := t.Store.(PersonalData); ok && !t.NoPurge {
		purged, err := pd.Purge(ctx, PurgeOptions{Now: now})
		if err != nil {
			return p, fmt.Errorf("store: timers: purge: %w", err)
		}
		p.Purged = purged
	}
	return p, nil
}

// Run makes passes until ctx is done, then returns ctx's error: back to
// back while they fill a batch, Interval apart otherwise; a pass that
// fails is logged and tried again after Interval. A runner without a
// Store or a Workflow returns ErrTimersConfig at once.
func (t *Timers) Run(ctx context.Context) error {
	if t.Store == nil || t.Workflow == nil {
		return ErrTimersConfig
	}
	interval, batch := t.Interval, t.BatchSize
	if interval <= 0 {
		interval = 10 * time.Second
	}
	if batch <= 0 {
		batch = 100
	}
	return runPasses(ctx, interval, t.logger(), "klage: timers: pass failed", func(ctx context.Context) (bool, error) {
		p, err := t.RunOnce(ctx)
		return p.Claimed >= batch, err
	})
}

// ClaimTimers implements TimerStore.
func (m *Memory) ClaimTimers(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]string, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var due []*memComplaint
	for _, rec := range m.complaints {
		if !rec.timerDue.IsZero() && !rec.timerDue.After(now) && !rec.lease.After(now) {
			due = append(due, rec)
		}
	}
	slices.SortFunc(due, func(a, b *memComplaint) int {
		return cmp.Or(a.timerDue.Compare(b.timerDue), cmp.Compare(a.snap.ID, b.snap.ID))
	})
	var ids []string
	for _, rec := range due[:min(limit, len(due))] {
		rec.lease = leaseUntil
		ids = append(ids, rec.snap.ID)
	}
	return ids, nil
}

// Reschedule implements TimerStore.
func (m *Memory) Reschedule(_ context.Context, id string, version int, next time.Time) error {
	if err := m.usable(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec, ok := m.complaints[id]; ok && rec.snap.Version == version {
		rec.timerDue, rec.lease = next, time.Time{}
	}
	return nil
}

// ClaimTimers implements TimerStore, in one statement.
func (s *SQL) ClaimTimers(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]string, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	defer s.lockWrites()()
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`UPDATE klage_complaints SET timer_lease = ? WHERE id IN (
		SELECT id FROM klage_complaints WHERE timer_due <= ? AND (timer_lease IS NULL OR timer_lease <= ?)
		ORDER BY timer_due LIMIT ?`+s.d.skipLocked()+`) RETURNING id`), nanos(leaseUntil), nanos(now), nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim timers: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: claim timers: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim timers: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// Reschedule implements TimerStore.
func (s *SQL) Reschedule(ctx context.Context, id string, version int, next time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	defer s.lockWrites()()
	if _, err := s.db.ExecContext(ctx, s.d.rebind(`UPDATE klage_complaints SET timer_due = ?, timer_lease = NULL WHERE id = ? AND version = ?`),
		nullNanos(next, !next.IsZero()), id, version); err != nil {
		return fmt.Errorf("store: reschedule %q: %w", id, err)
	}
	return nil
}
