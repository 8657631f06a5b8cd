package store

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// ActionStatus is where an improvement action stands.
type ActionStatus string

// The statuses of an improvement action. An action starts open and ends
// done (with a note saying what was done) or dropped.
const (
	ActionOpen    ActionStatus = "open"
	ActionDone    ActionStatus = "done"
	ActionDropped ActionStatus = "dropped"
)

// Action is an improvement the Complaints Department decided on, usually
// from a finding of a review: what should change, who sees to it, by when.
type Action struct {
	ID          string         `json:"id"`
	ComplaintID string         `json:"complaint_id,omitempty"` // whose finding it came from
	Area        string         `json:"area"`
	Description string         `json:"description"`
	Owner       glossary.Actor `json:"owner"`
	Due         time.Time      `json:"due"`
	Status      ActionStatus   `json:"status"`
	Note        string         `json:"note,omitempty"` // what was done, or why it was dropped
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// Overdue reports whether a is open past its due time at t.
func (a Action) Overdue(t time.Time) bool { return a.Status == ActionOpen && t.After(a.Due) }

// ActionFilter selects actions; the zero value selects all.
type ActionFilter struct {
	Status    ActionStatus // optional
	OwnerID   string       // optional
	Area      string       // optional
	OverdueAt time.Time    // when set, only the open actions due before it
}

// ErrActionNotFound is matched by the error for an action id that does not
// exist.
var ErrActionNotFound = errors.New("store: no such action")

// Actioner is a store that keeps improvement actions: the SQL stores and
// Memory.
type Actioner interface {
	// CreateAction stores a new open action, with an id made when a.ID is
	// empty, and returns it. An *complaint.InputError reports a bad field.
	CreateAction(ctx context.Context, a Action) (Action, error)
	// UpdateAction moves an open action to done (note required) or
	// dropped; ErrActionNotFound, or an *complaint.InputError for any
	// other change.
	UpdateAction(ctx context.Context, id string, status ActionStatus, note string) (Action, error)
	// Action returns the action with id, or ErrActionNotFound.
	Action(ctx context.Context, id string) (Action, error)
	// Actions lists the actions f selects, by due time, at most
	// MaxActions.
	Actions(ctx context.Context, f ActionFilter) ([]Action, error)
}

var (
	_ Actioner = (*SQL)(nil)
	_ Actioner = (*Memory)(nil)
)

// MaxActions bounds what Actions returns.
const MaxActions = 1000

func checkAction(a *Action, now time.Time) error {
	if a.ID == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		a.ID = "act-" + hex.EncodeToString(b[:])
	}
	fields := []struct{ name, v string }{{"id", a.ID}, {"complaint_id", a.ComplaintID}, {"owner.id", a.Owner.ID}}
	for _, f := range fields {
		if len(f.v) > complaint.MaxIDLen || (f.v != "" && glossary.IDProblem(f.v) != "") {
			return &complaint.InputError{Field: f.name, Problem: "not a valid id"}
		}
	}
	switch {
	case strings.TrimSpace(a.Area) == "" || len(a.Area) > 200:
		return &complaint.InputError{Field: "area", Problem: "required, at most 200 bytes"}
	case strings.TrimSpace(a.Description) == "" || len(a.Description) > complaint.MaxTextLen:
		return &complaint.InputError{Field: "description", Problem: "required"}
	case a.Owner.ID == "":
		return &complaint.InputError{Field: "owner.id", Problem: "required"}
	case a.Owner.Role != glossary.ComplaintsDepartment && a.Owner.Role != glossary.CustomerService:
		return &complaint.InputError{Field: "owner.role", Problem: "the Complaints Department or customer service"}
	case a.Due.IsZero():
		return &complaint.InputError{Field: "due", Problem: "required"}
	}
	a.Status, a.Note, a.CreatedAt, a.UpdatedAt = ActionOpen, "", now, now
	return nil
}

