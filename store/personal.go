package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/klageflow/klage/complaint"
)

// PersonalData is a store that answers a data subject's requests (GDPR
// art. 15, 17 and 20) and enforces retention. [SQL] is one.
type PersonalData interface {
	// Export returns everything the store holds about a customer;
	// *CustomerNotFoundError when it holds nothing.
	Export(ctx context.Context, customerID string) (*Export, error)
	// Erase takes the customer's personal data and free texts out of
	// every table and keeps the audit trail ([complaint.Snapshot.Erase]);
	// it records the erasure. *CustomerNotFoundError when the store holds
	// nothing about the customer.
	Erase(ctx context.Context, customerID string) (Erasure, error)
	// Purge erases what its retention has passed (see [PurgeOptions]).
	Purge(ctx context.Context, opts PurgeOptions) (Purged, error)
}

var _ PersonalData = (*SQL)(nil)

// ErrCustomerNotFound means the store holds nothing about a customer
// (*CustomerNotFoundError).
var ErrCustomerNotFound = errors.New("store: customer not found")

// CustomerNotFoundError reports a customer id the store knows nothing of.
type CustomerNotFoundError struct{ ID string }

// Error implements error.
func (e *CustomerNotFoundError) Error() string {
	return fmt.Sprintf("store: customer %q not found", e.ID)
}

// Unwrap returns [ErrCustomerNotFound].
func (e *CustomerNotFoundError) Unwrap() error { return ErrCustomerNotFound }

