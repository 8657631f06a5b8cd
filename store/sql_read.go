package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
)

// complaintColumns are what Get and List read of a complaint: its row and,
// from klage_history, the entry its version names, which the row's newest
// entry must match.
// The customer's contact details come from klage_customers.
const (
	complaintColumns = `c.id, c.data, h.seq, h.at, h.event, h.to_state, p.id, p.name, p.email, p.phone, p.address`
	complaintFrom    = `klage_complaints c LEFT JOIN klage_history h ON h.complaint_id = c.id AND h.seq = c.version
		LEFT JOIN klage_customers p ON p.id = c.customer_id`
)

// stored is a scanned complaint row.
type stored struct {
	id, data                    string
	seq, at                     sql.NullInt64
	event, to                   sql.NullString
	customer                    sql.NullString
	name, email, phone, address sql.NullString
}

func (st *stored) scan(r scanner) error {
	return r.Scan(&st.id, &st.data, &st.seq, &st.at, &st.event, &st.to, &st.customer, &st.name, &st.email, &st.phone, &st.address)
}

// Get implements Store.
func (s *SQL) Get(ctx context.Context, id string) (*complaint.Complaint, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	st, err := s.stmt(ctx, s.q.getComplaint)
	if err != nil {
		return nil, fmt.Errorf("store: get %q: %w", id, err)
	}
	var row stored
	switch err := row.scan(st.QueryRowContext(ctx, id)); {
	case errors.Is(err, sql.ErrNoRows):
		return nil, &NotFoundError{ID: id}
	case err != nil:
		return nil, fmt.Errorf("store: get %q: %w", id, err)
	}
	return s.decode(row)
}

// decode restores a complaint row and checks it against the history
// table: its newest entry must be the one klage_history holds at its
// version, so that a row and its history cannot drift apart unseen. A row
// whose JSON this store decoded or wrote moments ago is not decoded again
// (decodedCache).
func (s *SQL) decode(row stored) (*complaint.Complaint, error) {
	snap, cached := s.decoded.get(row.id, row.data)
	if !cached {
		var err error
		if snap, err = complaint.UnmarshalSnapshot([]byte(row.data)); err != nil {
			return nil, &DecodeError{ID: row.id, Err: err}
		}
	}
	pristine := snap // before the contact details: what the row's JSON holds
	if row.customer.Valid && row.customer.String == snap.Customer.ID {
		cu := &snap.Customer
		cu.Name, cu.Email, cu.Phone, cu.Address = row.name.String, row.email.String, row.phone.String, row.address.String
	}
	c, err := s.w.Restore(snap)
	if err != nil {
		return nil, &DecodeError{ID: row.id, Err: err}
	}
	if c.ID() != row.id {
		return nil, &DecodeError{ID: row.id, Err: fmt.Errorf("the row holds complaint %q", c.ID())}
	}
	last := c.Last()
	if !row.seq.Valid || int(row.seq.Int64) != last.Seq || row.at.Int64 != nanos(last.At) ||
		row.event.String != string(last.Event) || row.to.String != string(last.To) {
		return nil, &DecodeError{ID: row.id, Err: fmt.Errorf("the history table has no entry %d %s into %s", last.Seq, last.Event, last.To)}
	}
	if !cached {
		s.decoded.put(row.id, row.data, pristine)
	}
	return c, nil
}

// List implements Store, with keyset pagination: each page starts after
// the sort key of the last one, so pages neither skip nor repeat a
// complaint while others are created.
func (s *SQL) List(ctx context.Context, f Filter) (Page, error) {
	if err := s.usable(); err != nil {
		return Page{}, err
	}
	query := f.query()
	cur, err := decodeCursor(f.Cursor, query)
	if err != nil {
		return Page{}, err
	}
	var (
		where []string
		args  []any
	)
	add := func(cond string, vals ...any) {
		where = append(where, cond)
		args = append(args, vals...)
	}
	if f.State != "" {
		add("c.state = ?", string(f.State))
	}
	if f.CustomerID != "" {
		add("c.customer_id = ?", f.CustomerID)
	}
	if f.Manufacturer != "" {
		add("c.manufacturer = ?", glossary.NormalID(f.Manufacturer))
	}
	if f.Kind != "" {
		add("c.kind = ?", string(f.Kind))
	}
	if !f.CreatedFrom.IsZero() {
		add("c.created_at >= ?", nanos(f.CreatedFrom))
	}
	if !f.CreatedBefore.IsZero() {
		add("c.created_at < ?", nanos(f.CreatedBefore))
	}
	order := "c.id"
	overdue := !f.OverdueAt.IsZero()
	if overdue {
		add("c.next_due IS NOT NULL AND c.next_due <= ?", nanos(f.OverdueAt))
		order = "c.next_due, c.id"
		if f.Cursor != "" {
			add("(c.next_due > ? OR (c.next_due = ? AND c.id > ?))", cur.Due, cur.Due, cur.ID)
		}
	} else if f.Cursor != "" {
		add("c.id > ?", cur.ID)
	}
	q := `SELECT ` + complaintColumns + `, c.next_due FROM ` + complaintFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.limit()
	q += " ORDER BY " + order + " LIMIT ?"
	args = append(args, limit+1) // one more says whether there is a next page
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return Page{}, fmt.Errorf("store: list: %w", err)
	}
	defer rows.Close()
	var (
		page Page
		n    int
		last cursor
	)
	for rows.Next() {
		var (
			row stored
			due sql.NullInt64
		)
		if err := rows.Scan(&row.id, &row.data, &row.seq, &row.at, &row.event, &row.to, &row.customer, &row.name, &row.email, &row.phone, &row.address, &due); err != nil {
			return Page{}, fmt.Errorf("store: list: %w", err)
		}
		if n++; n > limit {
			page.Next = last.encode()
			break
		}
		last = cursor{Query: query, ID: row.id, Due: due.Int64}
		c, err := s.decode(row)
		var de *DecodeError
		switch {
		case errors.As(err, &de):
			page.Corrupt = append(page.Corrupt, de)
			continue
		case err != nil:
			return Page{}, err
		}
		page.Complaints = append(page.Complaints, c)
	}
	return page, rows.Err()
}