func checkUpdate(a *Action, status ActionStatus, note string, now time.Time) error {
	switch {
	case a.Status != ActionOpen:
		return &complaint.InputError{Field: "status", Problem: "the action is " + string(a.Status) + " already"}
	case status != ActionDone && status != ActionDropped:
		return &complaint.InputError{Field: "status", Problem: "done or dropped"}
	case status == ActionDone && strings.TrimSpace(note) == "":
		return &complaint.InputError{Field: "note", Problem: "say what was done"}
	case len(note) > complaint.MaxTextLen:
		return &complaint.InputError{Field: "note", Problem: "too long"}
	}
	a.Status, a.Note, a.UpdatedAt = status, note, now
	return nil
}

func (f ActionFilter) matches(a Action) bool {
	switch {
	case f.Status != "" && a.Status != f.Status:
		return false
	case f.OwnerID != "" && !glossary.SameID(f.OwnerID, a.Owner.ID):
		return false
	case f.Area != "" && a.Area != f.Area:
		return false
	case !f.OverdueAt.IsZero() && !a.Overdue(f.OverdueAt):
		return false
	}
	return true
}

// ActionReminders returns a reminder for each action overdue at t,
// addressed to its owner's role as an overdue clock's is: topic reminder,
// event remind by the system, the action in Data.Note, Data.Deadline named
// complaint.DeadlineImprovementAction with the owner and due time. Its
// ComplaintID is the complaint the action came from (the action's id when
// none), its Seq the due time in Unix seconds, so that every lapse of every
// action has its own key, the same on every attempt. Like
// Workflow.Sweep it changes nothing; a Timers runner with an
// ActionNotifier delivers them once per lapse.
func ActionReminders(actions []Action, t time.Time) []complaint.Notification {
	var out []complaint.Notification
	for _, a := range actions {
		if !a.Overdue(t) {
			continue
		}
		out = append(out, ActionReminder(a, t))
	}
	return out
}

// ActionReminder is the reminder of action a (see ActionReminders).
func ActionReminder(a Action, t time.Time) complaint.Notification {
	id := a.ComplaintID
	if id == "" {
		id = a.ID
	}
	return complaint.Notification{Topic: complaint.TopicReminder, Recipient: a.Owner.Role, ComplaintID: id, Seq: int(a.Due.Unix()), At: t,
		Data: complaint.Data{Event: complaint.EventRemind, By: glossary.System, Language: glossary.Danish, Note: a.Area + ": " + a.Description,
			Deadline: &complaint.Deadline{Name: complaint.DeadlineImprovementAction, Owner: a.Owner.Role, Due: a.Due}}}
}

// ActionReminderStore is a store that reminds the owners of overdue
// improvement actions once per lapse, through a [Timers] runner: it claims
// the actions whose reminder is due with a lease, and records each
// reminder once delivered. Memory and SQL are ActionReminderStores.
type ActionReminderStore interface {
	// ClaimActionReminders leases, until leaseUntil, up to limit open
	// actions overdue at now whose owner has not been reminded of their
	// current due time and that no other claim holds.
	ClaimActionReminders(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Action, error)
	// ActionReminded records that a's owner was reminded of due, and
	// releases the claim; with ok false it only releases it, for the next
	// claim to try again.
	ActionReminded(ctx context.Context, id string, due time.Time, ok bool) error
}

var (
	_ ActionReminderStore = (*SQL)(nil)
	_ ActionReminderStore = (*Memory)(nil)
)

// DeadlineImprovementAction names an improvement action's due time in its
// reminder: complaint.DeadlineImprovementAction.
const DeadlineImprovementAction = complaint.DeadlineImprovementAction

