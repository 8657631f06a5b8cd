package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// messageColumns are the outbox columns scanMessage reads.
const messageColumns = `key, complaint_id, seq, topic, recipient, created_at, position, payload, attempts, next_attempt_at, delivered_at, dead_at, last_error`

// outboxRow is a scanned outbox row: its message, what orders it, and
// whether its payload decoded.
type outboxRow struct {
	key       string
	createdAt int64
	position  int
	msg       Message
	decodeErr error // why the payload did not decode; nil when it did
}

// scanMessage reads one outbox row. A payload that does not decode is not
// an error here: the message keeps what the columns say and decodeErr says
// why, so that one bad row never hides the others.
func scanMessage(r scanner) (outboxRow, error) {
	var (
		o                outboxRow
		complaintID      string
		seq              int
		topic, recipient string
		payload          []byte
		next             int64
		delivered, dead  sql.NullInt64
		attempts         int
		lastError        string
	)
	if err := r.Scan(&o.key, &complaintID, &seq, &topic, &recipient, &o.createdAt, &o.position, &payload,
		&attempts, &next, &delivered, &dead, &lastError); err != nil {
		return outboxRow{}, err
	}
	if err := json.Unmarshal(payload, &o.msg.Notification); err != nil {
		o.decodeErr = fmt.Errorf("store: outbox row %q cannot be decoded: %w", o.key, err)
		o.msg.Notification = complaint.Notification{ComplaintID: complaintID, Seq: seq,
			Topic: complaint.Topic(topic), Recipient: glossary.Role(recipient), At: fromNanos(o.createdAt)}
	} else if got := o.msg.Key(); got != o.key {
		o.decodeErr = fmt.Errorf("store: outbox row %q holds the notification %q", o.key, got)
	}
	o.msg.StoredKey = o.key
	if o.decodeErr != nil {
		o.msg.Unreadable = o.decodeErr.Error()
	}
	o.msg.Attempts, o.msg.LastError = attempts, lastError
	o.msg.NextAttempt = fromNanos(next)
	if delivered.Valid {
		o.msg.DeliveredAt = fromNanos(delivered.Int64)
	}
	if dead.Valid {
		o.msg.DeadLettered = fromNanos(dead.Int64)
	}
	return o, nil
}

// outboxRows runs q and scans its rows.
func (s *SQL) outboxRows(ctx context.Context, q string, args ...any) ([]outboxRow, error) {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		o, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	return out, nil
}

func (s *SQL) messages(ctx context.Context, q string, args ...any) ([]Message, error) {
	rows, err := s.outboxRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(rows))
	for i := range rows {
		out[i] = rows[i].msg
	}
	return out, s.fillContacts(ctx, out)
}

// Notifications implements Outbox.
func (s *SQL) Notifications(ctx context.Context, id string) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	out, err := s.messages(ctx, s.q.notifications, id)
	if err == nil && len(out) == 0 {
		err = s.exists(ctx, id)
	}
	return out, err
}

// Pending implements Outbox.
func (s *SQL) Pending(ctx context.Context, limit int) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.messages(ctx, s.q.pending, limit)
}

// DeadLetters implements Outbox.
func (s *SQL) DeadLetters(ctx context.Context, limit int) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	return s.messages(ctx, s.q.deadLetters, limit)
}

// Claim implements Outbox, in one statement: on PostgreSQL the rows are
// chosen with FOR UPDATE SKIP LOCKED, so relays that claim at the same
// moment take different rows; on SQLite the statement waits for this
// process's other writers.
func (s *SQL) Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Message, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := func() ([]outboxRow, error) {
		defer s.lockWrites()()
		return s.outboxRows(ctx, s.q.claim, nanos(leaseUntil), nanos(now), nanos(now), limit)
	}()
	if err != nil {
		return nil, fmt.Errorf("store: claim: %w", err)
	}
	slices.SortFunc(rows, func(a, b outboxRow) int {
		return cmp.Or(cmp.Compare(a.createdAt, b.createdAt), strings.Compare(a.msg.ComplaintID, b.msg.ComplaintID),
			cmp.Compare(a.msg.Seq, b.msg.Seq), cmp.Compare(a.position, b.position))
	})
	out := make([]Message, len(rows))
	for i, o := range rows {
		if o.decodeErr != nil {
			// A row this code cannot read (written by a newer version, or
			// damaged) is set aside with the reason, and the rest goes on.
			at := now
			if err := s.settle(context.WithoutCancel(ctx), s.q.poison, o.key, nanos(at), o.decodeErr.Error(), o.key); err != nil {
				return nil, err
			}
			o.msg.DeadLettered, o.msg.LastError = at, o.decodeErr.Error()
		}
		out[i] = o.msg
	}
	return out, s.fillContacts(ctx, out)
}

// settle runs one of the outbox's single-row updates, whose last argument
// is the key: a key that matches no row is a *MessageNotFoundError, a
// delivered row is left as it is.
func (s *SQL) settle(ctx context.Context, q, key string, args ...any) error {
	st, err := s.stmt(ctx, q)
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	res, err := func() (sql.Result, error) {
		defer s.lockWrites()()
		return st.ExecContext(ctx, args...)
	}()
	if err != nil {
		return fmt.Errorf("store: outbox message %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	var one int
	switch err := s.db.QueryRowContext(ctx, s.q.messageExists, key).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return &MessageNotFoundError{Key: key}
	case err != nil:
		return fmt.Errorf("store: outbox message %q: %w", key, err)
	}
	return nil
}

// MarkDelivered implements Outbox.
func (s *SQL) MarkDelivered(ctx context.Context, key string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.delivered, key, nanos(at), key)
}

// MarkFailed implements Outbox.
func (s *SQL) MarkFailed(ctx context.Context, key, reason string, retryAt time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.failed, key, nanos(retryAt), reason, key)
}

// Release implements Outbox.
func (s *SQL) Release(ctx context.Context, key string) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.release, key, key)
}

// Extend implements Outbox, in one transaction.
func (s *SQL) Extend(ctx context.Context, keys []string, leaseUntil time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	if len(keys) == 0 {
		return ctx.Err()
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: extend leases: %w", err)
	}
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, s.q.extend, nanos(leaseUntil), k); err != nil {
			return errors.Join(fmt.Errorf("store: extend leases: %w", err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: extend leases: %w", err)
	}
	return nil
}

// Requeue implements Outbox.
func (s *SQL) Requeue(ctx context.Context, key string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.requeue, key, nanos(at), key)
}

// DeadLetter implements Outbox.
func (s *SQL) DeadLetter(ctx context.Context, key, reason string, at time.Time) error {
	if err := s.usable(); err != nil {
		return err
	}
	return s.settle(ctx, s.q.dead, key, nanos(at), reason, key)
}
