// Package kitstore is a store written outside package store, from its
// public API only, as a team writing its own store would: complaints as
// snapshots in maps, an outbox as a slice. Its test runs the whole
// conformance kit (store/storetest) on it, which proves that the store
// contract can be met from outside the module's store package. It is not
// for production: it keeps everything in memory and scans to list.
package kitstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/store"
)

// Store is a store.Store and store.Outbox in memory.
type Store struct {
	w          *complaint.Workflow
	mu         sync.Mutex
	complaints map[string]complaint.Snapshot // with their whole history, no pending
	outbox     []*message
	byKey      map[string]*message
	closed     bool
}

type message struct {
	store.Message
	leased time.Time
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Outbox = (*Store)(nil)
)

// New returns an empty store for complaints of w.
func New(w *complaint.Workflow) *Store {
	return &Store{w: w, complaints: map[string]complaint.Snapshot{}, byKey: map[string]*message{}}
}

func (s *Store) lock() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	return nil
}

// write moves c's pending notifications to the outbox; s.mu is held.
func (s *Store) write(ns []complaint.Notification) {
	for _, n := range ns {
		m := &message{Message: store.Message{Notification: n, StoredKey: n.Key(), NextAttempt: n.At}}
		s.outbox = append(s.outbox, m)
		s.byKey[n.Key()] = m
	}
}

// Create implements store.Store.
func (s *Store) Create(_ context.Context, c *complaint.Complaint) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.complaints[c.ID()]; ok {
		return store.ErrExists
	}
	for _, n := range c.Pending() {
		if _, dup := s.byKey[n.Key()]; dup {
			return store.ErrExists
		}
	}
	s.write(c.TakePending())
	s.complaints[c.ID()] = c.Snapshot()
	return nil
}

// Get implements store.Store.
func (s *Store) Get(_ context.Context, id string) (*complaint.Complaint, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	snap, ok := s.complaints[id]
	s.mu.Unlock()
	if !ok {
		return nil, &store.NotFoundError{ID: id}
	}
	c, err := s.w.Restore(snap)
	if err != nil {
		return nil, &store.DecodeError{ID: id, Err: err}
	}
	return c, nil
}

// Save implements store.Store.
func (s *Store) Save(_ context.Context, c *complaint.Complaint, expected int) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.complaints[c.ID()]
	switch {
	case !ok:
		return &store.NotFoundError{ID: c.ID()}
	case old.Version != expected || expected < 1 || expected > c.Version():
		return &store.ConflictError{ID: c.ID(), Expected: expected, Actual: old.Version}
	}
	for _, n := range c.Pending() {
		if _, dup := s.byKey[n.Key()]; dup {
			return &store.ConflictError{ID: c.ID(), Expected: expected, Actual: old.Version}
		}
	}
	snap := c.Snapshot()
	if cp := snap.Checkpoint; cp != nil {
		// A complaint restored from a checkpoint holds only its newest
		// entries: keep the older ones.
		snap.History = append(slices.Clone(old.History[:cp.Seq]), snap.History...)
		snap.Checkpoint = nil
	}
	snap.Pending = nil
	s.write(c.TakePending())
	s.complaints[c.ID()] = snap
	return nil
}

// List implements store.Store: by id, or by due time with OverdueAt.
func (s *Store) List(_ context.Context, f store.Filter) (store.Page, error) {
	if err := s.lock(); err != nil {
		return store.Page{}, err
	}
	var snaps []complaint.Snapshot
	for _, snap := range s.complaints {
		snaps = append(snaps, snap)
	}
	s.mu.Unlock()
	after := ""
	if f.Cursor != "" {
		id, ok := cursorID(f.Cursor)
		if !ok {
			return store.Page{}, fmt.Errorf("kitstore: %w", store.ErrInvalidCursor)
		}
		after = id
	}
	slices.SortFunc(snaps, func(a, b complaint.Snapshot) int { return cmp.Compare(a.ID, b.ID) })
	limit := f.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	var page store.Page
	for _, snap := range snaps {
		if snap.ID <= after || !matches(f, snap) {
			continue
		}
		if len(page.Complaints) == limit {
			page.Next = "id:" + page.Complaints[len(page.Complaints)-1].ID()
			break
		}
		c, err := s.w.Restore(snap)
		if err != nil {
			page.Corrupt = append(page.Corrupt, &store.DecodeError{ID: snap.ID, Err: err})
			continue
		}
		page.Complaints = append(page.Complaints, c)
	}
	return page, nil
}

func cursorID(cursor string) (string, bool) {
	if len(cursor) < 4 || cursor[:3] != "id:" {
		return "", false
	}
	return cursor[3:], true
}

func matches(f store.Filter, s complaint.Snapshot) bool {
	manufacturer := s.Product.Manufacturer
	if s.Referral != nil {
		manufacturer = s.Referral.Manufacturer
	}
	switch {
	case f.State != "" && s.State != f.State,
		f.CustomerID != "" && s.Customer.ID != f.CustomerID,
		f.Kind != "" && s.Kind != f.Kind,
		f.Manufacturer != "" && !glossary.SameID(f.Manufacturer, manufacturer),
		!f.CreatedFrom.IsZero() && s.CreatedAt.Before(f.CreatedFrom),
		!f.CreatedBefore.IsZero() && !s.CreatedAt.Before(f.CreatedBefore):
		return false
	}
	if !f.OverdueAt.IsZero() {
		for _, d := range s.Deadlines {
			if d.OverdueAt(f.OverdueAt) {
				return true
			}
		}
		return false
	}
	return true
}

