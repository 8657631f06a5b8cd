package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// row is what a complaint's row holds, encoded.
type row struct {
	state        string
	version      int
	nextDue      sql.NullInt64
	data         string // the checkpoint snapshot, without the customer's contact details
	kind         string
	manufacturer string
	closedAt     sql.NullInt64
	erasedAt     sql.NullInt64
	milestones   [3]sql.NullInt64         // seconds to the first response, the final answer and the decision
	timerDue     sql.NullInt64            // when a timer next acts (complaint.Workflow.NextTimer)
	customer     complaint.Customer       // whose contact details go to klage_customers
	pending      []complaint.Notification // without contact details
	entries      []complaint.Entry        // the history entries after the stored version
	snap         complaint.Snapshot       // what data encodes, for the decoded cache
}

// head returns the arguments of insertComplaint for r.
func (r row) insertArgs(c *complaint.Complaint, now time.Time) []any {
	return []any{c.ID(), r.state, r.version, nanos(c.CreatedAt()), nanos(now), r.nextDue, r.data,
		r.customer.ID, r.kind, r.manufacturer, r.closedAt, r.milestones[0], r.milestones[1], r.milestones[2], r.timerDue}
}

// updateArgs returns the arguments of updateComplaint for r.
func (r row) updateArgs(c *complaint.Complaint, now time.Time, expectedVersion int) []any {
	return []any{r.state, r.version, nanos(now), r.nextDue, r.data, r.kind, r.manufacturer, r.closedAt,
		r.milestones[0], r.milestones[1], r.milestones[2], r.timerDue, c.ID(), expectedVersion, r.erasedAt}
}

// customerArgs are the values of r's klage_customers row.
func (r row) customerArgs(now time.Time) []any {
	cu := r.customer
	return []any{cu.ID, cu.Name, cu.Email, cu.Phone, cu.Address, nanos(now)}
}

// customerColumns are klage_customers' columns that a create writes; an
// existing customer takes the newest details.
var customerColumns = [...][2]string{{"id", "text"}, {"name", "text"}, {"email", "text"}, {"phone", "text"}, {"address", "text"}, {"updated_at", "bigint"}}

const customerConflict = ` ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, phone = excluded.phone,
	address = excluded.address, updated_at = excluded.updated_at, erased_at = NULL`

// encode returns what c's row and its new rows hold: the complaint as a
// checkpoint and its newest entry (complaint.Workflow.SnapshotTail), the
// history entries after version after, and the pending notifications.
func (s *SQL) encode(c *complaint.Complaint, after int) (row, error) {
	snap := s.w.SnapshotTail(c, 1)
	pending := make([]complaint.Notification, len(snap.Pending))
	for i, n := range snap.Pending {
		pending[i] = n.WithoutContact()
	}
	snap.Pending = nil
	customer := snap.Customer
	snap.Customer = customer.WithoutContact()
	data, err := json.Marshal(&snap)
	if err != nil {
		return row{}, fmt.Errorf("store: encode complaint %q: %w", c.ID(), err)
	}
	var entries []complaint.Entry
	for _, e := range c.History() {
		if e.Seq > after {
			entries = append(entries, e)
		}
	}
	next, ok := c.NextDue()
	timer, timed := s.w.NextTimer(c)
	manufacturer := snap.Product.Manufacturer
	if snap.Referral != nil {
		manufacturer = snap.Referral.Manufacturer
	}
	last := c.Last()
	closed := s.w.Terminal(snap.State) // retention runs from then
	m := s.w.Milestones(c)
	secs := func(d time.Duration, ok bool) sql.NullInt64 {
		return sql.NullInt64{Int64: int64(d / time.Second), Valid: ok}
	}
	return row{
		milestones: [3]sql.NullInt64{secs(m.FirstResponse, m.HasFirstResponse), secs(m.FinalAnswer, m.HasFinalAnswer), secs(m.Decision, m.HasDecision)},
		timerDue:   nullNanos(timer, timed),
		state:      string(snap.State), version: snap.Version, nextDue: nullNanos(next, ok), data: string(data),
		kind: string(snap.Kind), manufacturer: glossary.NormalID(manufacturer),
		closedAt: nullNanos(last.At, closed), erasedAt: nullNanos(snap.ErasedAt, !snap.ErasedAt.IsZero()),
		customer: customer, pending: pending, entries: entries, snap: snap,
	}, nil
}

// Create implements Store. The customer's contact details go to the
// customer's record, where the newest complaint's details replace older
// ones.
func (s *SQL) Create(ctx context.Context, c *complaint.Complaint) error {
	if err := s.usable(); err != nil {
		return err
	}
	return observeSave(ctx, s.w, c, func(ctx context.Context) error { return s.create(ctx, c) })
}