// Export is everything a store holds about one customer, as a subject
// access request (GDPR art. 15) or a portability request (art. 20) asks
// for it. Its JSON form is what examples/service answers.
type Export struct {
	Customer   complaint.Customer `json:"customer"`
	ExportedAt time.Time          `json:"exported_at"`
	// Complaints are the customer's complaints, each with its whole
	// history.
	Complaints []complaint.Snapshot `json:"complaints"`
	// Notifications are the messages about them, delivered or not.
	Notifications []Message `json:"notifications"`
	// Erasures are the erasures already made.
	Erasures []Erasure `json:"erasures,omitempty"`
	// Ratings are the customer's ratings, by complaint id.
	Ratings map[string]complaint.Rating `json:"ratings,omitempty"`
	// Unreadable lists what is stored for the customer but could not be
	// read into the export (a damaged row, one written by a newer
	// release): complaint ids and outbox keys. An operator repairs them
	// and exports again.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Erasure records one erasure of a customer's personal data.
type Erasure struct {
	CustomerID string    `json:"customer_id"`
	At         time.Time `json:"at"`
	Complaints int       `json:"complaints"` // how many complaints lost their texts
	Reason     string    `json:"reason"`     // ReasonRequest or ReasonRetention
	// Unreachable lists the customer's complaints whose rows could not be
	// read, and so could not be erased (their history notes, ratings and
	// notifications were): an operator repairs and erases them again. The
	// contact details are erased in any case.
	Unreachable []string `json:"unreachable,omitempty"`
}

// Reasons of an [Erasure].
const (
	ReasonRequest   = "request"   // the customer asked (GDPR art. 17)
	ReasonRetention = "retention" // the retention period passed
)

// PurgeOptions say what [PersonalData.Purge] removes at Now.
type PurgeOptions struct {
	// Now is the time of the sweep; zero means the workflow's clock.
	Now time.Time
	// The complaints closed longer ago than the retention period of their
	// customer's policy (complaint.Policy.Retention) are erased; a
	// customer none of whose complaints is left unerased loses the
	// contact details too.
	//
	// DeliveredAfter, when not zero, also erases the payload of every
	// notification delivered longer ago than that: once it has reached
	// its recipient, the outbox has no need of its texts.
	DeliveredAfter time.Duration
}

// Purged is what one [PersonalData.Purge] did.
type Purged struct {
	Complaints    int // complaints erased
	Customers     int // customers whose contact details were erased
	Notifications int // delivered notifications whose payloads were erased
}

// fillContacts puts the customer's contact details, which the outbox does
// not hold, back into the messages that name a customer: a relay delivers
// with the details the customer's record has now.
func (s *SQL) fillContacts(ctx context.Context, ms []Message) error {
	var ids []string
	for i := range ms {
		if ms[i].Data.Customer.ID != "" && !slices.Contains(ids, ms[i].ComplaintID) {
			ids = append(ids, ms[i].ComplaintID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := s.d.rebind(`SELECT c.id, p.id, p.name, p.email, p.phone, p.address FROM klage_complaints c
		JOIN klage_customers p ON p.id = c.customer_id WHERE c.id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: contact details: %w", err)
	}
	defer rows.Close()
	contacts := map[string]complaint.Customer{}
	for rows.Next() {
		var id string
		var cu complaint.Customer
		if err := rows.Scan(&id, &cu.ID, &cu.Name, &cu.Email, &cu.Phone, &cu.Address); err != nil {
			return fmt.Errorf("store: contact details: %w", err)
		}
		contacts[id] = cu
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: contact details: %w", err)
	}
	for i := range ms {
		d := &ms[i].Data
		if cu, ok := contacts[ms[i].ComplaintID]; ok && cu.ID == d.Customer.ID {
			d.Customer.Name, d.Customer.Email, d.Customer.Phone, d.Customer.Address = cu.Name, cu.Email, cu.Phone, cu.Address
		}
	}
	return nil
}

// customerComplaints returns the ids of a customer's complaints.
// In a transaction on PostgreSQL the rows are locked, so that no save
// comes between an erasure's read and its write.
func (s *SQL) customerComplaints(ctx context.Context, q queryer, customerID string) ([]string, error) {
	lock := ""
	if _, inTx := q.(*sql.Tx); inTx {
		lock = s.d.forUpdate()
	}
	rows, err := q.QueryContext(ctx, s.d.rebind(`SELECT id FROM klage_complaints WHERE customer_id = ? ORDER BY id`+lock), customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Export implements PersonalData.
func (s *SQL) Export(ctx context.Context, customerID string) (*Export, error) {
	if err := s.usable(); err != nil {
		return nil, err
	}
	ids, err := s.customerComplaints(ctx, s.db, customerID)
	if err != nil {
		return nil, fmt.Errorf("store: export %q: %w", customerID, err)
	}
	out := &Export{Customer: complaint.Customer{ID: customerID}, ExportedAt: s.w.Now().UTC(), Complaints: []complaint.Snapshot{}, Notifications: []Message{}}
	var known bool
	switch err := s.db.QueryRowContext(ctx, s.d.rebind(`SELECT name, email, phone, address FROM klage_customers WHERE id = ?`), customerID).
		Scan(&out.Customer.Name, &out.Customer.Email, &out.Customer.Phone, &out.Customer.Address); {
	case err == nil:
		known = true
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: export %q: %w", customerID, err)
	}
	if !known && len(ids) == 0 {
		return nil, &CustomerNotFoundError{ID: customerID}
	}
	for _, id := range ids {
		c, err := s.Get(ctx, id)
		if errors.Is(err, ErrCorrupt) {
			out.Unreadable = append(out.Unreadable, id)
			continue
		}
		if err != nil {
			return nil, err
		}
		h, err := s.History(ctx, id)
		if err != nil {
			return nil, err
		}
		snap := c.Snapshot()
		snap.History, snap.Checkpoint = h, nil
		out.Customer.Type, out.Customer.Language = snap.Customer.Type, snap.Customer.Language
		out.Complaints = append(out.Complaints, snap)
		ns, err := s.Notifications(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, n := range ns {
			if n.Unreadable != "" {
				out.Unreadable = append(out.Unreadable, storedKey(n))
				continue
			}
			out.Notifications = append(out.Notifications, n)
		}
		if r, ok, err := s.Rating(ctx, id); err != nil {
			return nil, err
		} else if ok {
			if out.Ratings == nil {
				out.Ratings = map[string]complaint.Rating{}
			}
			out.Ratings[id] = r
		}
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT erased_at, complaints, reason FROM klage_erasures WHERE customer_id = ? ORDER BY erased_at`), customerID)
	if err != nil {
		return nil, fmt.Errorf("store: export %q: %w", customerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := Erasure{CustomerID: customerID}
		var at int64
		if err := rows.Scan(&at, &e.Complaints, &e.Reason); err != nil {
			return nil, fmt.Errorf("store: export %q: %w", customerID, err)
		}
		e.At = fromNanos(at)
		out.Erasures = append(out.Erasures, e)
	}
	return out, rows.Err()
}

// Erase implements PersonalData, in one transaction. On SQLite, which runs
// with secure_delete, the write-ahead log is then checkpointed and
// truncated, so that the erased bytes are in neither file.
func (s *SQL) Erase(ctx context.Context, customerID string) (Erasure, error) {
	if err := s.usable(); err != nil {
		return Erasure{}, err
	}
	at := s.w.Now().UTC()
	var (
		n           int
		ids         []string
		unreachable []string
	)
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
		ids, err = s.customerComplaints(ctx, tx, customerID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_customers SET name = '', email = '', phone = '', address = '', erased_at = ? WHERE id = ?`),
			nanos(at), customerID)
		if err != nil {
			return err
		}
		if m, _ := res.RowsAffected(); m == 0 && len(ids) == 0 {
			return &CustomerNotFoundError{ID: customerID}
		}
		n = 0
		unreachable = nil
		for _, id := range ids {
			err := s.eraseComplaint(ctx, tx, id, at)
			if errors.Is(err, ErrCorrupt) {
				unreachable = append(unreachable, id)
				continue
			}
			if err != nil {
				return err
			}
			n++
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO klage_erasures (customer_id, erased_at, complaints, reason) VALUES (?, ?, ?, ?)`),
			customerID, nanos(at), n, ReasonRequest)
		return err
	})
	for _, id := range ids {
		s.decoded.forget(id) // after the commit: a load may have remembered the old row while the erasure ran
	}
	if err != nil {
		var nf *CustomerNotFoundError
		if errors.As(err, &nf) {
			return Erasure{}, err
		}
		return Erasure{}, fmt.Errorf("store: erase %q: %w", customerID, err)
	}
	if err := s.d.afterErase(ctx, s); err != nil {
		return Erasure{}, err
	}
	return Erasure{CustomerID: customerID, At: at, Complaints: n, Reason: ReasonRequest, Unreachable: unreachable}, nil
}

// eraseComplaint erases complaint id in tx at at: its row, its history
// notes and its outbox payloads.
func (s *SQL) eraseComplaint(ctx context.Context, tx *sql.Tx, id string, at time.Time) error {
	var r stored
	if err := r.scan(tx.QueryRowContext(ctx, s.d.rebind(`SELECT `+complaintColumns+` FROM `+complaintFrom+` WHERE c.id = ?`), id)); err != nil {
		return err
	}
	c, err := s.decode(r)
	if err != nil {
		// The row cannot be read, so its texts cannot be erased from it;
		// every other trace can: the history's notes, the rating's
		// comment, the notifications' payloads.
		if terr := s.eraseTraces(ctx, tx, id); terr != nil {
			return terr
		}
		return err
	}
	erased, err := s.w.Restore(s.w.SnapshotTail(c, 1).Erase(at))
	if err != nil {
		return &DecodeError{ID: id, Err: err}
	}
	row, err := s.encode(erased, erased.Version())
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_complaints SET data = ?, data_format = 2, erased_at = ? WHERE id = ? AND version = ?`),
		row.data, nanos(at), id, c.Version())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return &ConflictError{ID: id, Expected: c.Version()}
	}
	return s.eraseTraces(ctx, tx, id)
}

// eraseTraces erases, in tx, what complaint id left outside its row: the
// history's notes, the rating's comment and the outbox's payloads.
func (s *SQL) eraseTraces(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_history SET note = ? WHERE complaint_id = ? AND note <> ''`),
		complaint.Erased, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_ratings SET comment = ? WHERE complaint_id = ? AND comment <> ''`),
		complaint.Erased, id); err != nil {
		return err
	}
	_, err := s.erasePayloads(ctx, tx, s.d.rebind(`SELECT key, payload FROM klage_outbox WHERE complaint_id = ?`), id)
	return err
}

// erasePayloads erases the payloads of the outbox rows that q selects
// (key, payload) in tx and returns how many changed. A payload that does
// not decode is replaced by an empty object: it could never be delivered
// anyway.
func (s *SQL) erasePayloads(ctx context.Context, tx *sql.Tx, q string, args ...any) (int, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	type payload struct{ key, data string }
	var ps []payload
	for rows.Next() {
		var p payload
		if err := rows.Scan(&p.key, &p.data); err != nil {
			return 0, errors.Join(err, rows.Close())
		}
		ps = append(ps, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, err
	}
	changed := 0
	for _, p := range ps {
		erased := "{}"
		var n complaint.Notification
		if json.Unmarshal([]byte(p.data), &n) == nil {
			raw, err := json.Marshal(n.Erase())
			if err != nil {
				return 0, err
			}
			erased = string(raw)
		}
		if same, _ := jsonEqual(p.data, erased); same {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_outbox SET payload = ? WHERE key = ?`), erased, p.key); err != nil {
			return 0, err
		}
		changed++
	}
	return changed, nil
}