// History implements store.Store.
func (s *Store) History(_ context.Context, id string) ([]complaint.Entry, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	snap, ok := s.complaints[id]
	if !ok {
		return nil, &store.NotFoundError{ID: id}
	}
	return slices.Clone(snap.History), nil
}

// HistoryPage implements store.Store; the cursor is the last seq given.
func (s *Store) HistoryPage(ctx context.Context, id string, limit int, cursor string) (store.HistoryPage, error) {
	h, err := s.History(ctx, id)
	if err != nil {
		return store.HistoryPage{}, err
	}
	after := 0
	if cursor != "" {
		if after, err = strconv.Atoi(cursor); err != nil || after < 0 {
			return store.HistoryPage{}, fmt.Errorf("kitstore: %w", store.ErrInvalidCursor)
		}
	}
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	var page store.HistoryPage
	for _, e := range h {
		if e.Seq <= after {
			continue
		}
		if len(page.Entries) == limit {
			page.Next = strconv.Itoa(page.Entries[len(page.Entries)-1].Seq)
			break
		}
		page.Entries = append(page.Entries, e)
	}
	return page, nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// messages returns the messages keep selects, in outbox order.
func (s *Store) messages(keep func(*message) bool) ([]store.Message, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Message{}
	for _, m := range s.outbox {
		if keep(m) {
			out = append(out, m.Message)
		}
	}
	return out, nil
}

// Notifications implements store.Outbox.
func (s *Store) Notifications(_ context.Context, id string) ([]store.Message, error) {
	out, err := s.messages(func(m *message) bool { return m.ComplaintID == id })
	if err == nil && len(out) == 0 {
		s.mu.Lock()
		_, ok := s.complaints[id]
		s.mu.Unlock()
		if !ok {
			return nil, &store.NotFoundError{ID: id}
		}
	}
	return out, err
}

// Pending implements store.Outbox.
func (s *Store) Pending(_ context.Context, limit int) ([]store.Message, error) {
	out, err := s.messages(func(m *message) bool { return !m.Delivered() && !m.Dead() })
	return out[:min(limit, len(out))], err
}

// DeadLetters implements store.Outbox.
func (s *Store) DeadLetters(_ context.Context, limit int) ([]store.Message, error) {
	out, err := s.messages(func(m *message) bool { return m.Dead() })
	return out[:min(limit, len(out))], err
}

// Claim implements store.Outbox.
func (s *Store) Claim(_ context.Context, now time.Time, limit int, until time.Time) ([]store.Message, error) {
	if err := s.lock(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var out []store.Message
	for _, m := range s.outbox {
		if len(out) == limit {
			break
		}
		if m.Delivered() || m.Dead() || m.NextAttempt.After(now) || m.leased.After(now) {
			continue
		}
		m.leased = until
		out = append(out, m.Message)
	}
	return out, nil
}

// settle changes the message with key under the lock.
func (s *Store) settle(key string, fn func(*message)) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	m, ok := s.byKey[key]
	if !ok {
		return &store.MessageNotFoundError{Key: key}
	}
	if !m.Delivered() {
		fn(m)
	}
	return nil
}

// MarkDelivered implements store.Outbox.
func (s *Store) MarkDelivered(_ context.Context, key string, at time.Time) error {
	return s.settle(key, func(m *message) { m.Attempts++; m.DeliveredAt, m.leased = at, time.Time{} })
}

// MarkFailed implements store.Outbox.
func (s *Store) MarkFailed(_ context.Context, key, reason string, retryAt time.Time) error {
	return s.settle(key, func(m *message) {
		m.Attempts++
		m.LastError, m.NextAttempt, m.leased = reason, retryAt, time.Time{}
	})
}

// Release implements store.Outbox.
func (s *Store) Release(_ context.Context, key string) error {
	return s.settle(key, func(m *message) { m.leased = time.Time{} })
}

// DeadLetter implements store.Outbox.
func (s *Store) DeadLetter(_ context.Context, key, reason string, at time.Time) error {
	return s.settle(key, func(m *message) {
		m.Attempts++
		m.LastError, m.DeadLettered, m.leased = reason, at, time.Time{}
	})
}

// Extend implements store.Outbox.
func (s *Store) Extend(_ context.Context, keys []string, until time.Time) error {
	if err := s.lock(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for _, k := range keys {
		if m, ok := s.byKey[k]; ok && !m.Delivered() && !m.Dead() && !m.leased.IsZero() {
			m.leased = until
		}
	}
	return nil
}

// Requeue implements store.Outbox.
func (s *Store) Requeue(_ context.Context, key string, at time.Time) error {
	return s.settle(key, func(m *message) {
		if m.Dead() {
			m.DeadLettered, m.NextAttempt, m.leased = time.Time{}, at, time.Time{}
		}
	})
}
