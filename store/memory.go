package store

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// Memory is a Store and Outbox in memory, for tests and demos. It keeps
// snapshots, so a complaint it returns shares no memory with what it holds.
// It is safe for concurrent use. The zero Memory is an empty store that
// restores complaints with the zero complaint.Workflow (the reference
// lifecycle); NewMemory gives it a workflow of your own.
type Memory struct {
	w *complaint.Workflow

	mu         sync.Mutex
	complaints map[string]*memComplaint
	outbox     []*memMessage // in the order they were written
	byKey      map[string]*memMessage
	ratings    map[string]complaint.Rating
	actions    map[string]Action
	reminders  map[string]*memReminder
	closed     atomic.Bool
}

type memComplaint struct {
	snap     complaint.Snapshot
	nextDue  time.Time
	timerDue time.Time // zero: no timer will act
	lease    time.Time // a timer runner's claim
}

type memMessage struct {
	Message
	leasedUntil time.Time // zero when no claim holds it
}

func (msg *memMessage) dead() bool { return msg.Dead() }

var (
	_ Store  = (*Memory)(nil)
	_ Outbox = (*Memory)(nil)
)

// NewMemory returns an empty Memory store that restores complaints with w.
func NewMemory(w *complaint.Workflow) *Memory {
	return &Memory{w: w, complaints: map[string]*memComplaint{}, byKey: map[string]*memMessage{}}
}

func (m *Memory) record(c *complaint.Complaint) *memComplaint {
	s := c.Snapshot()
	s.Pending = nil
	next, _ := c.NextDue()
	timer, _ := m.w.NextTimer(c)
	return &memComplaint{snap: s, nextDue: next, timerDue: timer}
}

// lazyInit makes the zero Memory usable; m.mu is held.
func (m *Memory) lazyInit() {
	if m.complaints == nil {
		m.complaints, m.byKey = map[string]*memComplaint{}, map[string]*memMessage{}
	}
}

// write appends ns to the outbox; m.mu is held.
func (m *Memory) write(ns []complaint.Notification) {
	for _, n := range ns {
		key := n.Key()
		if _, dup := m.byKey[key]; dup {
			continue // the same notification offered twice is one message
		}
		msg := &memMessage{Message: Message{Notification: n, StoredKey: n.Key(), NextAttempt: n.At}}
		m.outbox = append(m.outbox, msg)
		m.byKey[key] = msg
	}
}

// Create implements Store.
func (m *Memory) Create(ctx context.Context, c *complaint.Complaint) error {
	if err := m.usable(); err != nil {
		return err
	}
	return observeSave(ctx, m.w, c, func(ctx context.Context) error { return m.create(ctx, c) })
}

func (m *Memory) create(ctx context.Context, c *complaint.Complaint) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	rec := m.record(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lazyInit()
	if _, ok := m.complaints[c.ID()]; ok {
		return ErrExists
	}
	m.complaints[c.ID()] = rec
	m.write(c.TakePending())
	return nil
}

// Get implements Store.
func (m *Memory) Get(ctx context.Context, id string) (*complaint.Complaint, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	rec, ok := m.complaints[id]
	m.mu.Unlock()
	if !ok {
		return nil, &NotFoundError{ID: id}
	}
	c, err := m.w.Restore(rec.snap) // rec.snap is never changed, only replaced
	if err != nil {
		return nil, &DecodeError{ID: id, Err: err}
	}
	return c, nil
}

// Save implements Store.
func (m *Memory) Save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := m.usable(); err != nil {
		return err
	}
	return observeSave(ctx, m.w, c, func(ctx context.Context) error { return m.save(ctx, c, expectedVersion) })
}

