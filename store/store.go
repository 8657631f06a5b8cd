package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/klageflow/klage/complaint"
	"github.com/klageflow/klage/glossary"
	"github.com/klageflow/klage/observe"
)

// Sentinel errors, matched with errors.Is.
var (
	// ErrNotFound: no complaint has the id (*NotFoundError).
	ErrNotFound = errors.New("store: complaint not found")
	// ErrConflict: the stored complaint has moved on from the version the
	// caller loaded (*ConflictError). Load it again and retry.
	ErrConflict = errors.New("store: version conflict")
	// ErrExists: Create was given a complaint whose id is taken.
	ErrExists = errors.New("store: complaint already exists")
	// ErrCorrupt: a stored row cannot be decoded into a complaint
	// (*DecodeError).
	ErrCorrupt = errors.New("store: stored complaint cannot be decoded")
	// ErrWorkflowNotifies: Fire or Receive was given a
	// workflow with a Notifier. It would deliver notifications before the
	// store saved the transition that produced them, or even when the save
	// failed; with a store they go through the outbox and a Relay.
	ErrWorkflowNotifies = errors.New("store: the workflow has a Notifier; with a store, notifications go through the outbox")
	// ErrRequestReused: an idempotency key (complaint.Input.RequestID)
	// was used before on the complaint for another request: another
	// event, actor or request fingerprint (*RequestReusedError).
	ErrRequestReused = errors.New("store: idempotency key reused for another request")
	// ErrClosed: the store was closed, or is a zero value that no
	// constructor made (NewMemory, sqlite.Open, postgres.Open).
	ErrClosed = errors.New("store: the store is closed or was never opened")
)

// RequestReusedError reports an idempotency key reused for another
// request on complaint ID.
type RequestReusedError struct{ ID, RequestID string }

// Error implements error.
func (e *RequestReusedError) Error() string {
	return fmt.Sprintf("store: the idempotency key %q was used for another request on complaint %q", e.RequestID, e.ID)
}

// Unwrap returns [ErrRequestReused].
func (e *RequestReusedError) Unwrap() error { return ErrRequestReused }

// ErrMessageNotFound means no outbox message has the key
// (*MessageNotFoundError).
var ErrMessageNotFound = errors.New("store: outbox message not found")

// MessageNotFoundError reports an unknown outbox key.
type MessageNotFoundError struct{ Key string }

// Error implements error.
func (e *MessageNotFoundError) Error() string {
	return fmt.Sprintf("store: outbox message %q not found", e.Key)
}

// Unwrap returns [ErrMessageNotFound].
func (e *MessageNotFoundError) Unwrap() error { return ErrMessageNotFound }

// NotFoundError reports an unknown complaint id.
type NotFoundError struct{ ID string }

// Error implements error.
func (e *NotFoundError) Error() string { return fmt.Sprintf("store: complaint %q not found", e.ID) }

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError reports a save whose expected version is stale.
type ConflictError struct {
	ID       string
	Expected int // the version the caller loaded
	Actual   int // the version in the store
}

// Error implements error.
func (e *ConflictError) Error() string {
	return fmt.Sprintf("store: complaint %q is at version %d, not %d", e.ID, e.Actual, e.Expected)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// DecodeError reports a stored row that cannot be turned back into a
// complaint: bad JSON, or a snapshot that complaint.Workflow.Restore
// refuses.
type DecodeError struct {
	ID  string
	Err error
}

// Error implements error.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("store: stored complaint %q cannot be decoded: %v", e.ID, e.Err)
}