// HistoryPage implements Store.
func (s *SQL) HistoryPage(ctx context.Context, id string, limit int, after string) (HistoryPage, error) {
	if err := s.usable(); err != nil {
		return HistoryPage{}, err
	}
	cur, err := decodeCursor(after, historyQuery(id))
	if err != nil {
		return HistoryPage{}, err
	}
	limit = limitOf(limit)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT `+historySelect+` FROM klage_history WHERE complaint_id = ? AND seq > ? ORDER BY seq LIMIT ?`),
		id, cur.Seq, limit+1)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("store: history of %q: %w", id, err)
	}
	defer rows.Close()
	var page HistoryPage
	for rows.Next() {
		e, err := scanEntry(id, rows)
		if err != nil {
			return HistoryPage{}, fmt.Errorf("store: history of %q: %w", id, err)
		}
		if len(page.Entries) == limit {
			page.Next = cursor{Query: historyQuery(id), Seq: page.Entries[limit-1].Seq}.encode()
			break
		}
		page.Entries = append(page.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return HistoryPage{}, err
	}
	if len(page.Entries) == 0 && cur.Seq == 0 {
		return HistoryPage{}, s.exists(ctx, id)
	}
	return page, nil
}

// historySelect are the klage_history columns scanEntry reads.
const historySelect = `seq, at, event, from_state, to_state, actor_id, actor_role, note, actor_manufacturer, consent_channel, consent_at, request_id, request_hash`

// scanEntry reads one history row of complaint id.
func scanEntry(id string, r scanner) (complaint.Entry, error) {
	var (
		e                     complaint.Entry
		at                    int64
		event, from, to, role string
		channel               sql.NullString
		consentAt             sql.NullInt64
	)
	if err := r.Scan(&e.Seq, &at, &event, &from, &to, &e.Actor.ID, &role, &e.Note, &e.Actor.Manufacturer, &channel, &consentAt, &e.RequestID, &e.RequestHash); err != nil {
		return e, err
	}
	e.At = fromNanos(at)
	err := errors.Join(e.Event.UnmarshalText([]byte(event)), e.From.UnmarshalText([]byte(from)),
		e.To.UnmarshalText([]byte(to)), e.Actor.Role.UnmarshalText([]byte(role)))
	if channel.Valid {
		e.Consent = &complaint.Consent{At: fromNanos(consentAt.Int64)}
		err = errors.Join(err, e.Consent.Channel.UnmarshalText([]byte(channel.String)))
	}
	if err != nil {
		return e, &DecodeError{ID: id, Err: fmt.Errorf("history entry %d: %w", e.Seq, err)}
	}
	return e, nil
}

// History implements Store.
func (s *SQL) History(ctx context.Context, id string) ([]complaint.Entry, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q.history, id)
	if err != nil {
		return nil, fmt.Errorf("store: history of %q: %w", id, err)
	}
	defer rows.Close()
	var out []complaint.Entry
	for rows.Next() {
		e, err := scanEntry(id, rows)
		if err != nil {
			return nil, fmt.Errorf("store: history of %q: %w", id, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, s.exists(ctx, id)
	}
	return out, nil
}

// entryByRequest finds the entry of complaint id that the request with
// idempotency key requestID made, in the whole history: a complaint loaded
// from its checkpoint holds only its newest entries.
func (s *SQL) entryByRequest(ctx context.Context, id, requestID string) (complaint.Entry, bool, error) {
	st, err := s.stmt(ctx, s.q.byRequest)
	if err != nil {
		return complaint.Entry{}, false, fmt.Errorf("store: request %q: %w", requestID, err)
	}
	e, err := scanEntry(id, st.QueryRowContext(ctx, id, requestID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return complaint.Entry{}, false, nil
	case err != nil:
		return complaint.Entry{}, false, fmt.Errorf("store: request %q: %w", requestID, err)
	}
	return e, true, nil
}

// exists returns nil if complaint id exists, or a *NotFoundError.
func (s *SQL) exists(ctx context.Context, id string) error {
	var v int
	switch err := s.db.QueryRowContext(ctx, s.q.complaintVersion, id).Scan(&v); {
	case errors.Is(err, sql.ErrNoRows):
		return &NotFoundError{ID: id}
	case err != nil:
		return fmt.Errorf("store: %q: %w", id, err)
	}
	return nil
}