func (m *Memory) save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkExpected(c, expectedVersion); err != nil {
		return err
	}
	rec := m.record(c)
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.complaints[c.ID()]
	if !ok {
		return &NotFoundError{ID: c.ID()}
	}
	if old.snap.Version != expectedVersion {
		return &ConflictError{ID: c.ID(), Expected: expectedVersion, Actual: old.snap.Version}
	}
	for _, n := range c.Pending() {
		if _, dup := m.byKey[n.Key()]; dup {
			// A copy that carries notifications already written is stale
			// (restored from before its save), as the SQL store's unique
			// keys say too.
			return &ConflictError{ID: c.ID(), Expected: expectedVersion, Actual: old.snap.Version}
		}
	}
	m.complaints[c.ID()] = rec
	m.write(c.TakePending())
	return nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, f Filter) (Page, error) {
	if err := m.ready(ctx); err != nil {
		return Page{}, err
	}
	query := f.query()
	cur, err := decodeCursor(f.Cursor, query)
	if err != nil {
		return Page{}, err
	}
	overdue := !f.OverdueAt.IsZero()
	m.mu.Lock()
	var recs []*memComplaint
	for _, rec := range m.complaints {
		snap := &rec.snap
		manufacturer := snap.Product.Manufacturer
		if snap.Referral != nil {
			manufacturer = snap.Referral.Manufacturer
		}
		switch {
		case f.State != "" && snap.State != f.State,
			overdue && (rec.nextDue.IsZero() || rec.nextDue.After(f.OverdueAt)),
			f.CustomerID != "" && snap.Customer.ID != f.CustomerID,
			f.Manufacturer != "" && !glossary.SameID(manufacturer, f.Manufacturer),
			f.Kind != "" && snap.Kind != f.Kind,
			!f.CreatedFrom.IsZero() && snap.CreatedAt.Before(f.CreatedFrom),
			!f.CreatedBefore.IsZero() && !snap.CreatedAt.Before(f.CreatedBefore):
			continue
		}
		if f.Cursor != "" {
			due := rec.nextDue.UnixNano()
			if overdue && (due < cur.Due || (due == cur.Due && snap.ID <= cur.ID)) || !overdue && snap.ID <= cur.ID {
				continue
			}
		}
		recs = append(recs, rec)
	}
	m.mu.Unlock()
	slices.SortFunc(recs, func(a, b *memComplaint) int {
		if overdue {
			if c := a.nextDue.Compare(b.nextDue); c != 0 {
				return c
			}
		}
		return strings.Compare(a.snap.ID, b.snap.ID)
	})
	var page Page
	if limit := f.limit(); len(recs) > limit {
		recs = recs[:limit]
		last := recs[limit-1]
		page.Next = cursor{Query: query, ID: last.snap.ID, Due: last.nextDue.UnixNano()}.encode()
	}
	for _, rec := range recs {
		c, err := m.w.Restore(rec.snap)
		if err != nil {
			page.Corrupt = append(page.Corrupt, &DecodeError{ID: rec.snap.ID, Err: err})
			continue
		}
		page.Complaints = append(page.Complaints, c)
	}
	return page, nil
}

// HistoryPage implements Store.
func (m *Memory) HistoryPage(ctx context.Context, id string, limit int, after string) (HistoryPage, error) {
	if err := m.usable(); err != nil {
		return HistoryPage{}, err
	}
	cur, err := decodeCursor(after, historyQuery(id))
	if err != nil {
		return HistoryPage{}, err
	}
	h, err := m.History(ctx, id)
	if err != nil {
		return HistoryPage{}, err
	}
	h = h[min(cur.Seq, len(h)):]
	var page HistoryPage
	if limit = limitOf(limit); len(h) > limit {
		h = h[:limit]
		page.Next = cursor{Query: historyQuery(id), Seq: h[limit-1].Seq}.encode()
	}
	page.Entries = h
	return page, nil
}

// History implements Store.
func (m *Memory) History(ctx context.Context, id string) ([]complaint.Entry, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.complaints[id]
	if !ok {
		return nil, &NotFoundError{ID: id}
	}
	return slices.Clone(rec.snap.History), nil
}

// Notifications implements Outbox.
func (m *Memory) Notifications(ctx context.Context, id string) ([]Message, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.complaints[id]; !ok {
		return nil, &NotFoundError{ID: id}
	}
	var out []Message
	for _, msg := range m.outbox {
		if msg.ComplaintID == id {
			out = append(out, msg.Message)
		}
	}
	return out, nil
}

// Pending implements Outbox.
func (m *Memory) Pending(ctx context.Context, limit int) ([]Message, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	return m.messages(ctx, limit, func(msg *memMessage) bool { return !msg.Delivered() && !msg.Dead() })
}

