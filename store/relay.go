package store

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/klageflow/klage/complaint"
)

// Relay delivers the outbox's notifications to a Notifier, at least once:
// a notification is marked delivered only after the Notifier accepted it,
// so a crash between the two delivers it again. Receivers drop duplicates
// by the notification's Key. Several relays may run at once, in one process
// or in many.
//
// A pass claims a batch with a lease in one short write, then delivers
// each message outside any transaction and records each result on its own:
// a slow Notifier never holds up a writer, and a crash redelivers only the
// message that was being delivered (the rest of its batch is claimed again
// once the lease has run out).
//
// The zero Relay is not usable: set Outbox and Notifier. A Relay's fields
// must not change while it runs.
type Relay struct {
	Outbox   Outbox
	Notifier complaint.Notifier
	// BatchSize is how many notifications one pass claims; 0 means 100.
	BatchSize int
	// Lease is how long a pass holds its claim; 0 means DefaultLease. A
	// Notify call is cancelled when the lease runs out, and what the pass
	// has not delivered by then is left for the next claim.
	Lease time.Duration
	// Interval is how long Run waits when the outbox has nothing due; 0
	// means one second.
	Interval time.Duration
	// RetryAfter is the backoff after the n-th failed attempt; nil means
	// DefaultRetryAfter.
	RetryAfter func(attempts int) time.Duration
	// MaxAttempts, when not zero, dead-letters a message after that many
	// failed attempts; 0 retries for ever. A failure whose error has a
	// Permanent method reporting true (notify.PermanentError) is
	// dead-lettered at once.
	MaxAttempts int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives delivery failures; nil means slog.Default. It logs
	// keys, topics and errors, never the notification's data.
	Logger *slog.Logger
	// Observer, when set, watches each delivery as a complaint.OpDeliver
	// (metrics, traces): give it the workflow's, complaint.Workflow.Observer.
	Observer complaint.Observer

	lastPass atomic.Int64 // Unix nanoseconds of the last pass that reached the outbox; 0 before the first
}

// LastPass returns when a pass of r last reached the outbox (claimed, even
// nothing), by r's clock, for a readiness check; zero before the first. A
// relay whose passes fail (the database is gone) stops moving it.
func (r *Relay) LastPass() time.Time {
	n := r.lastPass.Load()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// DefaultLease is the lease of a Relay without one.
const DefaultLease = 2 * time.Minute

func (r *Relay) batch() int {
	if r.BatchSize <= 0 {
		return 100
	}
	return r.BatchSize
}

func (r *Relay) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}

// RunOnce makes one pass over the outbox: it claims up to BatchSize due
// notifications and delivers them, oldest first. Within a pass, a
// complaint's notifications after one that failed are released, to keep
// their order; across passes a notification waiting for its retry does not
// hold back the next, so receivers that need order use Seq.
//
// When ctx ends during a pass, the messages not yet delivered are
// released, the results so far are recorded, and ctx's error is returned.
func (r *Relay) RunOnce(ctx context.Context) (Batch, error) {
	if r.Outbox == nil || r.Notifier == nil {
		return Batch{}, errors.New("store: relay needs an Outbox and a Notifier")
	}
	if err := ctx.Err(); err != nil {
		return Batch{}, err
	}
	now, retry, log, lease := time.Now, r.RetryAfter, r.logger(), r.Lease
	if r.Now != nil {
		now = r.Now
	}
	if retry == nil {
		retry = DefaultRetryAfter
	}
	if lease <= 0 {
		lease = DefaultLease
	}
	claimedAt := now()
	msgs, err := r.Outbox.Claim(ctx, claimedAt, r.batch(), claimedAt.Add(lease))
	if err != nil {
		return Batch{}, err
	}
	r.lastPass.Store(claimedAt.UnixNano())
	// The lease is also real time: Notify calls end when it does.
	leaseCtx, cancel := context.WithTimeout(ctx, lease)
	defer cancel()
	// Results are recorded even when ctx has ended, so that nothing
	// delivered is delivered again.
	record := context.WithoutCancel(ctx)

	var b Batch
	failed := map[string]bool{} // complaints whose earlier message failed
	for _, m := range msgs {
		key := m.Key()
		if m.Dead() {
			b.DeadLettered++
			log.ErrorContext(ctx, "klage: notification dead-lettered", "key", key, "topic", m.Topic, "error", m.LastError)
			continue
		}
		if failed[m.ComplaintID] || leaseCtx.Err() != nil {
			if err := r.Outbox.Release(record, key); err != nil {
				return b, err
			}
			continue
		}
		err := r.deliver(leaseCtx, m.Notification)
		at := now()
		switch {
		case err == nil:
			if err := r.Outbox.MarkDelivered(record, key, at); err != nil {
				return b, err
			}
			b.Delivered++
		case r.MaxAttempts > 0 && m.Attempts+1 >= r.MaxAttempts, permanent(err):
			log.ErrorContext(ctx, "klage: notification dead-lettered",
				"key", key, "topic", m.Topic, "recipient", m.Recipient, "attempt", m.Attempts+1, "error", err)
			if err := r.Outbox.DeadLetter(record, key, err.Error(), at); err != nil {
				return b, err
			}
			failed[m.ComplaintID] = true
			b.DeadLettered++
		default:
			log.WarnContext(ctx, "klage: notification not delivered",
				"key", key, "topic", m.Topic, "recipient", m.Recipient, "attempt", m.Attempts+1, "error", err)
			if err := r.Outbox.MarkFailed(record, key, err.Error(), at.Add(retry(m.Attempts+1))); err != nil {
				return b, err
			}
			failed[m.ComplaintID] = true
			b.Failed++
		}
	}
	return b, ctx.Err()
}

// deliver hands n to the Notifier, observed.
func (r *Relay) deliver(ctx context.Context, n complaint.Notification) error {
	if r.Observer == nil {
		return r.Notifier.Notify(ctx, n)
	}
	ctx, end := r.Observer.Begin(ctx, complaint.Operation{Op: complaint.OpDeliver, ComplaintID: n.ComplaintID,
		Event: n.Data.Event, Topic: n.Topic, Recipient: n.Recipient, Key: n.Key()})
	err := r.Notifier.Notify(ctx, n)
	end(err)
	return err
}

// permanent reports whether err says that no retry will deliver the
// notification: some error in its chain has a Permanent method that
// reports true (notify.PermanentError: no address for the recipient).
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Run delivers until ctx is done, then returns ctx's error. It makes passes
// back to back while they fill a batch and waits Interval otherwise; a pass
// that fails is logged and tried again after Interval.
func (r *Relay) Run(ctx context.Context) error {
	interval := r.Interval
	if interval <= 0 {
		interval = time.Second
	}
	log := r.logger()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
		b, err := r.RunOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			log.ErrorContext(ctx, "klage: relay pass failed", "error", err)
			timer.Reset(interval)
		case b.Delivered+b.Failed+b.DeadLettered >= r.batch():
			timer.Reset(0)
		default:
			timer.Reset(interval)
		}
	}
}