func (s *SQL) create(ctx context.Context, c *complaint.Complaint) error {
	r, err := s.encode(c, 0)
	if err != nil {
		return err
	}
	if err := s.d.create(ctx, s, c, r); err != nil {
		return err
	}
	c.TakePending()
	s.wrote(c.ID(), r)
	return nil
}

// wrote remembers that complaint id's row now holds r. Both databases
// read a complaint's data column back byte for byte as written (TEXT;
// on PostgreSQL since schema 8), so the next Get need not decode it.
func (s *SQL) wrote(id string, r row) { s.decoded.put(id, r.data, r.snap) }

// Save implements Store.
func (s *SQL) Save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := s.usable(); err != nil {
		return err
	}
	return observeSave(ctx, s.w, c, func(ctx context.Context) error { return s.save(ctx, c, expectedVersion) })
}

func (s *SQL) save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error {
	if err := checkExpected(c, expectedVersion); err != nil {
		return err
	}
	r, err := s.encode(c, expectedVersion)
	if err != nil {
		return err
	}
	if err := s.d.save(ctx, s, c, r, expectedVersion); err != nil {
		return err
	}
	c.TakePending()
	s.wrote(c.ID(), r)
	return nil
}

// stale is the error of a save whose version matched no row: the
// complaint is gone, or another save came first.
func (s *SQL) stale(ctx context.Context, q queryer, id string, expected int) error {
	var actual int
	switch err := q.QueryRowContext(ctx, s.q.complaintVersion, id).Scan(&actual); {
	case errors.Is(err, sql.ErrNoRows):
		return &NotFoundError{ID: id}
	case err != nil:
		return fmt.Errorf("store: save %q: %w", id, err)
	}
	return &ConflictError{ID: id, Expected: expected, Actual: actual}
}

// uniqueViolation reports whether err is a database's unique-key
// violation: PostgreSQL's SQLSTATE 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE
// or _PRIMARYKEY. In a save it means the complaint is stale: its history
// entries or notifications are already stored.
func uniqueViolation(err error) bool {
	var pg interface{ SQLState() string }
	if errors.As(err, &pg) {
		return pg.SQLState() == "23505"
	}
	var lite interface{ Code() int }
	if errors.As(err, &lite) {
		return lite.Code() == 2067 || lite.Code() == 1555
	}
	return false
}

// conflict returns the *ConflictError of a stale save of complaint id.
func (s *SQL) conflict(ctx context.Context, id string, expected int) error {
	var actual int
	switch err := s.db.QueryRowContext(ctx, s.q.complaintVersion, id).Scan(&actual); {
	case errors.Is(err, sql.ErrNoRows):
		return &NotFoundError{ID: id}
	case err != nil:
		return fmt.Errorf("store: save %q: %w", id, err)
	}
	return &ConflictError{ID: id, Expected: expected, Actual: actual}
}

// historyColumns and outboxInsertColumns are the columns append writes, with
// the PostgreSQL types that a VALUES list of parameters needs spelt out.
var (
	historyColumns = [...][2]string{{"complaint_id", "text"}, {"seq", "integer"}, {"at", "bigint"}, {"event", "text"},
		{"from_state", "text"}, {"to_state", "text"}, {"actor_id", "text"}, {"actor_role", "text"}, {"note", "text"},
		{"actor_manufacturer", "text"}, {"consent_channel", "text"}, {"consent_at", "bigint"}, {"request_id", "text"}, {"request_hash", "text"}}
	outboxInsertColumns = [...][2]string{{"key", "text"}, {"complaint_id", "text"}, {"seq", "integer"}, {"position", "integer"},
		{"topic", "text"}, {"recipient", "text"}, {"created_at", "bigint"}, {"payload", "text"}, {"next_attempt_at", "bigint"}}
)

// appendArgs returns the arguments of r's history rows and outbox rows.
func appendArgs(id string, r row) (history, outbox []any, err error) {
	for _, e := range r.entries {
		var channel sql.NullString
		var consentAt sql.NullInt64
		if e.Consent != nil {
			channel = sql.NullString{String: string(e.Consent.Channel), Valid: true}
			consentAt = nullNanos(e.Consent.At, true)
		}
		history = append(history, id, e.Seq, nanos(e.At), string(e.Event), string(e.From), string(e.To), e.Actor.ID, string(e.Actor.Role), e.Note,
			e.Actor.Manufacturer, channel, consentAt, e.RequestID, e.RequestHash)
	}
	position := map[int]int{}
	for _, n := range r.pending {
		payload, err := json.Marshal(n)
		if err != nil {
			return nil, nil, fmt.Errorf("store: encode notification %s: %w", n.Key(), err)
		}
		outbox = append(outbox, n.Key(), id, n.Seq, position[n.Seq], string(n.Topic), string(n.Recipient), nanos(n.At), string(payload), nanos(n.At))
		position[n.Seq]++
	}
	return history, outbox, nil
}