// messages returns up to limit messages that keep selects, oldest first.
func (m *Memory) messages(ctx context.Context, limit int, keep func(*memMessage) bool) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Message
	for _, msg := range m.outbox {
		if len(out) == limit {
			break
		}
		if keep(msg) {
			out = append(out, msg.Message)
		}
	}
	return out, nil
}

// Claim implements Outbox.
func (m *Memory) Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Message, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Message
	for _, msg := range m.outbox {
		if len(out) == limit {
			break
		}
		if msg.Delivered() || msg.Dead() || msg.NextAttempt.After(now) || msg.leasedUntil.After(now) {
			continue
		}
		msg.leasedUntil = leaseUntil
		out = append(out, msg.Message)
	}
	return out, nil
}

// settle applies fn to the message with key, under the lock.
func (m *Memory) settle(ctx context.Context, key string, fn func(*memMessage)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	msg, ok := m.byKey[key]
	if !ok {
		return &MessageNotFoundError{Key: key}
	}
	fn(msg)
	return nil
}

// MarkDelivered implements Outbox.
func (m *Memory) MarkDelivered(ctx context.Context, key string, at time.Time) error {
	if err := m.usable(); err != nil {
		return err
	}
	return m.settle(ctx, key, func(msg *memMessage) {
		if msg.Delivered() {
			return
		}
		msg.Attempts++
		msg.DeliveredAt = at
		msg.leasedUntil = time.Time{}
	})
}

// MarkFailed implements Outbox.
func (m *Memory) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	if err := m.usable(); err != nil {
		return err
	}
	return m.settle(ctx, key, func(msg *memMessage) {
		if msg.failedAttempt(reason) {
			msg.NextAttempt = retryAt
		}
	})
}

// failedAttempt records a failed attempt with its reason and ends the
// claim, unless msg was delivered meanwhile; it reports whether it did.
func (msg *memMessage) failedAttempt(reason string) bool {
	if msg.Delivered() {
		return false
	}
	msg.Attempts++
	msg.LastError = reason
	msg.leasedUntil = time.Time{}
	return true
}

// Release implements Outbox.
func (m *Memory) Release(ctx context.Context, key string) error {
	if err := m.usable(); err != nil {
		return err
	}
	return m.settle(ctx, key, func(msg *memMessage) { msg.leasedUntil = time.Time{} })
}

// Extend implements Outbox.
func (m *Memory) Extend(ctx context.Context, keys []string, leaseUntil time.Time) error {
	if err := m.ready(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		if msg, ok := m.byKey[k]; ok && !msg.Delivered() && !msg.Dead() && !msg.leasedUntil.IsZero() {
			msg.leasedUntil = leaseUntil
		}
	}
	return nil
}

// Requeue implements Outbox.
func (m *Memory) Requeue(ctx context.Context, key string, at time.Time) error {
	if err := m.usable(); err != nil {
		return err
	}
	return m.settle(ctx, key, func(msg *memMessage) {
		if msg.Dead() && !msg.Delivered() {
			msg.DeadLettered, msg.NextAttempt, msg.leasedUntil = time.Time{}, at, time.Time{}
		}
	})
}

// DeadLetter implements Outbox.
func (m *Memory) DeadLetter(ctx context.Context, key, reason string, at time.Time) error {
	if err := m.usable(); err != nil {
		return err
	}
	return m.settle(ctx, key, func(msg *memMessage) {
		if msg.failedAttempt(reason) {
			msg.DeadLettered = at
		}
	})
}

// DeadLetters implements Outbox.
func (m *Memory) DeadLetters(ctx context.Context, limit int) ([]Message, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	return m.messages(ctx, limit, (*memMessage).dead)
}

// Close implements Store: every later call returns ErrClosed.
func (m *Memory) Close() error {
	if m != nil {
		m.closed.Store(true)
	}
	return nil
}

// usable returns ErrClosed for a closed Memory (the zero Memory works, on
// the default workflow).
func (m *Memory) usable() error {
	if m == nil || m.closed.Load() {
		return ErrClosed
	}
	return nil
}

// ready is usable, and ctx not done: what every call that works on the
// store's data checks first.
func (m *Memory) ready(ctx context.Context) error {
	if err := m.usable(); err != nil {
		return err
	}
	return ctx.Err()
}