// Unwrap returns ErrCorrupt and the underlying error.
func (e *DecodeError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// Message is a notification in the outbox.
type Message struct {
	complaint.Notification
	// StoredKey is the key the outbox keeps the message under: the same as
	// Key() for every message klage wrote, and what the Outbox's methods
	// take. Empty means Key().
	StoredKey string
	// Unreadable, when not empty, says why the stored message could not
	// be read: the Notification then holds only what the outbox's columns
	// say (complaint, seq, topic, recipient, time). A relay dead-letters
	// such a message; lists leave it out and count it.
	Unreadable   string
	Attempts     int       // delivery attempts so far
	NextAttempt  time.Time // when a relay may try it next (undelivered only)
	DeliveredAt  time.Time // zero until delivered
	DeadLettered time.Time // when it was set aside for good (see [Outbox.DeadLetter]); zero otherwise
	LastError    string    // what the last failed attempt returned, or why it was dead-lettered
}

// MarshalJSON writes m as its notification's JSON form with the delivery
// fields beside it: attempts, next_attempt, delivered_at,
// dead_lettered_at, last_error.
func (m Message) MarshalJSON() ([]byte, error) {
	n, err := json.Marshal(m.Notification)
	if err != nil {
		return nil, err
	}
	d, err := json.Marshal(struct {
		Attempts     int       `json:"attempts"`
		NextAttempt  time.Time `json:"next_attempt,omitzero"`
		DeliveredAt  time.Time `json:"delivered_at,omitzero"`
		DeadLettered time.Time `json:"dead_lettered_at,omitzero"`
		LastError    string    `json:"last_error,omitempty"`
	}{m.Attempts, m.NextAttempt, m.DeliveredAt, m.DeadLettered, m.LastError})
	if err != nil {
		return nil, err
	}
	// Both are JSON objects: join their members.
	return append(append(n[:len(n)-1:len(n)-1], ','), d[1:]...), nil
}

// Delivered reports whether the message has been delivered.
func (m *Message) Delivered() bool { return !m.DeliveredAt.IsZero() }

// Dead reports whether the message was dead-lettered: no relay offers it
// again.
func (m *Message) Dead() bool { return !m.DeadLettered.IsZero() }

// storedKey is the key the outbox keeps m under.
func storedKey(m Message) string {
	if m.StoredKey != "" {
		return m.StoredKey
	}
	return m.Key()
}

// Batch is what one [Relay.RunOnce] pass did.
type Batch struct {
	Delivered    int // messages marked delivered
	Failed       int // messages whose delivery failed and were scheduled again
	DeadLettered int // messages set aside for good: undecodable, or out of attempts
}

// Store persists complaints. Implementations are safe for concurrent use.
// The notifications that transitions produce go to the store's [Outbox]:
// both built-in stores ([Memory] and [SQL]) are one too.
type Store interface {
	// Create stores a complaint just opened with complaint.Workflow.Open,
	// its history and its pending notifications (which it takes from c,
	// into the outbox). It returns ErrExists if the id is taken.
	Create(ctx context.Context, c *complaint.Complaint) error
	// Get loads a complaint; *NotFoundError if there is none, *DecodeError
	// if its row cannot be decoded. Its notifications are in the outbox,
	// not pending on it.
	Get(ctx context.Context, id string) (*complaint.Complaint, error)
	// Save stores c if the stored version is expectedVersion, the version
	// c was loaded at: it updates the complaint, appends its new history
	// entries and moves its pending notifications to the outbox, all in one
	// transaction. It returns *ConflictError when the stored version is
	// another, *NotFoundError when there is no such complaint; then nothing
	// is written and c is unchanged.
	Save(ctx context.Context, c *complaint.Complaint, expectedVersion int) error
	// List returns a page of the complaints that f selects, by id or, with
	// OverdueAt, by due time, and the cursor of the next page. A row that
	// cannot be decoded is skipped and reported in Page.Corrupt. A cursor
	// that is not one of List's for the same filter is an *InvalidCursorError.
	List(ctx context.Context, f Filter) (Page, error)
	// History returns a complaint's whole history from the append-only
	// history, oldest first.
	History(ctx context.Context, id string) ([]complaint.Entry, error)
	// HistoryPage returns up to limit history entries of a complaint after
	// cursor (empty for the first page), oldest first, and the cursor of
	// the next page.
	HistoryPage(ctx context.Context, id string, limit int, cursor string) (HistoryPage, error)
	// Close releases the store's resources.
	Close() error
}

// Outbox holds the notifications that a [Store] wrote with the transitions
// that produced them, until a [Relay] delivers them. A relay claims a batch
// with a lease ([Outbox.Claim]), delivers each message outside any
// transaction and records each result on its own, so that no writer waits
// for a notifier and a crash redelivers only what was in flight.
// Implementations are safe for concurrent use, by many relays at once.
type Outbox interface {
	// Notifications returns every notification of a complaint, delivered
	// or not, in the order they were produced; *NotFoundError if there is
	// no such complaint.
	Notifications(ctx context.Context, complaintID string) ([]Message, error)
	// Pending returns up to limit notifications of every complaint that
	// are neither delivered nor dead-lettered, oldest first.
	Pending(ctx context.Context, limit int) ([]Message, error)
	// Claim leases up to limit pending notifications that are due at now
	// and not leased by another claim, oldest first, until leaseUntil: no
	// other Claim returns them before then, unless they are released.
	// A stored row that cannot be decoded is dead-lettered with the reason
	// and returned as it is (Dead reports true, the Notification holds what
	// its columns say), so that one bad row never stops delivery.
	Claim(ctx context.Context, now time.Time, limit int, leaseUntil time.Time) ([]Message, error)
	// MarkDelivered records that the message with key was delivered at at,
	// counting the attempt.
	MarkDelivered(ctx context.Context, key string, at time.Time) error
	// MarkFailed records a failed attempt with its reason and lets the
	// message be claimed again at retryAt.
	MarkFailed(ctx context.Context, key string, reason string, retryAt time.Time) error
	// Release gives up a claim without an attempt: the message may be
	// claimed again at once.
	Release(ctx context.Context, key string) error
	// DeadLetter records a last failed attempt with its reason and sets
	// the message aside for good, at at: no relay claims it again, and it
	// stays readable.
	DeadLetter(ctx context.Context, key string, reason string, at time.Time) error
	// DeadLetters returns up to limit dead-lettered messages, oldest first,
	// for an operator to inspect.
	DeadLetters(ctx context.Context, limit int) ([]Message, error)
	// Extend moves the lease of the claimed messages with keys to
	// leaseUntil: a relay that is still working on its batch keeps it, so
	// that leases can be short and a dead relay's claims are taken over
	// soon. Keys that are no longer claimed (delivered, released, set
	// aside) or unknown are left as they are.
	Extend(ctx context.Context, keys []string, leaseUntil time.Time) error
	// Requeue puts a dead-lettered message back in the queue, due at at,
	// once its cause is fixed (an address added, a receiver repaired); its
	// attempts and last error stay. A message that is not dead-lettered is
	// left as it is; an unknown key is a *MessageNotFoundError.
	Requeue(ctx context.Context, key string, at time.Time) error
}

// FireOptions tune [Fire].
type FireOptions struct {
	// ExpectedVersion, when not zero, is the version the caller last saw:
	// if the complaint has moved on, Fire returns a *ConflictError at
	// once and does not retry.
	ExpectedVersion int
	// MaxAttempts bounds the load, fire, save cycles when concurrent
	// changes conflict; 0 means 5.
	MaxAttempts int
	// Loaded, when set, is complaint id as the caller has just loaded it
	// from the store (to check who may see it, say): the first attempt
	// fires on it instead of loading it again, and changes it; an attempt
	// after a conflict loads the complaint afresh.
	Loaded *complaint.Complaint
}

// Fire loads complaint id, fires in on it with w ([complaint.Workflow.Fire])
// and saves it with optimistic concurrency, retrying on a version conflict
// up to MaxAttempts times. It returns the saved complaint and the
// transition.
//
// When in has a RequestID that an entry of the complaint already carries
// (a retried request whose first attempt was saved), Fire saves nothing and
// returns the complaint and that entry, provided the entry is the same
// event by the same actor with the same RequestHash; otherwise it refuses
// the reuse with a *RequestReusedError (ErrRequestReused).
//
// Errors from the workflow (complaint.ErrInvalidTransition, ErrForbidden, ...) are
// returned as they are and nothing is saved. After the last attempt it
// returns the *ConflictError. A workflow with a Notifier is refused with
// ErrWorkflowNotifies.
func Fire(ctx context.Context, s Store, w *complaint.Workflow, id string, in complaint.Input, opts FireOptions) (*complaint.Complaint, complaint.Transition, error) {
	if w.Notifies() {
		return nil, complaint.Transition{}, ErrWorkflowNotifies
	}
	attempts := opts.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	var err error
	for attempt := range attempts {
		var c *complaint.Complaint
		if attempt == 0 && opts.Loaded != nil && opts.Loaded.ID() == id {
			c = opts.Loaded
		} else if c, err = s.Get(ctx, id); err != nil {
			return nil, complaint.Transition{}, err
		}
		e, done := c.ByRequest(in.RequestID)
		if rf, ok := s.(requestFinder); ok && !done && in.RequestID != "" {
			if e, done, err = rf.entryByRequest(ctx, id, in.RequestID); err != nil {
				return nil, complaint.Transition{}, err
			}
		}
		if done {
			if e.Event != in.Event || e.Actor.Role != in.Actor.Role || !glossary.SameID(e.Actor.ID, in.Actor.ID) || e.RequestHash != in.RequestHash {
				return nil, complaint.Transition{}, &RequestReusedError{ID: id, RequestID: in.RequestID}
			}
			return c, complaint.Transition{Entry: e}, nil
		}
		loaded := c.Version()
		if opts.ExpectedVersion != 0 && loaded != opts.ExpectedVersion {
			return nil, complaint.Transition{}, &ConflictError{ID: id, Expected: opts.ExpectedVersion, Actual: loaded}
		}
		t, err := w.Fire(ctx, c, in)
		if err != nil {
			return nil, complaint.Transition{}, err
		}
		err = s.Save(ctx, c, loaded)
		if err == nil {
			return c, t, nil
		}
		if !errors.Is(err, ErrConflict) || opts.ExpectedVersion != 0 {
			return nil, complaint.Transition{}, err
		}
	}
	return nil, complaint.Transition{}, err
}

// Receive opens a complaint with w ([complaint.Workflow.Open]: it starts
// in received) and creates it in s. A workflow with a Notifier is refused
// with [ErrWorkflowNotifies].
func Receive(ctx context.Context, s Store, w *complaint.Workflow, in complaint.Intake) (*complaint.Complaint, error) {
	if w.Notifies() {
		return nil, ErrWorkflowNotifies
	}
	c, err := w.Open(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := s.Create(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultRetryAfter is the backoff of a Relay without one: 1s after the
// first failed attempt, doubling up to 10 minutes.
func DefaultRetryAfter(attempts int) time.Duration {
	d := time.Second
	for i := 1; i < attempts && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// requestFinder is a store whose complaints may hold only their newest
// entries, which can look a request up in the whole history.
type requestFinder interface {
	entryByRequest(ctx context.Context, id, requestID string) (complaint.Entry, bool, error)
}

// observeSave runs write, a store's Create or Save of c, as an observe.Save of
// w's observers.
func observeSave(ctx context.Context, w *complaint.Workflow, c *complaint.Complaint, write func(context.Context) error) error {
	if c == nil || w.Observer() == nil {
		return write(ctx)
	}
	ctx, end := observe.Begin(ctx, w.Observer(), observe.Operation{Op: observe.Save, ComplaintID: c.ID(), Event: string(c.Last().Event)})
	err := write(ctx)
	end(err)
	return err
}

// checkExpected refuses a save whose expected version c has not reached:
// c was not loaded at that version, so saving it could take the stored
// complaint back in time.
func checkExpected(c *complaint.Complaint, expectedVersion int) error {
	if expectedVersion < 1 || expectedVersion > c.Version() {
		return &ConflictError{ID: c.ID(), Expected: expectedVersion, Actual: c.Version()}
	}
	return nil
}