// CreateAction implements Actioner.
func (s *SQL) CreateAction(ctx context.Context, a Action) (Action, error) {
	if err := s.usable(); err != nil {
		return Action{}, err
	}
	if err := checkAction(&a, s.w.Now()); err != nil {
		return Action{}, err
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, s.d.rebind(`INSERT INTO klage_actions (id, complaint_id, area, description, owner_id, owner_role, due, status, note, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		a.ID, a.ComplaintID, a.Area, a.Description, a.Owner.ID, string(a.Owner.Role), nanos(a.Due), string(a.Status), a.Note, nanos(a.CreatedAt), nanos(a.UpdatedAt))
	if err != nil {
		return Action{}, fmt.Errorf("store: create action: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return Action{}, ErrExists
	}
	return a, nil
}

const actionColumns = `id, complaint_id, area, description, owner_id, owner_role, due, status, note, created_at, updated_at`

func scanAction(row interface{ Scan(...any) error }) (Action, error) {
	var a Action
	var role, status string
	var due, created, updated int64
	if err := row.Scan(&a.ID, &a.ComplaintID, &a.Area, &a.Description, &a.Owner.ID, &role, &due, &status, &a.Note, &created, &updated); err != nil {
		return Action{}, err
	}
	a.Owner.Role, a.Status = glossary.Role(role), ActionStatus(status)
	a.Due, a.CreatedAt, a.UpdatedAt = fromNanos(due), fromNanos(created), fromNanos(updated)
	return a, nil
}

// Action implements Actioner.
func (s *SQL) Action(ctx context.Context, id string) (Action, error) {
	if err := s.usable(); err != nil {
		return Action{}, err
	}
	a, err := scanAction(s.db.QueryRowContext(ctx, s.d.rebind(`SELECT `+actionColumns+` FROM klage_actions WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, fmt.Errorf("%w: %s", ErrActionNotFound, id)
	}
	if err != nil {
		return Action{}, fmt.Errorf("store: action: %w", err)
	}
	return a, nil
}

// UpdateAction implements Actioner.
func (s *SQL) UpdateAction(ctx context.Context, id string, status ActionStatus, note string) (Action, error) {
	if err := s.usable(); err != nil {
		return Action{}, err
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Action{}, err
	}
	defer func() { _ = tx.Rollback() }()
	lock := s.d.forUpdate()
	a, err := scanAction(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+actionColumns+` FROM klage_actions WHERE id = ?`+lock), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Action{}, fmt.Errorf("%w: %s", ErrActionNotFound, id)
	}
	if err != nil {
		return Action{}, fmt.Errorf("store: update action: %w", err)
	}
	if err := checkUpdate(&a, status, note, s.w.Now()); err != nil {
		return Action{}, err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_actions SET status = ?, note = ?, updated_at = ? WHERE id = ?`),
		string(a.Status), a.Note, nanos(a.UpdatedAt), id); err != nil {
		return Action{}, fmt.Errorf("store: update action: %w", err)
	}
	return a, tx.Commit()
}

// Actions implements Actioner.
func (s *SQL) Actions(ctx context.Context, f ActionFilter) ([]Action, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	var where []string
	var args []any
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, string(f.Status))
	}
	if f.Area != "" {
		where, args = append(where, "area = ?"), append(args, f.Area)
	}
	if !f.OverdueAt.IsZero() {
		where, args = append(where, "status = 'open' AND due < ?"), append(args, nanos(f.OverdueAt))
	}
	q := `SELECT ` + actionColumns + ` FROM klage_actions`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY due, id"
	if f.OwnerID == "" {
		q += fmt.Sprintf(" LIMIT %d", MaxActions)
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: actions: %w", err)
	}
	// The owner compares as an identity (glossary.SameID), in Go: the
	// rows are read until MaxActions match.
	out := []Action{}
	err = each(rows, func() error {
		a, err := scanAction(rows)
		if err == nil && f.matches(a) && len(out) < MaxActions {
			out = append(out, a)
		}
		return err
	})
	return out, err
}

// CreateAction implements Actioner.
func (m *Memory) CreateAction(ctx context.Context, a Action) (Action, error) {
	if err := m.ready(ctx); err != nil {
		return Action{}, err
	}
	if err := checkAction(&a, m.w.Now()); err != nil {
		return Action{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.actions == nil {
		m.actions = map[string]Action{}
	}
	if _, ok := m.actions[a.ID]; ok {
		return Action{}, ErrExists
	}
	m.actions[a.ID] = a
	return a, nil
}

// Action implements Actioner.
func (m *Memory) Action(ctx context.Context, id string) (Action, error) {
	if err := m.ready(ctx); err != nil {
		return Action{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.actions[id]
	if !ok {
		return Action{}, fmt.Errorf("%w: %s", ErrActionNotFound, id)
	}
	return a, nil
}

// UpdateAction implements Actioner.
func (m *Memory) UpdateAction(ctx context.Context, id string, status ActionStatus, note string) (Action, error) {
	if err := m.ready(ctx); err != nil {
		return Action{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.actions[id]
	if !ok {
		return Action{}, fmt.Errorf("%w: %s", ErrActionNotFound, id)
	}
	if err := checkUpdate(&a, status, note, m.w.Now()); err != nil {
		return Action{}, err
	}
	m.actions[id] = a
	return a, nil
}

// Actions implements Actioner.
func (m *Memory) Actions(ctx context.Context, f ActionFilter) ([]Action, error) {
	if err := m.ready(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	out := []Action{}
	for _, a := range m.actions {
		if f.matches(a) {
			out = append(out, a)
		}
	}
	m.mu.Unlock()
	slices.SortFunc(out, func(a, b Action) int {
		if c := a.Due.Compare(b.Due); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(out) > MaxActions {
		out = out[:MaxActions]
	}
	return out, nil
}

// memReminder is what Memory knows of an action's reminders.
type memReminder struct {
	reminded, lease time.Time
}

// ClaimActionReminders implements ActionReminderStore.
func (m *Memory) ClaimActionReminders(_ context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Action, error) {
	if err := m.usable(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reminders == nil {
		m.reminders = map[string]*memReminder{}
	}
	var out []Action
	for _, a := range m.actions {
		r := m.reminders[a.ID]
		if r == nil {
			r = &memReminder{}
			m.reminders[a.ID] = r
		}
		if !a.Overdue(now) || r.reminded.Equal(a.Due) || r.lease.After(now) {
			continue
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Action) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ID, b.ID)) })
	out = out[:min(limit, len(out))]
	for _, a := range out {
		m.reminders[a.ID].lease = leaseUntil
	}
	return out, nil
}

// ActionReminded implements ActionReminderStore.
func (m *Memory) ActionReminded(_ context.Context, id string, due time.Time, ok bool) error {
	if err := m.usable(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r := m.reminders[id]; r != nil {
		r.lease = time.Time{}
		if ok {
			r.reminded = due
		}
	}
	return nil
}

// ClaimActionReminders implements ActionReminderStore, in one statement.
func (s *SQL) ClaimActionReminders(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Action, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	defer s.lockWrites()()
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`UPDATE klage_actions SET reminder_lease = ? WHERE id IN (
		SELECT id FROM klage_actions WHERE status = 'open' AND due < ? AND (reminded_due IS NULL OR reminded_due <> due)
		AND (reminder_lease IS NULL OR reminder_lease <= ?) ORDER BY due, id LIMIT ?`+s.d.skipLocked()+`)
		RETURNING `+actionColumns), nanos(leaseUntil), nanos(now), nanos(now), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim action reminders: %w", err)
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, fmt.Errorf("store: claim action reminders: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: claim action reminders: %w", err)
	}
	slices.SortFunc(out, func(a, b Action) int { return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// ActionReminded implements ActionReminderStore.
func (s *SQL) ActionReminded(ctx context.Context, id string, due time.Time, ok bool) error {
	if err := s.usable(); err != nil {
		return err
	}
	defer s.lockWrites()()
	q := `UPDATE klage_actions SET reminder_lease = NULL WHERE id = ?`
	args := []any{id}
	if ok {
		q = `UPDATE klage_actions SET reminder_lease = NULL, reminded_due = ? WHERE id = ?`
		args = []any{nanos(due), id}
	}
	if _, err := s.db.ExecContext(ctx, s.d.rebind(q), args...); err != nil {
		return fmt.Errorf("store: action reminded %q: %w", id, err)
	}
	return nil
}