// jsonEqual reports whether two JSON texts hold the same value: PostgreSQL
// gives JSONB back in its own spelling.
func jsonEqual(a, b string) (bool, error) {
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		return false, err
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		return false, err
	}
	return reflect.DeepEqual(x, y), nil
}

// purgeCutoff returns the latest closing time a complaint may have for its
// retention to have lapsed at now under any of w's policies (a day to
// spare for time zones and working days), and false when no policy
// purges at all.
func purgeCutoff(w *complaint.Workflow, now time.Time) (time.Time, bool) {
	var cutoff time.Time
	for _, t := range []complaint.CustomerType{complaint.Consumer, complaint.Business} {
		r := w.Policy(t).Retention
		if r.IsZero() {
			continue
		}
		c := now.AddDate(-r.Years, -r.Months, -r.Days-1).Add(-r.Elapsed)
		if r.Working {
			c = c.Add(-r.Elapsed * 3) // working hours take longer than elapsed ones
		}
		if c.After(cutoff) {
			cutoff = c
		}
	}
	return cutoff, !cutoff.IsZero()
}

// Purge implements PersonalData.
func (s *SQL) Purge(ctx context.Context, opts PurgeOptions) (Purged, error) {
	if err := s.usable(); err != nil {
		return Purged{}, err
	}
	now := opts.Now
	if now.IsZero() {
		now = s.w.Now()
	}
	var out Purged
	// Candidates: closed, not erased, closed before the latest time the
	// shortest retention of the policies could have lapsed by now (the
	// purge index finds them: a purge that has nothing to do costs one
	// index probe), a batch at a time.
	cutoff, some := purgeCutoff(s.w, now)
	after := ""
	for some {
		rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, customer_id, closed_at FROM klage_complaints
			WHERE closed_at IS NOT NULL AND erased_at IS NULL AND closed_at <= ? AND id > ? ORDER BY id LIMIT 100`), nanos(cutoff), after)
		if err != nil {
			return out, fmt.Errorf("store: purge: %w", err)
		}
		type candidate struct {
			id, customer string
			closed       int64
		}
		var batch []candidate
		for rows.Next() {
			var c candidate
			if err := rows.Scan(&c.id, &c.customer, &c.closed); err != nil {
				return out, fmt.Errorf("store: purge: %w", errors.Join(err, rows.Close()))
			}
			batch = append(batch, c)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return out, fmt.Errorf("store: purge: %w", err)
		}
		if len(batch) == 0 {
			break
		}
		for _, cand := range batch {
			after = cand.id
			c, err := s.Get(ctx, cand.id)
			if err != nil {
				continue // reported by Get and List; nothing to purge by
			}
			p := s.w.Policy(c.Customer().Type)
			if p.Retention.IsZero() || p.Due(p.Retention, fromNanos(cand.closed)).After(now) {
				continue
			}
			var customerGone bool
			err = s.inTx(ctx, func(tx *sql.Tx) error {
				if err := s.eraseComplaint(ctx, tx, cand.id, now); err != nil {
					return err
				}
				var left int
				if err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM klage_complaints WHERE customer_id = ? AND erased_at IS NULL`),
					cand.customer).Scan(&left); err != nil {
					return err
				}
				if left == 0 {
					res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE klage_customers SET name = '', email = '', phone = '', address = '', erased_at = ?
						WHERE id = ? AND erased_at IS NULL`), nanos(now), cand.customer)
					if err != nil {
						return err
					}
					m, _ := res.RowsAffected()
					customerGone = m > 0
				}
				_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO klage_erasures (customer_id, erased_at, complaints, reason) VALUES (?, ?, 1, ?)`),
					cand.customer, nanos(now), ReasonRetention)
				return err
			})
			s.decoded.forget(cand.id) // after the commit: a load may have remembered the old row while the erasure ran
			if err != nil {
				return out, fmt.Errorf("store: purge %q: %w", cand.id, err)
			}
			out.Complaints++
			if customerGone {
				out.Customers++
			}
		}
	}
	if opts.DeliveredAfter > 0 {
		var erased int
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			erased, err = s.erasePayloads(ctx, tx, s.d.rebind(`SELECT key, payload FROM klage_outbox WHERE delivered_at IS NOT NULL AND delivered_at <= ?`),
				nanos(now.Add(-opts.DeliveredAfter)))
			return err
		})
		if err != nil {
			return out, fmt.Errorf("store: purge delivered payloads: %w", err)
		}
		out.Notifications = erased
	}
	if out.Complaints+out.Customers+out.Notifications > 0 {
		if err := s.d.afterErase(ctx, s); err != nil {
			return out, err
		}
	}
	return out, nil
}
